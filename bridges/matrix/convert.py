"""Matrix timeline events (as parsed by matrix-nio) → :mod:`gateway.model` objects. Pure.

No I/O and no client here: the adapter hands in one nio event and a :class:`RoomContext`, and
gets back a :class:`~gateway.model.Message`, :class:`~bridges.base.Reaction`,
:class:`~bridges.base.Deletion` or ``None`` (nothing to relay). Keeping it pure means every
hostile shape an event can take is tested by feeding dicts to :func:`convert_event`, without a
homeserver.

Everything from the network is untrusted: bodies are capped (:data:`MAX_TEXT_CHARS`), HTML goes
through the sanitising converter in :mod:`bridges.matrix.html`, ids are checked before they are
used as references, and any event that does not fit is logged and skipped — never raised, so
one bad event cannot stall the sync loop behind it.

Media events become messages with an :class:`~gateway.model.Attachment` whose ``native_ref`` is
the ``mxc://`` URI and whose ``data`` is ``None``; the adapter downloads the bytes (size-capped)
and calls :func:`without_attachment` when it cannot.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from nio import (
    BadEvent,
    Event,
    ReactionEvent,
    RedactedEvent,
    RedactionEvent,
    RoomMessage,
    RoomMessageFormatted,
    RoomMessageMedia,
    RoomMessageUnknown,
    StickerEvent,
    UnknownBadEvent,
    UnknownEvent,
)

from bridges.base import Deletion, Reaction, without_attachment
from bridges.matrix import html as matrix_html
from gateway.model import (
    Attachment,
    ChatRef,
    Direction,
    Message,
    MessageKind,
    Span,
    UserRef,
)

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 64 * 1024
"""Longest body relayed as is. Matrix allows ~64 KB events; a longer text is an attack or a
paste accident, and downstream networks cap far lower anyway (Telegram 4096)."""

MAX_HTML_CHARS = 4 * MAX_TEXT_CHARS
"""Longer ``formatted_body`` is not parsed at all (parsing cost grows with it); the plain
``body`` is used instead."""

MAX_NAME_CHARS = 255
"""File names longer than this are cut: they end up as file names on other systems."""

Converted = Message | Reaction | Deletion

_KINDS: dict[str, MessageKind] = {
    "m.text": MessageKind.TEXT,
    "m.notice": MessageKind.NOTICE,
    "m.emote": MessageKind.EMOTE,
}
_MEDIA_MSGTYPES = frozenset({"m.image", "m.file", "m.video", "m.audio"})
_POLL_START = frozenset({"m.poll.start", "org.matrix.msc3381.poll.start"})
_POLL_END = frozenset({"m.poll.end", "org.matrix.msc3381.poll.end"})
_STICKER_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}
_EVENT_ID = re.compile(r"^\$[\x21-\x7e]{1,254}$")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
_HTML_FORMAT = "org.matrix.custom.html"


@dataclass(frozen=True, slots=True)
class RoomContext:
    """What the converter needs to know about the room an event came from."""

    chat: ChatRef
    direction: Direction
    """Which way this network's messages cross the boundary (internal homeserver: outbound)."""
    sender_name: Callable[[str], str | None] = lambda _user_id: None
    """Display name of a member, if the room state knows it (default: none known)."""


def convert_event(event: object, ctx: RoomContext) -> Converted | None:
    """Translate one nio timeline event; ``None`` when there is nothing to relay.

    Never raises for bad input: an unexpected failure inside a converter is logged with the
    event id and the event is skipped.
    """
    handler = _handler_for(type(event))
    if handler is None:
        log.debug("skipping %s event %s", type(event).__name__, _event_id_of(event))
        return None
    try:
        return handler(event, ctx)
    except Exception:
        log.exception("could not convert event %s; skipped", _event_id_of(event))
        return None


# -- converters ------------------------------------------------------------------------------


