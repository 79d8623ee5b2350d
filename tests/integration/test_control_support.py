"""A running in-process daemon with its control socket, for the control API tests.

The daemon is the production one (store, router, dispatcher, approvals, the real default
policy, the control server on a real Unix socket); only the two networks are recording bridges,
as in ``tests/unit/relay.py``. This module holds no tests of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway.config import load_config
from gateway.control import peer
from gateway.control.client import ControlClient
from gateway.daemon import Daemon
from gateway.verdicts import judge_for
from tests.unit.relay import MATRIX, TELEGRAM, RecordingBridge

CONFIG = """
[gateway]
data_dir = "data"

[control]
socket = "{socket}"
socket_mode = "{mode}"

[control.users]
root = {{ role = "admin" }}
sec = {{ role = "admin" }}
alice = {{ role = "operator", links = ["acme"], matrix_user = "@alice:internal.test" }}
carol = {{ role = "auditor" }}
{extra_users}

[matrix]
homeserver = "http://127.0.0.1:1"
user_id = "@hgw:internal.test"
password_env = "UNUSED"
management_room = "!admin:internal.test"
admins = ["@security:internal.test"]

[telegram]
api_id = 1
api_hash_env = "UNUSED"
phone = "+70000000000"

[[links]]
id = "acme"
internal_room = "!acme:internal.test"
external_network = "telegram"
external_chat = "100"

[[links]]
id = "globex"
internal_room = "!globex:internal.test"
external_network = "telegram"
external_chat = "200"
"""


def write_config(
    path: Path, socket: Path, *, mode: str = "0600", extra_users: str = "", tail: str = ""
) -> Path:
    path.write_text(
        CONFIG.format(socket=socket, mode=mode, extra_users=extra_users) + tail, encoding="utf-8"
    )
    return path


@dataclass
class ControlEnv:
    config_path: Path
    socket: Path
    daemon: Daemon
    task: asyncio.Task[None]
    bridges: dict[str, RecordingBridge]
    clients: list[ControlClient] = field(default_factory=list)

    @property
    def matrix(self) -> RecordingBridge:
        return self.bridges[MATRIX]

    @property
    def telegram(self) -> RecordingBridge:
        return self.bridges[TELEGRAM]

    async def client(self, user: str = "root", **kw: Any) -> ControlClient:
        """A connected client, seen by the daemon as OS user ``user`` (see ``as_user``)."""
        AS_USER[0] = user
        client = ControlClient(self.socket, **kw)
        await client.connect(reconnect=False)
        self.clients.append(client)
        with contextlib.suppress(Exception):
            await client.call("hello")  # the daemon has identified us once this answers
        return client

    async def stop(self) -> None:
        for client in self.clients:
            await client.close()
        self.daemon.stop()
        await asyncio.wait_for(self.task, 20)


AS_USER = ["root"]
"""The OS user name the faked uid lookup reports for the next connection."""


def fake_user_for_uid(uid: int) -> peer.PeerUser:
    name = AS_USER[0]
    return peer.PeerUser(uid, name, name.capitalize())


async def start_daemon(config_path: Path) -> ControlEnv:
    config = load_config(config_path, check_secrets=False)
    bridges = {MATRIX: RecordingBridge(MATRIX), TELEGRAM: RecordingBridge(TELEGRAM)}
    daemon = Daemon(config, make_bridges=lambda _c: bridges, make_judge=judge_for)
    task = asyncio.create_task(daemon.run())
    ready = asyncio.create_task(daemon.ready.wait())
    done, _ = await asyncio.wait({ready, task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()  # raises what stopped the daemon
    assert ready in done, "daemon did not become ready"
    return ControlEnv(config_path, config.control.socket, daemon, task, bridges)


@contextlib.asynccontextmanager
async def running(config_path: Path) -> AsyncIterator[ControlEnv]:
    env = await start_daemon(config_path)
    try:
        yield env
    finally:
        if not env.task.done():
            await env.stop()


@pytest.fixture
def fake_peer(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace only the uid → user lookup (``gateway.control.peer.user_for_uid``)."""
    monkeypatch.setattr(peer, "user_for_uid", fake_user_for_uid)
    AS_USER[0] = "root"
    return AS_USER


async def until(predicate: Any, timeout: float = 10) -> None:
    async def wait() -> None:
        while not await predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), timeout)
