"""Small durable values: Matrix sync tokens, Telegram update state, chain heads.

A bridge saves its sync position with :func:`put` inside the same writer transaction as the
events it just archived — so the position can never run ahead of the data (invariant 1).
"""

from __future__ import annotations

import time

from gateway.store.connection import AnyConnection, WriteConnection
from gateway.store.rows import fetch_one


async def put(conn: WriteConnection, key: str, value: str) -> None:
    """Write ``key`` inside the caller's transaction (call from a writer operation)."""
    await conn.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, value, int(time.time() * 1000)),
    )


async def claim(conn: WriteConnection, key: str, value: str) -> bool:
    """Write ``key`` only if it is new; ``False`` means someone claimed it before.

    Used to handle a network event at most once when a replayed sync delivers it again.
    """
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO kv (key, value, updated_at) VALUES (?, ?, ?)",
        (key, value, int(time.time() * 1000)),
    )
    return cursor.rowcount == 1


async def get(conn: AnyConnection, key: str) -> str | None:
    row = await fetch_one(conn, "SELECT value FROM kv WHERE key = ?", (key,))
    return str(row[0]) if row else None


__all__ = ["claim", "get", "put"]
