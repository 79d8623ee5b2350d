from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.daemon import Daemon, DaemonLock
from gateway.errors import HgwError
from gateway.store import Store
from tests.unit.relay import MATRIX, TELEGRAM, RecordingBridge, judge_by_text, staff

CONFIG = """
[gateway]
data_dir = "data"

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
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


async def start(config_path: Path) -> tuple[Daemon, asyncio.Task[None], dict]:
    bridges = {MATRIX: RecordingBridge(MATRIX), TELEGRAM: RecordingBridge(TELEGRAM)}
    daemon = Daemon(
        load_config(config_path, check_secrets=False),
        make_bridges=lambda _config: bridges,
        make_judge=lambda _config: judge_by_text,
    )
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.ready.wait(), 10)
    return daemon, task, bridges


async def test_relays_and_drains_on_stop(config_path: Path) -> None:
    daemon, task, bridges = await start(config_path)
    sink = bridges[MATRIX].sink
    for i in range(20):
        await sink.message(staff(f"$e{i}", f"hello {i}"))
    daemon.stop()
    await asyncio.wait_for(task, 15)
    assert [d.text for d in bridges[TELEGRAM].delivered] == [f"hello {i}" for i in range(20)]
    assert bridges[MATRIX].stopped
    assert bridges[TELEGRAM].stopped


async def test_start_up_objects_are_kept_out_of_full_collections(config_path: Path) -> None:
    gc.unfreeze()  # whatever an earlier test froze
    daemon, task, _bridges = await start(config_path)
    try:
        assert gc.get_freeze_count() > 10_000  # modules, schemas, TL classes
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 15)
        gc.unfreeze()


async def test_sync_tokens_are_namespaced_per_network(config_path: Path) -> None:
    daemon, task, bridges = await start(config_path)
    await bridges[MATRIX].sink.checkpoint("sync_token", "s42")
    assert await bridges[MATRIX].sink.restore("sync_token") == "s42"
    assert await bridges[TELEGRAM].sink.restore("sync_token") is None
    daemon.stop()
    await task


async def test_second_daemon_on_the_same_store_is_refused(config_path: Path) -> None:
    daemon, task, _ = await start(config_path)
    lock = DaemonLock(daemon.config.store.path)
    with pytest.raises(HgwError, match=r"another hgw daemon \(pid \d+\) is running"):
        lock.acquire()
    daemon.stop()
    await task
    lock.acquire()  # free again once the first one stopped
    lock.release()


async def test_reload_with_a_broken_config_keeps_the_old_one(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    daemon, task, bridges = await start(config_path)
    config_path.write_text(CONFIG + "\n[[links]]\nid = 3\n")
    daemon.reload()
    assert "config reload refused" in caplog.text
    assert "links[1].id: must be a string" in caplog.text
    assert [link.id for link in daemon.config.links] == ["acme"]
    await bridges[MATRIX].sink.message(staff("$still", "still relayed"))
    config_path.write_text(CONFIG.replace('id = "acme"', 'id = "acme"\nenabled = false'))
    daemon.reload()
    await bridges[MATRIX].sink.message(staff("$off", "link disabled now"))
    daemon.stop()
    await task
    assert [d.text for d in bridges[TELEGRAM].delivered] == ["still relayed"]


async def test_management_commands_are_answered_in_the_room(config_path: Path) -> None:
    from gateway.model import ChatRef, Direction, Message, UserRef

    daemon, task, bridges = await start(config_path)
    room = ChatRef(MATRIX, "!admin:internal.test")
    admin = UserRef(MATRIX, "@security:internal.test")
    await bridges[MATRIX].sink.message(
        Message(room, admin, "$c1", Direction.OUTBOUND, "!hgw links")
    )
    await bridges[MATRIX].wait_for(1)
    reply = bridges[MATRIX].delivered[0]
    assert reply.target == room
    assert reply.text == "• acme: !acme:internal.test ⇄ telegram:100"
    daemon.stop()
    await task


async def test_runtime_links_relay_survive_restarts_and_unlink(config_path: Path) -> None:
    from gateway.model import ChatRef, Direction, Message, UserRef

    room = ChatRef(MATRIX, "!admin:internal.test")
    admin = UserRef(MATRIX, "@security:internal.test")
    new_room = ChatRef(MATRIX, "!globex:internal.test")

    async def command(bridges: dict, native: str, text: str, replies: int) -> str:
        await bridges[MATRIX].sink.message(Message(room, admin, native, Direction.OUTBOUND, text))
        await bridges[MATRIX].wait_for(replies)
        return bridges[MATRIX].delivered[-1].text

    daemon, task, bridges = await start(config_path)
    reply = await command(bridges, "$l1", "!hgw link globex !globex:internal.test telegram 200", 1)
    assert reply.startswith("Linked !globex:internal.test ⇄ telegram:200 as 'globex'")
    assert (await command(bridges, "$l2", "!hgw link acme !x:internal.test telegram 9", 2)) == (
        "link: a link with id 'acme' exists already"
    )
    assert "no external network 'signal'" in await command(
        bridges, "$l3", "!hgw link other !y:internal.test signal 1", 3
    )
    await bridges[MATRIX].sink.message(staff("$g1", "hello globex", chat=new_room))
    await bridges[TELEGRAM].wait_for(1)
    assert bridges[TELEGRAM].delivered[0].target == ChatRef(TELEGRAM, "200")
    daemon.stop()
    await task

    daemon, task, bridges = await start(config_path)  # the link was stored
    await bridges[MATRIX].sink.message(staff("$g2", "after restart", chat=new_room))
    await bridges[TELEGRAM].wait_for(1)
    assert "• globex: !globex:internal.test ⇄ telegram:200" in await command(
        bridges, "$l4", "!hgw links", 1
    )
    assert (await command(bridges, "$l5", "!hgw unlink globex", 2)).startswith("Unlinked")
    assert "comes from the config file" in await command(bridges, "$l6", "!hgw unlink acme", 3)
    await bridges[MATRIX].sink.message(staff("$g3", "not relayed any more", chat=new_room))
    daemon.stop()
    await task
    assert [d.text for d in bridges[TELEGRAM].delivered] == ["after restart"]
    async with (
        Store.open(daemon.config.store.path) as store,
        store.reader.execute(
            "SELECT action FROM audit WHERE action LIKE 'link.%' ORDER BY seq"
        ) as cursor,
    ):
        assert [r[0] for r in await cursor.fetchall()] == ["link.created", "link.removed"]


async def test_a_management_reply_is_retried_not_failed_on_a_transient_error(
    config_path: Path,
) -> None:
    """Replies were queued as "accepted" at time 0, so the dispatcher's 24-hour give-up rule
    failed them on their first transient error instead of retrying."""
    from gateway.model import ChatRef, Direction, Message, UserRef

    daemon, task, bridges = await start(config_path)
    bridges[MATRIX].transient_failures["Outbox:"] = 1  # the homeserver hiccups once
    room = ChatRef(MATRIX, "!admin:internal.test")
    admin = UserRef(MATRIX, "@security:internal.test")
    await bridges[MATRIX].sink.message(
        Message(room, admin, "$s1", Direction.OUTBOUND, "!hgw status")
    )
    await bridges[MATRIX].wait_for(1)
    assert bridges[MATRIX].delivered[0].text.startswith("Outbox:")
    assert len(bridges[MATRIX].attempts) == 2
    daemon.stop()
    await task
