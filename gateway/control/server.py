"""The control socket: accept, identify the peer, answer requests, stream events.

Start-up is careful about the socket file: its directory is created private (0700, 0710 when
the mode lets a group in), a stale socket from a crash is removed, a live one (another daemon
answering) stops this start, and the socket is bound under a restrictive umask and chmod-ed
before ``listen`` — nobody can connect while its permissions are still wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import stat
from collections.abc import Collection
from pathlib import Path
from typing import Any

from gateway.control import peer, roles
from gateway.control.events import EventFanOut
from gateway.control.methods import METHODS, CallContext
from gateway.control.protocol import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    MAX_LINE,
    METHOD_NOT_FOUND,
    Request,
    RpcError,
    error_line,
    notification_line,
    parse_request,
    refused,
    result_line,
)
from gateway.errors import HgwError

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 32
"""Requests one connection may have running at once; more wait for a free slot."""
MAX_BACKLOG = 10_000
"""Lines queued for a client that does not read; past it the connection is closed."""


class Connection:
    """One client: reads requests, runs each as a task, writes answers and events in order."""

    def __init__(
        self,
        server: ControlServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        caller: roles.Caller,
    ) -> None:
        self.server = server
        self.caller = caller
        self.peer: peer.PeerUser = peer.PeerUser(0, caller.user)
        """Who is on the other end (from SO_PEERCRED), for looking their role up per call."""
        self.topics: frozenset[str] = frozenset()
        self._reader = reader
        self._writer = writer
        self._out: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribe(self, topics: Collection[str]) -> None:
        self.topics = frozenset(topics)

    def send(self, line: bytes) -> None:
        if self._out.qsize() > MAX_BACKLOG:
            log.warning("control: %s does not read its events; closing", self.caller.user)
            self._out.put_nowait(None)
            return
        self._out.put_nowait(line)

    def notify(self, params: dict[str, Any]) -> None:
        self.send(notification_line("event", params))

    async def run(self) -> None:
        writing = asyncio.create_task(self._write_loop(), name=f"control-out:{self.caller.user}")
        try:
            await self._read_loop()
        finally:
            for task in self._tasks:
                task.cancel()
            self._out.put_nowait(None)
            await asyncio.wait({writing}, timeout=2)
            if not writing.done():
                writing.cancel()

    def close(self) -> None:
        """End the connection from our side (shutdown): the read loop sees end of file."""
        self._writer.close()

    async def _read_loop(self) -> None:
        while True:
            try:
                line = await self._reader.readline()
            except ValueError:  # over the limit: the contract closes the connection
                self.send(error_line(None, RpcError(INVALID_REQUEST, "line over 1 MiB")))
                return
            except ConnectionError:
                return
            if not line:
                return
            if not line.strip():
                continue
            try:
                request = parse_request(line)
            except RpcError as err:
                request_id = (err.data or {}).pop("id", None)
                if err.data == {}:
                    err.data = None
                self.send(error_line(request_id, err))
                continue
            await self._slots.acquire()
            task = asyncio.create_task(self._answer(request))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _answer(self, request: Request) -> None:
        try:
            line = result_line(request.id, await self.server.call(self, request))
        except RpcError as err:
            line = error_line(request.id, err)
        finally:
            self._slots.release()
        if not request.is_notification:
            self.send(line)

    async def _write_loop(self) -> None:
        try:
            while (line := await self._out.get()) is not None:
                self._writer.write(line)
                await self._writer.drain()
        except ConnectionError:
            pass
        finally:
            self._writer.close()


class ControlServer:
    """The daemon's control socket. ``await start()`` after routing is ready; ``stop()`` first
    thing on shutdown."""

    def __init__(self, daemon: Any) -> None:
        self._daemon = daemon
        control = daemon.config.control
        self.path: Path = control.socket
        self._mode: int = control.socket_mode
        self._server: asyncio.AbstractServer | None = None
        self._inode: int | None = None
        self.connections: set[Connection] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self.events = EventFanOut(daemon, self.connections)

    async def start(self) -> None:
        prepare_directory(self.path.parent, self._mode)
        await remove_stale_socket(self.path)
        sock = bind_socket(self.path, self._mode)
        self._inode = os.stat(self.path).st_ino
        self._server = await asyncio.start_unix_server(self._accept, sock=sock, limit=MAX_LINE)
        self.events.start(self._daemon.hub)
        log.info("control API listening on %s (mode %04o)", self.path, self._mode)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self.events.stop()
        for connection in list(self.connections):
            connection.close()
        if self._handlers:
            await asyncio.wait(set(self._handlers), timeout=2)
        for task in list(self._handlers):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)
        with contextlib.suppress(FileNotFoundError):
            if os.stat(self.path).st_ino == self._inode:  # never remove a successor's socket
                self.path.unlink()
        self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            try:
                user = peer.identify(writer.get_extra_info("socket"))
                caller = roles.caller_for(user, self._daemon.config.control.users)
            except RpcError as err:
                log.warning("control: refused %s", err.message)
                await _refuse(reader, writer, err)
                return
            log.info("control: %s connected as %s", caller.user, caller.role)
            connection = Connection(self, reader, writer, caller)
            connection.peer = user
            self.connections.add(connection)
            try:
                await connection.run()
            finally:
                self.connections.discard(connection)
                log.info("control: %s disconnected", caller.user)
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def call(self, connection: Connection, request: Request) -> Any:
        spec = METHODS.get(request.method)
        if spec is None:
            raise RpcError(METHOD_NOT_FOUND, f"no such method: {request.method}")
        # The role is looked up again for every call: a reload that changes or removes a
        # user's role applies to connections that are already open, not only to new ones.
        caller = connection.caller = roles.caller_for(
            connection.peer, self._daemon.config.control.users
        )
        roles.check_role(caller, request.method, spec.roles)
        try:
            return await spec.handler(CallContext(self._daemon, caller, connection), request.params)
        except RpcError:
            raise
        except HgwError as err:
            raise refused(str(err)) from None
        except Exception:
            log.exception("control: %s failed for %s", request.method, caller.user)
            raise RpcError(
                INTERNAL_ERROR, f"internal error in {request.method}; see the daemon's log"
            ) from None


async def _refuse(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, error: RpcError
) -> None:
    """Answer once, then let the client finish: closing with its request still unread would
    reset the connection, and the client could lose the answer that says why."""
    with contextlib.suppress(ConnectionError, OSError):
        writer.write(error_line(None, error))
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        with contextlib.suppress(TimeoutError, ValueError):
            async with asyncio.timeout(2):
                while await reader.read(65536):
                    pass
    writer.close()


def prepare_directory(directory: Path, mode: int) -> None:
    """The socket's directory: the daemon's own, private (group may only pass through)."""
    dir_mode = 0o700 | (0o010 if mode & 0o070 else 0)
    directory.mkdir(mode=dir_mode, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid != os.geteuid():
        raise HgwError(
            f"{directory} belongs to uid {info.st_uid}, not to this daemon's user;"
            " the control socket's directory must be the daemon's own ([control] socket)"
        )
    os.chmod(directory, dir_mode)


async def remove_stale_socket(path: Path) -> None:
    """Remove a socket left by a crash; refuse when a live daemon still answers on it."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise HgwError(f"{path} exists and is not a socket; remove it or set [control] socket")
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), 2)
    except (OSError, TimeoutError):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        log.info("removed a stale control socket at %s", path)
        return
    writer.close()
    raise HgwError(
        f"another hgw daemon answers on {path}; stop it first, or give this one another"
        " [control] socket"
    )


def bind_socket(path: Path, mode: int) -> socket.socket:
    """Bind under a umask that leaves only ``mode``, then chmod exactly: no window where the
    socket is more open than configured."""
    if len(os.fsencode(path)) >= 107:
        raise HgwError(f"{path}: too long for a Unix socket (107 bytes at most); choose a shorter")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o777 & ~mode)
    try:
        sock.bind(os.fspath(path))
    except OSError as err:
        sock.close()
        raise HgwError(f"cannot create the control socket {path}: {err.strerror}") from None
    finally:
        os.umask(old)
    os.chmod(path, mode)
    sock.setblocking(False)
    return sock


__all__ = ["Connection", "ControlServer", "bind_socket", "remove_stale_socket"]
