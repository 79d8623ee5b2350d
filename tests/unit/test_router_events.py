"""Reactions, deletions and media through router and dispatcher, on a real store."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from bridges.base import Deletion, Reaction
from gateway.dispatch import Dispatcher, RetryPolicy
from gateway.errors import TransientBridgeError
from gateway.media import MediaCache
from gateway.model import Attachment, Delivery, OperationKind
from gateway.router import Router
from gateway.store import Store
from tests.unit.relay import (
    ALICE,
    LINK,
    MATRIX,
    PARTNER_CHAT,
    PAVEL,
    ROOM,
    TELEGRAM,
    RecordingBridge,
    judge_by_text,
    partner,
    settled,
    staff,
)


async def test_a_reaction_reaches_the_copy_once_even_when_the_sync_replays_it(env) -> None:
    store, router, _d, matrix, _telegram = env
    await router.message(staff("$hello", "hello"))
    await settled(store)  # the copy is in the message map
    thumbs = Reaction(PARTNER_CHAT, PAVEL, "r1", "telegram-remote-1", "👍")
    await router.reaction(thumbs)
    await router.reaction(thumbs)  # a replayed sync
    await matrix.wait_for(1)
    await settled(store)
    [react] = matrix.delivered
    assert (react.operation, react.reaction, react.target_remote_id) == (
        OperationKind.REACT,
        "👍",
        "$hello",  # pavel reacted to the copy; the reaction lands on alice's original
    )


async def test_a_reaction_key_is_judged_like_text(env) -> None:
    store, router, _d, _matrix, telegram = env
    await router.message(staff("$hello", "hello"))
    await telegram.wait_for(1)
    await router.reaction(Reaction(ROOM, ALICE, "$r", "$hello", "BLOCKME"))
    await settled(store)
    assert len(telegram.delivered) == 1
    async with store.reader.execute(
        "SELECT count(*) FROM audit WHERE subject = 'reaction:$r'"
    ) as cursor:
        assert await cursor.fetchone() == (1,)


async def test_a_deletion_deletes_delivered_copies_once_and_skips_blocked_ones(env) -> None:
    store, router, _d, _matrix, telegram = env
    await router.message(staff("$sent", "hello"))
    await router.message(staff("$blocked", "BLOCKME"))
    await settled(store)
    for target in ("$sent", "$sent", "$blocked", "$unknown"):
        await router.deletion(Deletion(ROOM, ALICE, target))
    await telegram.wait_for(2)
    await settled(store)
    assert [(d.operation, d.target_remote_id) for d in telegram.delivered] == [
        (OperationKind.SEND, None),
        (OperationKind.DELETE, "telegram-remote-1"),
    ]


async def test_someone_deleting_the_copy_does_not_reach_back(env) -> None:
    store, router, _d, matrix, telegram = env
    await router.message(partner("7", "from pavel"))
    await matrix.wait_for(1)
    await router.deletion(Deletion(ROOM, ALICE, "matrix-remote-1"))
    await settled(store)
    assert telegram.delivered == []


async def test_attachment_bytes_travel_through_the_media_cache(tmp_path: Path) -> None:
    media = MediaCache(tmp_path / "media")
    async with Store.open(tmp_path / "hgw.sqlite3") as store:
        telegram = RecordingBridge(TELEGRAM)
        dispatcher = Dispatcher(store, {TELEGRAM: telegram}, media=media)
        router = Router(store, dispatcher, [LINK], judge_by_text, media=media)
        png = b"\x89PNG\r\n\x1a\n" + bytes(100)
        file = Attachment("dot.png", "image/png", len(png), data=png, native_ref="mxc://i/x")
        await router.message(staff("$img", "look", attachments=(file,)))
        await telegram.wait_for(1)
        [sent] = telegram.delivered[0].attachments
        assert (sent.data, sent.native_ref) == (png, "mxc://i/x")
        [cached] = (tmp_path / "media").iterdir()
        assert cached.name == sent.digest
        assert stat.S_IMODE(cached.stat().st_mode) == 0o600
        await dispatcher.drain(1)


class Outage(RecordingBridge):
    """Down until ``up`` is set: every delivery fails as an unreachable network does."""

    def __init__(self) -> None:
        super().__init__(TELEGRAM)
        self.up = False

    async def deliver(self, delivery: Delivery) -> str:
        if not self.up:
            raise TransientBridgeError("homeserver unreachable")
        return await super().deliver(delivery)


async def test_a_recovered_network_cuts_the_backoff_short(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "hgw.sqlite3") as store:
        telegram = Outage()
        retry = RetryPolicy(base_seconds=60.0)  # without the cut, the next try is 30-60 s away
        dispatcher = Dispatcher(
            store, {TELEGRAM: telegram, MATRIX: RecordingBridge(MATRIX)}, retry=retry
        )
        router = Router(store, dispatcher, [LINK], judge_by_text)
        await router.message(staff("$1", "waiting"))
        while not telegram.attempts and not await _has_error(store):
            await asyncio.sleep(0.01)
        telegram.up = True
        dispatcher.network_recovered(TELEGRAM)
        await telegram.wait_for(1, timeout=5)
        await dispatcher.drain(1)


async def _has_error(store: Store) -> bool:
    async with store.reader.execute(
        "SELECT count(*) FROM outbox WHERE last_error IS NOT NULL"
    ) as c:
        row = await c.fetchone()
    return bool(row and row[0])
