"""The control API over its real Unix socket, against a running in-process daemon.

Identity: these tests replace only the uid → OS user lookup (``gateway.control.peer
.user_for_uid``, the ``fake_peer`` fixture), so one test process can speak as several users;
``SO_PEERCRED`` itself, the socket, framing, roles and every method run for real. Role
enforcement with real OS users created for the test (no fake at all) is in
``test_control_roles.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import pytest

from gateway.control.client import ControlClient, ControlError
from gateway.model import ChatRef
from tests.integration.test_control_support import (  # noqa: F401 - fake_peer is a fixture
    fake_peer,
    running,
    until,
    write_config,
)
from tests.unit.relay import TELEGRAM

pytestmark = pytest.mark.usefixtures("fake_peer")

CARD = "4111 1111 1111 1111"
INN = "7707083893"


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path / "config.toml", tmp_path / "run" / "hgw" / "control.sock")


async def raw_exchange(path: Path, data: bytes) -> list[dict]:
    """Send bytes on a fresh connection, read every line until the daemon closes or idles."""
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(data)
    await writer.drain()
    answers = []
    try:
        while line := await asyncio.wait_for(reader.readline(), 1.0):
            answers.append(json.loads(line))
    except TimeoutError:
        pass
    writer.close()
    return answers


async def test_socket_is_private_and_hello_names_the_role(config_path: Path) -> None:
    async with running(config_path) as env:
        assert stat.S_IMODE(os.stat(env.socket).st_mode) == 0o600
        assert stat.S_ISSOCK(os.stat(env.socket).st_mode)
        assert stat.S_IMODE(os.stat(env.socket.parent).st_mode) == 0o700
        alice = await env.client("alice")
        assert alice.hello == {
            "version": alice.hello["version"],
            "user": "alice",
            "role": "operator",
            "links": ["acme"],
        }
        admin = await env.client("sec")
        assert (await admin.call("hello"))["links"] == ["acme", "globex"]
    assert not env.socket.exists()  # removed on shutdown


async def test_protocol_errors_on_the_raw_socket(config_path: Path) -> None:
    async with running(config_path) as env:
        lines = (
            b"{not json\n"
            b'{"id": 1, "method": "hello"}\n'
            b'{"jsonrpc": "2.0", "id": 2, "method": "no.such"}\n'
            b'{"jsonrpc": "2.0", "id": 3, "method": "history", "params": {"link_id": 5}}\n'
            b'{"jsonrpc": "2.0", "id": 4, "method": "history", "params": [1]}\n'
            b'{"jsonrpc": "2.0", "id": 5, "method": "hello"}\n'
        )
        answers = await raw_exchange(env.socket, lines)
        by_id = {a.get("id"): a for a in answers}
        assert by_id[None]["error"]["code"] == -32700
        assert by_id[1]["error"]["code"] == -32600
        assert by_id[2]["error"] == {"code": -32601, "message": "no such method: no.such"}
        assert by_id[3]["error"]["code"] == -32602
        assert "link_id" in by_id[3]["error"]["message"]
        assert by_id[4]["error"]["code"] == -32602
        assert by_id[5]["result"]["role"] == "admin"

        huge = b'{"jsonrpc": "2.0", "id": 9, "method": "hello", "x": "' + b"a" * (1 << 20) + b'"}\n'
        answers = await raw_exchange(
            env.socket, huge + b'{"jsonrpc":"2.0","id":10,"method":"hello"}\n'
        )
        assert [a["error"]["message"] for a in answers] == ["line over 1 MiB"]
        # the daemon is fine afterwards
        assert (await (await env.client()).call("status"))["outbox"]["failed"] == 0


async def test_unknown_user_is_refused_with_the_contract_message(config_path: Path) -> None:
    async with running(config_path) as env:
        client = await env.client("mallory")
        with pytest.raises(ControlError) as refused:
            await client.call("status")
        assert refused.value.code == -32001
        assert refused.value.message == (
            "user mallory is not in [control.users]; an admin adds them with a role"
        )


async def test_roles_and_link_scoping(config_path: Path) -> None:
    async with running(config_path) as env:
        alice = await env.client("alice")  # operator on acme
        carol = await env.client("carol")  # auditor

        async def refused(client: ControlClient, method: str, **params: object) -> str:
            with pytest.raises(ControlError) as err:
                await client.call(method, **params)
            assert err.value.code == -32003, err.value.message
            return err.value.message

        assert "role operator may not call approvals.approve" in await refused(
            alice, "approvals.approve", id=1
        )
        assert "policy.set" in await refused(alice, "policy.set", toml="")
        assert "not assigned to link globex" in await refused(alice, "history", link_id="globex")
        await refused(alice, "send", link_id="globex", text="hi")
        await refused(alice, "audit.page")
        await refused(
            alice,
            "links.create",
            id="x",
            internal_room="!x:i",
            external_network="telegram",
            external_chat="1",
        )
        assert "role auditor may not call send" in await refused(
            carol, "send", link_id="acme", text="hi"
        )
        await refused(carol, "approvals.reject", id=1)
        await refused(carol, "links.remove", id="acme")
        assert [c["link_id"] for c in await alice.call("conversations.list")] == ["acme"]
        assert [c["link_id"] for c in await carol.call("conversations.list")] == ["acme", "globex"]
        assert (await carol.call("audit.verify"))["ok"] is True
        assert [x["id"] for x in await alice.call("links.list")] == ["acme"]


async def test_send_from_the_tui_relays_mirrors_judges_and_audits(config_path: Path) -> None:
    async with running(config_path) as env:
        alice = await env.client("alice")
        sent = await alice.call("send", link_id="acme", text="hello partner")
        assert sent["action"] == "allow"
        await env.telegram.wait_for(1)
        assert env.telegram.delivered[0].text == "hello partner"
        assert env.telegram.delivered[0].target == ChatRef(TELEGRAM, "100")
        await env.matrix.wait_for(1)
        mirror = env.matrix.delivered[0]
        assert (mirror.target.chat_id, mirror.text) == (
            "!acme:internal.test",
            "Alice (via hgw): hello partner",
        )

        blocked = await alice.call("send", link_id="acme", text=f"card {CARD}")
        assert blocked["action"] == "block"
        assert blocked["rules"] == ["no-cards-secrets-markings-out"]
        held = await alice.call("send", link_id="acme", text=f"INN {INN}")
        assert held["action"] == "hold"

        page = await alice.call("history", link_id="acme")
        assert [m["text"] for m in page["messages"]] == [
            "hello partner",
            f"card {CARD}",
            f"INN {INN}",
        ]
        first = page["messages"][0]
        assert (first["sender_id"], first["sender_name"], first["direction"]) == (
            "os:alice",
            "Alice",
            "outbound",
        )
        await until(lambda: _delivered(alice, first["id"]))
        assert page["messages"][1]["policy"] == {
            "action": "block",
            "rules": ["no-cards-secrets-markings-out"],
            "held": False,
        }
        assert page["messages"][2]["policy"]["held"] is True

        admin = await env.client("sec")
        [approval] = await admin.call("approvals.list")
        assert (approval["message_id"], approval["link_id"]) == (held["message_id"], "acme")
        decided = await admin.call("approvals.approve", id=approval["id"])
        assert (decided["state"], decided["decided_by"]) == ("approved", "os:sec")
        with pytest.raises(ControlError) as again:
            await admin.call("approvals.approve", id=approval["id"])
        assert again.value.code == -32010
        assert "already decided" in again.value.data["reason"]
        with pytest.raises(ControlError) as missing:
            await admin.call("approvals.reject", id=999)
        assert missing.value.code == -32004
        await env.telegram.wait_for(2)
        assert [d.text for d in env.telegram.delivered] == ["hello partner", f"INN {INN}"]

        records = (await admin.call("audit.page", limit=500))["records"]
        mine = [(r["actor"], r["action"]) for r in records if r["actor"].startswith("os:")]
        assert mine == [
            ("os:alice", "message.sent"),
            ("os:alice", "message.sent"),
            ("os:alice", "message.sent"),
            ("os:sec", "approval.approved"),
        ]


async def _delivered(client: ControlClient, message_id: int) -> bool:
    found = await client.call("message.get", id=message_id, context=0)
    return (found["message"]["delivery"] or {}).get("state") == "sent"