def _formatted(event: RoomMessage, ctx: RoomContext) -> Message | None:
    content = _content(event)
    reply_to, edit_of = _relations(content)
    shown = content
    if edit_of is not None:
        new_content = content.get("m.new_content")
        if isinstance(new_content, dict) and isinstance(new_content.get("body"), str):
            shown = new_content
        else:
            shown = {**content, "body": _strip_edit_star(str(content.get("body", "")))}
            shown.pop("formatted_body", None)
    kind = _KINDS.get(str(shown.get("msgtype", "")), MessageKind.TEXT)
    text, spans = _text_of(shown, event.event_id, strip_reply=reply_to is not None)
    return _message(event, ctx, text, spans, kind=kind, reply_to=reply_to, edit_of=edit_of)


def _media(event: RoomMessageMedia, ctx: RoomContext) -> Message | None:
    content = _content(event)
    reply_to, edit_of = _relations(content)
    if edit_of is not None:
        return _formatted(event, ctx)  # a caption edit: only the text changes, no new file
    info = content.get("info") if isinstance(content.get("info"), dict) else {}
    filename = content.get("filename") if isinstance(content.get("filename"), str) else None
    name = _safe_name(filename or event.body or "file")
    # Matrix 1.10 captions: with a ``filename`` that differs, ``body`` is the caption.
    caption = filename is not None and event.body != filename
    text, spans = _text_of(content, event.event_id, strip_reply=False) if caption else ("", ())
    if not event.url.startswith("mxc://"):
        message = _message(event, ctx, text, spans, reply_to=reply_to)
        return without_attachment(message, name, f"no mxc:// URI ({event.url[:80]!r})")
    size = info.get("size")
    attachment = Attachment(
        name=name,
        declared_mime=info["mimetype"][:255] if isinstance(info.get("mimetype"), str) else None,
        size=size if isinstance(size, int) and size >= 0 else 0,
        native_ref=event.url,
    )
    return _message(event, ctx, text, spans, attachments=(attachment,), reply_to=reply_to)


def _sticker(event: StickerEvent, ctx: RoomContext) -> Message | None:
    """A sticker is an image without controls: relayed as an image attachment.

    Its ``body`` is a description ("Happy cat"), not a file name; it becomes the file's name
    (with the extension of the declared type), which the policy judges like any file name.
    """
    content = _content(event)
    reply_to, _ = _relations(content)
    info = content.get("info") if isinstance(content.get("info"), dict) else {}
    mime = info["mimetype"][:255] if isinstance(info.get("mimetype"), str) else None
    described = event.body.strip()[:100] if isinstance(event.body, str) else ""
    extension = _STICKER_EXTENSIONS.get(mime or "", "")
    name = _safe_name(f"{described or 'sticker'}{extension}")
    message = _message(event, ctx, "", (), reply_to=reply_to)
    if not isinstance(event.url, str) or not event.url.startswith("mxc://"):
        return without_attachment(message, name, "sticker without an mxc:// URI")
    size = info.get("size")
    attachment = Attachment(
        name=name,
        declared_mime=mime,
        size=size if isinstance(size, int) and size >= 0 else 0,
        native_ref=event.url,
    )
    return replace(message, attachments=(attachment,))


def _poll_start(event: UnknownEvent, ctx: RoomContext) -> Message | None:
    """A poll becomes text — the question and numbered answers — that every network shows.

    The text is the message's body, so the policy judges all of it. A poll whose question
    cannot be read is still relayed with its fallback text, or a visible marker, never dropped.
    """
    content = event.source.get("content")
    content = content if isinstance(content, dict) else {}
    poll = content.get("m.poll") or content.get("org.matrix.msc3381.poll.start")
    poll = poll if isinstance(poll, dict) else {}
    question = _extensible_text(poll.get("question"))
    answers = poll.get("answers") if isinstance(poll.get("answers"), list) else []
    options = [_extensible_text(a) for a in answers[:100]]
    if question:
        lines = [f"📊 Poll: {question}"]
        lines += [f"{n}. {o or '?'}" for n, o in enumerate(options, 1)]
        text = "\n".join(lines)
    else:
        text = _extensible_text(content) or "[a poll hgw could not read]"
    capped, _ = _cap(text, event.event_id)
    return _message(event, ctx, capped, ())


