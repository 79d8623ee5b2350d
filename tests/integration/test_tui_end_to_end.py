"""The TUI on the real thing: a real Synapse inside, the real telethon client on the Telegram
sandbox outside, the daemon in between — a reply typed in the TUI reaches the partner's
Telegram chat as a reply, and staff see it in the portal room."""

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


async def test_a_reply_typed_in_the_tui_reaches_telegram_and_the_portal(env: TelegramEnv) -> None:
    daemon = await env.start_daemon()
    world = env.sandbox.world
    question, _ = world.send(env.partner, env.account, "Когда будет отгрузка?")
    await poll(lambda: any("отгрузка" in b for b in env.relayed_bodies()))

    app = build_app(daemon.config.control.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.resyncs >= 1)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        await wait_for(pilot, lambda: len(screen.conversation_list.items) == 1)
        await pilot.press("slash", *"acme", "enter", "enter")
        await wait_for(pilot, lambda: len(screen.timeline.messages) == 1)
        assert screen.timeline.current["text"] == "Когда будет отгрузка?"
        await pilot.press("r", *"Завтра в 10:00", "enter")
        answers = await poll(
            lambda: [
                m
                for m in world.history(env.partner, env.account)
                if m.out is False and m.sender == env.account.id
            ]
        )
    [answer] = answers
    assert answer.text.endswith("Завтра в 10:00")
    assert answer.reply_to == question.id  # a Telegram reply to the partner's own message
    await poll(lambda: any("(via hgw): Завтра в 10:00" in b for b in env.relayed_bodies()), 30)
