"""Store connections whose statements run on the event loop; waits and fsyncs on a thread.

aiosqlite hands every call to the connection's thread and back: two thread wake-ups per
statement. For the relay's statements — an insert of one message, an outbox row, an audit
record, the next row of a chat's queue, each a few microseconds of SQLite work in WAL mode — the
hand-off is the whole cost: a relayed message took eight of them on the write side and one more
to read the queue head, while the SQL itself took 50 µs. On a loaded two-core machine a
hand-off also waits for the GIL and a core, and those waits made the slowest relays (2–6 ms for
one head read; bench/relay_bench.py, ``slowest_own``).

So an :class:`InlineConnection` runs a statement right where it is awaited, *unless* it can
block or run long; those go to the connection's own thread:

* ``COMMIT`` (the fsync, and SQLite's automatic checkpoint),
* a statement that found the database busy (``BEGIN IMMEDIATE`` while another connection —
  an admin's ``sqlite3`` shell — holds the write lock): on the loop the busy timeout is 0, on
  the thread it waits up to ``BUSY_TIMEOUT_MS``,
* statements with large parameters (a 1 MB text body is tokenised for full-text search),
* everything inside :meth:`InlineConnection.in_thread` (migrations, retention's bulk deletes).

Inside a ``BEGIN IMMEDIATE`` transaction in WAL mode the writer already holds the only lock it
needs, and WAL readers take none that wait, so inline statements do not block on other
processes. Each connection has one user at a time (the group-commit writer; the dispatcher's
head reads, which do not interleave within a statement); a thread call that was cancelled is
still waited for before the next statement runs, so SQLite never sees two threads at once.
Searches and other unbounded reads stay on the aiosqlite reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, TypeAlias, TypeVar

import aiosqlite

T = TypeVar("T")

INLINE_PARAMETER_BYTES = 64 * 1024
"""Statements whose text and blob parameters add up to more than this run on the thread."""
BUSY_TIMEOUT_MS = 5000
"""How long a statement that found the database busy waits for it (on the thread)."""


class Cursor:
    """What a statement left behind: its rows (fetched where the statement ran) and counts."""

    __slots__ = ("_rows", "lastrowid", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Any | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class _Statement:
    """``await conn.execute(...)`` or ``async with conn.execute(...) as cursor``, as aiosqlite."""

    __slots__ = ("_cursor", "_run")

    def __init__(self, run: Callable[[], Any]) -> None:
        self._run = run
        self._cursor: Cursor | None = None

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        self._cursor = await self._run()
        return self._cursor

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._cursor is not None:
            await self._cursor.close()


def _cursor_of(raw: sqlite3.Cursor) -> Cursor:
    rows = raw.fetchall()
    return Cursor(rows, raw.rowcount, raw.lastrowid)


def _first_keyword(sql: str) -> str:
    words = sql.split(None, 1)
    return words[0].rstrip(";").upper() if words else ""


def _is_large(parameters: Iterable[Any]) -> bool:
    size = 0
    for value in parameters:
        if isinstance(value, (str, bytes, bytearray, memoryview)):
            size += len(value)
            if size > INLINE_PARAMETER_BYTES:
                return True
    return False


class InlineConnection:
    """A ``sqlite3`` connection with aiosqlite's call shapes whose statements run on the loop.

    Two serve the store: its write connection (behind the group-commit writer) and a read-only
    one for the relay's hot single-row lookups (a queue head). Open with :meth:`open`, close
    with :meth:`close`.
    """

    def __init__(self, conn: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._conn = conn
        self._executor = executor
        self._thread_call: asyncio.Future[Any] | None = None
        self._force_thread = 0

    @classmethod
    async def open(cls, path: Path, *, read_only: bool = False) -> InlineConnection:
        name = "hgw-store-lookups" if read_only else "hgw-store-writer"
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        loop = asyncio.get_running_loop()

        def connect() -> sqlite3.Connection:
            # check_same_thread=False: the connection is used from the loop and from the
            # executor's thread, never both at once (see the module docstring).
            if read_only:
                conn = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA query_only = ON")
            else:
                conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 0")  # on the loop nothing waits; see _waiting
            return conn

        try:
            conn = await loop.run_in_executor(executor, connect)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(conn, executor)

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    @contextlib.contextmanager
    def in_thread(self) -> Generator[None, None, None]:
        """Run every statement inside on the thread: for work whose size nobody bounds."""
        self._force_thread += 1
        try:
            yield
        finally:
            self._force_thread -= 1

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> _Statement:
        on_thread = _first_keyword(sql) in ("COMMIT", "END") or _is_large(parameters)
        return _Statement(lambda: self._call(self._execute, sql, parameters, on_thread=on_thread))

    async def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> Cursor:
        rows = list(seq_of_parameters)
        on_thread = any(_is_large(parameters) for parameters in rows)
        return await self._call(self._executemany, sql, rows, on_thread=on_thread)

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        cursor = await self.execute(sql, parameters)
        return await cursor.fetchall()

    async def executescript(self, script: str) -> None:
        await self._call(self._conn.executescript, script, on_thread=True)

    async def commit(self) -> None:
        await self._call(self._conn.commit, on_thread=True)

    async def rollback(self) -> None:
        await self._call(self._conn.rollback, on_thread=False)

    async def close(self) -> None:
        await self._settle()
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self._conn.close)
        finally:
            self._executor.shutdown(wait=True)

    # -- running ------------------------------------------------------------------------------

    def _execute(self, sql: str, parameters: Sequence[Any]) -> Cursor:
        return _cursor_of(self._conn.execute(sql, parameters))

    def _executemany(self, sql: str, rows: list[Sequence[Any]]) -> Cursor:
        return _cursor_of(self._conn.executemany(sql, rows))

    async def _call(self, function: Callable[..., T], *args: Any, on_thread: bool) -> T:
        await self._settle()
        if not on_thread and not self._force_thread:
            try:
                return function(*args)
            except sqlite3.OperationalError as err:
                if err.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                # another connection holds a lock (BEGIN IMMEDIATE while an admin's shell
                # writes): wait for it on the thread, not on the loop
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._waiting, function, args)
        self._thread_call = future
        return await asyncio.shield(future)

    async def _settle(self) -> None:
        """Wait until no statement runs on the thread (one a cancelled caller left, or another
        caller's); checked again after each wait, as a new one may have started meanwhile."""
        while self._thread_call is not None and not self._thread_call.done():
            await asyncio.wait([self._thread_call])

    def _waiting(self, function: Callable[..., T], args: tuple[Any, ...]) -> T:
        """On the thread, a busy database is waited for, up to ``BUSY_TIMEOUT_MS``."""
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            return function(*args)
        finally:
            self._conn.execute("PRAGMA busy_timeout = 0")


WriteConnection: TypeAlias = InlineConnection
"""What a store operation is given: the write connection, inside the group commit's transaction."""

AnyConnection: TypeAlias = aiosqlite.Connection | InlineConnection
"""For queries that run on the reader as well as inside a write."""

__all__ = [
    "BUSY_TIMEOUT_MS",
    "INLINE_PARAMETER_BYTES",
    "AnyConnection",
    "Cursor",
    "InlineConnection",
    "WriteConnection",
]
