"""SVG snapshots of every screen at 120×40 (and the inbox at 80×24), on fixed data.

The data comes from the scripted control server (tests/tui/fake_control.py): fixed ids and
timestamps, no clocks, so the pictures only change when the TUI does.
Regenerate with ``pytest tests/tui --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.widgets import Input, TextArea

from tests.tui.helpers import wait_for
from tui.app import HgwApp, build_app
from tui.widgets.table import KeyTable

Steps = Callable[[Any], Awaitable[None]]


def still(app: Any) -> None:
    """No blinking cursors in a picture."""
    for field in app.screen.query(Input):
        field.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False


async def ready(pilot: Any) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.resyncs >= 1)
    await wait_for(pilot, lambda: len(app.screen.conversation_list.items) == 8)


async def open_acme(pilot: Any) -> None:
    await ready(pilot)
    await pilot.press("slash", *"acme", "enter", "enter")
    await wait_for(pilot, lambda: len(pilot.app.screen.timeline.messages) == 7)
    await pilot.press("k")  # select the blocked message
    await pilot.press("slash", "backspace", "backspace", "backspace", "backspace", "enter")
    await wait_for(pilot, lambda: len(pilot.app.screen.conversation_list.items) == 8)


def on_screen(key: str, table_id: str, rows: int, then: Steps | None = None) -> Steps:
    async def steps(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press(key)
        await wait_for(pilot, lambda: pilot.app.screen.query_one(f"#{table_id}", KeyTable)
                       .row_count >= rows)  # fmt: skip
        if then is not None:
            await then(pilot)
        still(pilot.app)
        await pilot.pause(0.1)

    return steps


async def policy_test(pilot: Any) -> None:
    await pilot.press("t", *"INN 7707083893", "enter")
    await wait_for(pilot, lambda: pilot.app.screen.query_one("#findings", KeyTable).row_count == 1)


async def search_invoice(pilot: Any) -> None:
    await pilot.press(*"invoice", "enter")
    await wait_for(pilot, lambda: pilot.app.screen.query_one("#results", KeyTable).row_count == 1)


async def verified(pilot: Any) -> None:
    await pilot.press("v")
    await wait_for(pilot, lambda: "intact" in pilot.app.screen.verdict)


async def search_steps(pilot: Any) -> None:
    await ready(pilot)
    await pilot.press("f8")
    await search_invoice(pilot)
    still(pilot.app)


async def inbox_steps(pilot: Any) -> None:
    await open_acme(pilot)
    still(pilot.app)
    await pilot.pause(0.1)


async def composer_steps(pilot: Any) -> None:
    await open_acme(pilot)
    await pilot.press("r", *"our INN is 7707083893")
    await wait_for(pilot, lambda: "held by rule inn" in str(
        pilot.app.screen.query_one("#preview").render()))  # fmt: skip
    still(pilot.app)


async def help_steps(pilot: Any) -> None:
    await ready(pilot)
    await pilot.press("f1")
    await wait_for(pilot, lambda: pilot.app.screen.query_one(KeyTable).row_count > 20)


SCREENS: dict[str, Steps] = {
    "inbox": inbox_steps,
    "composer_preview": composer_steps,
    "approvals": on_screen("f3", "approvals", 2),
    "policy": on_screen("f4", "rules", 4, policy_test),
    "audit": on_screen("f5", "audit", 40, verified),
    "links": on_screen("f6", "contacts", 1),
    "status": on_screen("f7", "failures", 1),
    "search": search_steps,
    "help": help_steps,
}


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_120x40(name: str, snap_compare: Any, threaded_fake: Any) -> None:
    app = build_app(threaded_fake.server.path)
    assert snap_compare(app, terminal_size=(120, 40), run_before=SCREENS[name])


def test_inbox_80x24(snap_compare: Any, threaded_fake: Any) -> None:
    app = build_app(threaded_fake.server.path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=inbox_steps)


class Unreachable:
    """A client whose daemon is not there, with a fixed reason (the real one names a temp
    socket path, which would change every run)."""

    def __init__(self, on_state: Any) -> None:
        self.on_state = on_state
        self.refusal = None

    async def connect(self) -> None:
        self.on_state(False, "hgw is not running (no socket at /run/user/1000/hgw/control.sock)")

    async def call(self, method: str, **params: Any) -> Any:
        raise ConnectionError("not connected")

    async def events(self) -> Any:
        await asyncio.Event().wait()
        yield {}

    async def close(self) -> None:
        pass


def test_outage_banner(snap_compare: Any) -> None:
    async def steps(pilot: Any) -> None:
        await wait_for(pilot, lambda: not pilot.app.connection[0]
                       and pilot.app.connection[1] != "connecting")  # fmt: skip
        still(pilot.app)

    assert snap_compare(HgwApp(Unreachable), terminal_size=(120, 40), run_before=steps)
