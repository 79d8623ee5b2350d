from __future__ import annotations

from tests.tui.conftest import make_app
from tests.tui.helpers import wait_for
from tui.app import DEMO_KEYMAP, build_app
from tui.screens.inbox import InboxScreen


async def test_inbox_opens_conversation(fake) -> None:
    app = make_app(fake.path)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.resyncs >= 1)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await wait_for(pilot, lambda: len(screen.conversation_list.items) == 8)
        await pilot.press("slash", *"acme", "enter")
        await wait_for(pilot, lambda: len(screen.conversation_list.items) == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(screen.timeline.messages) == 7)
        await pilot.press("c")
        await pilot.press(*"hello")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.timeline.messages[-1]["text"] == "hello")


async def test_ctrl_c_quits_the_demo_tui_even_from_the_composer(fake) -> None:
    # hgw demo promises Ctrl-C stops it; Textual's own Ctrl-C only hints at Ctrl-Q.
    app = build_app(fake.path, keymap=DEMO_KEYMAP)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.resyncs >= 1)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await wait_for(pilot, lambda: len(screen.conversation_list.items) == 8)
        await pilot.press("enter")
        await pilot.press("c")  # focus in the composer, where Ctrl-C would otherwise copy
        await pilot.press(*"draft")
        await pilot.press("ctrl+c")
        await pilot.pause(0.2)
    assert app.return_code == 0
    assert not app.is_running
