"""Inline store connections: which statements run on the event loop, which wait on a thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from gateway.store import Store
from gateway.store.connection import INLINE_PARAMETER_BYTES, InlineConnection

SLOW_SQL = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
    " SELECT note(max(x)) FROM c"
)


@pytest.fixture
async def conn(tmp_path: Path):
    opened = await InlineConnection.open(tmp_path / "w.sqlite3")
    yield opened
    await opened.close()


class Heartbeat:
    """Counts event-loop turns: a loop blocked by a statement stops counting."""

    def __init__(self, interval: float = 0.01) -> None:
        """``interval`` 0 counts every turn the loop gives this task."""
        self.beats = 0
        self.longest_gap = 0.0
        """Seconds, the longest the loop went without giving this task a turn."""
        self._interval = interval
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self._interval)
            now = time.perf_counter()
            self.beats += 1
            self.longest_gap = max(self.longest_gap, now - last)
            last = now

    def stop(self) -> None:
        self._task.cancel()


def where_statements_run(conn: InlineConnection) -> list[int]:
    threads: list[int] = []

    def thread_id() -> int:
        threads.append(threading.get_ident())
        return 0

    conn._conn.create_function("thread_id", 0, thread_id)
    return threads


async def test_small_statements_run_on_the_loop_large_ones_on_the_thread(
    conn: InlineConnection,
) -> None:
    threads = where_statements_run(conn)
    await conn.execute("CREATE TABLE t (x, y)")
    await conn.execute("SELECT thread_id(), ?", ("small",))
    await conn.execute("SELECT thread_id(), ?", ("x" * (INLINE_PARAMETER_BYTES + 1),))
    await conn.executemany(
        "INSERT INTO t VALUES (thread_id(), ?)", [("a",), ("y" * INLINE_PARAMETER_BYTES * 2,)]
    )
    with conn.in_thread():
        await conn.execute("SELECT thread_id()")
    loop_thread = threading.get_ident()
    assert threads[0] == loop_thread
    assert threads[1] != loop_thread
    assert threads[2] == threads[3] != loop_thread  # one executemany, one place
    assert threads[4] != loop_thread


async def test_commit_runs_on_the_thread(conn: InlineConnection) -> None:
    await conn.execute("CREATE TABLE t (x)")
    committed_on: list[int] = []
    conn._conn.set_trace_callback(
        lambda sql: committed_on.append(threading.get_ident()) if sql == "COMMIT" else None
    )
    await conn.execute("BEGIN IMMEDIATE")
    await conn.execute("INSERT INTO t VALUES (1)")
    await conn.execute("COMMIT")
    assert committed_on
    assert committed_on[0] != threading.get_ident()


async def test_a_write_lock_held_elsewhere_is_waited_for_off_the_loop(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "hgw.sqlite3") as store:
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # e.g. an admin's sqlite3 shell in the middle of a write
        heartbeat = Heartbeat()
        write = asyncio.create_task(store.put_value("k", "v"))
        await asyncio.sleep(0.3)
        assert not write.done()
        assert heartbeat.beats >= 10, "the event loop was blocked while the lock was held"
        other.execute("COMMIT")
        await asyncio.wait_for(write, 5)
        heartbeat.stop()
        other.close()
        assert await store.get_value("k") == "v"


async def test_a_cancelled_thread_call_is_waited_for_without_blocking_the_loop(
    conn: InlineConnection,
) -> None:
    notes: list[object] = []
    conn._conn.create_function("note", 1, lambda value: notes.append(value) or value)

    async def slow() -> None:
        with conn.in_thread():
            await conn.execute(SLOW_SQL, (3_000_000,))

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.05)
    task.cancel()
    heartbeat = Heartbeat()
    started = time.perf_counter()
    await conn.execute("SELECT note('after')")  # an inline statement: must not run alongside
    waited = time.perf_counter() - started
    heartbeat.stop()
    assert notes == [3_000_000, "after"]
    assert waited > 0.1, "the slow statement was too quick to show anything"
    assert heartbeat.beats >= waited / 0.01 / 3, "the loop was blocked waiting for the thread"


async def test_a_long_batch_gives_the_event_loop_turns(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "hgw.sqlite3") as store:

        async def slow_statement(conn: InlineConnection) -> None:
            # a small statement, but a slow one: a few milliseconds on the loop
            await conn.execute(SLOW_SQL.replace("note(max(x))", "max(x)"), (10_000,))

        heartbeat = Heartbeat(interval=0)
        await asyncio.sleep(0)
        futures = [store.writer.enqueue(slow_statement) for _ in range(50)]  # one batch
        started = time.perf_counter()
        await asyncio.gather(*futures)
        took = time.perf_counter() - started
        heartbeat.stop()
        assert store.writer.batches <= 2
        assert took > 0.05, "the statements were too quick to show anything"
        # A turn every 5 ms (plus the statement under way); a writer that never yields holds
        # the loop for the whole batch. (Counting turns could not tell: the loop spins freely
        # while the commit is on its thread.)
        assert heartbeat.longest_gap < 0.03


async def test_lookups_read_committed_rows_on_the_loop_and_cannot_write(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "hgw.sqlite3") as store:
        await store.put_value("k", "v")
        threads = where_statements_run(store.lookups)
        rows = await store.lookups.execute_fetchall(
            "SELECT value, thread_id() FROM kv WHERE key = ?", ("k",)
        )
        assert rows[0][0] == "v"
        assert threads == [threading.get_ident()]
        with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
            await store.lookups.execute("DELETE FROM kv")
