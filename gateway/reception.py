"""Reception: messages from external chats no link covers, waiting for an admin.

A message from an unknown contact is archived like any other but stays *unrouted* (the router
writes no outbox rows and leaves ``routed_at`` empty), so it survives restarts and is never
lost. Assigning the contact creates the link (and, if needed, a portal room); the waiting
messages are then routed in their original order, under policy, exactly like messages a crash
left unrouted — so an assignment interrupted by a crash completes on the next start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from gateway.model import ChatRef, Link, LinkId, Message, MessageId, NetworkName
from gateway.store import messages


@dataclass(frozen=True, slots=True)
class Waiting:
    """One unknown contact and what they wrote so far."""

    chat: ChatRef
    messages: int
    first_at: datetime
    last_at: datetime
    last_sender: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "network": self.chat.network,
            "chat_id": self.chat.chat_id,
            "name": self.chat.title or self.last_sender or self.chat.chat_id,
            "messages": self.messages,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
        }


async def waiting(reader: aiosqlite.Connection) -> list[Waiting]:
    """Unknown contacts, the one waiting longest first."""
    async with reader.execute(
        "SELECT c.network, c.chat_id, c.title, COUNT(*), MIN(m.sent_at), MAX(m.sent_at),"
        " (SELECT sender_name FROM messages WHERE conversation_id = c.id ORDER BY id DESC LIMIT 1)"
        " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE m.routed_at IS NULL AND m.direction = 'inbound'"
        " GROUP BY c.id ORDER BY MIN(m.id)"
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        Waiting(
            ChatRef(NetworkName(row[0]), row[1], row[2]),
            int(row[3]),
            datetime.fromtimestamp(row[4] / 1000, UTC),
            datetime.fromtimestamp(row[5] / 1000, UTC),
            row[6],
        )
        for row in rows
    ]


async def waiting_in(
    reader: aiosqlite.Connection, chat: ChatRef
) -> list[tuple[MessageId, Message]]:
    """The messages ``chat`` has waiting, oldest first."""
    return await messages.unrouted_messages(reader, chat)


AUTOMATIC_PREFIX = "auto-"
"""Links hgw opened itself for an unknown contact (``unknown_contacts = "portal"``) carry this
prefix; rules with ``unknown_contact = true`` apply to them until an admin links the contact."""


def link_id_for(chat: ChatRef, *, automatic: bool = False) -> LinkId:
    """A stable link id for a contact from reception: ``telegram-7000002`` when an admin
    assigned it, ``auto-telegram-7000002`` when hgw opened the portal on its own."""
    prefix = AUTOMATIC_PREFIX if automatic else ""
    return LinkId(f"{prefix}{chat.network}-{chat.chat_id.lstrip('-')}")


def is_automatic(link: Link) -> bool:
    return link.id.startswith(AUTOMATIC_PREFIX)


def portal_name(chat: ChatRef) -> str:
    return f"{chat.title or chat.chat_id} ({chat.network.capitalize()})"


__all__ = [
    "AUTOMATIC_PREFIX",
    "Waiting",
    "is_automatic",
    "link_id_for",
    "portal_name",
    "waiting",
    "waiting_in",
]
