"""``hgw status`` through the real CLI (a subprocess) against a running daemon, and without one.

The daemon runs in this test process as root; the CLI connects as root too, which the test
config maps to ``admin`` — no part of the identity is faked here.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from gateway.model import ChatRef
from gateway.store import outbox
from tests.integration.test_control_support import running, write_config

ROOT = Path(__file__).resolve().parents[2]


async def hgw(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway.cli",
        *args,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_status_prints_networks_queues_and_failures(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.toml", tmp_path / "run" / "control.sock")
    async with running(config) as env:
        env.telegram.permanent.add("NOPE")
        env.telegram.retry_after = 3600  # a flood wait: the row stays pending
        env.telegram.transient_failures["SLOW"] = 1
        await env.matrix.sink.message(_staff("$1", "NOPE this fails"))
        await env.matrix.sink.message(_staff("$2", "SLOW waits", chat="!globex:internal.test"))

        async def settled() -> bool:
            counts = await outbox.state_counts(env.daemon.store.reader)
            return counts.get("failed") == 1 and counts.get("pending", 0) >= 1

        while not await settled():
            await asyncio.sleep(0.02)
        code, out, err = await hgw("status", "-c", str(config))
        assert code == 0, err
        assert "networks:" in out
        assert "telegram" in out
        assert "1 failed" in out
        assert "telegram:200" in out  # the chat with a delivery waiting
        assert "M_FORBIDDEN: not in room" in out  # the recent failure
        code, out, err = await hgw("status", "-c", str(config), "--json")
        assert code == 0, err
        status = json.loads(out)
        assert status["outbox"]["failed"] == 1
        assert [q["chat_id"] for q in status["queues"]] == ["200"]
        assert status["recent_failures"][0]["chat_id"] == "100"
        assert {n["network"] for n in status["networks"]} == {"matrix", "telegram"}


async def test_status_without_a_daemon_is_one_clear_line(tmp_path: Path) -> None:
    socket = tmp_path / "run" / "control.sock"
    config = write_config(tmp_path / "config.toml", socket)
    code, out, err = await hgw("status", "-c", str(config))
    assert code == 1
    assert out == ""
    assert err == (
        f"hgw is not running (no socket at {socket}); start it with `hgw run -c {config}`\n"
    )


def _staff(native: str, text: str, chat: str = "!acme:internal.test"):  # type: ignore[no-untyped-def]
    from gateway.model import Direction, Message
    from tests.unit.relay import ALICE, MATRIX

    return Message(ChatRef(MATRIX, chat), ALICE, native, Direction.OUTBOUND, text=text)
