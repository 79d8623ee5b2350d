"""The outbox: operations waiting for a network, and what became of them.

A row is written in the same transaction as the policy decision that allowed it (or held it),
with its idempotency key already fixed — so a crash at any point leaves either no row (the
message is routed again at start-up) or a row that the dispatcher will carry out, at most once
from the network's point of view.

Writers take a connection (they run inside a :class:`~gateway.store.writer.GroupCommitWriter`
operation); readers take the store's read connection.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiosqlite

from gateway.model import ChatRef, NetworkName, OperationKind
from gateway.store.connection import AnyConnection, WriteConnection
from gateway.store.rows import fetch_one


class OutboxState(StrEnum):
    PENDING = "pending"
    HELD = "held"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    message_id: int | None
    link_id: str | None
    target: ChatRef
    operation: OperationKind
    payload: Mapping[str, Any]
    idempotency_key: str
    state: OutboxState
    attempts: int
    next_attempt_at: int
    last_error: str | None
    remote_id: str | None


_COLUMNS = (
    "id, message_id, link_id, target_network, target_chat, operation, payload, idempotency_key,"
    " state, attempts, next_attempt_at, last_error, remote_id"
)


def _row(r: aiosqlite.Row | tuple[Any, ...]) -> OutboxRow:
    return OutboxRow(
        id=r[0],
        message_id=r[1],
        link_id=r[2],
        target=ChatRef(NetworkName(r[3]), r[4]),
        operation=OperationKind(r[5]),
        payload=json.loads(r[6]),
        idempotency_key=r[7],
        state=OutboxState(r[8]),
        attempts=r[9],
        next_attempt_at=r[10],
        last_error=r[11],
        remote_id=r[12],
    )


def now_ms() -> int:
    return int(time.time() * 1000)


def new_idempotency_key() -> str:
    """Random, unguessable, and valid both as a Matrix txn id and (hashed) a Telegram random_id."""
    return f"hgw-{secrets.token_hex(12)}"


async def add(
    conn: WriteConnection,
    *,
    target: ChatRef,
    operation: OperationKind,
    payload: Mapping[str, Any],
    message_id: int | None = None,
    link_id: str | None = None,
    state: OutboxState = OutboxState.PENDING,
) -> int:
    at = now_ms()
    row = await fetch_one(
        conn,
        "INSERT INTO outbox (message_id, link_id, target_network, target_chat, operation, payload,"
        " idempotency_key, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        (
            message_id,
            link_id,
            target.network,
            target.chat_id,
            operation.value,
            json.dumps(payload, ensure_ascii=False),
            new_idempotency_key(),
            state.value,
            at,
            at,
        ),
    )
    assert row is not None
    return int(row[0])


async def head(reader: AnyConnection, target: ChatRef) -> OutboxRow | None:
    """The oldest pending row for ``target``: the only one that may be attempted (order)."""
    row = await fetch_one(
        reader,
        f"SELECT {_COLUMNS} FROM outbox WHERE target_network = ? AND target_chat = ?"  # noqa: S608
        " AND state = 'pending' ORDER BY id LIMIT 1",
        (target.network, target.chat_id),
    )
    return _row(row) if row else None


async def get(reader: aiosqlite.Connection, outbox_id: int) -> OutboxRow | None:
    row = await fetch_one(
        reader,
        f"SELECT {_COLUMNS} FROM outbox WHERE id = ?",  # noqa: S608
        (outbox_id,),
    )
    return _row(row) if row else None


async def pending_targets(reader: aiosqlite.Connection) -> list[ChatRef]:
    async with reader.execute(
        "SELECT DISTINCT target_network, target_chat FROM outbox WHERE state = 'pending'"
    ) as cursor:
        return [ChatRef(NetworkName(network), chat) async for network, chat in cursor]


async def mark_sent(conn: WriteConnection, outbox_id: int, remote_id: str) -> None:
    await conn.execute(
        "UPDATE outbox SET state = 'sent', remote_id = ?, attempts = attempts + 1,"
        " last_error = NULL, updated_at = ? WHERE id = ?",
        (remote_id, now_ms(), outbox_id),
    )


async def mark_retry(
    conn: WriteConnection, outbox_id: int, *, error: str, next_attempt_at: int
) -> None:
    await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
        " updated_at = ? WHERE id = ?",
        (error, next_attempt_at, now_ms(), outbox_id),
    )


async def set_state(
    conn: WriteConnection, outbox_id: int, state: OutboxState, *, error: str | None = None
) -> None:
    await conn.execute(
        "UPDATE outbox SET state = ?, last_error = coalesce(?, last_error), updated_at = ?"
        " WHERE id = ?",
        (state.value, error, now_ms(), outbox_id),
    )


async def state_counts(reader: aiosqlite.Connection) -> dict[str, int]:
    async with reader.execute("SELECT state, count(*) FROM outbox GROUP BY state") as cursor:
        return {state: count async for state, count in cursor}


__all__ = [
    "OutboxRow",
    "OutboxState",
    "add",
    "get",
    "head",
    "mark_retry",
    "mark_sent",
    "new_idempotency_key",
    "pending_targets",
    "set_state",
    "state_counts",
]
