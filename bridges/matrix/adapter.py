"""The Matrix network adapter (matrix-nio, relay-bot mode): the I/O shell around convert/content.

One :class:`MatrixBridge` is one bot account on one homeserver. The same class serves the
company's internal homeserver (network ``"matrix"``) and a partner organisation's homeserver
(e.g. network ``"partner"``); only the name and the ``direction`` differ.

Receiving: a background task long-polls ``/sync``. For each response it hands every timeline
event of every joined room to the sink, one by one and in order, and only then checkpoints
``next_batch`` (invariant 1: the token never runs ahead of stored events). If the process dies
in between, the next start syncs from the old token and the router's native-id dedupe absorbs
the repeats. A ``limited`` timeline (more events than the sync filter returns) is completed from
``/messages`` back to the previous token, so a burst or a long outage loses nothing.

Sending: :meth:`MatrixBridge.deliver` uses the outbox row's ``idempotency_key`` as the Matrix
transaction id. Synapse deduplicates ``PUT /send/{txnId}`` per device, and the device is kept
across restarts (see :mod:`bridges.matrix.session`), so a retry after a lost reply returns the
first event instead of posting a second one (invariant 2). nio's own retry loops are switched
off: retrying is the dispatcher's job, with its persisted backoff and ordering.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    InviteMemberEvent,
    MessageDirection,
    RoomMemberEvent,
    RoomMessagesResponse,
    RoomRedactResponse,
    RoomSendResponse,
    SyncResponse,
)
from nio.responses import InviteInfo, RoomInfo

from bridges.base import Capabilities, Deletion, EventSink, Reaction
from bridges.matrix import content, media
from bridges.matrix.convert import (
    MAX_TEXT_CHARS,
    Converted,
    RoomContext,
    convert_event,
    without_attachment,
)
from bridges.matrix.errors import (
    TRANSPORT_ERRORS,
    error_from_exception,
    error_from_response,
    is_unknown_token,
)
from bridges.matrix.session import log_in, session_path
from gateway.config import MatrixConfig
from gateway.errors import (
    BridgeError,
    ConfigError,
    HgwError,
    PermanentBridgeError,
    TransientBridgeError,
)
from gateway.model import (
    Attachment,
    ChatRef,
    Delivery,
    Direction,
    Message,
    NetworkName,
    OperationKind,
)

log = logging.getLogger(__name__)

SYNC_TOKEN_KEY = "sync_token"  # noqa: S105 - a checkpoint key, not a secret
TIMELINE_LIMIT = 100
"""Events per room per sync; more than this makes the timeline ``limited`` and triggers a gap
fill from ``/messages``."""
MAX_GAP_EVENTS = 50_000
"""A gap fill stops here (with an error log) rather than hold an unbounded history in memory."""
MEDIA_GIVE_UP_AFTER = 5
"""Transient download failures of one file before it is relayed as unavailable: a dead media
server must not hold a room's other messages back forever."""

_IGNORE_ALL = {"not_types": ["*"]}
_SYNC_FILTER: dict[str, Any] = {
    "presence": _IGNORE_ALL,
    "account_data": _IGNORE_ALL,
    "room": {
        "timeline": {"limit": TIMELINE_LIMIT},
        "ephemeral": _IGNORE_ALL,
        "account_data": _IGNORE_ALL,
    },
}


def _first_sync_filter() -> dict[str, Any]:
    """The filter of the first sync after a fresh login, which has no token.

    That sync would return recent history, which was never ours to relay: it is fetched minimal
    and its timelines are skipped; relaying starts with the events after its ``next_batch``.
    The filter carries a nonce because Synapse caches token-less sync responses per device and
    filter for two minutes; a cached, stale answer would hand out an old ``next_batch`` and make
    the next sync replay what came since.
    """
    room = {**_SYNC_FILTER["room"], "timeline": {"limit": 1, "not_types": [_nonce_type()]}}
    return {**_SYNC_FILTER, "room": room}


def _nonce_type() -> str:
    return f"org.hgw.nonce.{uuid.uuid4().hex}"


