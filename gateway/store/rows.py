"""Query helpers that cost one trip to the database thread, not three.

aiosqlite runs every call on its connection's thread: ``async with conn.execute(...)`` followed
by ``fetchone()`` is three hand-offs (execute, fetch, close), each a wake-up of the event loop.
On the relay's hot path — archive, route, read the queue head — those hand-offs cost more
than the SQL itself, so single-row reads go through :func:`fetch_one`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.store.connection import AnyConnection


async def fetch_one(
    conn: AnyConnection, sql: str, parameters: Iterable[Any] = ()
) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (or ``None``), in one round trip."""
    rows = await conn.execute_fetchall(sql, tuple(parameters))
    for row in rows:
        return tuple(row)
    return None


__all__ = ["fetch_one"]
