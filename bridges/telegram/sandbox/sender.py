"""What takes the place of telethon's ``MTProtoSender``: the wire between a client and the world.

telethon 1.x talks to Telegram through ``client._sender``; everything above it — entity cache,
update handling (``MessageBox``), event builders, parse modes, upload chunking — is real. This
sender offers the same small surface (``connect``, ``send``, ``disconnect``, ``is_connected``,
``auth_key``, ``disconnected``) and does what the real one does with answers: puts ``Updates``
results on the client's update queue marked as its own, and pushes the world's updates for the
logged-in account. Every request and answer is serialised to TL bytes and read back, so an
object Telegram could not have sent cannot reach the client.

Faults are decided here, per request: FLOOD_WAIT_X, an RPC error, a reply lost with the
connection (the request took effect, the client never hears), a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telethon import errors
from telethon.crypto import AuthKey
from telethon.extensions import BinaryReader
from telethon.tl import types
from telethon.tl.tlobject import TLRequest

from bridges.telegram.sandbox.rpc import Session, answer
from bridges.telegram.sandbox.world import SandboxError

if TYPE_CHECKING:
    from bridges.telegram.sandbox import Sandbox

log = logging.getLogger(__name__)

_OWN_UPDATE_TYPES = (
    types.Updates,
    types.UpdatesCombined,
    types.UpdateShort,
    types.UpdateShortMessage,
    types.UpdateShortSentMessage,
)


@dataclass
class Fault:
    """One planned misbehaviour for requests whose inner type is named ``request``."""

    request: str
    action: str
    """``flood_wait``, ``error``, ``lose_reply`` or ``drop``."""
    seconds: int = 0
    code: int = 400
    message: str = ""
    after: int = 0
    """Matching requests to let through before the fault strikes."""
    times: int = 1

    def strikes(self, name: str) -> bool:
        if name != self.request or self.times <= 0:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        self.times -= 1
        return True


def inner_name(request: Any) -> str:
    """The request that matters inside connection wrappers (``InvokeWithLayer``…)."""
    while hasattr(request, "query") and isinstance(request.query, TLRequest):
        request = request.query
    return type(request).__name__


def _wire(obj: Any) -> Any:
    """Serialise and parse back, as the network would."""
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, list):
        return [_wire(item) for item in obj]
    return BinaryReader(bytes(obj)).tgread_object()


class SandboxSender:
    """One client's connection to the sandbox."""

    def __init__(
        self, sandbox: Sandbox, updates_queue: asyncio.Queue[Any], auth_key: AuthKey | None
    ) -> None:
        self._sandbox = sandbox
        self._updates_queue = updates_queue
        self.auth_key = auth_key if auth_key and auth_key.key else AuthKey(os.urandom(256))
        self._connected = False
        self._disconnected: asyncio.Future[None] | None = None
        self._unlisten: Callable[[], None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending: set[asyncio.Future[Any]] = set()
        self.session = Session(sandbox.world, self.auth_key.key_id)

    # -- the MTProtoSender surface ------------------------------------------------------------

    async def connect(self, connection: Any) -> bool:
        if self._connected:
            return False
        if not self._sandbox.up:
            raise ConnectionError("sandbox Telegram is down")
        self._connected = True
        self._disconnected = asyncio.get_running_loop().create_future()
        self._sandbox.senders.add(self)
        self._listen()
        return True

    def is_connected(self) -> bool:
        return self._connected

    def _transport_connected(self) -> bool:
        return self._connected

    def _keepalive_ping(self, ping_id: int) -> None:
        """Pings prove nothing here; the connection is as alive as the sandbox says."""

    @property
    def disconnected(self) -> asyncio.Future[None]:
        if self._disconnected is None:
            self._disconnected = asyncio.get_running_loop().create_future()
            self._disconnected.set_result(None)
        return asyncio.shield(self._disconnected)  # type: ignore[return-value]

    async def disconnect(self) -> None:
        self.drop(ConnectionError("disconnected by the client"))

    def send(self, request: Any, ordered: bool = False) -> Any:
        if not self._connected:
            raise ConnectionError("Cannot send requests while disconnected")
        if isinstance(request, list):
            return [self.send(item, ordered) for item in request]
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        task = asyncio.get_running_loop().create_task(self._serve(request, future))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return future

    # -- serving ------------------------------------------------------------------------------

    async def _serve(self, request: Any, future: asyncio.Future[Any]) -> None:
        name = inner_name(request)
        self._sandbox.calls[name] = self._sandbox.calls.get(name, 0) + 1
        if self._sandbox.latency:
            await asyncio.sleep(self._sandbox.latency)
        if not self._connected or future.done():
            return
        fault = self._sandbox.fault_for(name)
        if fault is not None and fault.action == "drop":
            self.drop(ConnectionError(f"sandbox dropped the connection on {name}"))
            return
        if fault is not None and fault.action in ("flood_wait", "error"):
            text = f"FLOOD_WAIT_{fault.seconds}" if fault.action == "flood_wait" else fault.message
            code = 420 if fault.action == "flood_wait" else fault.code
            future.set_exception(_rpc_error(code, text, request))
            return
        try:
            result = _wire(answer(self.session, _wire(request)))
        except SandboxError as err:
            future.set_exception(_rpc_error(err.code, err.message, request))
            return
        except Exception as exc:  # a sandbox bug must fail the test loudly, not hang it
            log.exception("sandbox failed answering %s", name)
            future.set_exception(exc)
            return
        if fault is not None and fault.action == "lose_reply":
            self.drop(ConnectionError(f"connection lost before the answer to {name} arrived"))
            return
        if isinstance(result, _OWN_UPDATE_TYPES):
            own = _wire(result)
            own._self_outgoing = True
            self._updates_queue.put_nowait(own)
        elif isinstance(result, types.messages.AffectedMessages):
            update = types.UpdateShort(
                types.UpdateDeleteMessages([], result.pts, result.pts_count), types_epoch()
            )
            update._self_outgoing = True
            self._updates_queue.put_nowait(update)
        if self.session.user is not None and self._unlisten is None:
            self._listen()  # just logged in: from now on this account's updates come here
        future.set_result(result)

    def _listen(self) -> None:
        user = self.session.user
        if user is not None and self._unlisten is None:
            self._unlisten = self._sandbox.world.listen(user.id, self._push)

    def _push(self, updates: types.Updates) -> None:
        if self._connected and not self._sandbox.paused_updates:
            self._updates_queue.put_nowait(_wire(updates))

    def drop(self, reason: BaseException) -> None:
        """Close the connection: waiting requests fail, the client sees ``disconnected``."""
        if not self._connected:
            return
        self._connected = False
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self._sandbox.senders.discard(self)
        for future in list(self._pending):
            if not future.done():
                future.set_exception(ConnectionError(str(reason)))
        if self._disconnected is not None and not self._disconnected.done():
            self._disconnected.set_result(None)
        for task in list(self._tasks):
            task.cancel()


def types_epoch() -> Any:
    import datetime

    return datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _rpc_error(code: int, message: str, request: Any) -> Exception:
    error = errors.rpc_message_to_error(types.RpcError(code, message), request)
    with contextlib.suppress(AttributeError):
        error.request = request
    return error


__all__ = ["Fault", "SandboxSender", "inner_name"]
