"""Links made at runtime (``!hgw link``), kept in the store so they survive restarts.

Links from the config file are the admin's declared state and are not stored here; a runtime
link may not reuse a config link's id.
"""

from __future__ import annotations

import aiosqlite

from gateway.model import ChatRef, Link, LinkId, NetworkName
from gateway.store.connection import WriteConnection
from gateway.store.outbox import now_ms
from gateway.store.rows import fetch_one


async def _conversation(conn: WriteConnection, chat: ChatRef) -> int:
    row = await fetch_one(
        conn,
        "INSERT INTO conversations (network, chat_id, title, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (network, chat_id) DO UPDATE"
        " SET title = coalesce(excluded.title, conversations.title) RETURNING id",
        (chat.network, chat.chat_id, chat.title, now_ms()),
    )
    assert row is not None
    return int(row[0])


async def save(conn: WriteConnection, link: Link) -> None:
    """Insert ``link``; raises ``sqlite3.IntegrityError`` if its id or its chat pair exists."""
    internal = await _conversation(conn, link.internal)
    external = await _conversation(conn, link.external)
    await conn.execute(
        "INSERT INTO links (id, internal_conversation_id, external_conversation_id,"
        " outbound_format, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (link.id, internal, external, link.outbound_format, int(link.enabled), now_ms()),
    )


async def remove(conn: WriteConnection, link_id: str) -> bool:
    cursor = await conn.execute("DELETE FROM links WHERE id = ?", (link_id,))
    return cursor.rowcount == 1


async def load(reader: aiosqlite.Connection) -> list[Link]:
    async with reader.execute(
        "SELECT l.id, i.network, i.chat_id, i.title, e.network, e.chat_id, e.title,"
        " l.outbound_format, l.enabled FROM links l"
        " JOIN conversations i ON i.id = l.internal_conversation_id"
        " JOIN conversations e ON e.id = l.external_conversation_id ORDER BY l.created_at"
    ) as cursor:
        return [
            Link(
                LinkId(r[0]),
                ChatRef(NetworkName(r[1]), r[2], r[3]),
                ChatRef(NetworkName(r[4]), r[5], r[6]),
                r[7],
                bool(r[8]),
            )
            async for r in cursor
        ]


__all__ = ["load", "remove", "save"]
