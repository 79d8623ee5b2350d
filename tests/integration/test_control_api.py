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
import signal
import socket
import stat
from pathlib import Path

import pytest

from gateway.control.client import ControlClient, ControlError
from gateway.control.server import ControlServer
from gateway.errors import HgwError
from gateway.model import ChatRef, Direction, Message, Span, SpanKind
from tests.integration.test_control_support import (  # noqa: F401 - fake_peer is a fixture
    fake_peer,
    running,
    until,
    write_config,
)
from tests.unit.relay import PAVEL, TELEGRAM, partner, staff

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


def elsewhere(native: str, text: str, chat: ChatRef) -> Message:
    """A partner's message in another external chat than acme's."""
    return Message(chat, PAVEL, native, Direction.INBOUND, text=text)


async def _delivered(client: ControlClient, message_id: int) -> bool:
    found = await client.call("message.get", id=message_id, context=0)
    return (found["message"]["delivery"] or {}).get("state") == "sent"


async def test_sighup_with_a_broken_config_keeps_the_old_one_and_reports_it(
    config_path: Path,
) -> None:
    async with running(config_path) as env:
        admin = await env.client("sec")
        assert (await admin.call("status"))["last_reload_error"] is None
        good = config_path.read_text()
        config_path.write_text(good + '\n[[links]]\nid = 3\ninternal_room = "!x:i"\n')
        os.kill(os.getpid(), signal.SIGHUP)  # the real signal, through the daemon's handler
        await until(lambda: _reload_error(admin))
        error = (await admin.call("status"))["last_reload_error"]
        assert "links[2].id: must be a string" in error
        await env.matrix.wait_for(1)
        notice = env.matrix.delivered[0]
        assert notice.target.chat_id == "!admin:internal.test"
        assert notice.text.startswith("⚠ Config reload refused; the running config stays in force")
        assert "links[2].id: must be a string" in notice.text
        # the old config still relays
        await env.telegram.sink.message(partner("p1", "still relayed"))
        await env.matrix.wait_for(2)
        assert env.matrix.delivered[1].text == "Pavel: still relayed"
        # a good reload clears the error
        config_path.write_text(good)
        os.kill(os.getpid(), signal.SIGHUP)
        await until(lambda: _reload_ok(admin))


async def _reload_error(client: ControlClient) -> bool:
    return (await client.call("status"))["last_reload_error"] is not None


async def _reload_ok(client: ControlClient) -> bool:
    return (await client.call("status"))["last_reload_error"] is None


async def test_history_pages_unread_and_mark_read(config_path: Path) -> None:
    async with running(config_path) as env:
        for i in range(7):
            await env.telegram.sink.message(partner(f"p{i}", f"message {i}"))
        alice = await env.client("alice")
        [conversation] = await alice.call("conversations.list")
        assert conversation["unread"] == 7
        assert conversation["last"]["preview"] == "message 6"
        # the partner's name comes from the chat itself (the link names only an id)
        assert conversation["external"] == {
            "network": "telegram",
            "chat_id": "100",
            "title": "ACME Supplies",
        }
        assert conversation["title"] == "ACME Supplies"
        page = await alice.call("history", link_id="acme", limit=3)
        assert [m["text"] for m in page["messages"]] == ["message 4", "message 5", "message 6"]
        assert page["more"] is True
        older = await alice.call(
            "history", link_id="acme", limit=3, before=page["messages"][0]["id"]
        )
        assert [m["text"] for m in older["messages"]] == ["message 1", "message 2", "message 3"]
        oldest = await alice.call("history", link_id="acme", before=older["messages"][0]["id"])
        assert ([m["text"] for m in oldest["messages"]], oldest["more"]) == (["message 0"], False)
        view = page["messages"][2]
        assert (view["direction"], view["sender_name"], view["link_id"]) == (
            "inbound",
            "Pavel",
            "acme",
        )
        await alice.call("conversations.mark_read", link_id="acme", message_id=view["id"] - 2)
        assert (await alice.call("conversations.list"))[0]["unread"] == 2
        # read markers are per OS user
        admin = await env.client("sec")
        assert (await admin.call("conversations.list"))[0]["unread"] == 7
        # an edit is not a new message; a held one counts as held
        await env.telegram.sink.message(
            partner("p6:e", "message 6 (fixed)", edit_of_native_id="p6")
        )
        await alice.call("send", link_id="acme", text=f"INN {INN}")
        [conversation] = await alice.call("conversations.list")
        assert (conversation["unread"], conversation["held"]) == (2, 1)
        assert conversation["last"]["preview"] == f"INN {INN}"
        context = await alice.call("message.get", id=view["id"] - 3, context=2)
        assert [m["text"] for m in context["before"]] == ["message 1", "message 2"]
        assert [m["text"] for m in context["after"]] == ["message 4", "message 5"]
        with pytest.raises(ControlError) as missing:
            await alice.call("message.get", id=9999)
        assert missing.value.code == -32004


