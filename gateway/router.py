"""Ingest → policy → outbox: the only place that knows links.

For every event a bridge reports, the router archives it, finds the links of its chat, asks the
policy engine for a Decision per route, and writes — in ONE transaction — the outbox rows (with
the redacted payload), the approval rows for held messages, the notices for blocked ones, the
audit records of every decision, and the message's ``routed_at`` mark. A crash before that
commit leaves the message archived but unrouted; :meth:`Router.recover` routes it at start-up,
so nothing accepted is ever lost and nothing is routed twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from gateway import verdicts
from gateway.dispatch import Dispatcher
from gateway.model import (
    ChatRef,
    Direction,
    Link,
    Message,
    MessageId,
    MessageKind,
    OperationKind,
    Route,
    Span,
)
from gateway.store import Store, message_map, outbox
from gateway.store.outbox import OutboxState, now_ms
from gateway.verdicts import Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Routing:
    """What happened to one message, for callers and tests."""

    message_id: MessageId
    is_new: bool
    verdicts: tuple[tuple[Route, Verdict], ...] = ()


class Router:
    """Routes events between linked chats. Hand each bridge ``router.sink(network)``."""

    def __init__(
        self,
        store: Store,
        dispatcher: Dispatcher,
        links: Sequence[Link],
        judge: Callable[[Message, Route], Verdict],
    ) -> None:
        self._store = store
        self._dispatcher = dispatcher
        self._judge = judge
        self.set_links(links)

    def set_links(self, links: Sequence[Link]) -> None:
        """Replace the link table (config reload); takes effect for the next event."""
        by_chat: dict[tuple[str, str], list[Route]] = {}
        for link in links:
            if not link.enabled:
                continue
            for route in (Route(link, Direction.OUTBOUND), Route(link, Direction.INBOUND)):
                by_chat.setdefault((route.source.network, route.source.chat_id), []).append(route)
        self._routes = by_chat

    def set_judge(self, judge: Callable[[Message, Route], Verdict]) -> None:
        self._judge = judge

    def routes_from(self, chat: ChatRef) -> list[Route]:
        return self._routes.get((chat.network, chat.chat_id), [])

    # -- events from bridges -------------------------------------------------------------------

    async def message(self, message: Message) -> Routing:
        archived = await self._store.archive(message)
        if not archived.is_new and await self._is_routed(archived.message_id):
            return Routing(archived.message_id, is_new=False)
        return await self._route(archived.message_id, message, is_new=archived.is_new)

    async def recover(self, messages: Iterable[tuple[MessageId, Message]]) -> int:
        """Route messages a crash left archived but unrouted; returns how many."""
        count = 0
        for message_id, message in messages:
            await self._route(message_id, message, is_new=False)
            count += 1
        return count

    async def _is_routed(self, message_id: MessageId) -> bool:
        async with self._store.reader.execute(
            "SELECT routed_at IS NOT NULL FROM messages WHERE id = ?", (message_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row and row[0])

    async def _route(self, message_id: MessageId, message: Message, *, is_new: bool) -> Routing:
        routes = self.routes_from(message.chat)
        decided: list[tuple[Route, Verdict]] = []
        for route in routes:
            try:
                verdict = self._judge(message, route)
            except Exception as err:  # invariant 3: a policy failure holds, never sends
                log.exception("policy evaluation failed for message %d", message_id)
                verdict = verdicts.fail_closed(err)
            decided.append((route, verdict))
        reply_to = await self._resolve(message.chat, message.reply_to_native_id)
        edit_of = await self._resolve(message.chat, message.edit_of_native_id)

        async def write(conn: aiosqlite.Connection) -> list[ChatRef]:
            woken: list[ChatRef] = []
            for route, verdict in decided:
                woken += await self._write_route(
                    conn, message_id, message, route, verdict, reply_to, edit_of
                )
            await conn.execute(
                "UPDATE messages SET routed_at = ? WHERE id = ?", (now_ms(), message_id)
            )
            return woken

        for target in await self._store.write(write):
            self._dispatcher.wake(target)
        return Routing(message_id, is_new, tuple(decided))

    async def _resolve(self, chat: ChatRef, native_id: str | None) -> int | None:
        if native_id is None:
            return None
        return await message_map.resolve(self._store.reader, chat, native_id)

    async def _write_route(
        self,
        conn: aiosqlite.Connection,
        message_id: MessageId,
        message: Message,
        route: Route,
        verdict: Verdict,
        reply_to: int | None,
        edit_of: int | None,
    ) -> list[ChatRef]:
        await self._store.audit.append(
            conn,
            actor=f"{message.sender.network}:{message.sender.user_id}",
            action="policy.decision",
            subject=f"message:{message_id}",
            details={
                "link": route.link.id,
                "direction": route.direction.value,
                "action": verdict.action,
                "decision": verdict.record,
            },
        )
        woken: list[ChatRef] = []
        if verdict.action == "block":
            await self._notice(conn, message, message_id, verdict.notice or "Message blocked.")
            return [message.chat]
        text, spans = _shape(route, message, verdict)
        payload: dict[str, Any] = {
            "text": text,
            "spans": [[s.offset, s.length, s.kind.value, s.extra] for s in spans],
            "kind": message.kind.value,
            "attachments": [
                {"name": a.name, "mime": a.declared_mime, "size": a.size, "ref": a.native_ref}
                for a in message.attachments
            ],
            "reply_to_message": reply_to,
            "target_message": edit_of,
            "source_chat": [message.chat.network, message.chat.chat_id],
            "target_title": route.target.title,
            "accepted_at": now_ms(),
        }
        held = verdict.action == "hold"
        outbox_id = await outbox.add(
            conn,
            target=route.target,
            operation=OperationKind.EDIT if edit_of is not None else OperationKind.SEND,
            payload=payload,
            message_id=message_id,
            link_id=route.link.id,
            state=OutboxState.HELD if held else OutboxState.PENDING,
        )
        if held:
            async with conn.execute(
                "INSERT INTO approvals (outbox_id, message_id, link_id, rule, reason, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    outbox_id,
                    message_id,
                    route.link.id,
                    verdict.rule or "?",
                    verdict.reason or "",
                    now_ms(),
                ),
            ) as cursor:
                row = await cursor.fetchone()
            approval_id = int(row[0]) if row else 0
            notice = verdict.notice or "Message held for approval."
            await self._notice(conn, message, message_id, f"{notice} (approval #{approval_id})")
            woken.append(message.chat)
        else:
            woken.append(route.target)
        return woken

    async def _notice(
        self, conn: aiosqlite.Connection, message: Message, message_id: int, text: str
    ) -> None:
        await outbox.add(
            conn,
            target=message.chat,
            operation=OperationKind.NOTICE,
            payload={
                "text": text,
                "kind": MessageKind.NOTICE.value,
                "reply_to_message": message_id,
                "accepted_at": now_ms(),
            },
            message_id=message_id,
        )


def _shape(route: Route, message: Message, verdict: Verdict) -> tuple[str, tuple[Span, ...]]:
    """The text the target chat sees: policy-redacted, then labelled with the sender.

    Outbound uses the link's ``outbound_format`` (``{sender_name}: {body}``) if set. Inbound
    always names the partner, since the relay bot posts on their behalf.
    """
    body, spans = verdict.text if verdict.text is not None else message.text, verdict.spans
    if spans is None:
        spans = message.spans
    name = message.sender.label
    if route.direction is Direction.OUTBOUND:
        template = route.link.outbound_format
        if not template:
            return body, spans
    else:
        template = "{sender_name}: {body}"
    prefix, marker, _suffix = template.partition("{body}")
    if not marker:  # a format without {body} would drop the message: refuse to lose it
        header = template.format(sender_name=name)
        return f"{header}\n{body}", _shift(spans, len(header) + 1)
    head = prefix.format(sender_name=name)
    tail = _suffix.format(sender_name=name)
    return f"{head}{body}{tail}", _shift(spans, len(head))


def _shift(spans: Sequence[Span], by: int) -> tuple[Span, ...]:
    return tuple(Span(s.offset + by, s.length, s.kind, s.extra) for s in spans)


__all__ = ["Router", "Routing"]