class MatrixBridge:
    """A relay bot on one homeserver; implements :class:`bridges.base.Bridge`."""

    def __init__(
        self,
        homeserver: str,
        user_id: str,
        *,
        state_dir: Path,
        password: str | None = None,
        access_token: str | None = None,
        network: str = "matrix",
        direction: Direction = Direction.OUTBOUND,
        allowed_inviters: Collection[str] = (),
        max_media_bytes: int = 50 * 1024 * 1024,
        device_name: str = "hgw",
        sync_timeout_ms: int = 30_000,
        retry_seconds: tuple[float, float] = (0.5, 3.0),
    ) -> None:
        """``direction`` is the way messages from this network travel: staff on the internal
        homeserver write ``OUTBOUND``, a partner homeserver's users write ``INBOUND``.

        ``retry_seconds`` bounds the sync loop's reconnect backoff; the ceiling is low because
        a homeserver that comes back must see the bridge resume within seconds.
        """
        if (password is None) == (access_token is None):
            raise ConfigError("give exactly one of password or access_token", key="matrix")
        self.network = NetworkName(network)
        self.capabilities = Capabilities(
            max_text_length=MAX_TEXT_CHARS,
            max_caption_length=MAX_TEXT_CHARS,
            max_media_bytes=max_media_bytes,
        )
        self.user_id = user_id
        self._homeserver = homeserver.rstrip("/")
        self._password = password
        self._access_token = access_token
        self._direction = direction
        self._allowed_inviters = frozenset(allowed_inviters)
        self._max_media_bytes = max_media_bytes
        self._device_name = device_name
        self._sync_timeout_ms = sync_timeout_ms
        self._retry_seconds = retry_seconds
        self._session_file = session_path(state_dir, network)
        self._client = AsyncClient(
            self._homeserver,
            user_id,
            config=AsyncClientConfig(
                max_limit_exceeded=0,
                max_timeouts=0,
                request_timeout=30,
                store_sync_tokens=False,
                encryption_enabled=False,
            ),
        )
        self._sink: EventSink | None = None
        self._since: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._media_failures: dict[str, int] = {}
        self._operations: dict[OperationKind, Callable[[Delivery], Awaitable[str]]] = {
            OperationKind.SEND: self._send_message,
            OperationKind.NOTICE: self._send_message,
            OperationKind.EDIT: self._edit,
            OperationKind.DELETE: self._redact,
            OperationKind.REACT: self._react,
        }

    @classmethod
    def from_config(
        cls,
        config: MatrixConfig,
        *,
        state_dir: Path,
        network: str = "matrix",
        direction: Direction = Direction.OUTBOUND,
    ) -> MatrixBridge:
        """Build from the ``[matrix]`` config; admins are the users whose invites are accepted."""
        return cls(
            config.homeserver,
            config.user_id,
            state_dir=state_dir,
            password=config.password.reveal() if config.password else None,
            access_token=config.access_token.reveal() if config.access_token else None,
            network=network,
            direction=direction,
            allowed_inviters=config.admins,
            max_media_bytes=config.max_media_bytes,
            device_name=config.device_name,
        )

    def __repr__(self) -> str:
        return f"MatrixBridge({self.network}, {self.user_id} on {self._homeserver})"

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        """Log in (or resume the saved device), restore the sync token, start the sync loop.

        Raises ``PermanentBridgeError`` for refused credentials and ``TransientBridgeError``
        when the homeserver cannot be reached; once started, the loop survives outages itself.
        """
        if self._task is not None:
            return
        self._sink = sink
        try:
            await self._log_in()
        except HgwError:
            raise  # bridge errors, and a session file that others can read (SecretFileError)
        except Exception as exc:
            raise error_from_exception(exc, "log in") from exc
        self._since = await sink.restore(SYNC_TOKEN_KEY)
        self._task = asyncio.create_task(self._sync_forever(), name=f"matrix-sync:{self.network}")
        self._task.add_done_callback(self._log_crash)

    async def stop(self) -> None:
        """Cancel the sync loop and close the HTTP session. Safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.close()

    def _log_crash(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: sync loop crashed", self.network, exc_info=task.exception())

    async def _log_in(self, *, token_rejected: bool = False) -> None:
        await log_in(
            self._client,
            self._session_file,
            password=self._password,
            access_token=self._access_token,
            device_name=self._device_name,
            token_rejected=token_rejected,
        )

    # -- receiving ----------------------------------------------------------------------------

    async def _sync_forever(self) -> None:
        """Sync until cancelled. Any failure is logged and retried from the last checkpoint."""
        low, high = self._retry_seconds
        failures = 0
        while True:
            try:
                await self._sync_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(high, low * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
                if isinstance(exc, TransientBridgeError) and exc.retry_after:
                    delay = max(delay, exc.retry_after)
                if isinstance(exc, (*TRANSPORT_ERRORS, BridgeError)):
                    log.warning("%s: sync failed (%s); retry in %.1fs", self.network, exc, delay)
                else:
                    log.exception("%s: sync failed; retry in %.1fs", self.network, delay)
                await asyncio.sleep(delay)

    async def _sync_once(self) -> None:
        assert self._sink is not None
        first = self._since is None
        response = await self._client.sync(
            timeout=1 if first else self._sync_timeout_ms,
            since=self._since,
            sync_filter=_first_sync_filter() if first else _SYNC_FILTER,
        )
        if not isinstance(response, SyncResponse):
            if is_unknown_token(response) and self._password is not None:
                await self._log_in(token_rejected=True)
                return
            raise error_from_response(response, "sync")
        for room_id, invite in response.rooms.invite.items():
            await self._answer_invite(room_id, invite)
        if first:
            log.info(
                "%s: first sync without a token; history of %d rooms not relayed",
                self.network,
                len(response.rooms.join),
            )
        else:
            for room_id, info in response.rooms.join.items():
                await self._relay_room(room_id, info)
        if response.next_batch != self._since:
            await self._sink.checkpoint(SYNC_TOKEN_KEY, response.next_batch)
            self._since = response.next_batch

    async def _answer_invite(self, room_id: str, invite: InviteInfo) -> None:
        """Join when an allowed user invited the bot; reject (leave) anyone else's invite."""
        inviter = next(
            (
                event.sender
                for event in invite.invite_state
                if isinstance(event, InviteMemberEvent)
                and event.state_key == self.user_id
                and event.membership == "invite"
            ),
            None,
        )
        if inviter in self._allowed_inviters:
            response: Any = await self._client.join(room_id)
            verb = "joined"
        else:
            log.warning(
                "%s: rejecting invite to %s from %s: not an allowed inviter",
                self.network,
                room_id,
                inviter,
            )
            response = await self._client.room_leave(room_id)
            verb = "rejected the invite to"
        if isinstance(response, ErrorResponse):
            log.error("%s: could not answer invite to %s: %s", self.network, room_id, response)
        else:
            log.info("%s: %s %s (invited by %s)", self.network, verb, room_id, inviter)

    async def _relay_room(self, room_id: str, info: RoomInfo) -> None:
        events: list[Any] = list(info.timeline.events)
        if info.timeline.limited and info.timeline.prev_batch:
            events = await self._missed_events(room_id, info.timeline.prev_batch) + events
        events = self._after_own_join(events)
        room = self._client.rooms.get(room_id)
        chat = ChatRef(self.network, room_id, room.display_name if room else None)
        ctx = RoomContext(chat=chat, direction=self._direction)
        if room is not None:
            ctx = replace(ctx, sender_name=room.user_name)
        for event in events:
            if _sender_of(event) == self.user_id:
                continue  # our own sends (relayed messages, notices): never relay them back
            converted = convert_event(event, ctx)
            if converted is not None:
                await self._emit(converted)

    def _after_own_join(self, events: list[Any]) -> list[Any]:
        """Drop what was said before the bot joined: a new portal relays from now on.

        The first sync after a join carries recent room history in its timeline; it was
        never addressed to the bridge, exactly like history skipped on the first login.
        """
        for index in range(len(events) - 1, -1, -1):
            event = events[index]
            if (
                isinstance(event, RoomMemberEvent)
                and event.state_key == self.user_id
                and event.membership == "join"
                and event.prev_membership != "join"
            ):
                return events[index + 1 :]
        return events

    async def _missed_events(self, room_id: str, prev_batch: str) -> list[Any]:
        """Events between our last checkpoint and a limited timeline's start, oldest first."""
        missed: list[Any] = []
        start = prev_batch
        while len(missed) < MAX_GAP_EVENTS:
            response = await self._client.room_messages(
                room_id, start=start, end=self._since, direction=MessageDirection.back, limit=100
            )
            if not isinstance(response, RoomMessagesResponse):
                raise error_from_response(response, f"fill the gap in {room_id}")
            missed.extend(response.chunk)
            if not response.chunk or not response.end or response.end == start:
                break
            start = response.end
        else:
            log.error("%s: gap in %s exceeds %d events", self.network, room_id, MAX_GAP_EVENTS)
        log.info("%s: filled a gap of %d events in %s", self.network, len(missed), room_id)
        missed.reverse()
        return missed

    async def _emit(self, converted: Converted) -> None:
        assert self._sink is not None
        if isinstance(converted, Message):
            await self._sink.message(await self._with_media(converted))
        elif isinstance(converted, Reaction):
            await self._sink.reaction(converted)
        elif isinstance(converted, Deletion):
            await self._sink.deletion(converted)

    async def _with_media(self, message: Message) -> Message:
        """Fill in attachment bytes; what cannot be had becomes a text marker."""
        kept: list[Attachment] = []
        unavailable: list[tuple[str, str]] = []
        for attachment in message.attachments:
            if attachment.data is not None or attachment.native_ref is None:
                kept.append(attachment)
                continue
            ref = attachment.native_ref
            try:
                got = await media.download(self._client, ref, self._max_media_bytes)
            except PermanentBridgeError as exc:
                unavailable.append((attachment.name, str(exc)))
                continue
            except (TransientBridgeError, *TRANSPORT_ERRORS) as exc:
                failures = self._media_failures[ref] = self._media_failures.get(ref, 0) + 1
                if failures < MEDIA_GIVE_UP_AFTER:
                    raise  # the batch is retried from the last checkpoint
                unavailable.append((attachment.name, f"gave up after {failures} tries: {exc}"))
                continue
            self._media_failures.pop(ref, None)
            kept.append(replace(attachment, data=got.data, size=len(got.data)))
        for name, reason in unavailable:
            message = without_attachment(message, name, reason)
        return replace(message, attachments=tuple(kept))

    # -- sending ------------------------------------------------------------------------------

    async def deliver(self, delivery: Delivery) -> str:
        """Carry out one outbox operation; only ``BridgeError`` subclasses leave here."""
        operation = self._operations.get(delivery.operation)
        doing = f"{delivery.operation.value} to {delivery.target.chat_id}"
        if operation is None:
            raise PermanentBridgeError(f"{doing}: not supported on Matrix")
        if not self._client.logged_in:
            raise TransientBridgeError(f"{doing}: not logged in yet")
        try:
            return await operation(delivery)
        except BridgeError:
            raise
        except Exception as exc:
            if not isinstance(exc, TRANSPORT_ERRORS):
                log.exception("%s: unexpected failure in %s", self.network, doing)
            raise error_from_exception(exc, doing) from exc

    async def _send_message(self, delivery: Delivery) -> str:
        if not delivery.attachments:
            return await self._send_event(
                delivery, "m.room.message", content.message_content(delivery)
            )
        first: str | None = None
        for index, attachment in enumerate(delivery.attachments):
            data = self._checked_bytes(attachment)
            msgtype, mime = media.msgtype_for(data, attachment.declared_mime)
            uri = await media.upload(self._client, data, mime, attachment.name)
            body = content.media_content(
                delivery, attachment, uri=uri, msgtype=msgtype, mime=mime, with_caption=index == 0
            )
            # Each event needs its own txn id, derived so that a retry derives the same ones.
            txn = delivery.idempotency_key if index == 0 else f"{delivery.idempotency_key}.{index}"
            event_id = await self._send_event(delivery, "m.room.message", body, txn)
            first = first or event_id
        assert first is not None
        return first

    async def _edit(self, delivery: Delivery) -> str:
        return await self._send_event(delivery, "m.room.message", content.edit_content(delivery))

    async def _react(self, delivery: Delivery) -> str:
        return await self._send_event(delivery, "m.reaction", content.reaction_content(delivery))

    async def _redact(self, delivery: Delivery) -> str:
        if not delivery.target_remote_id:
            raise PermanentBridgeError("a deletion needs the Matrix id of the message")
        response = await self._client.room_redact(
            delivery.target.chat_id, delivery.target_remote_id, tx_id=delivery.idempotency_key
        )
        if isinstance(response, RoomRedactResponse):
            return str(response.event_id)
        raise error_from_response(response, f"redact in {delivery.target.chat_id}")

    async def _send_event(
        self,
        delivery: Delivery,
        event_type: str,
        body: dict[str, Any],
        txn_id: str | None = None,
    ) -> str:
        response = await self._client.room_send(
            delivery.target.chat_id,
            event_type,
            body,
            tx_id=txn_id or delivery.idempotency_key,
        )
        if isinstance(response, RoomSendResponse):
            return str(response.event_id)
        raise error_from_response(response, f"send to {delivery.target.chat_id}")

    def _checked_bytes(self, attachment: Attachment) -> bytes:
        if attachment.data is None:
            raise PermanentBridgeError(f"attachment {attachment.name!r} has no bytes to upload")
        if len(attachment.data) > self._max_media_bytes:
            raise media.MediaTooLarge(
                f"attachment {attachment.name!r} is {len(attachment.data)} bytes,"
                f" over the {self._max_media_bytes}-byte cap"
            )
        return attachment.data


def _sender_of(event: object) -> str | None:
    sender = getattr(event, "sender", None)
    if sender is None:
        source = getattr(event, "source", None)
        sender = source.get("sender") if isinstance(source, dict) else None
    return sender if isinstance(sender, str) else None


__all__ = ["SYNC_TOKEN_KEY", "MatrixBridge"]
