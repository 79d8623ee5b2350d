from __future__ import annotations

from tests.tui.conftest import make_app
from tests.tui.helpers import wait_for
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
