"""The contract between the gateway core and a network adapter.

A bridge translates; it never decides. It turns native events into :mod:`gateway.model` objects
and hands them to an :class:`EventSink`, and it carries out :class:`~gateway.model.Delivery`
operations the dispatcher gives it. Links, policy and storage are not its business: it does not
know whether a room is linked, whether a message may leave, or where anything is stored.

Failures leave a bridge only as :class:`~gateway.errors.TransientBridgeError` (retry, honouring
``retry_after``) or :class:`~gateway.errors.PermanentBridgeError` (surface to the sender); each
bridge maps its library's exceptions to these in one table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from gateway.model import ChatRef, Delivery, Message, NetworkName, UserRef

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a network can carry, so the core can shape deliveries before they fail."""

    max_text_length: int
    """In the network's own unit (Telegram counts UTF-16 code units)."""
    max_caption_length: int | None = None
    formatted_text: bool = True
    edits: bool = True
    deletions: bool = True
    reactions: bool = True
    max_media_bytes: int = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Reaction:
    chat: ChatRef
    sender: UserRef
    native_id: str
    """The reaction event's own id (to remove it later)."""
    target_native_id: str
    key: str
    """The emoji (or other annotation key)."""


@dataclass(frozen=True, slots=True)
class Deletion:
    chat: ChatRef
    """Where the message was deleted; ``chat_id`` is empty when the network does not say
    (Telegram private chats), and the router finds the chat by the message's id."""
    sender: UserRef
    target_native_id: str


def without_attachment(message: Message, name: str, reason: str) -> Message:
    """The message with its attachments replaced by a visible text marker.

    Every bridge uses it when the bytes cannot be had (missing, oversized, a download that keeps
    failing): the text still reaches the other side, and the reader knows a file was there.
    """
    marker = f"[attachment unavailable: {name}]"
    log.warning("message %s: attachment %r unavailable (%s)", message.native_id, name, reason)
    text = f"{message.text}\n{marker}" if message.text else marker
    return replace(message, text=text, attachments=())


class EventSink(Protocol):
    """Where a bridge delivers what happened on its network. Implemented by the router.

    Each call returns only once the event is durably stored, so a bridge may then advance its
    sync position with :meth:`checkpoint` — never before (invariant 1: no loss).
    """

    async def message(self, message: Message) -> None: ...

    async def reaction(self, reaction: Reaction) -> None: ...

    async def deletion(self, deletion: Deletion) -> None: ...

    async def connected(self) -> None:
        """The network answers again after failures: deliveries backing off may go now."""
        ...

    async def checkpoint(self, key: str, value: str) -> None:
        """Persist a sync token or update state under ``<network>.<key>``."""
        ...

    async def restore(self, key: str) -> str | None:
        """The value last saved by :meth:`checkpoint`, to resume after a restart."""
        ...


@runtime_checkable
class Bridge(Protocol):
    """A network adapter: one per configured network."""

    network: NetworkName
    capabilities: Capabilities

    async def start(self, sink: EventSink) -> None:
        """Log in, resume from the last checkpoint and begin delivering events to ``sink``."""
        ...

    async def stop(self) -> None:
        """Stop receiving; finish nothing new. Safe to call twice."""
        ...

    async def deliver(self, delivery: Delivery) -> str:
        """Carry out one operation; return the network's id of the resulting event.

        Raises ``TransientBridgeError`` or ``PermanentBridgeError``; nothing else may escape.
        """
        ...


__all__ = ["Bridge", "Capabilities", "Deletion", "EventSink", "Reaction", "without_attachment"]
