"""Invariant 6 on the real thing: a Telegram partner (on the sandbox, through telethon) and a
Matrix user (on a real Synapse) send escape sequences, bidi and markup-looking text, and give
themselves hostile display names; the TUI draws all of it inert while the archive keeps the
original characters."""

from __future__ import annotations

import getpass
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.relay_env import poll
from tests.integration.synapse import SynapseServer
from tests.integration.telegram_env import TelegramEnv, build
from tests.tui.helpers import wait_for
from tui.app import build_app
from tui.screens.inbox import InboxScreen

pytestmark = pytest.mark.timeout(180)

OSC52 = "\x1b]52;c;aGd3IHBhc3N3b3Jk\x1b\\"
FROM_TELEGRAM = f"pay{OSC52} \x1b[2J\x1b[31mnow [@click=app.quit]x[/]"
FROM_MATRIX = "staff \x1b[31mred\x1b[0m abc\u202edcb"
UNSAFE = ("\x1b", "\x9b", "\u202e", "\x07")


@pytest.fixture
async def env(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[TelegramEnv]:
    environment = await build(synapse, tmp_path / "tg")
    socket = tmp_path / "tg" / "control.sock"
    environment.write_config(
        f'[control]\nsocket = "{socket}"\n\n[control.users]\n'
        f'{getpass.getuser()} = {{ role = "admin" }}\n'
    )
    try:
        yield environment
    finally:
        await environment.close()


async def test_hostile_text_from_both_networks_is_drawn_inert(env: TelegramEnv) -> None:
    env.partner.first_name = "Pavel\x1b]0;TITLE\x1b\\"
    await env.alice.set_displayname("Alice\x1b]0;ALICE\x07")
    daemon = await env.start_daemon()
    env.sandbox.world.send(env.partner, env.account, FROM_TELEGRAM)
    await poll(lambda: any("pay" in b for b in env.relayed_bodies()))
    await env.alice.room_send(
        env.portal, "m.room.message", {"msgtype": "m.text", "body": FROM_MATRIX}
    )
    await poll(lambda: any(m.text.endswith("abc\u202edcb") for m in env.partner_sees()), 30)

    app = build_app(daemon.config.control.socket)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.resyncs >= 1)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await wait_for(pilot, lambda: len(screen.conversation_list.items) == 1)
        await pilot.press("slash", *"acme", "enter", "enter")
        await wait_for(pilot, lambda: len(screen.timeline.messages) == 2)
        await pilot.pause(0.1)
        # the control API hands over the archive's original characters…
        assert screen.timeline.messages[0]["text"] == FROM_TELEGRAM
        timeline = screen.timeline
        drawn = "\n".join(timeline.render_line(y).text for y in range(timeline.size.height))
        listing = screen.conversation_list
        drawn += "\n" + "\n".join(listing.render_line(y).text for y in range(listing.size.height))
    # …and the terminal gets none of them
    assert not [c for c in UNSAFE if c in drawn], repr(drawn)
    assert "Pavel␛]0;TITLE␛\\" in drawn
    assert "pay␛]52;c;aGd3IHBhc3N3b3Jk␛\\ ␛[2J␛[31mnow [@click=app.quit]x[/]" in drawn
    assert "Alice␛]0;ALICE␇" in drawn
    assert "staff ␛[31mred␛[0m abc⟨U+202E⟩dcb" in drawn
