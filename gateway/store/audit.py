"""The audit log: an append-only, SHA-256 hash chain.

Each record's hash covers its sequence number, time, actor, action, subject, details and the
previous record's hash. Editing a record breaks its own hash; deleting one breaks the sequence
and the next record's link; swapping two breaks the links around them. ``verify`` walks the
chain and names the first record that does not fit.

The newest hash is also kept in the ``kv`` table as the chain *head*, so removing records from
the end is caught too. This does not stop someone who can rewrite the whole database and
recompute every hash — export the head regularly (``hgw audit export``) to another system for that.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite

from gateway.store.connection import WriteConnection
from gateway.store.rows import fetch_one

GENESIS_HASH = "0" * 64
HEAD_KEY = "audit.head"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    at: int
    """Milliseconds since the Unix epoch."""
    actor: str
    """Who did it: an OS user (``os:alice``), a Matrix id, or ``hgw`` for the daemon itself."""
    action: str
    subject: str | None
    details: Mapping[str, Any]
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "details": dict(self.details),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What ``verify`` found: ``ok`` or the first bad record and why."""

    records: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def record_hash(
    seq: int, at: int, actor: str, action: str, subject: str | None, details: str, prev_hash: str
) -> str:
    body = canonical_json([seq, at, actor, action, subject, details, prev_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class AuditChain:
    """Appends to and verifies the chain. Appends run inside the store's writer transactions."""

    def __init__(self) -> None:
        self._head: tuple[int, str] | None = None

    def forget_head(self) -> None:
        """A transaction was rolled back: reload the head from the database next time."""
        self._head = None

    async def _load_head(self, conn: WriteConnection) -> tuple[int, str]:
        if self._head is None:
            row = await fetch_one(conn, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            self._head = (row[0], row[1]) if row else (0, GENESIS_HASH)
        return self._head

    async def append(
        self,
        conn: WriteConnection,
        *,
        actor: str,
        action: str,
        subject: str | None = None,
        details: Mapping[str, Any] | None = None,
        at: int | None = None,
    ) -> AuditRecord:
        """Append one record; call only from inside a writer operation."""
        last_seq, prev_hash = await self._load_head(conn)
        seq = last_seq + 1
        at = at if at is not None else int(time.time() * 1000)
        details_json = canonical_json(dict(details or {}))
        digest = record_hash(seq, at, actor, action, subject, details_json, prev_hash)
        await conn.execute(
            "INSERT INTO audit (seq, at, actor, action, subject, details, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, at, actor, action, subject, details_json, prev_hash, digest),
        )
        # The head anchor in kv (HEAD_KEY) is written by the audit_head trigger (migration 0003)
        # in the same statement: truncating the chain's tail is detectable, at no extra trip.
        self._head = (seq, digest)
        return AuditRecord(seq, at, actor, action, subject, details or {}, prev_hash, digest)


async def verify_chain(conn: aiosqlite.Connection) -> ChainReport:
    """Walk the whole chain in order; stop at the first record that does not fit."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    async with conn.execute(
        "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit ORDER BY seq"
    ) as cursor:
        async for seq, at, actor, action, subject, details, prev_hash, stored in cursor:
            if seq != expected_seq:
                return ChainReport(
                    count, expected_seq, f"record {expected_seq} is missing (deleted?)"
                )
            if prev_hash != expected_prev:
                return ChainReport(
                    count,
                    seq,
                    f"record {seq} does not follow record {seq - 1}"
                    " (records removed, swapped or reordered)",
                )
            if record_hash(seq, at, actor, action, subject, details, prev_hash) != stored:
                return ChainReport(count, seq, f"record {seq} was altered: its hash does not match")
            expected_prev = stored
            expected_seq += 1
            count += 1
    head = await fetch_one(conn, "SELECT value FROM kv WHERE key = ?", (HEAD_KEY,))
    if head is not None:
        head_seq, _, head_hash = str(head[0]).partition(":")
        if int(head_seq) != count or head_hash != expected_prev:
            return ChainReport(
                count,
                count + 1 if int(head_seq) > count else int(head_seq),
                f"the chain ends at record {count}, but the recorded head is record {head_seq}"
                " (records removed from the end, or the head was altered)",
            )
    elif count:
        return ChainReport(count, 1, "the chain head is missing from the store")
    return ChainReport(count)


async def records_after(
    conn: aiosqlite.Connection, after_seq: int, limit: int, *, since_ms: int = 0
) -> list[AuditRecord]:
    """Up to ``limit`` records after ``after_seq``, in order (one page of an export)."""
    rows = await conn.execute_fetchall(
        "SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit"
        " WHERE seq > ? AND at >= ? ORDER BY seq LIMIT ?",
        (after_seq, since_ms, limit),
    )
    return [
        AuditRecord(seq, at, actor, action, subject, json.loads(details), prev_hash, digest)
        for seq, at, actor, action, subject, details, prev_hash, digest in rows
    ]


async def iter_records(
    conn: aiosqlite.Connection, *, since_ms: int | None = None, batch: int = 1000
) -> AsyncIterator[AuditRecord]:
    """Records in order, fetched in pages so an export of millions stays in constant memory."""
    after = 0
    while records := await records_after(conn, after, batch, since_ms=since_ms or 0):
        for record in records:
            yield record
        after = records[-1].seq


__all__ = [
    "GENESIS_HASH",
    "AuditChain",
    "AuditRecord",
    "ChainReport",
    "canonical_json",
    "iter_records",
    "record_hash",
    "records_after",
    "verify_chain",
]
