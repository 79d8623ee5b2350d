"""The receiving half of the Matrix adapter: the sync loop.

For each ``/sync`` response the :class:`Receiver` answers invites, hands every timeline event of
every joined room to the sink — one by one, in order — and only then checkpoints
``next_batch`` (invariant 1: the token never runs ahead of stored events). Any failure on the
way (homeserver down, store full, a download that timed out) abandons the batch; the next try
syncs again from the last checkpoint and the router's native-id dedupe absorbs the repeats.

A ``limited`` timeline (more events than the filter returns, after a burst or an outage) is
completed from ``/messages`` back to the previous token, so nothing in between is lost.

Where a room's relaying starts is a recorded point, not "whatever the first sync after the join
returned": when an allowed inviter brings the bot in, the invite's ``origin_server_ts`` is stored
(``room_since.<room id>``) before the bot joins. The first sync after a join carries the room's
recent history; what came before the bot's invite is history and is skipped, everything from
the invite on — a staff member's first message typed while the bot was still joining — is
relayed (once: the router dedupes on the event id). Skipping up to the bot's own join instead
lost exactly that first message.

Room state (member names, the room name) is fetched once per room and process before the
room's first events are converted: after a restart, an incremental sync carries only state that
changed, so nio's room would know no names at all — senders were archived without a name and the
conversation titled "Empty Room".

The sync filter is uploaded once and then named by its id, as Element does: a filter spelled
out in every ``/sync`` URL is parsed and schema-checked by Synapse on every request — 2.5 ms of
its CPU each time. (Under a 500-message burst the bridge made 70 syncs on the sending side and
111 on the receiving one, so that is ~0.9 ms of homeserver CPU per relayed message in all;
computing the sync responses themselves costs far more.)
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace
from typing import Any

from nio import (
    AsyncClient,
    ErrorResponse,
    InviteMemberEvent,
    MessageDirection,
    RoomGetStateResponse,
    RoomMemberEvent,
    RoomMessagesResponse,
    SyncResponse,
    UploadFilterResponse,
)
from nio.events.room_events import Event as NioEvent
from nio.responses import InviteInfo, RoomInfo
from nio.rooms import MatrixRoom

from bridges.base import Deletion, EventSink, Reaction, without_attachment
from bridges.matrix import media
from bridges.matrix.convert import Converted, RoomContext, convert_event
from bridges.matrix.errors import TRANSPORT_ERRORS, error_from_response, is_unknown_token
from gateway.errors import BridgeError, PermanentBridgeError, TransientBridgeError
from gateway.model import Attachment, ChatRef, Direction, Message, NetworkName

log = logging.getLogger(__name__)

SYNC_TOKEN_KEY = "sync_token"  # noqa: S105 - a checkpoint key, not a secret
ROOM_SINCE_KEY = "room_since"
"""Checkpoint key prefix: ``room_since.<room id>`` holds the ms timestamp relaying starts at."""
TIMELINE_LIMIT = 100
"""Events per room per sync; more than this makes the timeline ``limited`` and triggers a gap
fill from ``/messages``."""
MAX_GAP_EVENTS = 50_000
"""A gap fill stops here (with an error log) rather than hold an unbounded history in memory."""
FILTER_UPLOAD_RETRY_SECONDS = 300.0
"""After a refused filter upload, sync with the filter inline this long before trying again."""
PERMANENT_RETRY_SECONDS = 60.0
"""Pause after the homeserver refused a sync outright (bad token, forbidden)."""
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


class Receiver:
    """Long-polls ``/sync`` for one bot account and reports what happened to the sink."""

    def __init__(
        self,
        client: AsyncClient,
        sink: EventSink,
        *,
        network: NetworkName,
        direction: Direction,
        since: str | None,
        allowed_inviters: Collection[str],
        max_media_bytes: int,
        sync_timeout_ms: int,
        retry_seconds: tuple[float, float],
        relogin: Callable[[], Awaitable[None]] | None,
    ) -> None:
        """``relogin`` is called when the homeserver revokes the token (password logins only)."""
        self.network = network
        self.user_id = client.user_id
        self._client = client
        self._sink = sink
        self._direction = direction
        self._since = since
        self._allowed_inviters = frozenset(allowed_inviters)
        self._max_media_bytes = max_media_bytes
        self._sync_timeout_ms = sync_timeout_ms
        self._retry_seconds = retry_seconds
        self._relogin = relogin
        self._media_failures: dict[str, int] = {}
        self._room_since: dict[str, int | None] = {}
        """Recorded start of relaying per room, as restored from / written to the store."""
        self._state_loaded: set[str] = set()
        """Rooms whose full state nio's room object holds in this process."""
        self._filter_id: str | None = None
        self._filter_upload_after = 0.0
        self.connected = False
        """Whether the last sync succeeded (for status and metrics)."""
        self.last_error: str | None = None

    async def run(self) -> None:
        """Sync until cancelled. Any failure is logged and retried from the last checkpoint."""
        low, high = self._retry_seconds
        failures = 0
        while True:
            try:
                # After a failure, sync without waiting: the answer proves the homeserver is
                # back, and the deliveries backing off for it can go now, not after a long poll.
                await self.sync_once(quick=failures > 0)
                self.connected, self.last_error = True, None
                if failures:
                    log.info("%s: homeserver answers again", self.network)
                    await self._sink.connected()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                self.connected, self.last_error = False, str(exc) or type(exc).__name__
                delay = min(high, low * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
                if isinstance(exc, TransientBridgeError) and exc.retry_after:
                    delay = max(delay, exc.retry_after)
                if isinstance(exc, PermanentBridgeError):
                    # e.g. a revoked token without a password to log in again: keep trying,
                    # slowly, so an admin's fix is picked up without a restart.
                    delay = max(delay, PERMANENT_RETRY_SECONDS)
                    log.error("%s: sync refused (%s); retry in %.0fs", self.network, exc, delay)
                elif isinstance(exc, (*TRANSPORT_ERRORS, BridgeError)):
                    log.warning("%s: sync failed (%s); retry in %.1fs", self.network, exc, delay)
                else:
                    log.exception("%s: sync failed; retry in %.1fs", self.network, delay)
                await asyncio.sleep(delay)

    async def sync_once(self, *, quick: bool = False) -> None:
        """One ``/sync``: answer invites, relay every joined room's events, then checkpoint.

        ``quick`` returns at once instead of long-polling when nothing is new.
        """
        first = self._since is None
        response = await self._client.sync(
            timeout=1 if first else 0 if quick else self._sync_timeout_ms,
            since=self._since,
            sync_filter=_first_sync_filter() if first else await self._sync_filter(),
        )
        if not isinstance(response, SyncResponse):
            if is_unknown_token(response) and self._relogin is not None:
                await self._relogin()
                return
            raise error_from_response(response, "sync")
        for room_id, invite in response.rooms.invite.items():
            await self._answer_invite(room_id, invite)
        for room_id in response.rooms.leave:
            log.warning("%s: no longer in %s (left, kicked or banned)", self.network, room_id)
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

    async def _sync_filter(self) -> str | dict[str, Any]:
        """The uploaded filter's id; the filter itself if the homeserver would not store it."""
        if self._filter_id is not None:
            return self._filter_id
        if time.monotonic() < self._filter_upload_after:
            return _SYNC_FILTER
        response = await self._client.upload_filter(**_SYNC_FILTER)
        if isinstance(response, UploadFilterResponse):
            self._filter_id = response.filter_id
            return self._filter_id
        # Syncing works with the filter inline too, only dearer for the homeserver.
        self._filter_upload_after = time.monotonic() + FILTER_UPLOAD_RETRY_SECONDS
        log.warning(
            "%s: could not upload the sync filter (%s); sending it inline, next try in %.0fs",
            self.network,
            response,
            FILTER_UPLOAD_RETRY_SECONDS,
        )
        return _SYNC_FILTER

    async def _answer_invite(self, room_id: str, invite: InviteInfo) -> None:
        """Join when an allowed user invited the bot; reject (leave) anyone else's invite.

        Before joining, the invite's time is stored as the room's start of relaying: the
        join may come seconds later, and what staff wrote in between is for the partner.
        """
        invite_event = next(
            (
                event
                for event in invite.invite_state
                if isinstance(event, InviteMemberEvent)
                and event.state_key == self.user_id
                and event.membership == "invite"
            ),
            None,
        )
        inviter = invite_event.sender if invite_event is not None else None
        if inviter in self._allowed_inviters:
            since = _timestamp_of(invite_event) or int(time.time() * 1000)
            await self._record_since(room_id, since)
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
            error = error_from_response(response, f"answer the invite to {room_id}")
            if isinstance(error, TransientBridgeError):
                raise error  # the invite comes again when the batch is retried
            log.error("%s: could not answer invite: %s", self.network, error)
        else:
            log.info("%s: %s %s (invited by %s)", self.network, verb, room_id, inviter)

    async def _relay_room(self, room_id: str, info: RoomInfo) -> None:
        events: list[Any] = list(info.timeline.events)
        if info.timeline.limited and info.timeline.prev_batch:
            events = await self._missed_events(room_id, info.timeline.prev_batch) + events
        events = await self._after_start(room_id, events)
        if not events:
            return
        room = self._client.rooms.get(room_id)
        if room is not None and room_id not in self._state_loaded:
            await self._load_state(room)
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

    async def _after_start(self, room_id: str, events: list[Any]) -> list[Any]:
        """Drop what was said before relaying started in this room; keep everything after.

        Only a batch in which the bot (re)joined reaches back before the bot was there: the
        first sync after a join carries recent room history. Relaying starts at the bot's own
        invite when the batch holds it (a position, exact), else at the invite time recorded
        when the bot answered it, else at the bot's own join (rooms the bot made itself).
        """
        join = _last_own_membership(events, self.user_id, "join")
        if join is None:
            return events
        invite = _last_own_membership(events[:join], self.user_id, "invite")
        if invite is not None:
            kept = events[invite + 1 :]
        else:
            since = await self._restore_since(room_id)
            if since is None:
                kept = events[join + 1 :]
            else:
                before = [e for e in events[:join] if (_timestamp_of(e) or 0) >= since]
                kept = before + events[join + 1 :]
        if await self._restore_since(room_id) is None:
            start = events[invite if invite is not None else join]
            await self._record_since(room_id, _timestamp_of(start) or 0)
        if skipped := len(events) - len(kept):
            log.info("%s: %s: %d earlier events not relayed", self.network, room_id, skipped)
        return kept

    async def _restore_since(self, room_id: str) -> int | None:
        if room_id not in self._room_since:
            saved = await self._sink.restore(f"{ROOM_SINCE_KEY}.{room_id}")
            self._room_since[room_id] = int(saved) if saved and saved.isdigit() else None
        return self._room_since[room_id]

    async def _record_since(self, room_id: str, since: int) -> None:
        await self._sink.checkpoint(f"{ROOM_SINCE_KEY}.{room_id}", str(since))
        self._room_since[room_id] = since

    async def _load_state(self, room: MatrixRoom) -> None:
        """Fill nio's room with the room's current state (members' names, the room name).

        A transient failure abandons the batch (retried from the checkpoint) rather than
        archive messages without their senders' names; a refusal is logged and ids are used.
        """
        try:
            response = await self._client.room_get_state(room.room_id)
        except TRANSPORT_ERRORS as exc:
            raise TransientBridgeError(f"load the state of {room.room_id}: {exc}") from exc
        if not isinstance(response, RoomGetStateResponse):
            error = error_from_response(response, f"load the state of {room.room_id}")
            if isinstance(error, TransientBridgeError):
                raise error
            log.warning("%s: %s; names in %s stay unknown", self.network, error, room.room_id)
        else:
            for raw in response.events:
                event = NioEvent.parse_event(raw) if isinstance(raw, dict) else None
                if isinstance(event, RoomMemberEvent):
                    room.handle_membership(event)
                elif isinstance(event, NioEvent):
                    room.handle_event(event)
        self._state_loaded.add(room.room_id)

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
        if missed:
            log.info("%s: filled a gap of %d events in %s", self.network, len(missed), room_id)
        missed.reverse()
        return missed

    async def _emit(self, converted: Converted) -> None:
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
                del self._media_failures[ref]
                unavailable.append((attachment.name, f"gave up after {failures} tries: {exc}"))
                continue
            self._media_failures.pop(ref, None)
            kept.append(replace(attachment, data=got.data, size=len(got.data)))
        for name, reason in unavailable:
            message = without_attachment(message, name, reason)
        return replace(message, attachments=tuple(kept))


def _last_own_membership(events: list[Any], user_id: str | None, membership: str) -> int | None:
    """Index of the last event that made ``user_id`` a member with ``membership`` (a join
    that only renames does not count)."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if (
            isinstance(event, RoomMemberEvent)
            and event.state_key == user_id
            and event.membership == membership
            and event.prev_membership != membership
        ):
            return index
    return None


def _timestamp_of(event: object) -> int | None:
    source = getattr(event, "source", None)
    value = source.get("origin_server_ts") if isinstance(source, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sender_of(event: object) -> str | None:
    sender = getattr(event, "sender", None)
    if sender is None:
        source = getattr(event, "source", None)
        sender = source.get("sender") if isinstance(source, dict) else None
    return sender if isinstance(sender, str) else None


__all__ = ["ROOM_SINCE_KEY", "SYNC_TOKEN_KEY", "Receiver"]
