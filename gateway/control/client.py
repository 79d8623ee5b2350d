"""An asyncio client of the control API, for ``hgw status``, the TUI and scripts. No Textual.

::

    client = ControlClient(path, on_state=lambda up, why: print(up, why))
    await client.connect()                 # returns after the first attempt; keeps reconnecting
    print(await client.call("status"))     # ControlError(code, message, data) on an error answer
    await client.call("subscribe", topics=["messages"])
    async for event in client.events():    # {"topic": "message", "message": {...}}
        ...

After a lost connection (daemon restart) it reconnects with backoff, calls ``hello`` again,
subscribes again to what it had subscribed, and tells ``on_state``; the daemon replays nothing,
so a client re-reads what it shows. ``connect(reconnect=False)`` tries once and raises
:class:`ConnectionError` naming the socket when the daemon is not there.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)
MAX_LINE = 64 * 1024 * 1024
"""Answers can be large (a page of history with long messages); requests are capped at 1 MiB."""


class ControlError(Exception):
    """An error answer from the daemon: ``code`` as in docs/control-api.md."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


StateCallback = Callable[[bool, str], None]


class ControlClient:
    def __init__(
        self,
        path: Path | str,
        *,
        on_state: StateCallback | None = None,
        backoff: Sequence[float] = BACKOFF,
    ) -> None:
        self.path = Path(path)
        self.on_state = on_state
        self.hello: dict[str, Any] | None = None
        """The last ``hello`` answer: user, role, links."""
        self._backoff = tuple(backoff)
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._writer: asyncio.StreamWriter | None = None
        self._topics: list[str] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._read_task: asyncio.Task[str] | None = None
        self._first_attempt = asyncio.Event()
        self._state: tuple[bool, str] | None = None
        self.refusal: ControlError | None = None
        """Set when the daemon refused this OS user (-32001)."""

    @property
    def connected(self) -> bool:
        return self._writer is not None and self._state is not None and self._state[0]

    async def connect(self, *, reconnect: bool = True) -> None:
        if not reconnect:
            try:
                await self._open()
            except OSError as err:
                raise ConnectionError(self._not_running(err)) from None
            return
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._run(), name="control-client")
        await self._first_attempt.wait()

    async def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        await self._disconnect("closed")

    async def __aenter__(self) -> ControlClient:
        await self.connect(reconnect=False)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def call(self, method: str, **params: Any) -> Any:
        if method == "subscribe":
            self._topics = list(params.get("topics") or ["messages", "approvals", "status"])
        reading = self._read_task
        if self._writer is None or reading is None or reading.done():
            raise self.refusal or ConnectionError(f"not connected to hgw at {self.path}")
        result = await self._request(method, params)
        if method == "hello":
            self.hello = result
        return result

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Notifications' params, in the order the daemon sent them."""
        while True:
            yield await self._events.get()

    # -- internals ---------------------------------------------------------------------------

    def _not_running(self, err: OSError) -> str:
        if isinstance(err, FileNotFoundError):
            return f"hgw is not running (no socket at {self.path})"
        if isinstance(err, ConnectionRefusedError):
            return f"hgw is not running (nothing answers on {self.path})"
        if isinstance(err, PermissionError):
            return f"no permission to use {self.path} (the control socket is the daemon user's)"
        return f"cannot reach hgw at {self.path}: {err.strerror or err}"

    async def _open(self) -> None:
        reader, writer = await asyncio.open_unix_connection(str(self.path), limit=MAX_LINE)
        self._writer = writer
        self.refusal = None
        self._read_task = asyncio.create_task(self._read(reader), name="control-client-read")

    async def _request(self, method: str, params: dict[str, Any]) -> Any:
        writer = self._writer
        if writer is None:
            raise ConnectionError(f"not connected to hgw at {self.path}")
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        line = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        try:
            writer.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, RuntimeError) as err:
            self._pending.pop(request_id, None)
            # The daemon may have answered (a refusal) and closed before we wrote: let the
            # reader take in what arrived, so the caller learns why instead of "lost".
            if self._read_task is not None and not self._read_task.done():
                await asyncio.wait({self._read_task}, timeout=1)
            raise self.refusal or ConnectionError(f"connection to hgw lost: {err}") from None
        return await future

    async def _read(self, reader: asyncio.StreamReader) -> str:
        """Hand answers to their callers and events to the queue; return why it ended."""
        while True:
            try:
                line = await reader.readline()
            except (ConnectionError, ValueError) as err:
                return f"connection lost: {err}"
            if not line:
                reason = "the daemon closed the connection"
                if self.refusal is not None:
                    reason = self.refusal.message
                self._fail_pending(reason)
                return reason
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                log.warning("control: unreadable line from the daemon")
                continue
            if "id" not in message:
                if message.get("method") == "event":
                    self._events.put_nowait(message.get("params") or {})
                continue
            error = message.get("error")
            if message["id"] is None and error is not None:
                self.refusal = ControlError(error["code"], error["message"], error.get("data"))
                for future in self._pending.values():
                    if not future.done():
                        future.set_exception(self.refusal)
                self._pending.clear()
                continue
            future = self._pending.pop(message["id"], None)
            if future is None or future.done():
                continue
            if error is not None:
                future.set_exception(
                    ControlError(error["code"], error["message"], error.get("data"))
                )
            else:
                future.set_result(message.get("result"))

    def _fail_pending(self, reason: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(self.refusal or ConnectionError(reason))
        self._pending.clear()

    async def _disconnect(self, reason: str) -> None:
        writer, self._writer = self._writer, None
        if self._read_task is not None:
            self._read_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._read_task
            self._read_task = None
        if writer is not None:
            writer.close()
        self._fail_pending(reason)

    def _set_state(self, connected: bool, reason: str) -> None:
        if self._state == (connected, reason):
            return
        self._state = (connected, reason)
        if self.on_state is not None:
            try:
                self.on_state(connected, reason)
            except Exception:
                log.exception("on_state callback failed")

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._open()
                self.hello = await self._request("hello", {})
                if self._topics is not None:
                    await self._request("subscribe", {"topics": self._topics})
            except OSError as err:
                reason = self._not_running(err)
            except ControlError as err:
                reason = err.message
            else:
                attempt = 0
                self._set_state(True, "connected")
                self._first_attempt.set()
                assert self._read_task is not None
                reason = await self._read_task
            await self._disconnect(reason)
            self._set_state(False, reason)
            self._first_attempt.set()
            await asyncio.sleep(self._backoff[min(attempt, len(self._backoff) - 1)])
            attempt += 1


__all__ = ["BACKOFF", "ControlClient", "ControlError"]
