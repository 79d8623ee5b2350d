"""Ingest → policy → outbox: the only place that knows links.

For every message a bridge reports, the router finds the links of its chat, asks the policy
engine for a Decision per route (pure, before any write), and then writes — in ONE transaction,
the same one that archives the message — the outbox rows (with the redacted payload), the
approval rows for held messages, the notices for blocked ones, the audit records of every
decision, and the message's ``routed_at`` mark. One durable commit per message: once it returns
the message is both stored and routed, and the dispatcher can send at once.

A message stays archived but unrouted only on purpose — reception keeps messages from unlinked
contacts so (:mod:`gateway.reception`) — or when writing its routing failed after the archive
(the error reaches the bridge, which retries the event). :meth:`Router.recover` routes such
messages at start-up and when a contact is assigned, so nothing accepted is ever lost and
nothing is routed twice.

Attachment bytes go to the media cache before the message is archived, so the archive and every
outbox row can name them by digest (a target network cannot read the source's media URIs).
Reactions and deletions are routed too: they find their message through the message map and
become REACT / DELETE rows in the same ordered queue as the message they act on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from gateway import verdicts
from gateway.dispatch import Dispatcher
from gateway.media import MediaCache
from gateway.model import (
    Attachment,
    ChatRef,
    Direction,
    Link,
    Message,
    MessageId,
    MessageKind,
    NetworkName,
    OperationKind,
    Rendered,
    Route,
    UserRef,
)
from gateway.outbound import leaving, outbox_payload, render
from gateway.store import Store, kv, message_map, outbox
from gateway.store.connection import WriteConnection
from gateway.store.messages import ArchiveResult
from gateway.store.outbox import OutboxState, now_ms
from gateway.store.rows import fetch_one
from gateway.verdicts import Verdict

if TYPE_CHECKING:
    from bridges.base import Deletion, Reaction

log = logging.getLogger(__name__)

RELAYED_REACTIONS = ("allow", "notify")
JUDGE_SECONDS = 30.0
"""Longest a message with attachments may take to check before it is held unchecked."""
"""A reaction key is free text: it is judged like a message and relayed only when allowed —
one that would be redacted, held or blocked is dropped (audited), as no notice fits an emoji."""


class Judged(NamedTuple):
    """One route's rendering of a message and the verdict on exactly that rendering."""

    route: Route
    rendered: Rendered
    verdict: Verdict


