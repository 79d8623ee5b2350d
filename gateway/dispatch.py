"""Outbox workers: one per target chat, strictly in order, patient with networks, never silent.

Each target chat has a worker that only ever attempts the *oldest* pending row for that chat
(invariant 4: order per chat). A transient failure keeps the row at the head and waits — for
the time the network asked (FLOOD_WAIT, M_LIMIT_EXCEEDED) or an exponential backoff with full
jitter — so later messages never overtake it. A permanent failure, or a transient one that
outlives ``give_up_after``, marks the row failed, tells the sender with a notice, and lets the
queue move on: never an endless retry loop, never silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.errors import PermanentBridgeError, TransientBridgeError
from gateway.media import MediaCache
from gateway.model import (
    Attachment,
    ChatRef,
    Delivery,
    MessageKind,
    NetworkName,
    OperationKind,
    Span,
    SpanKind,
)
from gateway.store import Store, message_map, outbox
from gateway.store.connection import WriteConnection
from gateway.store.outbox import OutboxRow, OutboxState, now_ms
from gateway.store.rows import fetch_one

log = logging.getLogger(__name__)

LONG_WAIT_NOTICE_SECONDS = 60.0
"""A wait the network asks for (FLOOD_WAIT) this long or longer is told to the sender."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter (AWS architecture blog), capped, with a deadline."""

    base_seconds: float = 1.0
    max_seconds: float = 300.0
    give_up_after_seconds: float = 24 * 3600.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return rng.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    """Published for every outcome, for status, metrics and the TUI."""

    outbox_id: int
    target: ChatRef
    outcome: str
    """``sent``, ``retry``, ``failed``."""
    detail: str | None = None
    retry_in: float | None = None


Observer = Callable[[DeliveryEvent], None]


class BridgeLookup:
    """The bridges by network; a protocol-free mapping keeps dispatch testable."""

    def __init__(self, bridges: Mapping[NetworkName, Any]) -> None:
        self._bridges = dict(bridges)

    def get(self, network: NetworkName) -> Any:
        return self._bridges.get(network)


