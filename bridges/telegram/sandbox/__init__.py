"""An in-process Telegram under the real telethon client, for tests and ``hgw demo``.

Telegram cannot be reached from where hgw is built and tested, and a mocked client would test
our assumptions about telethon rather than telethon. So the sandbox goes *below* the client:
:meth:`Sandbox.attach` replaces ``client._sender`` (telethon's MTProto sender) with one that
answers TL requests from an in-memory :class:`World` of users and private chats, and pushes real
``Updates``. Our bridge, telethon's update box (pts, gaps, ``getDifference``), event builders,
entity cache, parse modes and upload/download chunking all run for real.

    sandbox = Sandbox()
    hgw = sandbox.world.add_user("HGW", username="hgw_bot", phone="+70000000001")
    partner = sandbox.world.add_user("ACME", username="acme_supplier")
    client = TelegramClient(MemorySession(), 1, "x")
    sandbox.attach(client, as_user=hgw)
    await client.connect()
    sandbox.world.send(partner, hgw, "hello")          # arrives as events.NewMessage

Faults: :meth:`flood_wait`, :meth:`fail`, :meth:`lose_reply`, :meth:`drop_connection`,
``latency``, :meth:`go_down` / :meth:`come_up` (the world survives: missed updates are
fetched with getDifference on reconnect, as from Telegram).
"""

from __future__ import annotations

import os
from typing import Any

from telethon.crypto import AuthKey

from bridges.telegram.sandbox.sender import Fault, SandboxSender
from bridges.telegram.sandbox.world import SandboxError, SandboxUser, StoredMessage, World


class Sandbox:
    """A Telegram world plus the faults planned for the clients attached to it."""

    def __init__(self, world: World | None = None) -> None:
        self.world = world or World()
        self.senders: set[SandboxSender] = set()
        self.faults: list[Fault] = []
        self.calls: dict[str, int] = {}
        """Requests served, by type name (``SendMessageRequest``: 3)."""
        self.latency = 0.0
        self.up = True
        self.paused_updates = False
        """While set, live updates are not pushed (they wait for getDifference), like a
        connection that silently stopped receiving."""

    def attach(self, client: Any, *, as_user: SandboxUser | None = None) -> SandboxSender:
        """Put the sandbox under ``client``; with ``as_user``, its session is logged in already."""
        sender = SandboxSender(self, client._updates_queue, client.session.auth_key)
        client._sender = sender
        if as_user is not None:
            self.world.authorize(sender.auth_key.key_id, as_user)
        return sender

    def log_in(self, session: Any, user: SandboxUser) -> None:
        """Give a telethon session an auth key logged in as ``user`` (what a login leaves)."""
        if session.auth_key is None:
            session.auth_key = AuthKey(os.urandom(256))
        self.world.authorize(session.auth_key.key_id, user)

    # -- faults -------------------------------------------------------------------------------

    def flood_wait(self, request: str, seconds: int, *, after: int = 0, times: int = 1) -> None:
        """Answer ``FLOOD_WAIT_<seconds>`` to a request of this type (by TL class name)."""
        self.faults.append(Fault(request, "flood_wait", seconds, after=after, times=times))

    def fail(
        self, request: str, code: int, message: str, *, after: int = 0, times: int = 1
    ) -> None:
        """Answer an RPC error, e.g. ``fail("SendMessageRequest", 403, "USER_IS_BLOCKED")``."""
        self.faults.append(
            Fault(request, "error", code=code, message=message, after=after, times=times)
        )

    def lose_reply(self, request: str, *, after: int = 0, times: int = 1) -> None:
        """Carry out the request, then drop the connection before the answer gets out."""
        self.faults.append(Fault(request, "lose_reply", after=after, times=times))

    def drop_connection(self, request: str, *, after: int = 0, times: int = 1) -> None:
        """Drop the connection when this request arrives, without carrying it out."""
        self.faults.append(Fault(request, "drop", after=after, times=times))

    def fault_for(self, name: str) -> Fault | None:
        for fault in self.faults:
            if fault.strikes(name):
                return fault
        return None

    def go_down(self) -> None:
        """Drop every connection and refuse new ones; the world and its updates wait."""
        self.up = False
        self.disconnect_all()

    def come_up(self) -> None:
        self.up = True

    def disconnect_all(self) -> None:
        for sender in list(self.senders):
            sender.drop(ConnectionError("sandbox Telegram restarted"))


__all__ = ["Fault", "Sandbox", "SandboxError", "SandboxUser", "StoredMessage", "World"]
