"""The TUI against a REAL daemon: production store, router, policy, approvals, dispatcher and
control server (tests/tui/daemon_env.py); only the two networks are recording bridges.

Each test drives the app with Pilot the way a person would, and checks the outcome where it
matters — on the other network, in the approvals queue, on screen.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.widgets import Static

from tests.tui.daemon_env import DaemonEnv
from tests.tui.helpers import row, wait_for
from tests.unit.relay import TELEGRAM, partner
from tui.app import HgwApp, build_app
from tui.screens.approvals import ApprovalsScreen
from tui.screens.inbox import InboxScreen
from tui.widgets.table import KeyTable

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
HOLD_RULE = "personal-data-needs-approval"


async def seed(env: DaemonEnv) -> None:
    texts = ["Добрый день! Пришлите счёт за ноябрь.", "The invoice INV-2231 is overdue.",
             "Can we meet tomorrow?"]  # fmt: skip
    for i, text in enumerate(texts):
        await env.inject(TELEGRAM, partner(str(i + 1), text, sent_at=T0 + timedelta(minutes=i)))


async def inbox_ready(pilot, app: HgwApp) -> InboxScreen:
    await wait_for(pilot, lambda: app.resyncs >= 1)
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    await wait_for(pilot, lambda: len(screen.conversation_list.items) == 2)
    return screen


async def open_acme(pilot, screen: InboxScreen, count: int) -> None:
    await pilot.press("slash", *"acme", "enter", "enter")
    await wait_for(pilot, lambda: len(screen.timeline.messages) == count)
    assert screen.focused is screen.timeline


async def test_open_a_conversation_and_reply_reaches_telegram(daemon_env: DaemonEnv) -> None:
    await seed(daemon_env)
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await inbox_ready(pilot, app)
        acme = next(c for c in screen.conversation_list.items if c["link_id"] == "acme")
        assert acme["last"]["preview"] == "Can we meet tomorrow?"
        await open_acme(pilot, screen, 3)
        await pilot.press("k")  # the invoice message
        assert screen.timeline.current["text"] == "The invoice INV-2231 is overdue."
        await pilot.press("r", *"Paid yesterday", "ctrl+j", *"Receipt attached", "enter")
        await daemon_env.telegram.wait_for(1)
        sent = daemon_env.telegram.delivered[-1]
        assert sent.text.endswith("Paid yesterday\nReceipt attached")
        assert sent.reply_to_remote_id == "2"  # the partner's own message on Telegram
        await wait_for(
            pilot,
            lambda: screen.timeline.messages[-1]["text"] == "Paid yesterday\nReceipt attached",
        )
        assert screen.composer.input.text == ""  # cleared once the daemon accepted it
        assert screen.timeline.messages[-1]["reply_to"] == screen.timeline.messages[1]["id"]


async def test_held_message_is_approved_from_the_approvals_screen(daemon_env: DaemonEnv) -> None:
    await seed(daemon_env)
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await inbox_ready(pilot, app)
        await open_acme(pilot, screen, 3)
        await pilot.press("c", *"Our INN is 7707083893")
        preview = screen.composer.query_one("#preview", Static)
        await wait_for(pilot, lambda: f"held by rule {HOLD_RULE}" in str(preview.render()))
        await pilot.press("enter")
        await wait_for(pilot, lambda: (screen.timeline.messages[-1].get("policy") or {})
                       .get("action") == "hold")  # fmt: skip
        assert daemon_env.telegram.delivered == []

        await pilot.press("f3")
        approvals = app.screen
        assert isinstance(approvals, ApprovalsScreen)
        table = approvals.query_one("#approvals", KeyTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        table.focus()
        await pilot.press("a")
        await daemon_env.telegram.wait_for(1)
        assert daemon_env.telegram.delivered[0].text.endswith("Our INN is 7707083893")
        key = table.current_key
        await wait_for(pilot, lambda: "approved" in str(table.get_cell(key, "state")))
        assert table.row_count == 1  # updated in place, not appended


async def test_policy_tester_shows_findings_and_decision(daemon_env: DaemonEnv) -> None:
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await inbox_ready(pilot, app)
        await pilot.press("f4")
        rules = app.screen.query_one("#rules", KeyTable)
        await wait_for(pilot, lambda: rules.row_count > 0)
        assert HOLD_RULE in [row(rules, i)[0] for i in range(rules.row_count)]
        await pilot.press("t", *"Реквизиты: ИНН 7707083893", "enter")
        findings = app.screen.query_one("#findings", KeyTable)
        await wait_for(pilot, lambda: findings.row_count == 1)
        assert row(findings, 0)[:2] == ["inn", "7707083893"]
        decision = str(app.screen.query_one("#decision", Static).render())
        assert "HOLD" in decision
        assert HOLD_RULE in decision


async def test_search_opens_the_result_in_its_conversation(daemon_env: DaemonEnv) -> None:
    for i in range(120):
        text = "The invoice INV-2231 is overdue." if i == 20 else f"filler message {i}"
        await daemon_env.inject(TELEGRAM, partner(str(i + 1), text, sent_at=T0))
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await inbox_ready(pilot, app)
        await pilot.press("f8", *"invoice", "enter")
        results = app.screen.query_one("#results", KeyTable)
        await wait_for(pilot, lambda: results.row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen))
        inbox = app.screen
        timeline = inbox.timeline
        await wait_for(pilot, lambda: (timeline.current or {}).get("text")
                       == "The invoice INV-2231 is overdue.")  # fmt: skip
        assert inbox.open_link == "acme"
        assert app.focused is timeline
        # the message in context: all 20 before it, 50 after
        assert timeline.messages[0]["text"] == "filler message 0"
        assert timeline.messages[-1]["text"] == "filler message 70"
        # a live message does not land after a hole; G fetches the newest, it included
        await daemon_env.inject(TELEGRAM, partner("999", "brand new", sent_at=T0))
        await pilot.pause(0.3)
        assert timeline.messages[-1]["text"] == "filler message 70"
        await pilot.press("G")
        await wait_for(pilot, lambda: timeline.messages[-1]["text"] == "brand new")
        assert timeline.latest


async def test_edit_own_message_reaches_telegram_as_an_edit(daemon_env: DaemonEnv) -> None:
    await seed(daemon_env)
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await inbox_ready(pilot, app)
        await open_acme(pilot, screen, 3)
        await pilot.press("c", *"See you at 10", "enter")
        await daemon_env.telegram.wait_for(1)
        await wait_for(pilot, lambda: screen.timeline.messages[-1]["text"] == "See you at 10")
        screen.timeline.focus()
        await pilot.press("G", "e")
        assert screen.composer.input.value == "See you at 10"
        await pilot.press("backspace", "backspace", "1", "1", "enter")
        await daemon_env.telegram.wait_for(2)
        edit = daemon_env.telegram.delivered[-1]
        assert edit.operation == "edit"
        assert edit.text.endswith("See you at 11")
        assert edit.target_remote_id == "telegram-remote-1"
        await wait_for(pilot, lambda: screen.timeline.messages[-1].get("edited"))
        assert screen.timeline.messages[-1]["text"] == "See you at 11"
        await pilot.pause(0.3)  # late events of the edit must not add a second copy
        assert [m["text"] for m in screen.timeline.messages][-2:] == [
            "Can we meet tomorrow?",
            "See you at 11",
        ]


async def test_a_partner_edit_updates_the_message_in_place(daemon_env: DaemonEnv) -> None:
    await seed(daemon_env)
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await inbox_ready(pilot, app)
        await open_acme(pilot, screen, 3)
        await daemon_env.inject(
            TELEGRAM, partner("9", "Can we meet on Friday?", edit_of_native_id="3", sent_at=T0)
        )
        timeline = screen.timeline
        await wait_for(pilot, lambda: timeline.messages[-1]["text"] == "Can we meet on Friday?")
        assert timeline.messages[-1]["edited"]
        await daemon_env.inject(TELEGRAM, partner("10", "And bring the contract", sent_at=T0))
        await wait_for(pilot, lambda: timeline.messages[-1]["text"] == "And bring the contract")
        assert [m["text"] for m in timeline.messages][-2:] == [
            "Can we meet on Friday?",
            "And bring the contract",
        ]
        assert len(timeline.messages) == 4
