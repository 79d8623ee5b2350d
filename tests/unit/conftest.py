from __future__ import annotations

from pathlib import Path

import pytest

from gateway.dispatch import Dispatcher, RetryPolicy
from gateway.router import Router
from gateway.store import Store
from tests.unit.relay import LINK, MATRIX, TELEGRAM, RecordingBridge, judge_by_text


@pytest.fixture
async def env(tmp_path: Path):
    async with Store.open(tmp_path / "hgw.sqlite3") as store:
        bridges = {MATRIX: RecordingBridge(MATRIX), TELEGRAM: RecordingBridge(TELEGRAM)}
        dispatcher = Dispatcher(store, bridges, retry=RetryPolicy(base_seconds=0.01), seed=1)
        router = Router(store, dispatcher, [LINK], judge_by_text)
        yield store, router, dispatcher, bridges[MATRIX], bridges[TELEGRAM]
        await dispatcher.drain(grace_seconds=1)
