"""A real daemon for TUI tests: production store, router, dispatcher, policy and control server;
recording bridges stand in for the two networks (as in tests/unit/relay.py).

The TUI connects to its control socket exactly as ``hgw tui`` does.
"""

from __future__ import annotations

import asyncio
import getpass
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.verdicts import judge_for
from tests.unit.relay import MATRIX, TELEGRAM, RecordingBridge

CONFIG = """
[gateway]
data_dir = "data"

[store]
synchronous = "normal"

[control]
socket = "{socket}"

[control.users]
{user} = {{ role = "{role}"{links} }}

[matrix]
homeserver = "http://127.0.0.1:1"
user_id = "@hgw:internal.test"
password_env = "UNUSED"

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


@dataclass
class DaemonEnv:
    """Start, stop and start again a daemon on one directory (one store, one socket)."""

    directory: Path
    role: str = "admin"
    links: tuple[str, ...] = ()
    """For an operator: the links they may read and answer."""
    user: str = field(default_factory=getpass.getuser)
    """The OS user the config names (another name: this process is refused)."""
    daemon: Daemon | None = None
    task: asyncio.Task[None] | None = None
    bridges: dict[str, RecordingBridge] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.directory / "config.toml"

    @property
    def socket(self) -> Path:
        return self.directory / "run" / "control.sock"

    def write_config(self) -> None:
        self.config_path.write_text(
            CONFIG.format(
                socket=self.socket,
                user=self.user,
                role=self.role,
                links=f", links = {list(self.links)!r}".replace("'", '"') if self.links else "",
            )
        )

    async def start(self) -> Daemon:
        if not self.config_path.exists():
            self.write_config()
        self.bridges = {MATRIX: RecordingBridge(MATRIX), TELEGRAM: RecordingBridge(TELEGRAM)}
        bridges = self.bridges
        daemon = Daemon(
            load_config(self.config_path, check_secrets=False),
            make_bridges=lambda _config: bridges,
            make_judge=judge_for,
        )
        self.daemon = daemon
        self.task = asyncio.create_task(daemon.run())
        await asyncio.wait_for(daemon.ready.wait(), 15)
        return daemon

    async def stop(self) -> None:
        if self.daemon is not None and self.task is not None:
            self.daemon.stop()
            await asyncio.wait_for(self.task, 20)
        self.daemon = self.task = None

    @property
    def telegram(self) -> RecordingBridge:
        return self.bridges[TELEGRAM]

    @property
    def matrix(self) -> RecordingBridge:
        return self.bridges[MATRIX]

    async def inject(self, network: str, message: Any) -> None:
        """A message arriving from a network, through the bridge's sink like a real one."""
        await self.bridges[network].sink.message(message)
