"""The audit chain's head, authenticated with a key the database does not hold.

The hash chain (``gateway.store.audit``) proves that the records in the table follow each
other; it cannot prove that none were removed from the *end*, and the plain ``seq:hash`` head
the 0003 trigger keeps in ``kv`` is no help against anyone who can write that same file: they
delete the tail and copy the older ``seq:hash`` in. So the head is also stored as an *anchor*
— ``seq:hash:mac`` under ``kv 'audit.anchor'`` — where ``mac`` is an HMAC-SHA256 of the seq and
hash under a 32-byte key kept in a 0600 file outside the database (``[store] audit_key_file``).
Whoever can write the database but not read that file can no longer truncate or rewrite the
chain without the anchor giving it away.

The anchor is written in the same transaction as each appended record (one HMAC and one kv
upsert per record, 5–7 µs — see the measurement in ``AuditChain.append``), so it can never
disagree with a committed chain except by tampering.

What it cannot do: the key's holder (the daemon's OS user, root) can still rewrite everything,
and an attacker who kept an *old* anchor value can put it back together with a chain cut to
that point (a replay). Both are why the daemon also logs ``audit checkpoint seq=… hash=…``
lines for an off-box collector (see docs/security.md, "Tampering with the audit log").
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.errors import SecretFileError
from gateway.secrets import read_private_file
from gateway.store import kv
from gateway.store.connection import AnyConnection, WriteConnection
from gateway.store.rows import fetch_one

if TYPE_CHECKING:
    from gateway.store.audit import AuditChain

ANCHOR_KEY = "audit.anchor"
"""The kv key of the authenticated head, ``seq:hash:mac``."""
GAP_ACTION = "audit.gap"
"""The action of the record the daemon appends when the chain does not match its anchor."""
ANCHORED_ACTION = "audit.anchored"
"""The action of the record that starts anchoring a chain that existed before (an upgrade)."""
KEY_BYTES = 32
GENESIS = (0, "0" * 64)
"""The head of an empty chain (kept here too so this module does not import ``audit``)."""


def anchor_mac(key: bytes, seq: int, digest: str) -> str:
    """HMAC-SHA256 of one head; the prefix keeps this MAC from meaning anything elsewhere."""
    return hmac.digest(key, b"hgw-audit-anchor:%d:%s" % (seq, digest.encode()), "sha256").hex()


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    hash: str
    mac: str

    @classmethod
    def sign(cls, key: bytes, seq: int, digest: str) -> Anchor:
        return cls(seq, digest, anchor_mac(key, seq, digest))

    @classmethod
    def parse(cls, text: str) -> Anchor | None:
        """``seq:hash:mac``, or ``None`` for anything else (a forged value is just wrong)."""
        parts = text.split(":")
        if len(parts) != 3 or not parts[0].isdigit():
            return None
        return cls(int(parts[0]), parts[1], parts[2])

    def value(self) -> str:
        return f"{self.seq}:{self.hash}:{self.mac}"

    def authentic(self, key: bytes) -> bool:
        return hmac.compare_digest(self.mac, anchor_mac(key, self.seq, self.hash))


# -- the key file ---------------------------------------------------------------------------------


def load_or_create_key(path: Path) -> tuple[bytes, bool]:
    """The anchor key and whether it was created just now.

    A missing file is created owner-only (0600, ``O_EXCL`` so two starts cannot race to two
    keys); an existing one is read like every other secret file, so one that group or others
    can read is refused with the ``chmod`` that fixes it.
    """
    path = path.expanduser()
    created = False
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(KEY_BYTES) + "\n")
                out.flush()
                os.fsync(out.fileno())
            created = True
    return read_key(path), created


def read_key(path: Path) -> bytes:
    """Read an existing key file (``hgw audit verify``: never creates one)."""
    text = read_private_file(path, key="store.audit_key_file").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES:
        raise SecretFileError(
            f"the audit key must be at least {KEY_BYTES * 2} hex digits",
            file=path,
            key="store.audit_key_file",
            hint="restore the key from its backup; a new key cannot verify the old anchor",
        )
    return key


# -- checking the head ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeadCheck:
    """The table's last record compared with the authenticated head."""

    found: tuple[int, str]
    """``(seq, hash)`` of the table's last record; ``(0, 0…0)`` when it is empty."""
    anchor: Anchor | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class Heads:
    """The table's last record and both stored heads, read in one statement (one snapshot)."""

    found: tuple[int, str]
    plain: str | None
    """The unauthenticated ``seq:hash`` the 0003 trigger writes under ``audit.head``."""
    anchor: str | None


