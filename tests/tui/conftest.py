from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

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
