from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.tui.daemon_env import DaemonEnv
from tests.tui.fake_control import FakeControl
from tui.app import HgwApp, build_app


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """Unix socket paths are limited to ~100 bytes; pytest's tmp_path can be longer."""
    path = Path(tempfile.mkdtemp(prefix="hgw-tui-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def fake(short_dir: Path) -> AsyncIterator[FakeControl]:
    server = FakeControl(short_dir / "control.sock")
    await server.start()
    yield server
    await server.stop()


def make_app(socket: Path) -> HgwApp:
    return build_app(socket)


class ThreadedFake:
    """The scripted server on its own loop in a thread, for ``snap_compare`` (which runs the
    app on a loop of its own)."""

    def __init__(self, path: Path) -> None:
        import asyncio
        import threading

        self.loop = asyncio.new_event_loop()
        self.server = FakeControl(path)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)

    def close(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def threaded_fake(short_dir: Path) -> Iterator[ThreadedFake]:
    fake = ThreadedFake(short_dir / "control.sock")
    yield fake
    fake.close()


@pytest.fixture
async def daemon_env(short_dir: Path) -> AsyncIterator[DaemonEnv]:
    env = DaemonEnv(short_dir)
    await env.start()
    yield env
    await env.stop()
