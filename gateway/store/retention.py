"""Retention: forget archived messages older than ``[store] retention_days``.

Only finished business is deleted: a message with a delivery still pending or held, or an
approval still open, stays until it is settled. The audit log is never pruned — it records
decisions, not content, and a gap would break the chain.
"""

from __future__ import annotations

import re

import aiosqlite

from gateway.store.connection import WriteConnection
from gateway.store.outbox import now_ms

DAY_MS = 24 * 3600 * 1000


async def prune(conn: WriteConnection, *, retention_days: int, limit: int = 5000) -> int:
    """Delete up to ``limit`` expired messages with their deliveries; return how many."""
    if retention_days <= 0:
        return 0
    cutoff = now_ms() - retention_days * DAY_MS
    with conn.in_thread():  # thousands of rows and their search index: not on the event loop
        await conn.execute("DROP TABLE IF EXISTS temp.expired")
        await conn.execute(
            "CREATE TEMP TABLE expired AS SELECT id FROM messages m WHERE m.sent_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id"
            "   AND o.state IN ('pending', 'held'))"
            " ORDER BY m.id LIMIT ?",
            (cutoff, limit),
        )
        await conn.execute(
            "DELETE FROM approvals WHERE message_id IN (SELECT id FROM temp.expired)"
            " OR outbox_id IN (SELECT o.id FROM outbox o WHERE o.message_id IN"
            "   (SELECT id FROM temp.expired))"
        )
        await conn.execute("DELETE FROM outbox WHERE message_id IN (SELECT id FROM temp.expired)")
        cursor = await conn.execute(
            "DELETE FROM messages WHERE id IN (SELECT id FROM temp.expired)"
        )
        deleted = cursor.rowcount
        await conn.execute("DROP TABLE temp.expired")
        # "Seen" marks of relayed reactions only stop a replayed sync from relaying one twice;
        # nothing replays events older than the retention period.
        await conn.execute(
            "DELETE FROM kv WHERE (key LIKE 'reaction:%' OR key LIKE 'unreaction:%')"
            " AND updated_at < ?",
            (cutoff,),
        )
    return deleted


__all__ = ["prune"]


async def media_in_use(reader: aiosqlite.Connection) -> set[str]:
    """Digests of media-cache files that archived messages or outbox rows still refer to."""
    used: set[str] = set()
    async with reader.execute(
        "SELECT attachments FROM messages WHERE attachments IS NOT NULL"
        " UNION ALL SELECT payload FROM outbox WHERE payload LIKE '%\"cache\"%'"
    ) as cursor:
        async for (text,) in cursor:
            used.update(_DIGEST.findall(text))
    return used


_DIGEST = re.compile(r"\b[0-9a-f]{64}\b")