def _verdicts(decided: Sequence[Judged]) -> tuple[tuple[Route, Verdict], ...]:
    return tuple((judged.route, judged.verdict) for judged in decided)


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
        media: MediaCache | None = None,
    ) -> None:
        """Without ``media``, attachment bytes are not kept: only same-network targets (which
        can reuse ``native_ref``) could deliver them."""
        self._store = store
        self._dispatcher = dispatcher
        self._judge = judge
        self.admin_room: ChatRef | None = None
        """Where ``notify`` rules report (the management room, once the daemon resolved it)."""
        self._media = media
        self.events: Callable[..., None] = _no_listener
        """Where live events go (the control API's hub): ``events(topic, **ids)``."""
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
        """Archive and route ``message`` in one transaction; return after it is durable."""
        message = await self._cache_media(message)
        routes = self.routes_from(message.chat)
        if not routes and message.direction is Direction.INBOUND:
            # An external chat nobody linked: the message stays unrouted — that is the
            # reception queue — until an admin assigns the contact (or a portal is opened
            # for it); then :meth:`recover` routes it like any late message.
            archived = await self._store.archive(message)
            return Routing(archived.message_id, archived.is_new)
        decided = [await self._judged(message, route) for route in routes]

        async def route(
            conn: WriteConnection, archived: ArchiveResult
        ) -> tuple[list[ChatRef], int | None] | None:
            if not archived.is_new and await _is_routed(conn, archived.message_id):
                return None  # a redelivered event: routed before
            return await self._write_routing(conn, archived.message_id, message, decided)

        archived, written = await self._store.messages.archive_then(message, route)
        if written is None:
            return Routing(archived.message_id, is_new=False)
        self._routed(archived.message_id, message, decided, written)
        return Routing(archived.message_id, archived.is_new, _verdicts(decided))

    async def recover(self, messages: Iterable[tuple[MessageId, Message]]) -> int:
        """Route messages a crash left archived but unrouted; returns how many."""
        count = 0
        for message_id, message in messages:
            if not self.routes_from(message.chat) and message.direction is Direction.INBOUND:
                continue  # still waiting in reception for a link
            await self._route(message_id, await self._load_media(message), is_new=False)
            count += 1
        return count

    async def reaction(self, reaction: Reaction) -> None:
        """Relay a reaction to every copy of the message it annotates, once per reaction."""
        target = await message_map.resolve(
            self._store.reader, reaction.chat, reaction.target_native_id
        )
        routes = self.routes_from(reaction.chat)
        if target is None or not routes:
            log.debug("reaction %s: no relayed message to annotate", reaction.native_id)
            return
        decided = []
        for route in routes:
            probe = Message(
                reaction.chat, reaction.sender, reaction.native_id, route.direction, reaction.key
            )
            decided.append((route, self._judge_safely(probe, route)))
        chat = reaction.chat

        async def write(conn: WriteConnection) -> list[ChatRef]:
            seen = f"reaction:{chat.network}:{chat.chat_id}:{reaction.native_id}"
            if not await kv.claim(conn, seen, str(target)):
                return []  # a replayed sync: handled before
            woken: list[ChatRef] = []
            for route, verdict in decided:
                await self._audit(
                    conn, reaction.sender, f"reaction:{reaction.native_id}", route, verdict
                )
                if verdict.action not in RELAYED_REACTIONS:
                    log.info("reaction %s not relayed: %s", reaction.native_id, verdict.action)
                    continue
                payload = {
                    "reaction": reaction.key,
                    "target_message": target,
                    "source_reaction": _reaction_key(chat, reaction.native_id),
                }
                await outbox.add(
                    conn,
                    target=route.target,
                    operation=OperationKind.REACT,
                    payload=_envelope(route, chat, payload),
                    message_id=target,
                    link_id=route.link.id,
                )
                woken.append(route.target)
            return woken

        self._wake(await self._store.write(write))

    async def deletion(self, deletion: Deletion) -> None:
        """Delete the copies of a message its sender deleted; the archive keeps it, marked.

        Only an original counts: someone redacting hgw's *copy* in a target room does not
        reach back into the source. Copies not delivered yet are deleted after delivery (same
        ordered queue); held, blocked or failed ones have no copy to delete.
        """
        chat = deletion.chat
        reader = self._store.reader
        if chat.chat_id and await self._reaction_removed(deletion):
            return
        if not chat.chat_id:  # the network did not say where (see bridges.base.Deletion)
            found = await message_map.locate_original(
                reader, chat.network, deletion.target_native_id
            )
            if found is None:
                log.debug("deletion of %s: no such message", deletion.target_native_id)
                return
            chat = found
        message_id = await message_map.original(reader, chat, deletion.target_native_id)
        routes = self.routes_from(chat)
        if message_id is None or not routes:
            log.debug("deletion of %s: not a relayed message", deletion.target_native_id)
            return
        copies = [r for r in routes if await self._has_copy(message_id, r.target)]

        async def write(conn: WriteConnection) -> list[ChatRef]:
            cursor = await conn.execute(
                "UPDATE messages SET redacted_at = ? WHERE id = ? AND redacted_at IS NULL",
                (now_ms(), message_id),
            )
            if cursor.rowcount != 1:
                return []  # a replayed sync: handled before
            await self._store.audit.append(
                conn,
                actor=f"{deletion.sender.network}:{deletion.sender.user_id}",
                action="relay.deletion",
                subject=f"message:{message_id}",
                details={"links": [r.link.id for r in copies]},
            )
            for route in copies:
                await outbox.add(
                    conn,
                    target=route.target,
                    operation=OperationKind.DELETE,
                    payload=_envelope(route, chat, {"target_message": message_id}),
                    message_id=message_id,
                    link_id=route.link.id,
                )
            return [r.target for r in copies]

        self._wake(await self._store.write(write))
        self.events("message", message_id=message_id)

    async def _reaction_removed(self, deletion: Deletion) -> bool:
        """A deletion of a reaction hgw relayed: take the relayed copies back. False when the
        deleted event was not such a reaction (then it may be a message)."""
        key = _reaction_key(deletion.chat, deletion.target_native_id)
        async with self._store.reader.execute(
            "SELECT id, target_network, target_chat, link_id, message_id FROM outbox"
            " WHERE operation = 'react' AND json_extract(payload, '$.source_reaction') = ?"
            " AND state IN ('pending', 'sent')",
            (key,),
        ) as cursor:
            copies = await cursor.fetchall()
        if not copies:
            return False

        async def write(conn: WriteConnection) -> list[ChatRef]:
            if not await kv.claim(conn, f"unreaction:{key}", "1"):
                return []  # a replayed sync: handled before
            targets = []
            for outbox_id, network, chat_id, link_id, message_id in copies:
                target = ChatRef(NetworkName(network), chat_id)
                await outbox.add(
                    conn,
                    target=target,
                    operation=OperationKind.DELETE,
                    payload={"target_reaction": outbox_id, "accepted_at": now_ms()},
                    message_id=message_id,
                    link_id=link_id,
                )
                targets.append(target)
            return targets

        self._wake(await self._store.write(write))
        return True

    async def _has_copy(self, message_id: int, target: ChatRef) -> bool:
        """Delivered there already, or about to be (a pending SEND row in that queue)."""
        if await message_map.native_in(self._store.reader, message_id, target) is not None:
            return True
        async with self._store.reader.execute(
            "SELECT 1 FROM outbox WHERE target_network = ? AND target_chat = ?"
            " AND state = 'pending' AND message_id = ? AND operation = 'send' LIMIT 1",
            (target.network, target.chat_id, message_id),
        ) as cursor:
            return await cursor.fetchone() is not None

    def _wake(self, targets: Iterable[ChatRef]) -> None:
        for target in targets:
            self._dispatcher.wake(target)

    # -- media ---------------------------------------------------------------------------------

    async def _cache_media(self, message: Message) -> Message:
        """Put downloaded bytes in the media cache; the message then names them by digest."""
        if self._media is None or not any(a.data is not None for a in message.attachments):
            return message
        cached: list[Attachment] = []
        for attachment in message.attachments:
            if attachment.data is not None and attachment.digest is None:
                attachment = replace(attachment, digest=await self._media.put(attachment.data))
            cached.append(attachment)
        return replace(message, attachments=tuple(cached))

    async def _load_media(self, message: Message) -> Message:
        """Bytes back from the cache for a recovered message, so policy can sniff them."""
        if self._media is None or not message.attachments:
            return message
        loaded = [
            replace(a, data=await self._media.get(a.digest)) if a.digest and a.data is None else a
            for a in message.attachments
        ]
        return replace(message, attachments=tuple(loaded))

    # -- routing -------------------------------------------------------------------------------

    async def _judged(self, message: Message, route: Route) -> Judged:
        """Render ``message`` for ``route`` and judge exactly that (invariant 3)."""
        rendered = render(route, message)
        return Judged(route, rendered, await self._judge_off_loop(rendered, route))

    async def _judge_off_loop(self, message: Message, route: Route) -> Verdict:
        """Judge a message; one with file contents is judged in a thread, with a time limit.

        Text takes tens of microseconds, but extracting text from a hostile 25 MB PDF can take
        seconds: that must not stall every other chat's relaying, and a file that cannot be
        checked in time is held (fail closed), never sent unchecked.
        """
        if not any(a.data for a in message.attachments):
            return self._judge_safely(message, route)
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self._judge_safely, message, route), JUDGE_SECONDS
            )
        except TimeoutError:
            log.error("policy check of %s took over %ss: held", message.native_id, JUDGE_SECONDS)
            return verdicts.fail_closed(TimeoutError(f"attachment scan exceeded {JUDGE_SECONDS}s"))

    def _judge_safely(self, message: Message, route: Route) -> Verdict:
        try:
            return self._judge(message, route)
        except Exception as err:  # invariant 3: a policy failure holds, never sends
            log.exception("policy evaluation failed for %s", message.native_id)
            return verdicts.fail_closed(err)

    async def _audit(
        self,
        conn: WriteConnection,
        sender: UserRef,
        subject: str,
        route: Route,
        verdict: Verdict,
    ) -> None:
        await self._store.audit.append(
            conn,
            actor=f"{sender.network}:{sender.user_id}",
            action="policy.decision",
            subject=subject,
            details={
                "link": route.link.id,
                "direction": route.direction.value,
                "action": verdict.action,
                "decision": verdict.record,
            },
        )

    async def _route(self, message_id: MessageId, message: Message, *, is_new: bool) -> Routing:
        """Route a message archived earlier (see :meth:`recover`)."""
        routes = self.routes_from(message.chat)
        if not routes and message.direction is Direction.INBOUND:
            return Routing(message_id, is_new)
        decided = [await self._judged(message, route) for route in routes]

        async def write(conn: WriteConnection) -> tuple[list[ChatRef], int | None]:
            return await self._write_routing(conn, message_id, message, decided)

        self._routed(message_id, message, decided, await self._store.write(write))
        return Routing(message_id, is_new, _verdicts(decided))

    async def _write_routing(
        self,
        conn: WriteConnection,
        message_id: MessageId,
        message: Message,
        decided: Sequence[Judged],
    ) -> tuple[list[ChatRef], int | None]:
        """Every route's rows and the ``routed_at`` mark, inside the caller's transaction.

        Returns the queues to wake and the message an edit refers to (for the live event)."""
        reply_to = await self._resolve(conn, message.chat, message.reply_to_native_id)
        edit_of = await self._resolve(conn, message.chat, message.edit_of_native_id)
        woken: list[ChatRef] = []
        for judged in decided:
            woken += await self._write_route(conn, message_id, message, judged, reply_to, edit_of)
        # split-number tails the judge changed: stored with the message, or not at all
        await verdicts.remember(conn, [judged.verdict for judged in decided])
        await conn.execute("UPDATE messages SET routed_at = ? WHERE id = ?", (now_ms(), message_id))
        return woken, edit_of

    def _routed(
        self,
        message_id: MessageId,
        message: Message,
        decided: Sequence[Judged],
        written: tuple[list[ChatRef], int | None],
    ) -> None:
        """After the commit: wake the queues that got rows, tell the live subscribers."""
        woken, edit_of = written
        self._wake(woken)
        self.events(
            "message",
            message_id=edit_of or message_id,
            network=message.network,
            direction=message.direction.value,
            actions=[judged.verdict.action for judged in decided],
        )
        if any(judged.verdict.action == "hold" for judged in decided):
            self.events("approval", message_id=message_id)

    @staticmethod
    async def _resolve(conn: WriteConnection, chat: ChatRef, native_id: str | None) -> int | None:
        if native_id is None:
            return None
        return await message_map.resolve(conn, chat, native_id)

    async def _write_route(
        self,
        conn: WriteConnection,
        message_id: MessageId,
        message: Message,
        judged: Judged,
        reply_to: int | None,
        edit_of: int | None,
    ) -> list[ChatRef]:
        route, verdict = judged.route, judged.verdict
        await self._audit(conn, message.sender, f"message:{message_id}", route, verdict)
        woken: list[ChatRef] = []
        if verdict.notify_admins and self.admin_room is not None:
            await outbox.add(
                conn,
                target=self.admin_room,
                operation=OperationKind.NOTICE,
                payload={
                    "text": _admin_notice(message_id, message, route, verdict),
                    "kind": MessageKind.NOTICE.value,
                    "accepted_at": now_ms(),
                },
                message_id=message_id,
            )
            woken.append(self.admin_room)
        if verdict.action == "block":
            await self._notice(conn, message, message_id, verdict.notice or "Message blocked.")
            return [*woken, message.chat]
        out = leaving(judged.rendered, verdict)
        payload = outbox_payload(out, reply_to=reply_to, edit_of=edit_of)
        payload = _envelope(route, message.chat, payload)
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
            row = await fetch_one(
                conn,
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
            )
            approval_id = int(row[0]) if row else 0
            notice = verdict.notice or "Message held for approval."
            await self._notice(conn, message, message_id, f"{notice} (approval #{approval_id})")
            woken.append(message.chat)
        else:
            woken.append(route.target)
        return woken

    async def _notice(
        self, conn: WriteConnection, message: Message, message_id: int, text: str
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


async def _is_routed(conn: WriteConnection, message_id: MessageId) -> bool:
    rows = await conn.execute_fetchall(
        "SELECT routed_at IS NOT NULL FROM messages WHERE id = ?", (message_id,)
    )
    return bool(rows and next(iter(rows))[0])


def _no_listener(topic: str, **ids: Any) -> None:
    """Events go nowhere until the daemon connects the router to its hub."""


def _reaction_key(chat: ChatRef, native_id: str) -> str:
    return f"{chat.network}:{chat.chat_id}:{native_id}"


def _envelope(route: Route, source: ChatRef, payload: dict[str, Any]) -> dict[str, Any]:
    """What every relayed row carries besides its content: where to send failure notices."""
    return {
        **payload,
        "source_chat": [source.network, source.chat_id],
        "target_title": route.target.title,
        "accepted_at": now_ms(),
    }


def _admin_notice(message_id: int, message: Message, route: Route, verdict: Verdict) -> str:
    """What the admins' room reads for a ``notify`` match: who, where, which rule — not content."""
    rules = [
        m.get("rule")
        for m in verdict.record.get("matches", ())
        if m.get("action") == "notify" and not m.get("simulated")
    ]
    names = ", ".join(str(r) for r in rules if r) or (verdict.rule or "?")
    return (
        f"Policy notice ({names}): message #{message_id} from {message.sender.label} on link "
        f"{route.link.id} ({route.direction.value}) — {verdict.reason or 'rule matched'}."
        f" Action: {verdict.action}."
    )


__all__ = ["Router", "Routing"]
