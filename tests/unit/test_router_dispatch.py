"""Router, dispatcher and approvals on a real store, with recording bridges (see relay.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.dispatch import DeliveryEvent, Dispatcher
from gateway.model import (
    ChatRef,
    Message,
    OperationKind,
    Route,
)
from gateway.router import Router
from gateway.store import Store
from gateway.verdicts import Verdict
from tests.unit.relay import (
    LINK,
    MATRIX,
    TELEGRAM,
    RecordingBridge,
    judge_by_text,
    partner,
    settled,
    staff,
)


async def test_messages_arrive_in_order_both_ways(env) -> None:
    _store, router, _d, matrix, telegram = env
    for i in range(50):
        await router.message(staff(f"$e{i}", f"out {i}"))
        await router.message(partner(f"{i}", f"in {i}"))
    await telegram.wait_for(50)
    await matrix.wait_for(50)
    assert [d.text for d in telegram.delivered] == [f"out {i}" for i in range(50)]
    assert [d.text for d in matrix.delivered] == [f"Pavel: in {i}" for i in range(50)]


async def test_redelivered_event_is_not_routed_twice(env) -> None:
    store, router, _d, _matrix, telegram = env
    first = await router.message(staff("$dup", "hello"))
    again = await router.message(staff("$dup", "hello"))
    assert first.is_new
    assert not again.is_new
    assert await settled(store) == {"sent": 1}
    assert len(telegram.delivered) == 1


async def test_transient_failures_keep_order_and_idempotency_key(env) -> None:
    _store, router, _d, _matrix, telegram = env
    telegram.transient_failures["msg 3"] = 3
    for i in range(8):
        await router.message(staff(f"$e{i}", f"msg {i}"))
    await telegram.wait_for(8)
    assert [d.text for d in telegram.delivered] == [f"msg {i}" for i in range(8)]
    tries = [d for d in telegram.attempts if d.text == "msg 3"]
    assert len(tries) == 4
    assert len({d.idempotency_key for d in tries}) == 1  # every retry reuses the persisted key
    assert [d.attempts for d in tries] == [0, 1, 2, 3]


async def test_permanent_failure_is_visible_and_the_queue_moves_on(env) -> None:
    store, router, dispatcher, matrix, telegram = env
    events: list[DeliveryEvent] = []
    dispatcher.subscribe(events.append)
    telegram.permanent.add("kicked")
    await router.message(staff("$1", "kicked out"))
    await router.message(staff("$2", "next one"))
    await telegram.wait_for(1)
    await matrix.wait_for(1)
    assert [d.text for d in telegram.delivered] == ["next one"]
    notice = matrix.delivered[0]
    assert notice.operation is OperationKind.NOTICE
    assert "Not delivered to ACME Supplies" in notice.text
    assert "M_FORBIDDEN" in notice.text
    assert len([d for d in telegram.attempts if d.text == "kicked out"]) == 1  # no retry loop
    assert any(e.outcome == "failed" for e in events)
    assert await settled(store) == {"failed": 1, "sent": 2}
    assert (await store.verify_audit()).ok


async def test_block_hold_redact_and_fail_closed(env) -> None:
    store, router, _d, matrix, telegram = env
    await router.message(staff("$1", "card BLOCKME"))
    held = await router.message(staff("$2", "inn HOLDME"))
    await router.message(staff("$3", "card 4276 1234"))
    await router.message(staff("$4", "EXPLODE"))
    await router.message(staff("$5", "plain"))
    await telegram.wait_for(2)
    await matrix.wait_for(3)
    assert [d.text for d in telegram.delivered] == ["card **** 1234", "plain"]
    notices = [d.text for d in matrix.delivered]
    assert notices[0] == "Blocked by rule 'cards'."
    assert notices[1].startswith("Held by rule 'inn'. (approval #")
    assert "could not check this message" in notices[2]
    assert all(d.operation is OperationKind.NOTICE for d in matrix.delivered)
    assert held.verdicts[0][1].action == "hold"
    async with store.reader.execute("SELECT rule, state FROM approvals ORDER BY id") as cursor:
        assert [tuple(r) for r in await cursor.fetchall()] == [
            ("inn", "pending"),
            ("policy-error", "pending"),
        ]
    async with store.reader.execute(
        "SELECT json_extract(details, '$.action') FROM audit WHERE action = 'policy.decision'"
    ) as cursor:
        assert [r[0] for r in await cursor.fetchall()] == [
            "block",
            "hold",
            "redact",
            "hold",
            "allow",
        ]


async def test_reply_and_edit_find_their_remote_targets(env) -> None:
    _store, router, _d, matrix, telegram = env
    await router.message(partner("501", "question?"))
    await matrix.wait_for(1)
    remote_of_question = "matrix-remote-1"  # what the bridge returned for the relayed copy
    await router.message(staff("$answer", "answer!", reply_to_native_id=remote_of_question))
    await telegram.wait_for(1)
    assert telegram.delivered[0].reply_to_remote_id == "501"
    await router.message(staff("$answer-edit", "answer (edited)", edit_of_native_id="$answer"))
    await telegram.wait_for(2)
    edit = telegram.delivered[1]
    assert edit.operation is OperationKind.EDIT
    assert edit.target_remote_id == "telegram-remote-1"


async def test_pending_rows_are_delivered_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "hgw.sqlite3"
    async with Store.open(path) as store:
        down = RecordingBridge(TELEGRAM)
        down.transient_failures[""] = 10**9  # the network is down for this whole run
        down.retry_after = 30
        dispatcher = Dispatcher(store, {TELEGRAM: down, MATRIX: RecordingBridge(MATRIX)})
        router = Router(store, dispatcher, [LINK], judge_by_text)
        for i in range(5):
            await router.message(staff(f"$e{i}", f"queued {i}"))
        await asyncio.sleep(0.05)
        assert await dispatcher.drain(grace_seconds=1)
    async with Store.open(path) as store:
        up = RecordingBridge(TELEGRAM)
        dispatcher = Dispatcher(store, {TELEGRAM: up, MATRIX: RecordingBridge(MATRIX)})
        # the first row waits out its retry time; make it due now, as if 30 s had passed
        await store.write(lambda c: c.execute("UPDATE outbox SET next_attempt_at = 0"))
        await dispatcher.start()
        await up.wait_for(5)
        assert [d.text for d in up.delivered] == [f"queued {i}" for i in range(5)]
        await dispatcher.drain(grace_seconds=1)


async def test_archived_but_unrouted_message_is_recovered(env) -> None:
    store, router, _d, _matrix, telegram = env
    message = staff("$crash", "accepted just before a crash")
    archived = await store.archive(message)  # archived; the routing transaction never ran
    routing = await router.message(message)  # the network redelivers it (token not advanced)
    assert not routing.is_new
    assert routing.verdicts
    await telegram.wait_for(1)
    assert telegram.delivered[0].text == "accepted just before a crash"
    assert routing.message_id == archived.message_id


async def test_approve_releases_a_held_message_exactly_once(env) -> None:
    from gateway.approvals import ApprovalError, ApprovalQueue

    store, router, dispatcher, matrix, telegram = env
    queue = ApprovalQueue(store, dispatcher)
    await router.message(staff("$1", "inn HOLDME 7707083893"))
    await router.message(staff("$2", "after the held one"))
    await telegram.wait_for(1)
    (pending,) = await queue.pending()
    assert pending.rule == "inn"
    assert pending.preview == "inn HOLDME 7707083893"
    approved = await queue.approve(pending.id, actor="@security:internal.test")
    assert approved.state == "approved"
    await telegram.wait_for(2)
    assert [d.text for d in telegram.delivered] == ["after the held one", "inn HOLDME 7707083893"]
    with pytest.raises(ApprovalError, match="already decided"):
        await queue.approve(pending.id, actor="@security:internal.test")
    assert await settled(store) == {"sent": 4}  # two relayed, the hold notice, the approval notice
    assert len(telegram.delivered) == 2
    assert "was approved" in matrix.delivered[-1].text
    async with store.reader.execute(
        "SELECT actor FROM audit WHERE action = 'approval.approved'"
    ) as cursor:
        assert [r[0] for r in await cursor.fetchall()] == ["@security:internal.test"]


async def test_reject_and_override(env) -> None:
    from gateway.approvals import ApprovalError, ApprovalQueue

    store, router, dispatcher, matrix, telegram = env
    queue = ApprovalQueue(store, dispatcher)
    await router.message(staff("$1", "first HOLDME"))
    await router.message(staff("$2", "second HOLDME"))
    first, second = await queue.pending()
    await queue.reject(first.id, actor="@security:internal.test", reason="not to partners")
    with pytest.raises(ApprovalError, match="justification"):
        await queue.override(second.id, actor="@alice:internal.test", justification="ok")
    await queue.override(
        second.id, actor="@alice:internal.test", justification="client asked for the INN in writing"
    )
    await telegram.wait_for(1)
    assert [d.text for d in telegram.delivered] == ["second HOLDME"]
    await settled(store)
    assert any("was rejected: not to partners" in d.text for d in matrix.delivered)
    with pytest.raises(ApprovalError, match="no approval #99"):
        await queue.get(99)


async def test_notify_rules_tell_the_admins_room(env) -> None:
    from dataclasses import replace

    _store, router, _d, matrix, telegram = env
    admins = ChatRef(MATRIX, "!admins:internal.test")
    router.admin_room = admins

    def judge(message: Message, route: Route) -> Verdict:
        verdict = judge_by_text(message, route)
        if "watched" in message.text:
            record = {"matches": [{"rule": "watch-list", "action": "notify", "simulated": False}]}
            return replace(verdict, notify_admins=True, reason="keyword 'watched'", record=record)
        return verdict

    router.set_judge(judge)
    await router.message(staff("$1", "a watched word"))
    await router.message(staff("$2", "nothing special"))
    await telegram.wait_for(2)
    await matrix.wait_for(1)
    (notice,) = matrix.delivered
    assert notice.target == admins
    assert notice.operation is OperationKind.NOTICE
    assert notice.text.startswith("Policy notice (watch-list): message #1 from Alice on link acme")
    assert "a watched word" not in notice.text  # admins learn who and why, not the content
    assert [d.text for d in telegram.delivered] == ["a watched word", "nothing special"]


async def test_slow_attachment_check_is_held_without_stalling_the_loop(
    env, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from gateway import router as router_module
    from gateway.model import Attachment

    _store, router, _d, _matrix, telegram = env
    monkeypatch.setattr(router_module, "JUDGE_SECONDS", 0.2)

    def slow_judge(message: Message, route: Route) -> Verdict:
        if message.attachments:
            time.sleep(1.0)  # a hostile PDF keeps the extractor busy
        return judge_by_text(message, route)

    router.set_judge(slow_judge)
    pdf = Attachment("report.pdf", "application/pdf", 9, data=b"%PDF-1.7\n")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(ticker())
    routing = await router.message(staff("$pdf", "see file", attachments=(pdf,)))
    beat.cancel()
    assert routing.verdicts[0][1].action == "hold"
    assert "exceeded" in (routing.verdicts[0][1].reason or "")
    assert ticks >= 5  # the event loop kept running while the check was stuck
    await router.message(staff("$next", "plain text still flows"))
    await telegram.wait_for(1)
    assert telegram.delivered[0].text == "plain text still flows"


async def test_a_long_flood_wait_is_told_to_the_sender_once(env) -> None:
    store, router, dispatcher, matrix, telegram = env
    telegram.transient_failures[""] = 2  # two FLOOD_WAIT answers in a row
    telegram.retry_after = 300
    await router.message(staff("$slow", "hello partner"))
    await matrix.wait_for(1)
    [notice] = matrix.delivered
    assert notice.operation is OperationKind.NOTICE
    assert "wait about 5 min" in notice.text
    assert "nothing is lost" in notice.text
    for _ in range(2):  # as if the waits had passed
        await store.write(lambda c: c.execute("UPDATE outbox SET next_attempt_at = 0"))
        dispatcher.wake(LINK.external)
        await asyncio.sleep(0.2)
    await telegram.wait_for(1)
    assert [d.text for d in telegram.delivered] == ["hello partner"]
    assert len(matrix.delivered) == 1  # told once, not on every retry