async def test_search_is_scoped_to_the_operators_links(config_path: Path) -> None:
    async with running(config_path) as env:
        await env.telegram.sink.message(partner("p1", "invoice for acme"))
        globex = ChatRef(TELEGRAM, "200")
        await env.telegram.sink.message(elsewhere("g1", "invoice for globex", globex))
        alice = await env.client("alice")
        found = await alice.call("search", query="invoice")
        assert [(h["text"], h["link_id"]) for h in found] == [("invoice for acme", "acme")]
        assert "[invoice]" in found[0]["snippet"]
        admin = await env.client("sec")
        assert len(await admin.call("search", query="invoice")) == 2
        only = await admin.call("search", query="invoice", link_id="globex")
        assert [h["text"] for h in only] == ["invoice for globex"]
        with pytest.raises(ControlError) as refused:
            await alice.call("search", query="invoice", link_id="globex")
        assert refused.value.code == -32003


POLICY = """
[[rules]]
name = "no-word-secret"
kinds = ["marking"]
direction = "outbound"
action = "allow"

[[detectors]]
kind = "project_x"
keywords = ["project x"]

[[rules]]
name = "project-x-held"
kinds = ["project_x"]
direction = "outbound"
action = "hold"
"""


async def test_policy_get_set_test_and_it_survives_reload(config_path: Path) -> None:
    async with running(config_path) as env:
        admin = await env.client("sec")
        before = await admin.call("policy.get")
        assert before["source"] == "config"
        assert "no-cards-secrets-markings-out" in [r["name"] for r in before["rules"]]
        tested = await admin.call("policy.test", text=f"pay to {CARD}")
        assert tested["action"] == "block"
        assert tested["findings"][0]["kind"] == "card"
        assert tested["findings"][0]["text"].replace(" ", "") == CARD.replace(" ", "")

        with pytest.raises(ControlError) as bad:
            await admin.call(
                "policy.set", toml='[[rules]]\nname = "r1"\naction = "explode"\nkinds = ["card"]'
            )
        assert bad.value.code == -32602
        assert "'r1'" in bad.value.message
        assert "action" in bad.value.message
        with pytest.raises(ControlError) as not_toml:
            await admin.call("policy.set", toml="[[rules")
        assert not_toml.value.code == -32602

        assert await admin.call("policy.set", toml=POLICY) == {"rules": 2}
        after = await admin.call("policy.get")
        assert (after["source"], after["toml"]) == ("store", POLICY)
        alice = await env.client("alice")
        held = await alice.call("send", link_id="acme", text="about Project X tomorrow")
        assert (held["action"], held["rules"]) == ("hold", ["project-x-held"])
        card = await alice.call("send", link_id="acme", text=f"card {CARD}")
        assert card["action"] == "allow"  # the stored policy has no card rule

        env.daemon.reload()  # the config file's [policy] does not come back on reload
        assert (await admin.call("policy.get"))["source"] == "store"
        again = await alice.call("send", link_id="acme", text="project x again")
        assert again["action"] == "hold"
        records = (await admin.call("audit.page", limit=500))["records"]
        [record] = [r for r in records if r["action"] == "policy.set"]
        assert record["actor"] == "os:sec"
        assert record["details"]["old_sha256"] is None
        assert len(record["details"]["new_sha256"]) == 64

    async with running(config_path) as env:  # and a restart
        admin = await env.client("sec")
        assert (await admin.call("policy.get"))["source"] == "store"
        assert (await admin.call("policy.test", text="project x"))["action"] == "hold"


