"""A minimal control API client: JSON-RPC 2.0, newline-delimited, over a Unix socket.

A stand-in for :mod:`gateway.control.client` while that is not installed; same surface.
Reconnects with backoff for as long as it is open and reports each change to ``on_state``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

BACKOFF = (0.2, 0.5, 1.0, 2.0)


class ApiError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


class SocketClient:
    def __init__(self, path: Path, *, on_state: Callable[[bool, str], None] | None = None) -> None:
        self.path = Path(path)
        self.on_state = on_state or (lambda _c, _r: None)
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 0
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    async def connect(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="control-client")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def call(self, method: str, **params: Any) -> Any:
        if self._writer is None:
            raise ConnectionError("daemon not running")
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        request = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        self._writer.write(json.dumps(request).encode() + b"\n")
        await self._writer.drain()
        return await future

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self._events.get()

    async def _run(self) -> None:
        attempt = 0
        reason = "daemon not running"
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(str(self.path), limit=2**21)
            except OSError:
                self.on_state(False, reason)
                await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                attempt += 1
                continue
            attempt = 0
            self._writer = writer
            self.on_state(True, "connected")
            try:
                await self._read(reader)
                reason = "daemon closed the connection"
            except OSError as err:
                reason = f"connection lost: {err}"
            finally:
                self._writer = None
                writer.close()
                for future in self._pending.values():
                    if not future.done():
                        future.set_exception(ConnectionError(reason))
                self._pending.clear()
            self.on_state(False, reason)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            message = json.loads(line)
            if "id" not in message or (message.get("id") is None and "method" in message):
                if message.get("method") == "event":
                    self._events.put_nowait(message.get("params") or {})
                continue
            future = self._pending.pop(message["id"], None)
            if future is None or future.done():
                continue
            if "error" in message:
                error = message["error"]
                future.set_exception(ApiError(error["code"], error["message"], error.get("data")))
            else:
                future.set_result(message.get("result"))
