"""Outbox operations → Matrix event content. Pure: dicts in, dicts out.

The adapter does the I/O (upload, send, redact); what goes into each event is decided here, so
the shape of replies, edits, reactions and captions is visible in one place and testable
without a homeserver.
"""

from __future__ import annotations

from typing import Any

from bridges.matrix import html as matrix_html
from gateway.errors import PermanentBridgeError
from gateway.model import Attachment, Delivery, MessageKind, OperationKind, Span

HTML_FORMAT = "org.matrix.custom.html"

_MSGTYPES: dict[MessageKind, str] = {
    MessageKind.TEXT: "m.text",
    MessageKind.NOTICE: "m.notice",
    MessageKind.EMOTE: "m.emote",
}

Content = dict[str, Any]


def msgtype_of(delivery: Delivery) -> str:
    """Notices from hgw itself are always ``m.notice``: clients and bots must not answer them."""
    if delivery.operation is OperationKind.NOTICE:
        return "m.notice"
    return _MSGTYPES.get(delivery.kind, "m.text")


def text_body(text: str, spans: tuple[Span, ...]) -> Content:
    """``body`` always; ``format`` + ``formatted_body`` only when there is formatting."""
    content: Content = {"body": text}
    if spans:
        content["format"] = HTML_FORMAT
        content["formatted_body"] = _spans_to_html(text, spans)
    return content


def message_content(delivery: Delivery) -> Content:
    """A new text message, replying to ``reply_to_remote_id`` when set.

    No reply fallback (``> <@user>`` quote) is added: Matrix 1.13 dropped it and clients
    render the reply from the relation.
    """
    content: Content = {"msgtype": msgtype_of(delivery), **text_body(delivery.text, delivery.spans)}
    _add_reply(content, delivery)
    return content


def edit_content(delivery: Delivery) -> Content:
    """An ``m.replace`` edit of ``target_remote_id``; the ``* `` body is for old clients."""
    target = _require_target(delivery)
    new = {"msgtype": msgtype_of(delivery), **text_body(delivery.text, delivery.spans)}
    fallback = {"msgtype": new["msgtype"], "body": f"* {delivery.text}"}
    if "formatted_body" in new:
        fallback["format"] = HTML_FORMAT
        fallback["formatted_body"] = f"* {new['formatted_body']}"
    return {
        **fallback,
        "m.new_content": new,
        "m.relates_to": {"rel_type": "m.replace", "event_id": target},
    }


def reaction_content(delivery: Delivery) -> Content:
    target = _require_target(delivery)
    if not delivery.reaction:
        raise PermanentBridgeError("a reaction delivery without a reaction key")
    return {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": delivery.reaction}
    }


def media_content(
    delivery: Delivery,
    attachment: Attachment,
    *,
    uri: str,
    msgtype: str,
    mime: str,
    with_caption: bool,
) -> Content:
    """An ``m.image``/``m.file``/… event; the delivery's text rides along as a 1.10 caption."""
    content: Content = {
        "msgtype": msgtype,
        "url": uri,
        "filename": attachment.name,
        "info": {"mimetype": mime, "size": len(attachment.data or b"")},
    }
    if with_caption and delivery.text:
        content.update(text_body(delivery.text, delivery.spans))
    else:
        content["body"] = attachment.name
    if with_caption:
        _add_reply(content, delivery)
    return content


def _add_reply(content: Content, delivery: Delivery) -> None:
    if delivery.reply_to_remote_id:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": delivery.reply_to_remote_id}}


def _require_target(delivery: Delivery) -> str:
    if not delivery.target_remote_id:
        raise PermanentBridgeError(
            f"{delivery.operation.value} needs the Matrix id of the message it acts on"
        )
    return delivery.target_remote_id


def _spans_to_html(text: str, spans: tuple[Span, ...]) -> str:
    """The one call into the HTML converter (text is escaped there)."""
    return matrix_html.spans_to_html(text, spans)


__all__ = [
    "HTML_FORMAT",
    "edit_content",
    "media_content",
    "message_content",
    "msgtype_of",
    "reaction_content",
    "text_body",
]