def _poll_end(event: UnknownEvent, ctx: RoomContext) -> Message | None:
    """A poll's end is relayed as its fallback text ("The poll has ended…"), if it has one."""
    content = event.source.get("content")
    text = _extensible_text(content) if isinstance(content, dict) else None
    if not text:
        log.info("poll end %s without a text; not relayed", event.event_id)
        return None
    capped, _ = _cap(text, event.event_id)
    return _message(event, ctx, capped, ())


def _extensible_text(block: object) -> str | None:
    """Plain text of an extensible-events text block, stable (``m.text``: [{body}]) or
    unstable (``org.matrix.msc1767.text``: str), or a plain ``body``."""
    if not isinstance(block, dict):
        return None
    stable = block.get("m.text")
    if isinstance(stable, list):
        for item in stable:
            body = item.get("body") if isinstance(item, dict) else None
            if (
                isinstance(body, str)
                and body.strip()
                and item.get("mimetype", "text/plain") == "text/plain"
            ):
                return body.strip()
    for key in ("org.matrix.msc1767.text", "body"):
        value = block.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _unknown_msgtype(event: RoomMessageUnknown, ctx: RoomContext) -> Message | None:
    """Spec: clients show ``body`` of a msgtype they do not know — so do we (m.location …)."""
    body = event.content.get("body")
    if not isinstance(body, str) or not body:
        log.warning("event %s: msgtype %r without a body; skipped", event.event_id, event.msgtype)
        return None
    text, _ = _cap(body, event.event_id)
    return _message(event, ctx, text, ())


def _redaction(event: RedactionEvent, ctx: RoomContext) -> Deletion | None:
    target = _valid_event_id(event.redacts)
    if target is None:
        log.warning("redaction %s names no valid event; skipped", event.event_id)
        return None
    return Deletion(chat=ctx.chat, sender=_sender(event.sender, ctx), target_native_id=target)


def _reaction(event: ReactionEvent, ctx: RoomContext) -> Reaction | None:
    return _make_reaction(event.event_id, event.sender, event.reacts_to, event.key, ctx)


def _unknown(event: UnknownEvent, ctx: RoomContext) -> Converted | None:
    """Polls, and ``m.reaction`` from older nio versions; everything else is skipped.

    A vote (poll response) is not a message: it is skipped like a read receipt.
    """
    if event.type in _POLL_START:
        return _poll_start(event, ctx)
    if event.type in _POLL_END:
        return _poll_end(event, ctx)
    if event.type != "m.reaction":
        log.debug("skipping event %s of type %r", event.event_id, event.type[:80])
        return None
    rel = event.source.get("content", {}).get("m.relates_to")
    if not isinstance(rel, dict) or rel.get("rel_type") != "m.annotation":
        log.warning("reaction %s without an m.annotation relation; skipped", event.event_id)
        return None
    return _make_reaction(event.event_id, event.sender, rel.get("event_id"), rel.get("key"), ctx)


