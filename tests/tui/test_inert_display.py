"""Invariant 6 in the TUI: a partner's escape sequences, controls, bidi and markup-looking text
are drawn as visible characters — on the lines the widgets hand to the terminal.

The scripted control server (tests/tui/fake_control.py) serves a "globex" conversation whose
title, sender names, messages, approvals, status and audit records carry hostile text.
"""

from __future__ import annotations

from typing import Any

from tests.tui.fake_control import FakeControl, RpcError, at, message
from tests.tui.helpers import row, wait_for
from tui.app import build_app
from tui.screens.inbox import InboxScreen
from tui.widgets.table import KeyTable

OSC52 = "\x1b]52;c;aGd3IHBhc3N3b3Jk\x1b\\"
TITLE = "\x1b]0;TITLE\x1b\\"
HOSTILE_NAME = f"Pavel{TITLE}"
MARKUP = "[@click=app.quit]click me[/] [red]not red[/red] [link=https://evil.example]x[/link]"
TEXTS = [
    f"copy this{OSC52} please",
    "\x1b[2J\x1b[31mALL RED\x1b[0m",
    "see the title",
    MARKUP,
    "abc\u202edcb\u2066 tail\rEVIL \x9b2J end",
]
UNSAFE = ("\x1b", "\x9b", "\u202e", "\u2066", "\r", "\x07")


def make_hostile(server: FakeControl) -> None:
    """Globex becomes a hostile partner: title, names and five messages."""
    globex = next(c for c in server.conversations if c["link_id"] == "globex")
    globex["title"] = "Globex\x1b]0;PWNED\x07 Client"
    messages = [message(201 + i, "globex", text, minute=40 + i) for i, text in enumerate(TEXTS)]
    messages[2]["sender_name"] = HOSTILE_NAME
    server.messages["globex"] = messages
    globex["last"] = {"id": 205, "sender_name": HOSTILE_NAME, "preview": TEXTS[0], "at": at(45)}
    server.approvals[0].update(sender_name=HOSTILE_NAME, preview=TEXTS[0], reason=TEXTS[1])
    plain_status = server.m_status

    def status() -> Any:
        answer = plain_status()
        answer["networks"][1]["detail"] = f"telegram says: {OSC52}"
        answer["recent_failures"][0]["error"] = "PEER_FLOOD \x1b[2J\u202e"
        return answer

    plain_audit = server.m_audit_page

    def audit_page(after_seq: int | None = None, limit: int = 100) -> Any:
        page = plain_audit(after_seq, limit)
        page["records"][0]["details"] = {"sender": "Ma\u202elory\x9b", "text": OSC52}
        return page

    server.m_status = status  # type: ignore[method-assign]
    server.m_audit_page = audit_page  # type: ignore[method-assign]


def shown(text: str) -> None:
    """Nothing a terminal acts on is left in what a widget draws."""
    assert not [c for c in UNSAFE if c in text], repr(text)


def screen_lines(widget: Any) -> str:
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


async def open_globex(pilot: Any) -> InboxScreen:
    app = pilot.app
    await wait_for(pilot, lambda: app.resyncs >= 1)
    screen = app.screen
    assert isinstance(screen, InboxScreen)
    await wait_for(pilot, lambda: len(screen.conversation_list.items) == 8)
    await pilot.press("slash", *"globex", "enter", "enter")
    await wait_for(pilot, lambda: len(screen.timeline.messages) == 5)
    await pilot.pause(0.1)
    return screen