class Dispatcher:
    """Owns the per-chat workers. ``wake`` after writing outbox rows; ``drain`` on shutdown."""

    def __init__(
        self,
        store: Store,
        bridges: Mapping[NetworkName, Any],
        *,
        retry: RetryPolicy | None = None,
        seed: int | None = None,
        media: MediaCache | None = None,
    ) -> None:
        """``media`` is where the router left attachment bytes (rows name them by digest)."""
        self._store = store
        self._media = media
        self._bridges = BridgeLookup(bridges)
        self._retry = retry or RetryPolicy()
        self._rng = random.Random(seed)  # noqa: S311 - jitter, not secrecy
        self._workers: dict[ChatRef, _ChatWorker] = {}
        self._observers: list[Observer] = []
        self._stopping = False
        self.asked_waits: set[int] = set()
        """Rows whose current wait the network asked for (flood wait): never cut short."""
        self._waits_told: set[int] = set()
        """Rows whose sender was told about a long network-imposed wait (once each)."""

    def subscribe(self, observer: Observer) -> None:
        self._observers.append(observer)

    def publish(self, event: DeliveryEvent) -> None:
        for observer in self._observers:
            try:
                observer(event)
            except Exception:
                log.exception("delivery observer failed")

    async def start(self) -> None:
        """Resume every chat that still has pending rows (after a restart or a crash)."""
        for target in await outbox.pending_targets(self._store.reader):
            self.wake(target)

    def wake(self, target: ChatRef) -> None:
        if self._stopping:
            return
        key = ChatRef(target.network, target.chat_id)
        worker = self._workers.get(key)
        if worker is None or worker.done:
            worker = self._workers[key] = _ChatWorker(self, key)
        worker.poke()

    def network_recovered(self, network: NetworkName) -> None:
        """The network answers again: rows waiting out a backoff for it are tried now.

        Backoff protects a network that is down; once its bridge has seen it answer, waiting
        out the rest of a long delay would only hold back delivery (issue 4: resume within
        seconds of a homeserver restart). Rows waiting for a flood/rate-limit delay keep it.
        """
        for target, worker in self._workers.items():
            if target.network == network and not worker.done:
                worker.retry_now()

    def queue_depths(self) -> dict[ChatRef, bool]:
        return {target: not worker.done for target, worker in self._workers.items()}

    async def drain(self, grace_seconds: float) -> bool:
        """Let workers finish what is deliverable now, then stop them. True if all finished."""
        self._stopping = True
        workers = [w for w in self._workers.values() if not w.done]
        for worker in workers:
            worker.finish_when_idle()
        tasks = [w.task for w in workers]
        finished = True
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            finished = not pending
            for task in pending:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*pending, return_exceptions=True)
        return finished

    # -- one attempt ------------------------------------------------------------------------

    async def attempt(self, row: OutboxRow) -> float | None:
        """Try ``row`` once. Returns seconds to wait before the head may be tried again."""
        bridge = self._bridges.get(row.target.network)
        if bridge is None:
            missing = f"no bridge for network {row.target.network!r} is running"
            return await self._retry_later(row, TransientBridgeError(missing, retry_after=60))
        try:
            delivery = await self._delivery(row)
            remote_id = await bridge.deliver(delivery)
        except TransientBridgeError as err:
            return await self._retry_later(row, err)
        except PermanentBridgeError as err:
            await self._fail(row, str(err))
            return None
        except asyncio.CancelledError:
            raise
        except Exception as err:  # a bridge bug: keep the message, retry, make noise
            log.exception("bridge %s raised unexpectedly on outbox %d", row.target.network, row.id)
            return await self._retry_later(row, TransientBridgeError(f"internal error: {err!r}"))
        self.asked_waits.discard(row.id)
        await self._store.write(lambda conn: self._record_sent(conn, row, remote_id))
        self.publish(DeliveryEvent(row.id, row.target, "sent", remote_id))
        return None

    async def _record_sent(self, conn: WriteConnection, row: OutboxRow, remote: str) -> None:
        await outbox.mark_sent(conn, row.id, remote)
        if row.message_id is not None and row.operation is OperationKind.SEND:
            await message_map.record(conn, row.message_id, row.target, remote)

    async def _retry_later(self, row: OutboxRow, err: TransientBridgeError) -> float | None:
        age = (now_ms() - row.payload.get("accepted_at", now_ms())) / 1000
        if age > self._retry.give_up_after_seconds:
            await self._fail(row, f"gave up after {age / 3600:.1f} h of retries: {err}")
            return None
        wait = err.retry_after
        if wait is None:
            self.asked_waits.discard(row.id)
            wait = self._retry.delay(row.attempts + 1, self._rng)
        else:
            self.asked_waits.add(row.id)
        next_at = now_ms() + int(wait * 1000)
        tell = self._should_tell_about_wait(row, err)

        async def record(conn: WriteConnection) -> ChatRef | None:
            await outbox.mark_retry(conn, row.id, error=str(err), next_attempt_at=next_at)
            if tell is None:
                return None
            minutes = max(1, round(wait / 60))
            await outbox.add(
                conn,
                target=tell,
                operation=OperationKind.NOTICE,
                payload={
                    "text": f"⏳ {row.target.network.capitalize()} asked hgw to wait about"
                    f" {minutes} min before sending more. Your message is queued and will be"
                    " delivered in order; nothing is lost.",
                    "kind": MessageKind.NOTICE.value,
                    "reply_to_message": row.message_id,
                    "accepted_at": now_ms(),
                },
                message_id=row.message_id,
                link_id=row.link_id,
            )
            return tell

        told = await self._store.write(record)
        if told is not None:
            self._waits_told.add(row.id)
            self.wake(told)
        log.warning(
            "delivery %d to %s:%s failed (%s); retry in %.1fs",
            row.id,
            row.target.network,
            row.target.chat_id,
            err,
            wait,
        )
        self.publish(DeliveryEvent(row.id, row.target, "retry", str(err), wait))
        return wait

    def _should_tell_about_wait(self, row: OutboxRow, err: TransientBridgeError) -> ChatRef | None:
        """The chat to tell, once per message, that the network asked for a long pause."""
        source = row.payload.get("source_chat")
        if (
            err.retry_after is None
            or err.retry_after < LONG_WAIT_NOTICE_SECONDS
            or row.operation is OperationKind.NOTICE
            or not source
            or row.id in self._waits_told
        ):
            return None
        return ChatRef(NetworkName(source[0]), source[1])

    async def _fail(self, row: OutboxRow, reason: str) -> None:
        """Mark failed, audit it, and tell the sender in the chat the message came from."""
        self.asked_waits.discard(row.id)
        notify = row.operation is not OperationKind.NOTICE and row.payload.get("source_chat")

        async def record(conn: WriteConnection) -> ChatRef | None:
            await outbox.set_state(conn, row.id, OutboxState.FAILED, error=reason)
            await self._store.audit.append(
                conn,
                actor="hgw",
                action="delivery.failed",
                subject=f"outbox:{row.id}",
                details={"target": f"{row.target.network}:{row.target.chat_id}", "reason": reason},
            )
            if not notify:
                return None
            where = row.payload.get("target_title") or row.target.chat_id
            source = ChatRef(
                NetworkName(row.payload["source_chat"][0]), row.payload["source_chat"][1]
            )
            await outbox.add(
                conn,
                target=source,
                operation=OperationKind.NOTICE,
                payload={
                    "text": f"⚠ Not delivered to {where}: {reason}",
                    "reply_to_message": row.message_id,
                    "accepted_at": now_ms(),
                },
                message_id=row.message_id,
                link_id=row.link_id,
            )
            return source

        source = await self._store.write(record)
        log.error("delivery %d to %s failed permanently: %s", row.id, row.target.chat_id, reason)
        self.publish(DeliveryEvent(row.id, row.target, "failed", reason))
        if source is not None:
            self.wake(source)

    async def _delivery(self, row: OutboxRow) -> Delivery:
        """Turn a row into a Delivery, resolving message ids to the target's native ids now.

        Resolution happens at attempt time, not routing time: the message replied to may have
        been delivered only a moment ago, by this very worker.
        """
        p = row.payload
        reader = self._store.reader
        reply_to = target_remote = None
        if p.get("reply_to_message") is not None:
            reply_to = await message_map.native_in(reader, p["reply_to_message"], row.target)
        if p.get("target_message") is not None:
            target_remote = await message_map.native_in(reader, p["target_message"], row.target)
            if target_remote is None:
                raise PermanentBridgeError("the message this refers to never reached this chat")
        if p.get("target_reaction") is not None:  # taking back a relayed reaction
            found = await fetch_one(
                reader,
                "SELECT remote_id FROM outbox WHERE id = ? AND state = 'sent'",
                (p["target_reaction"],),
            )
            if found is None or not found[0]:
                raise PermanentBridgeError("the reaction to take back never reached this chat")
            target_remote = str(found[0])
        return Delivery(
            outbox_id=row.id,
            target=row.target,
            operation=row.operation,
            idempotency_key=row.idempotency_key,
            text=p.get("text", ""),
            spans=tuple(Span(o, n, SpanKind(k), e) for o, n, k, e in p.get("spans", ())),
            kind=MessageKind(p.get("kind", MessageKind.TEXT)),
            attachments=tuple([await self._attachment(a) for a in p.get("attachments", ())]),
            reply_to_remote_id=reply_to,
            target_remote_id=target_remote,
            reaction=p.get("reaction"),
            attempts=row.attempts,
        )

    async def _attachment(self, described: Mapping[str, Any]) -> Attachment:
        """An attachment of a row, with its bytes from the media cache when the row names them."""
        attachment = Attachment(
            described["name"],
            described.get("mime"),
            described["size"],
            native_ref=described.get("ref"),
            digest=described.get("cache"),
        )
        if attachment.digest is None or self._media is None:
            return attachment
        data = await self._media.get(attachment.digest)
        if data is None:
            raise PermanentBridgeError(f"the file {attachment.name!r} is gone from the media cache")
        return Attachment(
            attachment.name,
            attachment.declared_mime,
            len(data),
            data=data,
            native_ref=attachment.native_ref,
            digest=attachment.digest,
        )


