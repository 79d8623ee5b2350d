"""Telegram end-to-end set-up: a real Synapse inside, the sandboxed Telegram outside.

The daemon runs in-process (the sandbox lives in this process, below the real telethon client
the daemon's Telegram bridge creates), with the same wiring ``hgw run`` uses: the registry
builds both bridges from the config file. Staff are real Matrix users watched through
``/sync``; partners are users of the sandbox world, watched through their own chat history.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nio import AsyncClient, RoomCreateResponse

from bridges.registry import build_bridges
from bridges.telegram.sandbox import Sandbox, SandboxUser
from bridges.telegram.session import open_session
from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.verdicts import judge_for
from tests.integration.relay_env import (
    Watcher,
    _is_member,
    client_for,
    default_policy_toml,
    poll,
    secret_file,
)
from tests.integration.synapse import RegisteredUser, SynapseServer


@dataclass
class TelegramEnv:
    internal: SynapseServer
    directory: Path
    tag: str
    sandbox: Sandbox
    account: SandboxUser
    """The Telegram account hgw runs as."""
    partner: SandboxUser
    alice_user: RegisteredUser
    sec_user: RegisteredUser
    bot: RegisteredUser
    alice: AsyncClient
    sec: AsyncClient
    portal: str
    admin_room: str
    alice_view: Watcher = field(init=False)
    sec_view: Watcher = field(init=False)
    daemon: Daemon | None = None
    task: asyncio.Task[None] | None = None

    @property
    def config_path(self) -> Path:
        return self.directory / "config.toml"

    def write_config(self, extra: str = "", *, telegram_extra: str = "") -> None:
        secrets = self.directory / "secrets"
        secrets.mkdir(mode=0o700, exist_ok=True)
        secret_file(secrets / "bot", self.bot.password)
        secret_file(secrets / "api-hash", "0123456789abcdef0123456789abcdef")
        self.config_path.write_text(
            f"""
[gateway]
data_dir = "data"

[matrix]
homeserver = "{self.internal.url}"
user_id = "{self.bot.user_id}"
password_file = "secrets/bot"
management_room = "{self.admin_room}"
admins = ["{self.sec_user.user_id}"]

[telegram]
api_id = 12345
api_hash_file = "secrets/api-hash"
phone = "{self.account.phone}"
{telegram_extra}

[[links]]
id = "acme"
internal_room = "{self.portal}"
external_network = "telegram"
external_chat = "@{self.partner.username}"
{extra}
{default_policy_toml()}
""",
            encoding="utf-8",
        )

    def log_in(self) -> None:
        """What ``hgw telegram login`` leaves behind: a private session with an auth key."""
        session = open_session(self.directory / "data" / "telegram.session")
        self.sandbox.log_in(session, self.account)
        session.close()

    async def start_daemon(self) -> Daemon:
        config = load_config(self.config_path, check_secrets=True)
        daemon = Daemon(
            config,
            make_bridges=lambda c: build_bridges(c, telegram_sandbox=self.sandbox),
            make_judge=judge_for,
        )
        self.daemon = daemon
        self.task = asyncio.create_task(daemon.run(), name="daemon")

        async def ready() -> bool:
            if self.task is not None and self.task.done():
                self.task.result()  # raises what stopped the daemon
            if not (daemon.ready.is_set() and await daemon.store.get_value("matrix.sync_token")):
                return False
            return await _is_member(self.sec, self.portal, self.bot.user_id) and await _is_member(
                self.sec, self.admin_room, self.bot.user_id
            )

        await poll(ready, 60)
        return daemon

    async def stop_daemon(self) -> None:
        if self.daemon is not None and self.task is not None:
            self.daemon.stop()
            await asyncio.wait_for(self.task, 30)
        self.daemon = self.task = None

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.stop_daemon()
        for view in (self.alice_view, self.sec_view):
            await view.stop()
        for client in (self.alice, self.sec):
            await client.close()

    # -- looking ------------------------------------------------------------------------------

    def partner_sees(self) -> list[Any]:
        """The partner's side of the chat with hgw's account (oldest first)."""
        return self.sandbox.world.history(self.partner, self.account)

    def partner_texts(self) -> list[str]:
        return [m.text for m in self.partner_sees() if m.sender == self.account.id]

    def relayed(self, room: str | None = None) -> list[dict[str, Any]]:
        """What the bot posted in the portal, as alice sees it."""
        return [e.source for e in self.alice_view.messages(room or self.portal, self.bot.user_id)]

    def relayed_bodies(self, room: str | None = None) -> list[str]:
        return [e["content"].get("body", "") for e in self.relayed(room)]


async def build(internal: SynapseServer, directory: Path) -> TelegramEnv:
    tag = uuid.uuid4().hex[:6]
    alice_user = internal.register_user(f"alice{tag}")
    sec_user = internal.register_user(f"sec{tag}")
    bot = internal.register_user(f"hgw{tag}")
    alice = await client_for(internal, alice_user)
    sec = await client_for(internal, sec_user)
    portal = await sec.room_create(name=f"ACME {tag}", invite=[alice_user.user_id, bot.user_id])
    assert isinstance(portal, RoomCreateResponse), portal
    await alice.join(portal.room_id)
    admin = await sec.room_create(name="hgw admin", invite=[bot.user_id])
    assert isinstance(admin, RoomCreateResponse), admin

    sandbox = Sandbox()
    account = sandbox.world.add_user("Company", username=f"company_{tag}", phone="+70000000001")
    partner = sandbox.world.add_user("Pavel", last_name="ACME", username=f"acme_{tag}")
    directory.mkdir(parents=True, exist_ok=True)
    env = TelegramEnv(
        internal=internal,
        directory=directory,
        tag=tag,
        sandbox=sandbox,
        account=account,
        partner=partner,
        alice_user=alice_user,
        sec_user=sec_user,
        bot=bot,
        alice=alice,
        sec=sec,
        portal=portal.room_id,
        admin_room=admin.room_id,
    )
    env.write_config()
    env.log_in()
    env.alice_view, env.sec_view = Watcher(alice), Watcher(sec)
    for view in (env.alice_view, env.sec_view):
        await view.start()
    return env


__all__ = ["TelegramEnv", "build"]