def _bad(event: BadEvent | UnknownBadEvent, ctx: RoomContext) -> Converted | None:
    """An event nio could not validate. Salvage what a reader must not miss, skip the rest.

    A media message without a usable ``url`` still carries its text; a room-version-11
    redaction keeps ``redacts`` inside ``content``.
    """
    source = event.source if isinstance(event.source, dict) else {}
    content = source.get("content") if isinstance(source.get("content"), dict) else {}
    event_id = _valid_event_id(source.get("event_id"))
    sender = source.get("sender")
    kind = source.get("type")
    if event_id and isinstance(sender, str):
        if kind == "m.sticker" or (
            kind == "m.room.message" and content.get("msgtype") in _MEDIA_MSGTYPES
        ):
            body = content.get("body")
            name = _safe_name(body if isinstance(body, str) and body else "file")
            message = Message(
                chat=ctx.chat,
                sender=_sender(sender, ctx),
                native_id=event_id,
                direction=ctx.direction,
                sent_at=_timestamp(source.get("origin_server_ts")),
            )
            return without_attachment(message, name, "media event without a valid url")
        if kind == "m.room.redaction":
            target = _valid_event_id(content.get("redacts") or source.get("redacts"))
            if target is not None:
                return Deletion(chat=ctx.chat, sender=_sender(sender, ctx), target_native_id=target)
    log.warning(
        "malformed %s event %s from %r skipped",
        str(kind)[:80],
        event_id or "(no valid id)",
        str(sender)[:255],
    )
    return None


def _redacted(event: RedactedEvent, ctx: RoomContext) -> None:
    """Already redacted when we first see it (e.g. during a gap fill): nothing left to relay."""
    log.debug("skipping already redacted event %s", event.event_id)


_Handler = Callable[[Any, RoomContext], Converted | None]
_HANDLERS: Mapping[type, _Handler] = {
    RoomMessageFormatted: _formatted,
    RoomMessageMedia: _media,
    RoomMessageUnknown: _unknown_msgtype,
    StickerEvent: _sticker,
    RedactionEvent: _redaction,
    ReactionEvent: _reaction,
    UnknownEvent: _unknown,
    BadEvent: _bad,
    UnknownBadEvent: _bad,
    RedactedEvent: _redacted,
}
"""One entry per family; subclasses (RoomMessageText/Notice/Emote, Image/File/Video/Audio) find
their family through the MRO in :func:`_handler_for`."""


def _handler_for(event_type: type) -> _Handler | None:
    for cls in event_type.__mro__:
        handler = _HANDLERS.get(cls)
        if handler is not None:
            return handler
    return None


# -- helpers ---------------------------------------------------------------------------------


def _message(
    event: Event,
    ctx: RoomContext,
    text: str,
    spans: tuple[Span, ...],
    *,
    kind: MessageKind = MessageKind.TEXT,
    attachments: tuple[Attachment, ...] = (),
    reply_to: str | None = None,
    edit_of: str | None = None,
) -> Message:
    return Message(
        chat=ctx.chat,
        sender=_sender(event.sender, ctx),
        native_id=event.event_id,
        direction=ctx.direction,
        text=text,
        spans=spans,
        attachments=attachments,
        kind=kind,
        reply_to_native_id=reply_to,
        edit_of_native_id=edit_of,
        sent_at=_timestamp(event.server_timestamp),
    )


def _make_reaction(
    event_id: str, sender: str, target: object, key: object, ctx: RoomContext
) -> Reaction | None:
    target_id = _valid_event_id(target)
    if target_id is None or not isinstance(key, str) or not key or len(key) > 256:
        log.warning("reaction %s with an invalid target or key; skipped", event_id)
        return None
    return Reaction(
        chat=ctx.chat,
        sender=_sender(sender, ctx),
        native_id=event_id,
        target_native_id=target_id,
        key=key,
    )


def _content(event: Event) -> dict[str, Any]:
    content = event.source.get("content")
    return content if isinstance(content, dict) else {}


