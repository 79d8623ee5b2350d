"""The Telegram bridge on the sandbox, without a homeserver: hostile sizes from the network."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bridges.telegram.adapter import TelegramBridge
from bridges.telegram.sandbox import Sandbox
from bridges.telegram.session import open_session
from gateway.model import Message


class Sink:
    """Stores in memory; enough to watch what the bridge hands over."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.kv: dict[str, str] = {}

    async def message(self, message: Message) -> None:
        self.messages.append(message)

    async def reaction(self, reaction: Any) -> None: ...

    async def deletion(self, deletion: Any) -> None: ...

    async def connected(self) -> None: ...

    async def checkpoint(self, key: str, value: str) -> None:
        self.kv[key] = value

    async def restore(self, key: str) -> str | None:
        return self.kv.get(key)


async def test_oversized_files_and_texts_are_capped_not_dropped(tmp_path: Path) -> None:
    sandbox = Sandbox()
    world = sandbox.world
    account = world.add_user("Company", phone="+70000000001")
    partner = world.add_user("Stranger", username="stranger")
    session = open_session(tmp_path / "t.session")
    sandbox.log_in(session, account)
    session.close()
    bridge = TelegramBridge(
        api_id=1,
        api_hash="x",
        session=tmp_path / "t.session",
        sandbox=sandbox,
        max_media_bytes=1024,
    )
    sink = Sink()
    await bridge.start(sink)
    try:
        big = world.document(b"x" * 4096, "dump.bin", "application/octet-stream")
        world.send(partner, account, "here is the dump", media=big)
        small = world.document(b"ok", "note.txt", "text/plain")
        world.send(partner, account, "", media=small)
        world.send(partner, account, "я" * 70_000)  # far past Telegram's own 4096 limit
        for _ in range(200):
            if len(sink.messages) == 3:
                break
            await asyncio.sleep(0.02)
    finally:
        await bridge.stop()
    capped, kept, long_text = sink.messages
    assert capped.attachments == ()
    assert capped.text == "here is the dump\n[attachment unavailable: dump.bin]"
    assert kept.attachments[0].data == b"ok"
    assert len(long_text.text) == 64 * 1024  # cut, not refused: the partner's words still arrive
    # the checkpoint covers exactly what was stored, also when it came by getDifference
    assert json.loads(sink.kv["update_state"])["pts"] == world.accounts[account.id].pts
