"""Keys, mouse, palette, help, keymap and roles — against the real daemon unless noted."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.model import ChatRef
from gateway.store.audit import GENESIS_HASH, canonical_json, record_hash
from tests.tui.daemon_env import DaemonEnv
from tests.tui.helpers import row, wait_for
from tests.unit.relay import TELEGRAM, partner
from tui.app import binding_ids, build_app
from tui.keymap import load_keymap
from tui.screens.approvals import ApprovalsScreen
from tui.screens.help import HelpScreen
from tui.screens.inbox import InboxScreen
from tui.widgets.banner import ConnectionBanner
from tui.widgets.table import KeyTable

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def started(pilot, app) -> InboxScreen:
    await wait_for(pilot, lambda: app.resyncs >= 1)
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    await wait_for(pilot, lambda: len(screen.conversation_list.items) == 2)
    return screen


async def test_vi_keys_and_the_mouse_in_the_inbox_and_timeline(daemon_env: DaemonEnv) -> None:
    for i in range(5):
        await daemon_env.inject(TELEGRAM, partner(str(i), f"line {i}", sent_at=T0))
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await started(pilot, app)
        listing = screen.conversation_list
        assert listing.cursor == 0
        await pilot.press("j")
        assert listing.cursor == 1
        await pilot.press("g")
        assert listing.cursor == 0
        await pilot.press("G")
        assert listing.cursor == 1
        acme = listing.index_of("acme")
        # a click on the conversation opens it (rows are two lines high)
        await pilot.click(listing, offset=(5, acme * 2))
        await wait_for(pilot, lambda: len(screen.timeline.messages) == 5)
        timeline = screen.timeline
        timeline.focus()
        assert timeline.cursor == 4
        await pilot.press("k", "k")
        assert timeline.current["text"] == "line 2"
        await pilot.press("g")
        assert timeline.current["text"] == "line 0"
        await pilot.press("G")
        assert timeline.current["text"] == "line 4"
        # a click on a message selects it (each of these is a header line and a text line)
        bottom = timeline.scrollable_content_region.height
        await pilot.click(timeline, offset=(10, bottom - 2 * 3))
        assert timeline.current["text"] == "line 2"


async def test_next_unread_jumps_to_the_conversation_with_news(daemon_env: DaemonEnv) -> None:
    await daemon_env.inject(TELEGRAM, partner("1", "news", sent_at=T0))
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await started(pilot, app)
        screen.conversation_list.move_to(screen.conversation_list.index_of("globex"))
        await pilot.press("n")
        await wait_for(pilot, lambda: screen.open_link == "acme")
        await wait_for(pilot, lambda: screen.conversation_list.current["unread"] == 0)


async def test_palette_offers_the_commands_of_the_current_screen(daemon_env: DaemonEnv) -> None:
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Inbox: next unread conversation" in titles
        assert not any(t.startswith("Approvals:") for t in titles)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalsScreen))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Approvals: approve selected" in titles
        assert "Go to Inbox" in titles
        assert not any(t.startswith("Inbox:") for t in titles)


async def test_f1_lists_every_binding_with_its_id_and_remapped_keys(daemon_env) -> None:
    app = build_app(daemon_env.socket, keymap={"inbox.next_unread": "u"})
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await started(pilot, app)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        table = app.screen.query_one(KeyTable)
        rows = {row(table, i)[3]: row(table, i) for i in range(table.row_count)}
        assert set(rows) == binding_ids()
        assert rows["inbox.next_unread"][1] == "u"
        assert rows["app.approvals"][1] == "f3"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        # the remapped key works, the old one does not
        await daemon_env.inject(TELEGRAM, partner("1", "news", sent_at=T0))
        await wait_for(pilot, lambda: screen.conversation_list.items[0]["unread"] == 1)
        screen.conversation_list.move_to(1)
        await pilot.press("n")
        await pilot.pause(0.2)
        assert screen.open_link is None
        await pilot.press("u")
        await wait_for(pilot, lambda: screen.open_link == "acme")


def test_every_binding_id_in_the_tui_is_listed_and_remappable(tmp_path) -> None:
    # Found independently of the help screen's list: every class in tui/ that declares
    # bindings with ids. A widget missing from F1 would also be refused by tui.toml.
    import importlib

    from textual.binding import Binding

    import tui

    declared: set[str] = set()
    root = Path(tui.__file__).parent
    for source in sorted(root.rglob("*.py")):
        name = ".".join(("tui", *source.relative_to(root).with_suffix("").parts))
        module = importlib.import_module(name.removesuffix(".__init__"))
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                for binding in value.__dict__.get("BINDINGS", ()):
                    if isinstance(binding, Binding) and binding.id:
                        declared.add(binding.id)
    assert {"composer.send", "composer.newline"} <= declared
    assert declared == binding_ids()
    path = tmp_path / "tui.toml"
    path.write_text('[keys]\n"composer.send" = "ctrl+s"\n')
    assert load_keymap(path, binding_ids()) == {"composer.send": "ctrl+s"}


def test_keymap_file_is_checked(tmp_path) -> None:
    path = tmp_path / "tui.toml"
    assert load_keymap(path, binding_ids()) == {}
    path.write_text('[keys]\n"inbox.next_unread" = "u"\n"app.approvals" = "f3,ctrl+a"\n')
    assert load_keymap(path, binding_ids()) == {
        "inbox.next_unread": "u",
        "app.approvals": "f3,ctrl+a",
    }
    path.write_text('[keys]\n"inbox.nxt" = "u"\n')
    with pytest.raises(ConfigError, match=r"'inbox\.nxt' is not a binding id"):
        load_keymap(path, binding_ids())


async def test_an_auditor_sees_no_write_actions_and_the_server_refusal(short_dir) -> None:
    env = DaemonEnv(short_dir, role="auditor")
    await env.start()
    try:
        await env.inject(TELEGRAM, partner("1", "hello", sent_at=T0))
        app = build_app(env.socket)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await started(pilot, app)
            assert app.role == "auditor"
            assert screen.composer.input.disabled
            assert "read-only (auditor)" in screen.composer.input.placeholder
            assert screen.check_action("reply", ()) is False
            await pilot.press("f3")
            await wait_for(pilot, lambda: isinstance(app.screen, ApprovalsScreen))
            approvals = app.screen
            assert approvals.check_action("approve", ()) is False
            shown = {b.binding.action for b in approvals.active_bindings.values() if b.enabled}
            assert "approve" not in shown
            # if it is tried anyway, the daemon's own refusal is what the user reads
            approvals.decide("approvals.approve", id=1)
            await wait_for(pilot, lambda: any("forbidden" in n.message.lower() or "auditor" in
                                              n.message for n in app._notifications))  # fmt: skip
    finally:
        await env.stop()


async def test_audit_screen_verifies_and_exports(daemon_env: DaemonEnv, tmp_path) -> None:
    for i in range(3):
        await daemon_env.inject(TELEGRAM, partner(str(i), f"m{i}", sent_at=T0 + timedelta(i)))
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app)
        await pilot.press("f5")
        table = app.screen.query_one("#audit", KeyTable)
        await wait_for(pilot, lambda: table.row_count >= 3)
        await pilot.press("v")
        await wait_for(pilot, lambda: "intact" in app.screen.verdict)
        target = tmp_path / "audit.jsonl"
        await pilot.press("x")
        field = app.screen.query_one("#field-text")
        field.value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists() and target.stat().st_size > 0)
        records = [json.loads(line) for line in target.read_text().splitlines()]
        assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
        assert len(records) == table.row_count
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        # the export verifies on its own, away from the daemon: every hash and every link
        previous = GENESIS_HASH
        for r in records:
            assert r["prev_hash"] == previous
            details = canonical_json(r["details"])
            fields = (r["seq"], r["at"], r["actor"], r["action"], r["subject"], details)
            assert record_hash(*fields, r["prev_hash"]) == r["hash"]
            previous = r["hash"]


async def test_links_screen_creates_a_link(daemon_env: DaemonEnv) -> None:
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app)
        await pilot.press("f6")
        links = app.screen.query_one("#links", KeyTable)
        await wait_for(pilot, lambda: links.row_count == 2)
        await pilot.press("c")
        form = app.screen
        form.query_one("#field-id").value = "initech"
        form.query_one("#field-internal_room").value = "!initech:internal.test"
        form.query_one("#field-external_chat").value = "300"
        form.query_one("#field-format").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: links.row_count == 3)
        assert str(links.get_row("initech")[-1]) == "runtime"
        assert any(link.id == "initech" for link in daemon_env.daemon.all_links())


async def test_reject_and_override_from_the_approvals_screen(daemon_env: DaemonEnv) -> None:
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await started(pilot, app)
        for text in ("INN 7707083893 first", "INN 7707083893 second"):
            await app.api.call("send", link_id="acme", text=text)
        await pilot.press("f3")
        table = app.screen.query_one("#approvals", KeyTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        table.focus()
        table.move_cursor(row=0)
        first = table.current_key
        await pilot.press("x", *"not to this partner", "enter")
        await wait_for(pilot, lambda: "rejected" in str(table.get_cell(first, "state")))
        table.move_cursor(row=1)
        second = table.current_key
        await pilot.press("o")
        await pilot.press("enter")  # an empty justification is refused by the form
        assert "required" in str(app.screen.query_one("#error").render())
        await pilot.press(*"contract annex, agreed with legal", "enter")
        await wait_for(pilot, lambda: "overridden" in str(table.get_cell(second, "state")))
        await daemon_env.telegram.wait_for(1)
        assert [d.text for d in daemon_env.telegram.delivered] == ["INN 7707083893 second"]
        assert screen.conversations  # the inbox kept its data while we were away


async def test_an_unknown_contact_is_assigned_from_the_links_screen(daemon_env) -> None:
    stranger = replace(
        partner("1", "hello, who is this?", sent_at=T0), chat=ChatRef(TELEGRAM, "555", "Stranger")
    )
    await daemon_env.inject(TELEGRAM, stranger)
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app)
        await pilot.press("f6")
        contacts = app.screen.query_one("#contacts", KeyTable)
        await wait_for(pilot, lambda: contacts.row_count == 1)
        contacts.focus()
        await pilot.press("a", *"!stranger:internal.test", "enter")
        links = app.screen.query_one("#links", KeyTable)
        await wait_for(pilot, lambda: links.row_count == 3)
        await daemon_env.matrix.wait_for(1)  # what waited in reception is relayed now
        assert daemon_env.matrix.delivered[0].text.endswith("hello, who is this?")


async def test_status_screen_shows_the_daemon(daemon_env: DaemonEnv) -> None:
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot, app)
        await pilot.press("f7")
        networks = app.screen.query_one("#networks", KeyTable)
        await wait_for(pilot, lambda: networks.row_count == 2)
        assert {row(networks, i)[0] for i in range(2)} == {"matrix", "telegram"}
        assert "outbox:" in str(app.screen.query_one("#status-summary").render())


def test_hgw_tui_command_opens_the_app_on_the_config_socket(short_dir, monkeypatch) -> None:
    from gateway.cli import main
    from tui.app import HgwApp

    env = DaemonEnv(short_dir)
    env.write_config()
    (short_dir / "tui.toml").write_text('[keys]\n"inbox.next_unread" = "u"\n')
    opened = {}

    def run(self: HgwApp) -> None:
        opened["socket"] = self.api.path
        opened["keymap"] = dict(self._keymap)

    monkeypatch.setattr(HgwApp, "run", run)
    assert main(["tui", "-c", str(env.config_path)]) == 0
    assert opened["socket"] == env.socket
    assert opened["keymap"] == {"inbox.next_unread": "u"}


async def test_another_admins_decision_updates_the_row_in_place(daemon_env: DaemonEnv) -> None:
    from gateway.control.client import ControlClient

    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        inbox = await started(pilot, app)
        await pilot.press("f3")
        table = app.screen.query_one("#approvals", KeyTable)
        title = app.screen.query_one("#approvals-title")
        await wait_for(pilot, lambda: "pending (0)" in str(title.render()))
        other = ControlClient(daemon_env.socket)
        await other.connect()
        try:
            sent = await other.call("send", link_id="acme", text="INN 7707083893")
            # the new approval arrives as a live event: a row appears without a reload
            await wait_for(pilot, lambda: table.row_count == 1)
            key = table.current_key
            assert "pending" in str(table.get_cell(key, "state"))
            acme = next(c for c in inbox.conversations if c["link_id"] == "acme")
            await wait_for(pilot, lambda: acme["held"] == 1)
            approval = (await other.call("approvals.list"))[0]
            assert approval["message_id"] == sent["message_id"]
            await other.call("approvals.approve", id=approval["id"])
            await wait_for(pilot, lambda: "approved" in str(table.get_cell(key, "state")))
            assert table.row_count == 1
            await wait_for(pilot, lambda: acme["held"] == 0)
        finally:
            await other.close()


async def test_an_operator_sees_own_links_and_no_admin_screens(short_dir) -> None:
    env = DaemonEnv(short_dir, role="operator", links=("acme",))
    await env.start()
    try:
        app = build_app(env.socket)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.resyncs >= 1)
            inbox = app.screen
            await wait_for(pilot, lambda: len(inbox.conversation_list.items) == 1)
            assert inbox.conversation_list.items[0]["link_id"] == "acme"
            assert not inbox.composer.input.disabled  # operators answer in their links
            await pilot.press("f5")
            title = app.screen.query_one("#audit-title")
            await wait_for(pilot, lambda: "for admins and auditors" in str(title.render()))
            assert app.screen.query_one("#audit", KeyTable).row_count == 0
    finally:
        await env.stop()


async def test_a_user_the_daemon_does_not_know_is_told_so(short_dir) -> None:
    env = DaemonEnv(short_dir, user="somebody-else")
    await env.start()
    try:
        app = build_app(env.socket)
        async with app.run_test(size=(120, 40)) as pilot:
            banner = app.screen.query_one(ConnectionBanner)
            await wait_for(pilot, lambda: "not in [control.users]" in str(banner.render()))
            assert "refused this user" in str(banner.render())
            assert app.resyncs == 0
    finally:
        await env.stop()
