"""Archiving and routing a message is one transaction (one durable commit, never half done)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from gateway.model import ChatRef, Direction, Link, LinkId, Message, NetworkName, UserRef
from gateway.store import messages as archive_queries
from gateway.store import outbox
from tests.unit.relay import LINK, settled, staff

STRANGER_CHAT = ChatRef(NetworkName("telegram"), "999", "Unknown Ltd")
STRANGER = UserRef(NetworkName("telegram"), "999", "Stranger")


async def _routed_at(store, message_id: int) -> int | None:
    rows = await store.reader.execute_fetchall(
        "SELECT routed_at FROM messages WHERE id = ?", (message_id,)
    )
    return next(iter(rows))[0]


async def test_archive_and_route_commit_together(env) -> None:
    store, router, _d, _matrix, telegram = env
    batches = store.writer.batches
    routing = await router.message(staff("$one", "one commit"))
    # Nothing else ran in between: the dispatcher wakes only once this task yields.
    assert store.writer.batches == batches + 1
    assert await _routed_at(store, routing.message_id) is not None
    # the row is there (pending, or already sent: the dispatcher may have run meanwhile)
    assert sum((await outbox.state_counts(store.reader)).values()) == 1
    await telegram.wait_for(1)
    assert await settled(store) == {"sent": 1}


async def test_a_failed_routing_write_leaves_the_message_archived_and_routes_on_redelivery(
    env, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, router, _d, _matrix, telegram = env
    real_add = outbox.add

    async def broken_add(*args, **kwargs):
        raise RuntimeError("disk trouble while writing the outbox row")

    monkeypatch.setattr(outbox, "add", broken_add)
    with pytest.raises(RuntimeError, match="disk trouble"):
        await router.message(staff("$crash", "accepted, routing failed"))
    # Archived (the bridge may not lose it), unrouted, and nothing half-written: the audit
    # record the failed routing appended was undone with it.
    unrouted = await archive_queries.unrouted_messages(store.reader)
    assert [m.native_id for _id, m in unrouted] == ["$crash"]
    assert await outbox.state_counts(store.reader) == {}
    assert (await store.verify_audit()).ok

    monkeypatch.setattr(outbox, "add", real_add)
    again = await router.message(staff("$crash", "accepted, routing failed"))  # redelivered
    assert not again.is_new
    assert again.verdicts
    await telegram.wait_for(1)
    assert [d.text for d in telegram.delivered] == ["accepted, routing failed"]
    assert await archive_queries.unrouted_messages(store.reader) == []
    assert (await store.verify_audit()).ok
    # once routed, a further redelivery is a no-op
    assert not (await router.message(staff("$crash", "accepted, routing failed"))).verdicts
    assert await settled(store) == {"sent": 1}


async def test_one_failed_follow_up_does_not_fail_the_others_in_its_batch(env) -> None:
    store, _router, _d, _matrix, _telegram = env

    async def fail(conn, archived):
        raise ValueError("this one only")

    async def mark(conn, archived):
        return archived.message_id

    results = await asyncio.gather(
        store.messages.archive_then(staff("$a", "a"), mark),
        store.messages.archive_then(staff("$b", "b"), fail),
        store.messages.archive_then(staff("$c", "c"), mark),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    (first, first_value), (third, third_value) = results[0], results[2]
    assert (first_value, third_value) == (first.message_id, third.message_id)
    stored = await store.reader.execute_fetchall("SELECT native_id FROM messages ORDER BY id")
    assert [r[0] for r in stored] == ["$a", "$b", "$c"]


async def test_reception_messages_stay_unrouted_until_recovered(env) -> None:
    store, router, _d, matrix, _telegram = env
    waiting = Message(STRANGER_CHAT, STRANGER, "1", Direction.INBOUND, text="hello?")
    routing = await router.message(waiting)
    assert not routing.verdicts
    assert await _routed_at(store, routing.message_id) is None
    unrouted = await archive_queries.unrouted_messages(store.reader, STRANGER_CHAT)
    assert len(unrouted) == 1

    room = ChatRef(NetworkName("matrix"), "!stranger:internal.test", "Stranger")
    router.set_links([LINK, Link(LinkId("stranger"), room, STRANGER_CHAT)])
    assert await router.recover(unrouted) == 1
    await matrix.wait_for(1)
    assert matrix.delivered[0].text == "Stranger: hello?"
    assert await _routed_at(store, routing.message_id) is not None


async def test_a_failed_operation_does_not_leave_a_stale_audit_head(env) -> None:
    store, _router, _d, _matrix, _telegram = env

    async def append_then_fail(conn):
        await store.audit.append(conn, actor="test", action="doomed")
        raise RuntimeError("after the append")

    with pytest.raises(RuntimeError):
        await store.write(append_then_fail)
    await store.audit_append(actor="test", action="kept")
    report = await store.verify_audit()
    assert report.ok, report


async def test_a_commit_that_never_happens_leaves_neither_archive_nor_routing(
    env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash case: everything up to COMMIT ran, the COMMIT did not. Nothing is half there —
    no archived-but-unrouted message — and the redelivered event is relayed once."""
    store, router, _d, _matrix, telegram = env
    conn = store.writer._conn
    real_execute = conn.execute

    def execute(sql, *args, **kwargs):
        if sql == "COMMIT":
            raise sqlite3.OperationalError("disk I/O error (the process dies here)")
        return real_execute(sql, *args, **kwargs)

    monkeypatch.setattr(conn, "execute", execute)
    with pytest.raises(sqlite3.OperationalError):
        await router.message(staff("$lost", "not committed"))
    monkeypatch.setattr(conn, "execute", real_execute)
    stored = await store.reader.execute_fetchall("SELECT count(*) FROM messages")
    assert next(iter(stored))[0] == 0
    assert await outbox.state_counts(store.reader) == {}

    routing = await router.message(staff("$lost", "not committed"))  # the network sends it again
    assert routing.is_new
    await telegram.wait_for(1)
    assert [d.text for d in telegram.delivered] == ["not committed"]
    assert (await store.verify_audit()).ok