async def test_subscribe_streams_only_what_the_caller_may_read(config_path: Path) -> None:
    async with running(config_path) as env:
        alice = await env.client("alice")
        admin = await env.client("sec")
        assert await alice.call("subscribe", topics=["messages", "approvals"]) == {}
        await admin.call("subscribe")
        with pytest.raises(ControlError):
            await alice.call("subscribe", topics=["gossip"])
        globex = ChatRef(TELEGRAM, "200")
        await env.telegram.sink.message(elsewhere("g1", "for globex only", globex))
        await env.telegram.sink.message(partner("a1", "for acme"))
        held = await alice.call("send", link_id="acme", text=f"INN {INN}")

        alice_events = alice.events()
        seen = []
        while len([e for e in seen if e["topic"] == "approval"]) < 1:
            seen.append(await asyncio.wait_for(anext(alice_events), 5))
        texts = {e["message"]["text"] for e in seen if e["topic"] == "message"}
        assert "for acme" in texts
        assert "for globex only" not in texts
        approval = next(e["approval"] for e in seen if e["topic"] == "approval")
        assert (approval["message_id"], approval["state"]) == (held["message_id"], "pending")

        admin_events = admin.events()
        admin_seen = set()
        while "for globex only" not in admin_seen:
            event = await asyncio.wait_for(anext(admin_events), 5)
            if event["topic"] == "message":
                admin_seen.add(event["message"]["text"])
        # a decision is an event too
        await admin.call("approvals.reject", id=approval["id"], reason="no personal data")
        while True:
            event = await asyncio.wait_for(anext(alice_events), 5)
            if event["topic"] == "approval":
                assert event["approval"]["state"] == "rejected"
                break


async def test_links_and_contacts_are_admin_business_and_audited(config_path: Path) -> None:
    async with running(config_path) as env:
        admin = await env.client("sec")
        created = await admin.call(
            "links.create",
            id="initech",
            internal_room="!initech:internal.test",
            external_network="telegram",
            external_chat="300",
        )
        assert (created["id"], created["source"]) == ("initech", "runtime")
        with pytest.raises(ControlError) as exists:
            await admin.call(
                "links.create",
                id="initech",
                internal_room="!y:internal.test",
                external_network="telegram",
                external_chat="301",
            )
        assert exists.value.code == -32010
        sources = {x["id"]: x["source"] for x in await admin.call("links.list")}
        assert sources == {"acme": "config", "globex": "config", "initech": "runtime"}
        with pytest.raises(ControlError) as from_config:
            await admin.call("links.remove", id="acme")
        assert "comes from the config file" in from_config.value.message
        assert await admin.call("links.remove", id="initech") == {}
        with pytest.raises(ControlError) as gone:
            await admin.call("links.remove", id="initech")
        assert gone.value.code == -32004

        stranger = ChatRef(TELEGRAM, "777", "Stranger")
        await env.telegram.sink.message(elsewhere("s1", "hello, who is this?", stranger))
        [waiting] = await admin.call("contacts.reception")
        assert (waiting["chat_id"], waiting["messages"]) == ("777", 1)
        carol = await env.client("carol")
        assert len(await carol.call("contacts.reception")) == 1
        linked = await admin.call(
            "contacts.assign", network="telegram", chat_id="777", internal_room="!new:internal.test"
        )
        assert linked["internal"]["chat_id"] == "!new:internal.test"
        await env.matrix.wait_for(1)
        assert env.matrix.delivered[0].text == "Pavel: hello, who is this?"
        assert await admin.call("contacts.reception") == []
        records = (await admin.call("audit.page", limit=500))["records"]
        actions = [(r["actor"], r["action"]) for r in records if r["action"].startswith("link.")]
        assert actions == [("os:sec", "link.created"), ("os:sec", "link.removed"),
                           ("os:sec", "link.created")]  # fmt: skip


async def test_audit_pages_and_verify(config_path: Path) -> None:
    async with running(config_path) as env:
        for i in range(5):
            await env.telegram.sink.message(partner(f"p{i}", f"m{i}"))
        carol = await env.client("carol")
        first = await carol.call("audit.page", limit=2)
        assert [r["seq"] for r in first["records"]] == [1, 2]
        assert first["more"] is True
        rest = await carol.call("audit.page", after_seq=2, limit=500)
        assert [r["seq"] for r in rest["records"]] == [3, 4, 5]
        assert rest["more"] is False
        assert await carol.call("audit.verify") == {"ok": True, "records": 5}


