"""Split-number tails: the policy's memory of message ends, kept across restarts.

A number sent in two messages is caught by joining the end of the first with the start of the
second (:mod:`gateway.policy.memory`). That memory lives in the daemon; without a copy here a
restart between the two halves would let the number through. The router writes a message's
tail changes in the same transaction that archives and routes it, so the store never holds a
tail of a message it does not hold, nor lacks one of a message it does; the daemon loads the
rows at start-up.

Retention: these rows are fragments of possibly sensitive numbers (at most the 19 trailing
digits of one message, or an IBAN's start). A row is deleted when its sender's next message in
that chat is judged, and every write here — and every start-up — deletes the rows older than
the policy's ``split_window_seconds``. On a gateway where nobody writes, a row can outlive the
window until the next message or start; it is never used after the window either way. Values
are plain JSON written by :meth:`gateway.policy.memory.Tail.as_dict`; this module does not
interpret them.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.store.connection import AnyConnection, WriteConnection


async def save(
    conn: WriteConnection,
    changes: Iterable[tuple[str, int, str | None]],
    *,
    expired_before_ms: int,
) -> None:
    """Write ``(key, at_ms, tail_json)`` rows (``None``: delete the key) and delete the rows
    older than ``expired_before_ms``, inside the caller's transaction."""
    for key, at, tail in changes:
        if tail is None:
            await conn.execute("DELETE FROM split_tails WHERE key = ?", (key,))
        else:
            await conn.execute(
                "INSERT INTO split_tails (key, at, tail) VALUES (?, ?, ?) ON CONFLICT (key)"
                " DO UPDATE SET at = excluded.at, tail = excluded.tail",
                (key, at, tail),
            )
    await prune(conn, expired_before_ms)


async def prune(conn: WriteConnection, expired_before_ms: int) -> int:
    """Delete the rows older than ``expired_before_ms``; return how many."""
    cursor = await conn.execute("DELETE FROM split_tails WHERE at < ?", (expired_before_ms,))
    return cursor.rowcount


async def load(conn: AnyConnection, *, since_ms: int) -> list[tuple[str, int, str]]:
    """Every ``(key, at_ms, tail_json)`` row written at or after ``since_ms``."""
    rows = await conn.execute_fetchall(
        "SELECT key, at, tail FROM split_tails WHERE at >= ? ORDER BY at", (since_ms,)
    )
    return [(str(key), int(at), str(tail)) for key, at, tail in rows]


__all__ = ["load", "prune", "save"]
