"""The Matrix network adapter (matrix-nio, relay-bot mode): the I/O shell around convert/content.

One :class:`MatrixBridge` is one bot account on one homeserver. The same class serves the
company's internal homeserver (network ``"matrix"``) and a partner organisation's homeserver
(e.g. network ``"partner"``); only the name and the ``direction`` differ.

Receiving: a background task runs the sync loop of :mod:`bridges.matrix.receive`, which
checkpoints the sync token only after the sink has stored the events it covers (invariant 1).

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
import os
from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    RoomCreateResponse,
    RoomPreset,
    RoomRedactResponse,
    RoomResolveAliasResponse,
    RoomSendResponse,
    RoomVisibility,
)

from bridges.base import Capabilities, EventSink
from bridges.matrix import content, media
from bridges.matrix.errors import TRANSPORT_ERRORS, error_from_exception, error_from_response
from bridges.matrix.receive import SYNC_TOKEN_KEY, Receiver
from bridges.matrix.session import log_in, session_path
from bridges.telegram.entities import split_message
from gateway.errors import (
    BridgeError,
    ConfigError,
    HgwError,
    PermanentBridgeError,
    TransientBridgeError,
)
from gateway.model import Attachment, Delivery, Direction, NetworkName, OperationKind

log = logging.getLogger(__name__)

MAX_OUTGOING_TEXT = 12_000
"""Longest text the core should hand us in one delivery (code points). Synapse refuses events
over 64 KiB of JSON, and a formatted message carries its text twice (body + HTML), each
character up to 2 bytes for Cyrillic: 12,000 stays clear of the limit with room for markup."""


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
            max_text_length=MAX_OUTGOING_TEXT,
            max_caption_length=MAX_OUTGOING_TEXT,
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
        self._task: asyncio.Task[None] | None = None
        self._receiver: Receiver | None = None
        self._operations: dict[OperationKind, Callable[[Delivery], Awaitable[str]]] = {
            OperationKind.SEND: self._send_message,
            OperationKind.NOTICE: self._send_message,
            OperationKind.EDIT: self._edit,
            OperationKind.DELETE: self._redact,
            OperationKind.REACT: self._react,
        }

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
        try:
            await self._log_in()
        except HgwError:
            raise  # bridge errors, and a session file that others can read (SecretFileError)
        except TRANSPORT_ERRORS as exc:
            # One line that says where we knocked: "homeserver unreachable" alone left the
            # admin guessing which URL of which network (internal or a partner's) was meant.
            errno = getattr(getattr(exc, "os_error", exc), "errno", None)
            reason = os.strerror(errno) if errno else None
            raise TransientBridgeError(
                f"cannot log in to {self.network}: the homeserver at {self._homeserver} is"
                f" unreachable ({reason or type(exc).__name__}); check the homeserver URL in"
                " the config and that this machine can connect to it"
            ) from exc
        except Exception as exc:
            raise error_from_exception(exc, f"log in to {self._homeserver}") from exc
        receiver = Receiver(
            self._client,
            sink,
            network=self.network,
            direction=self._direction,
            since=await sink.restore(SYNC_TOKEN_KEY),
            allowed_inviters=self._allowed_inviters,
            max_media_bytes=self._max_media_bytes,
            sync_timeout_ms=self._sync_timeout_ms,
            retry_seconds=self._retry_seconds,
            relogin=self._relogin if self._password is not None else None,
        )
        self._receiver = receiver
        self._task = asyncio.create_task(receiver.run(), name=f"matrix-sync:{self.network}")
        self._task.add_done_callback(self._log_crash)

    async def stop(self) -> None:
        """Cancel the sync loop and close the HTTP session. Safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.close()

    def status(self) -> dict[str, Any]:
        """For ``hgw status``, metrics and the TUI: whether the last sync got through."""
        receiver = self._receiver
        return {
            "network": self.network,
            "connected": bool(receiver and receiver.connected),
            "flood_wait_until": None,
            "detail": receiver.last_error if receiver else "not started",
        }

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

    async def _relogin(self) -> None:
        await self._log_in(token_rejected=True)

    async def resolve_room(self, room: str) -> str:
        """The room id of ``room`` (an id is returned as is, an alias asked of the homeserver).

        The daemon matches events by room id, but admins may configure ``#alias:server``.
        Raises ``PermanentBridgeError`` for an alias that does not exist.
        """
        if not room.startswith("#"):
            return room
        try:
            response = await self._client.room_resolve_alias(room)
        except Exception as exc:
            raise error_from_exception(exc, f"resolve {room}") from exc
        if isinstance(response, RoomResolveAliasResponse):
            return str(response.room_id)
        raise error_from_response(response, f"resolve {room}")

    async def create_portal(self, name: str, topic: str, invite: Collection[str]) -> str:
        """Open a private room for one external chat and invite the staff who handle it."""
        try:
            response = await self._client.room_create(
                visibility=RoomVisibility.private,
                name=name[:200],
                topic=topic[:500],
                invite=list(invite),
                preset=RoomPreset.private_chat,
            )
        except Exception as exc:
            raise error_from_exception(exc, f"create the portal room {name!r}") from exc
        if isinstance(response, RoomCreateResponse):
            log.info("%s: opened portal %s (%s)", self.network, response.room_id, name)
            return str(response.room_id)
        raise error_from_response(response, f"create the portal room {name!r}")

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
            pieces = split_message(delivery.text, delivery.spans, MAX_OUTGOING_TEXT)
            first: str | None = None
            for index, (text, spans) in enumerate(pieces):
                # One event per piece; txn ids derived from the row's key, so a retry after a
                # partial failure resends only what Synapse has not seen.
                piece = replace(delivery, text=text, spans=spans)
                if index:
                    piece = replace(piece, reply_to_remote_id=None)
                txn = (
                    delivery.idempotency_key
                    if index == 0
                    else f"{delivery.idempotency_key}.p{index}"
                )
                body = content.message_content(piece)
                event_id = await self._send_event(piece, "m.room.message", body, txn)
                first = first or event_id
            assert first is not None
            return first
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


__all__ = ["MAX_OUTGOING_TEXT", "MatrixBridge"]
