"""Which native id a message has on each chat it reached.

The source copy is the ``messages`` row itself (conversation + native id); every copy hgw posted
elsewhere is a ``message_map`` row. Replies, edits, deletions and reactions on one side find
their target on the other side through these two.
"""

from __future__ import annotations

import aiosqlite

from gateway.model import ChatRef
from gateway.store.connection import WriteConnection
from gateway.store.rows import fetch_one


async def record(conn: WriteConnection, message_id: int, chat: ChatRef, native_id: str) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO message_map (message_id, network, chat_id, native_id)"
        " VALUES (?, ?, ?, ?)",
        (message_id, chat.network, chat.chat_id, native_id),
    )


async def resolve(reader: aiosqlite.Connection, chat: ChatRef, native_id: str) -> int | None:
    """Our message id for a native id seen in ``chat``: an original there, or a copy we posted."""
    row = await fetch_one(
        reader,
        "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.network = ? AND c.chat_id = ? AND m.native_id = ?"
        " UNION ALL SELECT message_id FROM message_map"
        " WHERE network = ? AND chat_id = ? AND native_id = ? LIMIT 1",
        (chat.network, chat.chat_id, native_id) * 2,
    )
    return int(row[0]) if row else None


async def original(reader: aiosqlite.Connection, chat: ChatRef, native_id: str) -> int | None:
    """Our id of the message that was *written* in ``chat`` as ``native_id`` (not a copy)."""
    row = await fetch_one(
        reader,
        "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.network = ? AND c.chat_id = ? AND m.native_id = ?",
        (chat.network, chat.chat_id, native_id),
    )
    return int(row[0]) if row else None


async def native_in(reader: aiosqlite.Connection, message_id: int, chat: ChatRef) -> str | None:
    """The native id message ``message_id`` has in ``chat``, original or copy, if it got there.

    A copy hgw posted wins over the original: a message typed in the TUI is archived in the
    internal room under a ``local:`` id that room never saw, and its mirror copy there is the
    event replies and edits must point at. (A message written in a chat has no copy there.)
    """
    row = await fetch_one(
        reader,
        "SELECT native_id FROM message_map WHERE message_id = ? AND network = ? AND chat_id = ?"
        " UNION ALL SELECT m.native_id FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.id = ? AND c.network = ? AND c.chat_id = ? LIMIT 1",
        (message_id, chat.network, chat.chat_id) * 2,
    )
    return str(row[0]) if row else None


__all__ = ["native_in", "original", "record", "resolve"]


async def locate_original(
    reader: aiosqlite.Connection, network: str, native_id: str
) -> ChatRef | None:
    """The chat on ``network`` where ``native_id`` was written, for networks whose deletion
    notices name no chat (Telegram private chats: ids are unique per account there)."""
    row = await fetch_one(
        reader,
        "SELECT c.chat_id, c.title FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.native_id = ? AND c.network = ? ORDER BY m.id DESC LIMIT 1",
        (native_id, network),
    )
    return ChatRef(network, str(row[0]), row[1]) if row else None  # type: ignore[arg-type]
