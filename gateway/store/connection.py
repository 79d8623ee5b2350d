"""The write connection: small statements on the event loop, waits and fsyncs on a thread.

aiosqlite hands every call to the connection's thread and back: two thread wake-ups per
statement. For the writer's statements — an insert of one message, an outbox row, an audit
record, each a few microseconds of SQLite work in WAL mode — the hand-off is the whole cost: a
relayed message took eight of them, 1–2 ms on a loaded two-core machine (bench/relay_bench.py,
step ``archive_then``), while the SQL itself took 50 µs.

So the writer's connection runs a statement right where it is awaited, *unless* it can block or
run long, and those go to one dedicated thread:

* ``BEGIN IMMEDIATE`` when another connection holds the write lock (the busy wait),
* ``COMMIT`` (the fsync, and SQLite's automatic checkpoint),
* statements with large parameters (a 1 MB text body is tokenised for full-text search),
* everything inside :meth:`WriteConnection.in_thread` (migrations, retention's bulk deletes).

Inside a ``BEGIN IMMEDIATE`` transaction in WAL mode the connection already holds the only lock
it needs, so an inline statement never waits for another process. The connection is used by one
caller at a time (the group-commit writer); a thread call that was cancelled is still waited
for before the next statement runs, so SQLite never sees two threads at once.
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
"""How long ``BEGIN IMMEDIATE`` waits for another connection's write lock (on the thread)."""


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

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


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


class WriteConnection:
    """A ``sqlite3`` connection with aiosqlite's call shapes, used by the store's writer only.

    Open with :meth:`open`; close with :meth:`close`.
    """

    def __init__(self, conn: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._conn = conn
        self._executor = executor
        self._thread_call: asyncio.Future[Any] | None = None
        self._force_thread = 0

    @classmethod
    async def open(cls, path: Path) -> WriteConnection:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hgw-store-writer")
        loop = asyncio.get_running_loop()
        try:
            # check_same_thread=False: the connection is used from the loop and from the
            # executor's thread, never both at once (see the module docstring).
            conn = await loop.run_in_executor(
                executor,
                lambda: sqlite3.connect(path, isolation_level=None, check_same_thread=False),
            )
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
        keyword = _first_keyword(sql)
        if keyword in ("BEGIN", "COMMIT", "END"):
            return _Statement(lambda: self._transaction_control(sql, keyword))
        on_thread = _is_large(parameters)
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
        try:
            await self._call(self._conn.close, on_thread=True)
        finally:
            self._executor.shutdown(wait=True)

    # -- running ------------------------------------------------------------------------------

    def _execute(self, sql: str, parameters: Sequence[Any]) -> Cursor:
        return _cursor_of(self._conn.execute(sql, parameters))

    def _executemany(self, sql: str, rows: list[Sequence[Any]]) -> Cursor:
        return _cursor_of(self._conn.executemany(sql, rows))

    async def _transaction_control(self, sql: str, keyword: str) -> Cursor:
        if keyword != "BEGIN":
            return await self._call(self._execute, sql, (), on_thread=True)
        # BEGIN: first without waiting, on the loop; only a held lock sends it to the thread,
        # where the busy timeout may block as long as it likes.
        try:
            return await self._call(self._begin_now, sql, on_thread=False)
        except sqlite3.OperationalError as err:
            if err.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
        return await self._call(self._execute, sql, (), on_thread=True)

    def _begin_now(self, sql: str) -> Cursor:
        self._conn.execute("PRAGMA busy_timeout = 0")
        try:
            return self._execute(sql, ())
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    async def _call(self, function: Callable[..., T], *args: Any, on_thread: bool) -> T:
        previous = self._thread_call
        if previous is not None and not previous.done():
            # a cancelled caller left a statement running on the thread: let it finish first
            await asyncio.wait([previous])
        if not on_thread and not self._force_thread:
            return function(*args)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, function, *args)
        self._thread_call = future
        return await asyncio.shield(future)


AnyConnection: TypeAlias = aiosqlite.Connection | WriteConnection
"""For queries that run on the reader as well as inside a write."""

__all__ = [
    "BUSY_TIMEOUT_MS",
    "INLINE_PARAMETER_BYTES",
    "AnyConnection",
    "Cursor",
    "WriteConnection",
]
