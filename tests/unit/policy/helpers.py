"""Builders for policy tests: a message on a link, a context at a fixed time."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.model import (
    Attachment,
    ChatRef,
    Direction,
    Link,
    LinkId,
    Message,
    NetworkName,
    Route,
    Span,
    UserRef,
)
from gateway.policy import EvaluationContext, PolicyState

NOON = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Moscow
LINK = Link(
    LinkId("acme"),
    ChatRef(NetworkName("matrix"), "!room:corp.example"),
    ChatRef(NetworkName("telegram"), "tg-acme"),
)


def route(direction: Direction = Direction.OUTBOUND, link: Link = LINK) -> Route:
    return Route(link, direction)


def message(
    text: str = "",
    *,
    direction: Direction = Direction.OUTBOUND,
    sender: str = "@anna:corp.example",
    spans: tuple[Span, ...] = (),
    attachments: tuple[Attachment, ...] = (),
    link: Link = LINK,
) -> Message:
    chat = link.internal if direction is Direction.OUTBOUND else link.external
    return Message(
        chat,
        UserRef(chat.network, sender),
        "native-1",
        direction,
        text=text,
        spans=spans,
        attachments=attachments,
        sent_at=NOON,
    )


def context(
    now: datetime = NOON, *, unknown: bool = False, state: PolicyState | None = None
) -> EvaluationContext:
    return EvaluationContext(now=now, unknown_contact=unknown, state=state)


def attachment(name: str, data: bytes | None, mime: str | None = None) -> Attachment:
    return Attachment(name, mime, len(data or b""), data=data)
