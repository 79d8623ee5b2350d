"""An end-to-end relay set-up on two real homeservers, with the real ``hgw run`` as a subprocess.

Internal homeserver: staff ``alice``, the admin ``sec`` (the only allowed inviter and the only
one who may run admin commands) and the relay bot. Partner homeserver: ``pavel`` and the
partner-side bot. ``sec`` creates the portal room and the management room (by alias) and invites
the bot; ``pavel`` creates the partner room and invites his side's bot. The bots join on their
own once the daemon runs — the invite path is part of what is tested.

Everything the tests look at is observed the way a person would see it: a :class:`Watcher`
keeps each user's timeline from ``/sync``; the store is read only to check delivery state.
Waits are polls with timeouts, never fixed sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from nio import (
    AsyncClient,
    Event,
    JoinedMembersResponse,
    RoomCreateResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)

from tests.integration.synapse import RegisteredUser, SynapseServer

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 30.0
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4d10000000049454e44ae426082"
)
MASK_PHONES = """
[[policy.rules]]
name = "mask-phones-out"
description = "Phone numbers leave the company masked."
priority = 20
direction = "outbound"
kinds = ["phone"]
action = "redact"
"""
_WATCH_FILTER = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {"timeline": {"limit": 1000}, "ephemeral": {"not_types": ["*"]}},
}


async def poll(probe: Callable[[], Any], timeout: float = TIMEOUT, every: float = 0.1) -> Any:
    """Call ``probe`` (sync or async) until it returns something truthy; fail after ``timeout``."""

    async def run() -> Any:
        while True:
            found = probe()
            if asyncio.iscoroutine(found):
                found = await found
            if found:
                return found
            await asyncio.sleep(every)

    return await asyncio.wait_for(run(), timeout)


def secret_file(path: Path, value: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return path


def default_policy_toml() -> str:
    """The shipped default policy, moved under ``[policy]`` as a config file carries it."""
    text = (REPO / "gateway" / "policy" / "default_policy.toml").read_text(encoding="utf-8")
    return "[policy]\n" + text.replace("[[rules]]", "[[policy.rules]]").replace(
        "[[detectors]]", "[[policy.detectors]]"
    )


async def client_for(server: SynapseServer, user: RegisteredUser) -> AsyncClient:
    client = AsyncClient(server.url, user.user_id)
    client.restore_login(user.user_id, user.device_id, user.access_token)
    return client


class Watcher:
    """One user's view: a background ``/sync`` loop that keeps every room's timeline in order.

    It survives its homeserver going away (the partner restart test) and picks up where it
    stopped. ``wait`` polls a probe over the collected events.
    """

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.timelines: dict[str, list[Event]] = {}
        self.limited = False
        self._since: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        first = await self.client.sync(timeout=0, sync_filter=_WATCH_FILTER)
        assert isinstance(first, SyncResponse), first
        self._since = first.next_batch
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                response = await self.client.sync(
                    timeout=1000, since=self._since, sync_filter=_WATCH_FILTER
                )
            except Exception:
                await asyncio.sleep(0.2)
                continue
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(0.2)
                continue
            for room_id, info in response.rooms.join.items():
                self.limited |= bool(info.timeline.limited)
                self.timelines.setdefault(room_id, []).extend(info.timeline.events)
            self._since = response.next_batch

    def events(self, room_id: str) -> list[Event]:
        return list(self.timelines.get(room_id, []))

    def messages(self, room_id: str, sender: str | None = None) -> list[Event]:
        """``m.room.message`` events in ``room_id`` (from ``sender`` if given), oldest first."""
        return [
            e
            for e in self.events(room_id)
            if e.source.get("type") == "m.room.message"
            and (sender is None or e.source.get("sender") == sender)
        ]

    def bodies(self, room_id: str, sender: str | None = None) -> list[str]:
        return [
            str(e.source.get("content", {}).get("body")) for e in self.messages(room_id, sender)
        ]

    def find(self, room_id: str, test: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """The first event (as its raw JSON) in ``room_id`` that passes ``test``."""
        return next((e.source for e in self.events(room_id) if test(e.source)), None)

    async def wait(self, probe: Callable[[], T | None], timeout: float = TIMEOUT) -> T:
        return await poll(probe, timeout, every=0.05)  # type: ignore[no-any-return]

    async def wait_for_body(
        self, room_id: str, test: Callable[[str], bool], timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            return self.find(
                room_id,
                lambda e: (
                    e.get("type") == "m.room.message"
                    and test(str(e.get("content", {}).get("body", "")))
                ),
            )

        return await self.wait(probe, timeout)


class DaemonProcess:
    """``python -m gateway.cli run -c CONFIG`` in its own process group, stderr to a log file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as log:
            log.write(f"\n===== start {self.starts} =====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "run", "-c", str(self.config)],
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no drain, no commit, no goodbye — a crash or an OOM kill."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (graceful drain), SIGKILL if it does not end in ``timeout``."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        return process.returncode

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class RelayEnv:
    internal: SynapseServer
    partner: SynapseServer
    directory: Path
    tag: str
    alice_user: RegisteredUser
    sec_user: RegisteredUser
    pavel_user: RegisteredUser
    bot_in: RegisteredUser
    bot_out: RegisteredUser
    alice: AsyncClient
    sec: AsyncClient
    pavel: AsyncClient
    portal: str
    partner_room: str
    admin_room: str
    admin_alias: str
    daemon: DaemonProcess = field(init=False)
    alice_view: Watcher = field(init=False)
    sec_view: Watcher = field(init=False)
    pavel_view: Watcher = field(init=False)

    @property
    def store_path(self) -> Path:
        return self.directory / "data" / "hgw.sqlite3"

    # -- set-up ---------------------------------------------------------------------------

    def write_config(self, extra_policy: str = MASK_PHONES) -> Path:
        secrets = self.directory / "secrets"
        secrets.mkdir(mode=0o700, exist_ok=True)
        secret_file(secrets / "internal-bot", self.bot_in.password)
        secret_file(secrets / "partner-bot", self.bot_out.password)
        config = self.directory / "config.toml"
        config.write_text(
            f"""
[gateway]
data_dir = "data"
log_level = "info"

[store]
synchronous = "full"

[matrix]
homeserver = "{self.internal.url}"
user_id = "{self.bot_in.user_id}"
password_file = "secrets/internal-bot"
management_room = "{self.admin_alias}"
admins = ["{self.sec_user.user_id}"]

[partners.acme]
homeserver = "{self.partner.url}"
user_id = "{self.bot_out.user_id}"
password_file = "secrets/partner-bot"
admins = ["{self.pavel_user.user_id}"]

[[links]]
id = "acme"
name = "ACME"
internal_room = "{self.portal}"
external_network = "acme"
external_chat = "{self.partner_room}"

{default_policy_toml()}
{extra_policy}
""",
            encoding="utf-8",
        )
        return config

    async def start_daemon(self) -> None:
        """Start ``hgw run`` and wait until both bots are in their rooms and syncing."""
        self.daemon.start()
        await self.wait_ready()

    async def wait_ready(self, timeout: float = 60.0) -> None:
        async def ready() -> bool:
            if not self.daemon.alive:
                raise AssertionError(f"hgw run exited:\n{self.daemon.text()[-3000:]}")
            if "hgw is running" not in self.daemon.text().rsplit("===== start", 1)[-1]:
                return False
            joined = (
                await _is_member(self.sec, self.portal, self.bot_in.user_id)
                and await _is_member(self.sec, self.admin_room, self.bot_in.user_id)
                and await _is_member(self.pavel, self.partner_room, self.bot_out.user_id)
            )
            tokens = self.kv("matrix.sync_token") and self.kv("acme.sync_token")
            return joined and bool(tokens)

        await poll(ready, timeout, every=0.2)

    async def close(self) -> None:
        self.daemon.stop()
        for view in (self.alice_view, self.sec_view, self.pavel_view):
            await view.stop()
        for client in (self.alice, self.sec, self.pavel):
            await client.close()

    # -- acting ---------------------------------------------------------------------------

    async def send(
        self, client: AsyncClient, room: str, content: dict[str, Any], kind: str = "m.room.message"
    ) -> str:
        response = await client.room_send(room, kind, content)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def say(self, client: AsyncClient, room: str, text: str, **extra: Any) -> str:
        return await self.send(client, room, {"msgtype": "m.text", "body": text, **extra})

    async def upload_png(self, client: AsyncClient) -> str:
        response, _ = await client.upload(
            lambda *_: PNG, content_type="image/png", filename="dot.png", filesize=len(PNG)
        )
        assert isinstance(response, UploadResponse), response
        return str(response.content_uri)

    # -- looking --------------------------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the daemon's store (read-only; WAL lets us read while it writes)."""
        with contextlib.closing(sqlite3.connect(f"file:{self.store_path}?mode=ro", uri=True)) as db:
            db.execute("PRAGMA busy_timeout = 5000")
            return list(db.execute(sql, params))

    def kv(self, key: str) -> str | None:
        if not self.store_path.exists():
            return None
        try:
            rows = self.query("SELECT value FROM kv WHERE key = ?", (key,))
        except sqlite3.OperationalError:
            return None  # not migrated yet
        return str(rows[0][0]) if rows else None

    async def history(self, client: AsyncClient, room: str) -> list[dict[str, Any]]:
        """The whole room timeline from ``/messages`` (authoritative, oldest first)."""
        events: list[dict[str, Any]] = []
        start: str | None = None
        while True:
            response = await client.room_messages(room, start=start, limit=500)
            assert isinstance(response, RoomMessagesResponse), response
            events.extend(e.source for e in response.chunk)
            if not response.chunk or not response.end or response.end == start:
                break
            start = response.end
        events.reverse()
        return events


async def _is_member(client: AsyncClient, room: str, user_id: str) -> bool:
    members = await client.joined_members(room)
    return isinstance(members, JoinedMembersResponse) and any(
        m.user_id == user_id for m in members.members
    )


async def build(internal: SynapseServer, partner: SynapseServer, directory: Path) -> RelayEnv:
    """Users, rooms and config for one test; the daemon is not started yet."""
    tag = uuid.uuid4().hex[:6]
    alice_user = internal.register_user(f"alice{tag}")
    sec_user = internal.register_user(f"sec{tag}")
    bot_in = internal.register_user(f"hgw{tag}")
    pavel_user = partner.register_user(f"pavel{tag}")
    bot_out = partner.register_user(f"hgw{tag}")
    alice = await client_for(internal, alice_user)
    sec = await client_for(internal, sec_user)
    pavel = await client_for(partner, pavel_user)

    portal = await sec.room_create(
        name=f"ACME portal {tag}", invite=[alice_user.user_id, bot_in.user_id]
    )
    assert isinstance(portal, RoomCreateResponse), portal
    await alice.join(portal.room_id)
    alias_name = f"hgw-admin-{tag}"
    admin = await sec.room_create(name="hgw admin", alias=alias_name, invite=[bot_in.user_id])
    assert isinstance(admin, RoomCreateResponse), admin
    partner_room = await pavel.room_create(name=f"with internal {tag}", invite=[bot_out.user_id])
    assert isinstance(partner_room, RoomCreateResponse), partner_room

    directory.mkdir(parents=True, exist_ok=True)
    env = RelayEnv(
        internal=internal,
        partner=partner,
        directory=directory,
        tag=tag,
        alice_user=alice_user,
        sec_user=sec_user,
        pavel_user=pavel_user,
        bot_in=bot_in,
        bot_out=bot_out,
        alice=alice,
        sec=sec,
        pavel=pavel,
        portal=portal.room_id,
        partner_room=partner_room.room_id,
        admin_room=admin.room_id,
        admin_alias=f"#{alias_name}:{internal.server_name}",
    )
    env.daemon = DaemonProcess(env.write_config(), directory / "hgw.log")
    env.alice_view, env.sec_view, env.pavel_view = Watcher(alice), Watcher(sec), Watcher(pavel)
    for view in (env.alice_view, env.sec_view, env.pavel_view):
        await view.start()
    return env


def now_ms() -> int:
    return int(time.time() * 1000)


__all__ = ["PNG", "DaemonProcess", "RelayEnv", "Watcher", "build", "now_ms", "poll"]