async def test_hostile_messages_names_and_titles_are_drawn_inert(fake: FakeControl) -> None:
    make_hostile(fake)
    app = build_app(fake.path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_globex(pilot)
        drawn = screen_lines(screen.timeline)
        shown(drawn)
        assert "copy this␛]52;c;aGd3IHBhc3N3b3Jk␛\\ please" in drawn
        assert "␛[2J␛[31mALL RED␛[0m" in drawn
        assert "Pavel␛]0;TITLE␛\\" in drawn
        assert "abc⟨U+202E⟩dcb⟨U+2066⟩ tail␍EVIL ⟨U+009B⟩2J end" in drawn
        # markup-looking text is shown as typed, not applied (it wraps after "[/red]")
        assert "[@click=app.quit]click me[/] [red]not red[/red]" in drawn
        assert "[link=https://evil.example]x[/link]" in drawn

        title = str(screen.query_one("#chat-title").render())
        shown(title)
        assert "Globex␛]0;PWNED␇ Client" in title

        await pilot.press("slash", *"glo", "enter")
        await wait_for(pilot, lambda: len(screen.conversation_list.items) == 1)
        listing = screen_lines(screen.conversation_list)
        shown(listing)
        assert "Globex␛]0;PWNED␇ Client" in listing
        assert "Pavel␛]0;TITLE␛\\: copy this␛]52;c;" in listing

        # reply to the hostile sender: the composer's context line quotes name and text
        screen.timeline.focus()
        await pilot.press("k", "k")  # the message from Pavel-with-a-title
        assert screen.timeline.current["sender_name"] == HOSTILE_NAME
        await pilot.press("r")
        context = str(screen.query_one("#context").render())
        shown(context)
        assert "replying to Pavel␛]0;TITLE␛\\: see the title" in context

        # a click on the markup-looking message does nothing but select it
        await pilot.press("escape")
        screen.timeline.focus()
        await pilot.press("j")
        assert screen.timeline.current["text"] == MARKUP
        await pilot.click(screen.timeline, offset=(22, screen.timeline.size.height - 4))
        await pilot.pause(0.1)
        assert app.is_running


async def test_search_approvals_status_audit_and_toasts_are_inert(fake: FakeControl) -> None:
    make_hostile(fake)

    def refuse() -> Any:
        raise RpcError(-32000, f"telegram error {OSC52} [@click=app.quit]x[/]")

    fake.m_links_list = refuse  # type: ignore[method-assign]
    app = build_app(fake.path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.resyncs >= 1)

        await pilot.press("f8", *"copy", "enter")
        results = app.screen.query_one("#results", KeyTable)
        await wait_for(pilot, lambda: results.row_count == 1)
        cells = " | ".join(row(results, 0))
        shown(cells)
        assert "copy this␛]52;c;aGd3IHBhc3N3b3Jk␛\\ please" in cells
        assert "Pavel" in cells

        await pilot.press("f3")
        approvals = app.screen.query_one("#approvals", KeyTable)
        await wait_for(pilot, lambda: approvals.row_count == 2)
        cells = " | ".join(row(approvals, 0))
        shown(cells)
        assert "Pavel␛]0;TITLE␛\\" in cells
        assert "␛[2J␛[31mALL RED" in cells

        await pilot.press("f7")
        failures = app.screen.query_one("#failures", KeyTable)
        await wait_for(pilot, lambda: failures.row_count == 1)
        networks = " | ".join(" | ".join(row(app.screen.query_one("#networks"), i)) for i in (0, 1))
        shown(networks)
        assert "telegram says: ␛]52;c;" in networks
        assert "PEER_FLOOD ␛[2J⟨U+202E⟩" in " | ".join(row(failures, 0))

        await pilot.press("f5")
        audit = app.screen.query_one("#audit", KeyTable)
        await wait_for(pilot, lambda: audit.row_count == 40)
        cells = " | ".join(row(audit, 0))
        shown(cells)
        assert "Ma⟨U+202E⟩lory⟨U+009B⟩" in cells

        await pilot.press("f6")
        await wait_for(
            pilot, lambda: any("telegram error" in n.message for n in app._notifications)
        )
        [toast] = [n for n in app._notifications if "telegram error" in n.message]
        shown(toast.message)
        assert "␛]52;c;aGd3IHBhc3N3b3Jk␛\\ [@click=app.quit]x[/]" in toast.message
        assert not toast.markup
        await pilot.pause(0.1)
        assert app.is_running


def test_hostile_conversation_snapshot(snap_compare: Any, threaded_fake: Any) -> None:
    """The picture an operator gets: stand-ins where the escapes were, markup as typed."""
    make_hostile(threaded_fake.server)

    async def steps(pilot: Any) -> None:
        await open_globex(pilot)
        pilot.app.screen.timeline.focus()

    app = build_app(threaded_fake.server.path)
    assert snap_compare(app, terminal_size=(120, 40), run_before=steps)
