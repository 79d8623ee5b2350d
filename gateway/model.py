"""Network-neutral data the gateway core works with.

Bridges convert native events (nio, telethon) into these objects and back; nothing here knows
any network library. Everything is frozen and slotted: a message is a value that travels through
router, policy and store without anyone mutating it behind another's back.

Text offsets in :class:`Span` are Python code points. Converters own the translation to
Telegram's UTF-16 offsets and Matrix HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import NewType

NetworkName = NewType("NetworkName", str)
"""Name of a configured network, e.g. ``"matrix"`` or ``"telegram"``."""

LinkId = NewType("LinkId", str)
"""Admin-chosen identifier of a link between an internal and an external chat."""

MessageId = NewType("MessageId", int)
"""Our own id of an archived message (the store's primary key)."""


class Direction(StrEnum):
    """Which way a message crosses the company boundary."""

    OUTBOUND = "outbound"
    """From staff on the internal network to an external partner."""
    INBOUND = "inbound"
    """From an external partner to staff."""


class MessageKind(StrEnum):
    """How a message is meant to be shown; maps to m.text/m.notice/m.emote."""

    TEXT = "text"
    NOTICE = "notice"
    EMOTE = "emote"


class SpanKind(StrEnum):
    """Formatting both Matrix HTML and Telegram entities can express."""

    BOLD = "bold"
    ITALIC = "italic"
    UNDERLINE = "underline"
    STRIKE = "strike"
    CODE = "code"
    PRE = "pre"
    LINK = "link"
    MENTION = "mention"
    SPOILER = "spoiler"
    BLOCKQUOTE = "blockquote"


@dataclass(frozen=True, slots=True)
class Span:
    """A formatted range of a message's text, in code points.

    ``extra`` carries what the kind needs: the URL of a link, the language of a pre block, the
    user id of a mention.
    """

    offset: int
    length: int
    kind: SpanKind
    extra: str | None = None

    @property
    def end(self) -> int:
        return self.offset + self.length


@dataclass(frozen=True, slots=True)
class ChatRef:
    """One chat on one network: a Matrix room, a Telegram dialog."""

    network: NetworkName
    chat_id: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class UserRef:
    """One account on one network."""

    network: NetworkName
    user_id: str
    display_name: str | None = None

    @property
    def label(self) -> str:
        """The name to show a human: display name if known, else the id."""
        return self.display_name or self.user_id


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file carried by a message.

    ``declared_mime`` and ``name`` come from the sender and are not trusted; the policy engine
    sniffs the kind from ``data``. ``data`` is ``None`` until the bridge has downloaded it.
    """

    name: str
    declared_mime: str | None
    size: int
    data: bytes | None = None
    native_ref: str | None = None
    """Where the bytes live on the source network (an mxc:// URI, a Telegram file reference)."""
    digest: str | None = None
    """SHA-256 of ``data`` once the bytes are in hgw's media cache (:mod:`gateway.media`)."""


@dataclass(frozen=True, slots=True)
class Message:
    """A message as the gateway sees it, whichever network it came from."""

    chat: ChatRef
    sender: UserRef
    native_id: str
    direction: Direction
    text: str = ""
    spans: tuple[Span, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    kind: MessageKind = MessageKind.TEXT
    reply_to_native_id: str | None = None
    edit_of_native_id: str | None = None
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def network(self) -> NetworkName:
        return self.chat.network


@dataclass(frozen=True, slots=True)
class Rendered(Message):
    """A message as it will appear on one route's target: the payload the policy judges.

    ``text`` is already shaped by the link's format (``"{sender_name}: {body}"``), so a name
    filled into the template is judged with the body. ``body_start``/``body_end`` say where
    the sender's own words sit inside it: the split-number memory joins what one person typed
    in a row, not the labels hgw put around it.
    """

    body_start: int = 0
    body_end: int | None = None
    """``None``: the body runs to the end of ``text``."""


@dataclass(frozen=True, slots=True)
class Link:
    """An admin-made bridge between one internal chat and one external chat.

    ``outbound_format`` shapes staff messages on the partner side, e.g. ``"{sender_name}: {body}"``;
    ``None`` relays the body as it is.
    """

    id: LinkId
    internal: ChatRef
    external: ChatRef
    outbound_format: str | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Route:
    """One hop a message is about to take: what policy is asked to judge."""

    link: Link
    direction: Direction

    @property
    def source(self) -> ChatRef:
        return self.link.internal if self.direction is Direction.OUTBOUND else self.link.external

    @property
    def target(self) -> ChatRef:
        return self.link.external if self.direction is Direction.OUTBOUND else self.link.internal


class OperationKind(StrEnum):
    """What the dispatcher asks a bridge to do on the target network."""

    SEND = "send"
    EDIT = "edit"
    DELETE = "delete"
    REACT = "react"
    NOTICE = "notice"
    """A message from hgw itself (a block notice, a delivery failure), not relayed content."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row as a bridge sees it: everything needed to act, already policy-filtered.

    ``idempotency_key`` was persisted before the first attempt; a bridge passes it to the
    network (Matrix ``txn_id``, Telegram ``random_id``) so a retry after a lost reply is
    recognised by the server instead of posted twice.
    """

    outbox_id: int
    target: ChatRef
    operation: OperationKind
    idempotency_key: str
    text: str = ""
    spans: tuple[Span, ...] = ()
    kind: MessageKind = MessageKind.TEXT
    attachments: tuple[Attachment, ...] = ()
    reply_to_remote_id: str | None = None
    """The target network's id of the message this one answers."""
    target_remote_id: str | None = None
    """For edit, delete and react: the target network's id of the message acted on."""
    reaction: str | None = None
    attempts: int = 0


__all__ = [
    "Attachment",
    "ChatRef",
    "Delivery",
    "Direction",
    "Link",
    "LinkId",
    "Message",
    "MessageId",
    "MessageKind",
    "NetworkName",
    "OperationKind",
    "Rendered",
    "Route",
    "Span",
    "SpanKind",
    "UserRef",
]