class _ChatWorker:
    """Delivers one chat's queue, head first; sleeps when empty or while the head waits."""

    def __init__(self, dispatcher: Dispatcher, target: ChatRef) -> None:
        self._dispatcher = dispatcher
        self._target = target
        self._wakeup = asyncio.Event()
        self._finish_when_idle = False
        self._retry_now = False
        self.task = asyncio.create_task(
            self._run(), name=f"deliver:{target.network}:{target.chat_id}"
        )
        self.task.add_done_callback(self._log_crash)

    @property
    def done(self) -> bool:
        return self.task.done()

    def poke(self) -> None:
        self._wakeup.set()

    def retry_now(self) -> None:
        """Cut a backoff short (not a wait the network asked for: see ``network_recovered``)."""
        self._retry_now = True
        self._wakeup.set()

    def finish_when_idle(self) -> None:
        self._finish_when_idle = True
        self._wakeup.set()

    async def _run(self) -> None:
        store = self._dispatcher._store
        while True:
            self._wakeup.clear()
            row = await outbox.head(store.lookups, self._target)
            if row is None:
                if self._finish_when_idle:
                    return
                await self._wakeup.wait()
                continue
            wait = (row.next_attempt_at - now_ms()) / 1000
            if self._retry_now and row.id not in self._dispatcher.asked_waits:
                wait = 0
            self._retry_now = False
            if wait <= 0:
                wait = await self._dispatcher.attempt(row) or 0
            if wait > 0:
                if self._finish_when_idle:
                    return  # draining: a row that must wait stays pending for the next start
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=wait)

    def _log_crash(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery worker for %s crashed", self._target, exc_info=task.exception())


__all__ = ["DeliveryEvent", "Dispatcher", "RetryPolicy"]
