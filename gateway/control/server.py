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
from collections import Counter
from collections.abc import AsyncIterator, Collection
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
FRAME_SECONDS = 30.0
"""A request line must end this long after its first byte arrived, or the connection is closed.

A 1 MiB line crosses a Unix socket in milliseconds; a line that stays unfinished is a client
that hung or one holding the connection (and an open file of the daemon's) on purpose — 1,100
such connections from one user once used up the daemon's 1,024 open files."""
IDLE_SECONDS = 600.0
"""A connection that sent nothing for this long, subscribes to nothing and awaits no answer is
closed. Subscribers (the TUI) may stay silent for hours and are never cut off for it; a script
that pauses longer simply connects again (``ControlClient`` reconnects by itself)."""
MAX_CONNECTIONS_PER_USER = 64
"""Open connections one uid (``SO_PEERCRED``) may hold; the next one is refused at once.

A TUI holds one connection, ``hgw status`` one for a moment: 64 leaves room for scripts, while
one user (even a refused one) can no longer use up the daemon's open files and lock the others
out. Counted per uid, not per role: every process of a user counts."""
_READ_CHUNK = 64 * 1024


class _Closing(Exception):
    """Hang up on this client, telling it why first when ``error`` is set."""

    def __init__(self, error: RpcError | None) -> None:
        super().__init__(error.message if error else "closing")
        self.error = error


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
        try:
            async for line in self._lines():
                if line.strip():
                    await self._handle(line)
        except _Closing as closing:
            if closing.error is not None:
                self.send(error_line(None, closing.error))
        except ConnectionError:
            return

    async def _lines(self) -> AsyncIterator[bytes]:
        """Request lines as they complete, enforcing :data:`MAX_LINE`, :data:`FRAME_SECONDS`
        and :data:`IDLE_SECONDS`; ends at end of file, raises :class:`_Closing` to hang up.

        Our own framing instead of ``StreamReader.readline``: only here do we know whether
        the bytes waited for start a line or finish one, which the two timeouts need."""
        clock = asyncio.get_running_loop().time
        buffer = bytearray()
        scanned = 0
        frame_started = 0.0
        while True:
            end = buffer.find(b"\n", scanned)
            if end >= 0:
                if end >= MAX_LINE:
                    raise _Closing(RpcError(INVALID_REQUEST, "line over 1 MiB"))
                line = bytes(buffer[: end + 1])
                del buffer[: end + 1]
                scanned = 0
                yield line
                # What is left of the buffer gets the whole frame time from now: we may have
                # waited for a free slot, and that is no fault of the client's.
                frame_started = clock()
                continue
            scanned = len(buffer)
            if scanned > MAX_LINE:  # the contract closes the connection
                raise _Closing(RpcError(INVALID_REQUEST, "line over 1 MiB"))
            deadline = frame_started + FRAME_SECONDS if buffer else clock() + IDLE_SECONDS
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await self._reader.read(_READ_CHUNK)
            except TimeoutError:
                if buffer:
                    raise _Closing(
                        refused(
                            f"request line unfinished after {FRAME_SECONDS:g} s; closing",
                            "frame timeout",
                        )
                    ) from None
                if self.topics or self._tasks:
                    continue  # a quiet subscriber, or a long call: not idle
                raise _Closing(
                    refused(f"idle for {IDLE_SECONDS:g} s; closing", "idle timeout")
                ) from None
            if not chunk:
                return
            if not buffer:
                frame_started = clock()
            buffer += chunk

    async def _handle(self, line: bytes) -> None:
        """Parse one line and start answering it; a line that is not a request is answered
        with its error and the connection reads on."""
        try:
            request = parse_request(line)
        except RpcError as err:
            request_id = (err.data or {}).pop("id", None)
            if err.data == {}:
                err.data = None
            self.send(error_line(request_id, err))
            return
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
        self._per_uid: Counter[int] = Counter()
        """Open connections per peer uid, refused ones still answering included."""
        self._over_limit: set[int] = set()
        """Uids refused since their count last dropped to zero (logged once each)."""
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
        uid: int | None = None
        try:
            user = peer.identify(writer.get_extra_info("socket"))
            if self._per_uid[user.uid] >= MAX_CONNECTIONS_PER_USER:
                self._refuse_over_limit(user, writer)
                return
            uid = user.uid
            self._per_uid[uid] += 1
            try:
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
            if uid is not None:
                self._per_uid[uid] -= 1
                if not self._per_uid[uid]:
                    del self._per_uid[uid]
                    self._over_limit.discard(uid)
            if task is not None:
                self._handlers.discard(task)

    def _refuse_over_limit(self, user: peer.PeerUser, writer: asyncio.StreamWriter) -> None:
        """Answer why and hang up at once, without waiting for the client to finish: a flood
        of connections must not hold one open file each for a grace period. On a Unix socket
        the answer already sits in the client's receive queue and survives our close."""
        if user.uid not in self._over_limit:  # once per burst, not 2,000 lines in the log
            self._over_limit.add(user.uid)
            log.warning(
                "control: refusing connections from %s (uid %d): %d already open",
                user.label,
                user.uid,
                MAX_CONNECTIONS_PER_USER,
            )
        error = refused(
            f"too many connections from {user.name or f'uid {user.uid}'}: "
            f"{MAX_CONNECTIONS_PER_USER} are open, the most one user may hold;"
            " close some (each hgw tui or script holds one) and connect again",
            "too many connections",
        )
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            writer.write(error_line(None, error))
            if writer.can_write_eof():
                writer.write_eof()
        writer.close()

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