async def test_stale_socket_is_replaced_and_a_live_one_refuses_a_second_server(
    config_path: Path,
) -> None:
    env_socket = config_path.parent / "run" / "hgw" / "control.sock"
    env_socket.parent.mkdir(parents=True, mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(env_socket))
    stale.close()  # a socket file nobody answers on: what a crash leaves
    async with running(config_path) as env:
        assert (await (await env.client()).call("status"))["outbox"]["failed"] == 0
        second = ControlServer(env.daemon)
        with pytest.raises(HgwError, match="another hgw daemon answers on"):
            await second.start()
        assert env.socket.exists()  # the live daemon's socket was left alone


async def test_client_reconnects_and_subscribes_again_after_a_restart(config_path: Path) -> None:
    states: list[tuple[bool, str]] = []
    async with running(config_path) as env:
        client = ControlClient(env.socket, on_state=lambda up, why: states.append((up, why)))
        await client.connect()
        assert states == [(True, "connected")]
        await client.call("subscribe", topics=["messages"])
    await until(lambda: _went_down(states))
    with pytest.raises(ConnectionError):
        await client.call("status")
    async with running(config_path) as env:
        await until(lambda: _came_back(states), timeout=15)
        await env.telegram.sink.message(partner("p9", "after the restart"))
        event = await asyncio.wait_for(anext(client.events()), 5)
        assert event["message"]["text"] == "after the restart"
        await client.close()


async def _went_down(states: list[tuple[bool, str]]) -> bool:
    return any(not up for up, _ in states)


async def _came_back(states: list[tuple[bool, str]]) -> bool:
    return len(states) >= 3 and states[-1] == (True, "connected")


async def test_edit_own_message_relays_an_edit(config_path: Path) -> None:
    async with running(config_path) as env:
        alice = await env.client("alice")
        sent = await alice.call("send", link_id="acme", text="meet at 10")
        await env.telegram.wait_for(1)
        edited = await alice.call("edit", message_id=sent["message_id"], text="meet at 11")
        assert (edited["message_id"], edited["action"]) == (sent["message_id"], "allow")
        await env.telegram.wait_for(2)
        edit = env.telegram.delivered[1]
        assert (edit.operation.value, edit.text) == ("edit", "meet at 11")
        assert edit.target_remote_id == "telegram-remote-1"  # the copy the partner has
        [view] = (await alice.call("history", link_id="acme"))["messages"]
        assert (view["text"], view["edited"]) == ("meet at 11", True)
        await env.matrix.wait_for(2)
        mirror_edit = env.matrix.delivered[1]  # the room's copy is edited in place
        assert (mirror_edit.operation.value, mirror_edit.text) == (
            "edit",
            "Alice (via hgw): meet at 11",
        )
        assert mirror_edit.target_remote_id == "matrix-remote-1"  # the mirror posted first

        await env.telegram.sink.message(partner("p1", "ok"))
        partner_id = (await alice.call("history", link_id="acme"))["messages"][-1]["id"]
        with pytest.raises(ControlError) as theirs:
            await alice.call("edit", message_id=partner_id, text="forged")
        assert theirs.value.code == -32010
        carol = await env.client("carol")
        with pytest.raises(ControlError) as auditor:
            await carol.call("edit", message_id=sent["message_id"], text="x")
        assert auditor.value.code == -32003
        records = (await carol.call("audit.page", limit=500))["records"]
        assert ("os:alice", "message.edited") in [(r["actor"], r["action"]) for r in records]


async def test_a_reload_changes_the_roles_of_open_connections(config_path: Path) -> None:
    async with running(config_path) as env:
        carol = await env.client("carol")  # auditor
        alice = await env.client("alice")  # operator on acme
        assert (await carol.call("approvals.list")) == []
        text = config_path.read_text()
        text = text.replace('carol = { role = "auditor" }\n', "")
        text = text.replace(
            'alice = { role = "operator", links = ["acme"], matrix_user = "@alice:internal.test" }',
            'alice = { role = "admin" }',
        )
        config_path.write_text(text)
        env.daemon.reload()
        with pytest.raises(ControlError) as removed:
            await carol.call("approvals.list")
        assert removed.value.code == -32001  # no longer in [control.users]
        assert (await alice.call("policy.get"))["source"] in ("config", "store")
        await alice.call("links.list")
        assert (await alice.call("hello"))["role"] == "admin"


