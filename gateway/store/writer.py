"""Group commit: many writers, one transaction, nobody told "done" before the data is durable.

Every write in hgw is an *operation*: an async function that takes the write connection and
runs its statements. Operations are queued; a single task drains the queue, runs everything that
is waiting inside one ``BEGIN IMMEDIATE … COMMIT`` (each operation under its own SAVEPOINT when
there are several, so one failing operation fails alone), commits, and only then resolves each
caller's future.

Batching is natural rather than timed: while one commit is being fsynced, new operations pile
up and go into the next one. A lone write waits for nobody, and under load the fsync cost is
shared by the whole batch — that is what keeps durable inserts near raw ``executemany`` speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from gateway.store.connection import WriteConnection

T = TypeVar("T")
Operation = Callable[[WriteConnection], Awaitable[T]]

log = logging.getLogger(__name__)

MAX_BATCH = 512
"""Operations per transaction; bounds commit latency and SQLite's variable count per query."""
YIELD_AFTER_SECONDS = 0.005
"""The write connection runs statements on the event loop (see ``gateway.store.connection``):
a big batch gives the loop a turn this often, so a burst being archived does not stall the
sync loops and deliveries for the whole batch."""


class WriterClosedError(RuntimeError):
    """The store is closing; the write was not attempted."""


class GroupCommitWriter:
    """Owns the write connection and runs operations in batched transactions."""

    def __init__(self, conn: WriteConnection) -> None:
        self._conn = conn
        self._queue: deque[tuple[Operation[Any], asyncio.Future[Any]]] = deque()
        self._wakeup = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._rollback_hooks: list[Callable[[], None]] = []
        self.batches = 0
        """Committed transactions so far; with ``operations`` it shows the batching factor."""
        self.operations = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="store-writer")

    def on_rollback(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` whenever writes are undone (a transaction, or one operation's savepoint),
        so caches can forget their effects; a hook must be safe to call at any time."""
        self._rollback_hooks.append(hook)

    def forget_caches(self) -> None:
        """Part of a transaction was undone: caches that may hold its effects reload."""
        for hook in self._rollback_hooks:
            hook()

    def enqueue(self, operation: Operation[T]) -> asyncio.Future[T]:
        """Queue ``operation`` now; the future resolves once its transaction has committed.

        Synchronous on purpose: a caller that queued before :meth:`close` is guaranteed a turn.
        """
        if self._closing:
            raise WriterClosedError("the store is closing")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((operation, future))
        self._wakeup.set()
        return future

    async def submit(self, operation: Operation[T]) -> T:
        """Run ``operation`` in the next transaction; return once that transaction committed."""
        return await self.enqueue(operation)

    async def close(self) -> None:
        """Finish everything already queued, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
                await self._commit(batch)
            if self._closing:
                return

    async def _commit(self, batch: list[tuple[Operation[Any], asyncio.Future[Any]]]) -> None:
        conn = self._conn
        results: list[tuple[asyncio.Future[Any], Any]] = []
        # A lone operation needs no savepoint of its own: if it fails, the whole transaction
        # is rolled back, which undoes exactly that operation (two round trips saved on the
        # commonest commit of all, one message at a time).
        alone = sum(not future.cancelled() for _operation, future in batch) == 1
        loop = asyncio.get_running_loop()
        try:
            await conn.execute("BEGIN IMMEDIATE")
            turn_ends = loop.time() + YIELD_AFTER_SECONDS
            for operation, future in batch:
                if future.cancelled():
                    continue
                if loop.time() > turn_ends:
                    await asyncio.sleep(0)
                    turn_ends = loop.time() + YIELD_AFTER_SECONDS
                if not alone:
                    await conn.execute("SAVEPOINT op")
                try:
                    result = await operation(conn)
                except Exception as err:
                    await conn.execute("ROLLBACK" if alone else "ROLLBACK TO op")
                    if not alone:
                        await conn.execute("RELEASE op")
                    self.forget_caches()  # e.g. an audit head the undone operation appended
                    future.set_exception(err)
                    if alone:
                        return
                    continue
                if not alone:
                    await conn.execute("RELEASE op")
                results.append((future, result))
            await conn.execute("COMMIT")
        except Exception as err:
            log.error("store transaction of %d operations failed: %s", len(batch), err)
            if conn.in_transaction:
                with contextlib.suppress(Exception):
                    await conn.execute("ROLLBACK")
            self.forget_caches()
            for _operation, future in batch:
                if not future.done():
                    future.set_exception(err)
            return
        self.batches += 1
        self.operations += len(results)
        for future, result in results:
            if not future.done():
                future.set_result(result)


__all__ = ["MAX_BATCH", "GroupCommitWriter", "Operation", "WriterClosedError"]