def _relations(content: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(reply target, edit target) from ``m.relates_to``, each ``None`` when absent or invalid.

    A thread's ``m.in_reply_to`` marked ``is_falling_back`` is a fallback for clients without
    threads, not a reply the sender chose, so it is not reported as one.
    """
    rel = content.get("m.relates_to")
    if not isinstance(rel, dict):
        return None, None
    reply = rel.get("m.in_reply_to")
    reply_to = _valid_event_id(reply.get("event_id")) if isinstance(reply, dict) else None
    if rel.get("rel_type") == "m.thread" and rel.get("is_falling_back") is True:
        reply_to = None
    edit_of = _valid_event_id(rel.get("event_id")) if rel.get("rel_type") == "m.replace" else None
    return reply_to, edit_of


def _text_of(
    content: Mapping[str, Any], event_id: str, *, strip_reply: bool
) -> tuple[str, tuple[Span, ...]]:
    """Plain text and spans: from sanitised HTML when there is usable HTML, else from body."""
    body = content.get("body")
    body = body if isinstance(body, str) else ""
    html = content.get("formatted_body")
    if content.get("format") == _HTML_FORMAT and isinstance(html, str) and html.strip():
        if len(html) > MAX_HTML_CHARS:
            log.warning(
                "event %s: formatted_body of %d characters ignored, using the plain body",
                event_id,
                len(html),
            )
        else:
            text, spans = _html_to_spans(_strip_html_reply(html))
            return _cap(text, event_id, spans)
    if strip_reply:
        body = _strip_body_reply(body)
    return _cap(body, event_id)


def _html_to_spans(html: str) -> tuple[str, tuple[Span, ...]]:
    """The one call into the HTML converter, which also sanitises (only Matrix-allowed tags)."""
    text, spans = matrix_html.html_to_spans(html)
    return text, tuple(spans)


def _cap(text: str, event_id: str, spans: tuple[Span, ...] = ()) -> tuple[str, tuple[Span, ...]]:
    """Cut text over :data:`MAX_TEXT_CHARS`, with a visible marker; clip spans to what is left."""
    if len(text) <= MAX_TEXT_CHARS:
        return text, spans
    dropped = len(text) - MAX_TEXT_CHARS
    log.warning("event %s: body of %d characters truncated", event_id, len(text))
    kept = tuple(
        replace(s, length=min(s.end, MAX_TEXT_CHARS) - s.offset)
        for s in spans
        if s.offset < MAX_TEXT_CHARS
    )
    return f"{text[:MAX_TEXT_CHARS]}\n[… truncated {dropped} characters]", kept


def _strip_body_reply(body: str) -> str:
    """Drop the ``> <@user> quoted`` fallback lines (and the blank line after) of a reply."""
    lines = body.split("\n")
    quoted = 0
    while quoted < len(lines) and lines[quoted].startswith(">"):
        quoted += 1
    if quoted == 0 or (quoted < len(lines) and lines[quoted] != ""):
        return body
    return "\n".join(lines[quoted + 1 :])


def _strip_html_reply(html: str) -> str:
    """Drop the leading ``<mx-reply>…</mx-reply>`` fallback of a reply."""
    start = html.lstrip()
    if not start.startswith("<mx-reply>"):
        return html
    end = start.rfind("</mx-reply>")
    return start[end + len("</mx-reply>") :] if end >= 0 else html


def _strip_edit_star(body: str) -> str:
    return body[2:] if body.startswith("* ") else body


def _valid_event_id(value: object) -> str | None:
    return value if isinstance(value, str) and _EVENT_ID.match(value) else None


def _event_id_of(event: object) -> str:
    source = getattr(event, "source", None)
    value = source.get("event_id") if isinstance(source, dict) else None
    return str(value)[:255] if value is not None else "(no id)"


def _safe_name(name: str) -> str:
    cleaned = _UNSAFE_NAME.sub("_", name).strip() or "file"
    return cleaned[:MAX_NAME_CHARS]


def _sender(user_id: str, ctx: RoomContext) -> UserRef:
    name = ctx.sender_name(user_id)
    return UserRef(
        network=ctx.chat.network,
        user_id=user_id,
        display_name=name[:255] if name and name != user_id else None,
    )


def _timestamp(value: object) -> datetime:
    """``origin_server_ts`` is sender-controlled; an absurd one falls back to now."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return datetime.now(UTC)


__all__ = [
    "MAX_TEXT_CHARS",
    "Converted",
    "RoomContext",
    "convert_event",
]
