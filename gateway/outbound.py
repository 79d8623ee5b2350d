"""What leaves on a route: rendered first, judged as rendered, sent exactly as judged.

Invariant 3 says the policy decides about the exact outbound payload. Before this module the
router judged the message as it came in and *then* filled the link's format around it, so a
staff member's display name reached the partner unjudged (``format = "{sender_name}: {body}"``
with a card number as the name). Now there are three steps and each has one function:

1. :func:`render` shapes the message for its target — the format filled in, spans moved — and
   returns a :class:`gateway.model.Rendered`. Nothing else produces outbound text.
2. The router's judge evaluates that ``Rendered`` (every field: body, link URLs, file names,
   declared types — :mod:`gateway.policy.projection`).
3. :func:`leaving` takes the judged message and the verdict and returns what may go out (the
   redacted copy when the verdict redacted), and :func:`outbox_payload` turns only that into
   the outbox row. It takes no sender, no link and no template: there is nothing left to add.

Bridges then build their events from :class:`gateway.model.Delivery`, which the dispatcher
reads back from that row. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from gateway.model import Direction, Message, Rendered, Route, Span
from gateway.verdicts import Verdict

INBOUND_FORMAT = "{sender_name}: {body}"
"""Inbound messages always name the partner: the relay bot posts on their behalf."""


def render(route: Route, message: Message) -> Rendered:
    """``message`` as the target chat will see it, before any policy decision.

    Outbound uses the link's ``outbound_format`` if set; inbound always names the partner.
    A format without ``{body}`` puts the body on the next line rather than lose it.
    """
    if route.direction is Direction.OUTBOUND:
        template = route.link.outbound_format
    else:
        template = INBOUND_FORMAT
    body, spans = message.text, message.spans
    if not template:
        return _rendered(message, body, spans, 0, len(body))
    name = message.sender.label
    prefix, marker, suffix = template.partition("{body}")
    if not body and message.attachments:
        head = prefix.format(sender_name=name).rstrip(": \n")
        return _rendered(message, head, (), len(head), len(head))
    if not marker:
        head = template.format(sender_name=name) + "\n"
        tail = ""
    else:
        head = prefix.format(sender_name=name)
        tail = suffix.format(sender_name=name)
    text = f"{head}{body}{tail}"
    return _rendered(message, text, _shift(spans, len(head)), len(head), len(head) + len(body))


def leaving(judged: Rendered, verdict: Verdict) -> Message:
    """What may leave: the judged message, or its redacted copy. Nothing else.

    A verdict that names only a new body (``text``/``spans``, as a hand-written judge gives)
    changes the body and keeps every other field as judged.
    """
    if verdict.redacted is not None:
        return verdict.redacted
    if verdict.text is None:
        return judged
    spans = verdict.spans if verdict.spans is not None else judged.spans
    return replace(judged, text=verdict.text, spans=spans)


def outbox_payload(out: Message, *, reply_to: int | None, edit_of: int | None) -> dict[str, Any]:
    """The content of a SEND/EDIT outbox row, built from ``out`` alone.

    Every text-bearing key here is one the policy judged (see
    :func:`gateway.policy.projection.fields`); ``reply_to``/``edit_of`` are our own message
    ids, resolved to the target's ids by the dispatcher.
    """
    return {
        "text": out.text,
        "spans": [[s.offset, s.length, s.kind.value, s.extra] for s in out.spans],
        "kind": out.kind.value,
        "attachments": [
            {
                "name": a.name,
                "mime": a.declared_mime,
                "size": a.size,
                "ref": a.native_ref,
                "cache": a.digest,
            }
            for a in out.attachments
        ],
        "reply_to_message": reply_to,
        "target_message": edit_of,
    }


def _rendered(
    message: Message, text: str, spans: tuple[Span, ...], body_start: int, body_end: int
) -> Rendered:
    return Rendered(
        message.chat,
        message.sender,
        message.native_id,
        message.direction,
        text,
        spans,
        message.attachments,
        message.kind,
        message.reply_to_native_id,
        message.edit_of_native_id,
        message.sent_at,
        body_start=body_start,
        body_end=body_end,
    )


def _shift(spans: Sequence[Span], by: int) -> tuple[Span, ...]:
    if not by:
        return tuple(spans)
    return tuple(Span(s.offset + by, s.length, s.kind, s.extra) for s in spans)


__all__ = ["INBOUND_FORMAT", "leaving", "outbox_payload", "render"]