async def test_an_edit_is_streamed_as_the_message_it_edits(config_path: Path) -> None:
    async with running(config_path) as env:
        alice = await env.client("alice")
        await alice.call("subscribe", topics=["messages"])
        events = alice.events()
        await env.telegram.sink.message(partner("e1", "meet at 10"))
        first = await asyncio.wait_for(anext(events), 5)
        original = first["message"]["id"]
        await env.telegram.sink.message(partner("e1:edit", "meet at 11", edit_of_native_id="e1"))
        while True:
            event = await asyncio.wait_for(anext(events), 5)
            if event["message"]["text"] == "meet at 11":
                break
        assert event["message"]["id"] == original  # not a second message with a new id
        assert event["message"]["edited"] is True


async def test_an_operator_sees_only_their_own_links_queues_and_failures(
    config_path: Path,
) -> None:
    async with running(config_path) as env:
        env.matrix.transient_failures["globex secret"] = 10**6  # globex's room is stuck
        env.matrix.retry_after = 300
        await env.telegram.sink.message(
            elsewhere("g1", "globex secret terms", ChatRef(TELEGRAM, "200"))
        )
        admin = await env.client("sec")
        alice = await env.client("alice")  # operator on acme only

        async def stuck() -> bool:
            return bool((await admin.call("status"))["queues"])

        await until(stuck)
        queued = {q["chat_id"] for q in (await admin.call("status"))["queues"]}
        assert "!globex:internal.test" in queued
        assert queued <= {"!globex:internal.test", "200"}  # globex's chats only
        mine = await alice.call("status")
        assert mine["queues"] == []
        assert mine["outbox"]["pending"] >= 1  # totals stay: they name no chat


async def test_mentions_count_pills_and_at_names_among_unread(config_path: Path) -> None:
    async with running(config_path) as env:
        pill = Span(0, 5, SpanKind.MENTION, "@alice:internal.test")
        other_pill = Span(0, 3, SpanKind.MENTION, "@bob:internal.test")
        await env.telegram.sink.message(partner("m1", "Alice, see the offer", spans=(pill,)))
        await env.telegram.sink.message(partner("m2", "cc @alice please check"))
        await env.telegram.sink.message(partner("m3", "Bob, also this", spans=(other_pill,)))
        await env.telegram.sink.message(partner("m4", "no one in particular"))
        alice = await env.client("alice")
        [conversation] = await alice.call("conversations.list")
        assert (conversation["unread"], conversation["mentions"]) == (4, 2)
        admin = await env.client("sec")  # no Matrix id configured; nobody wrote @sec
        assert (await admin.call("conversations.list"))[0]["mentions"] == 0
        page = await alice.call("history", link_id="acme", limit=4)
        second = page["messages"][1]["id"]
        await alice.call("conversations.mark_read", link_id="acme", message_id=second)
        [conversation] = await alice.call("conversations.list")
        assert (conversation["unread"], conversation["mentions"]) == (2, 0)


async def test_history_shows_what_was_redacted_when_it_was_decided(tmp_path: Path) -> None:
    rule = (
        '\n[policy]\n[[policy.rules]]\nname = "mask-phones"\ndirection = "outbound"\n'
        'kinds = ["phone"]\naction = "redact"\nredact = "mask"\n'
    )
    socket = tmp_path / "run" / "hgw" / "control.sock"
    path = write_config(tmp_path / "config.toml", socket, tail=rule)
    async with running(path) as env:
        text = "Call me at +7 916 123-45-67 tomorrow"
        await env.matrix.sink.message(staff("$r1", text))
        admin = await env.client("sec")
        page = await admin.call("history", link_id="acme")
        [view] = page["messages"]
        assert view["text"] == text  # the archive keeps the original
        assert view["policy"]["action"] == "redact"
        [[start, end]] = view["policy"]["redacted"]
        assert text[start:end] == "+7 916 123-45-67"