async def read_heads(conn: AnyConnection) -> Heads:
    row = await fetch_one(
        conn,
        "SELECT (SELECT seq FROM audit ORDER BY seq DESC LIMIT 1),"
        " (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1),"
        " (SELECT value FROM kv WHERE key = 'audit.head'),"
        " (SELECT value FROM kv WHERE key = ?)",
        (ANCHOR_KEY,),
    )
    assert row is not None
    seq, digest, plain, anchor = row
    found = (int(seq), str(digest)) if seq is not None else GENESIS
    return Heads(found, plain, anchor)


def judge_head(found: tuple[int, str], stored: str | None, key: bytes) -> HeadCheck:
    """Does the table end (``found``) where the authenticated head says it does?"""
    anchor = Anchor.parse(stored) if stored is not None else None
    if stored is None:
        if found == GENESIS:
            return HeadCheck(found, None)
        problem = f"the authenticated head is missing, but the table ends at record {found[0]}"
        return HeadCheck(found, None, problem)
    if anchor is None or not anchor.authentic(key):
        return HeadCheck(
            found,
            anchor,
            "the authenticated head was altered or forged (its MAC does not match the key)",
        )
    if (anchor.seq, anchor.hash) != found:
        if anchor.seq > found[0]:
            what = "records removed from the end"
        elif anchor.seq == found[0]:
            what = "the last record was rewritten"
        else:
            what = "records appended without the key"
        return HeadCheck(
            found,
            anchor,
            f"the table ends at record {found[0]}, but the authenticated head is record"
            f" {anchor.seq} ({what})",
        )
    return HeadCheck(found, anchor)


async def check_head(conn: AnyConnection, key: bytes) -> HeadCheck:
    heads = await read_heads(conn)
    return judge_head(heads.found, heads.anchor, key)


async def reconcile(conn: WriteConnection, chain: AuditChain, *, adopt: bool) -> HeadCheck:
    """A writer operation for start-up, run before anything else appends.

    On a mismatch the chain is *not* silently extended: an ``audit.gap`` record naming the
    expected and the found head is appended first (and anchored), so the break stays visible in
    the log itself — ``hgw audit verify`` reports it for as long as the log exists. ``adopt``
    (a new key or a new store) anchors a chain that was never anchored, recording
    ``audit.anchored`` when it already had records.
    """
    assert chain.key is not None, "set the chain's key first"
    check = await check_head(conn, chain.key)
    if check.ok:
        return check
    if check.anchor is None and adopt:
        if check.found == GENESIS:
            await kv.put(conn, ANCHOR_KEY, Anchor.sign(chain.key, *GENESIS).value())
        else:
            await chain.append(
                conn,
                actor="hgw",
                action=ANCHORED_ACTION,
                details={"records_before": check.found[0], "head_hash": check.found[1]},
            )
        return HeadCheck(check.found, None)
    await append_gap(conn, chain, head_gap(check))
    return check


async def append_gap(conn: WriteConnection, chain: AuditChain, details: dict[str, Any]) -> None:
    """Record a break in the log — a head mismatch or a broken chain — as a record of its own."""
    await chain.append(conn, actor="hgw", action=GAP_ACTION, subject="audit", details=details)


def head_gap(check: HeadCheck) -> dict[str, Any]:
    """What an ``audit.gap`` record says of a head that does not match its anchor."""
    expected = check.anchor
    return {
        "kind": "head",
        "problem": check.problem,
        "expected_seq": expected.seq if expected else None,
        "expected_hash": expected.hash if expected else None,
        "found_seq": check.found[0],
        "found_hash": check.found[1],
    }


async def gap_recorded(conn: AnyConnection, first_bad_seq: int) -> bool:
    """Whether a break in the chain at ``first_bad_seq`` was recorded already (an earlier
    start found it): it is reported again, but not recorded and announced on every start."""
    row = await fetch_one(
        conn,
        "SELECT 1 FROM audit WHERE action = ? AND json_extract(details, '$.kind') = 'chain'"
        " AND json_extract(details, '$.first_bad_seq') = ? LIMIT 1",
        (GAP_ACTION, first_bad_seq),
    )
    return row is not None


__all__ = [
    "ANCHORED_ACTION",
    "ANCHOR_KEY",
    "GAP_ACTION",
    "Anchor",
    "HeadCheck",
    "Heads",
    "anchor_mac",
    "append_gap",
    "check_head",
    "gap_recorded",
    "head_gap",
    "judge_head",
    "load_or_create_key",
    "read_heads",
    "read_key",
    "reconcile",
]
