"""telethon messages → :mod:`gateway.model`, without I/O.

Media that carries a file becomes an :class:`Attachment` with a ``native_ref`` the adapter
downloads (capped); media without a file — a location, a contact card, a poll — is rendered as
text, so the other side reads what was shared instead of an empty message. Service messages
(join, leave, title) become notices.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telethon.tl import types

from bridges.telegram.entities import entities_to_spans
from gateway.model import Attachment, ChatRef, Direction, Message, MessageKind, NetworkName, UserRef

MAX_RECEIVED_TEXT = 64 * 1024
"""Telegram caps texts at 4096 UTF-16 units; anything longer is hostile and is cut here."""


def user_ref(network: NetworkName, user: Any, user_id: int | None) -> UserRef:
    name = display_name(user) if user is not None else None
    return UserRef(network, str(user_id or getattr(user, "id", 0)), name)


def display_name(entity: Any) -> str | None:
    if entity is None:
        return None
    title = getattr(entity, "title", None)
    if title:
        return str(title)[:256]
    parts = (getattr(entity, "first_name", None), getattr(entity, "last_name", None))
    name = " ".join(p for p in parts if p) or getattr(entity, "username", None)
    return str(name)[:256] if name else None


def edit_native_id(message: Any) -> str:
    """A stable id for one edit: the same edit fetched twice (getDifference) dedupes."""
    edited = message.edit_date or message.date
    return f"{message.id}:edit:{int(edited.timestamp())}"


def to_model(
    network: NetworkName,
    message: Any,
    *,
    chat_title: str | None,
    sender: Any,
    edit: bool = False,
) -> Message | None:
    """The model message for a received telethon ``Message``; ``None`` for nothing to relay."""
    chat = ChatRef(network, str(message.chat_id), chat_title)
    who = user_ref(network, sender, message.sender_id)
    sent_at = (message.edit_date if edit else None) or message.date or datetime.now(UTC)
    if isinstance(message, types.MessageService) or getattr(message, "action", None):
        text = describe_action(message.action, who.label)
        if text is None:
            return None
        return Message(
            chat,
            who,
            str(message.id),
            Direction.INBOUND,
            text,
            kind=MessageKind.NOTICE,
            sent_at=sent_at,
        )
    text = (message.message or "")[:MAX_RECEIVED_TEXT]
    spans = entities_to_spans(text, message.entities)
    rendered = describe_media(message.media)
    if rendered:
        text = f"{text}\n{rendered}" if text else rendered
    attachment = attachment_of(message)
    if not text and attachment is None:
        return None
    reply = getattr(message.reply_to, "reply_to_msg_id", None)
    return Message(
        chat=chat,
        sender=who,
        native_id=edit_native_id(message) if edit else str(message.id),
        direction=Direction.INBOUND,
        text=text,
        spans=spans,
        attachments=(attachment,) if attachment else (),
        reply_to_native_id=str(reply) if reply and not edit else None,
        edit_of_native_id=str(message.id) if edit else None,
        sent_at=sent_at,
    )


def attachment_of(message: Any) -> Attachment | None:
    """The file a message carries (photo, document, voice, video, sticker), not yet downloaded."""
    media = message.media
    if isinstance(media, types.MessageMediaPhoto) and media.photo:
        sizes = getattr(media.photo, "sizes", None) or []
        size = max((getattr(s, "size", 0) or 0 for s in sizes), default=0)
        return Attachment(
            f"photo_{message.id}.jpg",
            "image/jpeg",
            size,
            native_ref=f"{message.chat_id}/{message.id}",
        )
    if isinstance(media, types.MessageMediaDocument) and isinstance(media.document, types.Document):
        document = media.document
        return Attachment(
            _file_name(message, document),
            document.mime_type or None,
            document.size,
            native_ref=f"{message.chat_id}/{message.id}",
        )
    return None


def _file_name(message: Any, document: types.Document) -> str:
    for attribute in document.attributes:
        if isinstance(attribute, types.DocumentAttributeFilename) and attribute.file_name:
            return safe_name(attribute.file_name)
    kind = "file"
    for attribute in document.attributes:
        if isinstance(attribute, types.DocumentAttributeAudio):
            kind = "voice" if attribute.voice else "audio"
        elif isinstance(attribute, types.DocumentAttributeVideo):
            kind = "video_note" if attribute.round_message else "video"
        elif isinstance(attribute, types.DocumentAttributeSticker):
            kind = "sticker"
    extension = {
        "audio/ogg": ".ogg",
        "video/mp4": ".mp4",
        "image/webp": ".webp",
        "application/x-tgsticker": ".tgs",
        "audio/mpeg": ".mp3",
    }
    return f"{kind}_{message.id}{extension.get(document.mime_type or '', '')}"


def safe_name(name: str) -> str:
    """A file name from a stranger: no path, no control characters, not empty, not huge."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip(". ")
    return name[:200] or "file"


def describe_media(media: Any) -> str | None:
    """Text for media that is not a file."""
    if isinstance(
        media, types.MessageMediaGeo | types.MessageMediaGeoLive | types.MessageMediaVenue
    ):
        point = media.geo
        if not isinstance(point, types.GeoPoint):
            return "📍 location"
        title = getattr(media, "title", None)
        label = f"📍 {title[:200]} " if title else "📍 "
        return f"{label}https://www.openstreetmap.org/?mlat={point.lat:.6f}&mlon={point.long:.6f}"
    if isinstance(media, types.MessageMediaContact):
        name = " ".join(p for p in (media.first_name, media.last_name) if p)
        return f"👤 contact: {name} {media.phone_number}".strip()
    if isinstance(media, types.MessageMediaPoll):
        poll = media.poll
        question = getattr(poll.question, "text", poll.question)
        options = [getattr(a.text, "text", a.text) for a in poll.answers]
        return "📊 poll: " + str(question) + "".join(f"\n  ○ {o}" for o in options)
    if isinstance(media, types.MessageMediaDice):
        return f"{media.emoticon} {media.value}"
    if isinstance(media, types.MessageMediaUnsupported):
        return "[a message this Telegram version cannot show]"
    return None


def describe_action(action: Any, who: str) -> str | None:
    if isinstance(action, types.MessageActionChatAddUser):
        return f"{who} added {len(action.users)} member(s)"
    if isinstance(
        action, types.MessageActionChatJoinedByLink | types.MessageActionChatJoinedByRequest
    ):
        return f"{who} joined"
    if isinstance(action, types.MessageActionChatDeleteUser):
        return f"{who} left"
    if isinstance(action, types.MessageActionChatEditTitle):
        return f"{who} renamed the chat to {action.title[:256]!r}"
    if isinstance(action, types.MessageActionPinMessage):
        return f"{who} pinned a message"
    return None


__all__ = [
    "MAX_RECEIVED_TEXT",
    "attachment_of",
    "describe_action",
    "describe_media",
    "display_name",
    "edit_native_id",
    "safe_name",
    "to_model",
    "user_ref",
]
