"""Issue 16 item 4 (and parts of 5): nothing lost on joining a room, no event kind lost unseen,
names known after a restart.

- The start of relaying in a room is a recorded point (the bot's invite), not "whatever the
  first sync after the join returned": staff who type while the bot is still joining are heard.
- Stickers and polls were neither relayed, archived, audited nor answered: now a sticker travels
  as an image and a poll as text, through the policy like any message, both ways.
- After ``hgw run`` restarted, an incremental sync carries no room state, so senders were
  archived without names and the room was titled "Empty Room".

Real Synapses (``relay_env``) and the Telegram sandbox (``telegram_env``); the store is read
only to check the archive and the audit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nio import DownloadResponse, RoomCreateResponse, RoomInviteResponse
from telethon.tl import types

from tests.integration import telegram_env
from tests.integration.relay_env import PNG, RelayEnv, _is_member, build, poll
from tests.integration.synapse import SynapseServer

pytestmark = pytest.mark.timeout(240)

WEBP = bytes.fromhex("524946461c000000574542505650384c0f0000002f000000000710fd8ffe0722a2ff0100")
"""A 1×1 lossless WebP: what a static Telegram sticker is."""


@pytest.fixture
async def env(
    synapse: SynapseServer, partner_synapse: SynapseServer, tmp_path: Path
) -> AsyncIterator[RelayEnv]:
    relay = await build(synapse, partner_synapse, tmp_path / "relay")
    try:
        yield relay
    finally:
        await relay.close()


@pytest.fixture
async def tg(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[telegram_env.TelegramEnv]:
    environment = await telegram_env.build(synapse, tmp_path / "tg")
    try:
        yield environment
    finally:
        await environment.close()


def archived(env: RelayEnv, event_id: str) -> list[tuple[Any, ...]]:
    """(archive id, sender name, conversation title) of the event, if hgw stored it."""
    return env.query(
        "SELECT m.id, m.sender_name, c.title FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id WHERE m.native_id = ?",
        (event_id,),
    )


def audited(env: RelayEnv, message_id: int) -> list[str]:
    rows = env.query("SELECT action FROM audit WHERE subject = ?", (f"message:{message_id}",))
    return [str(r[0]) for r in rows]


# -- 1. no loss on join ---------------------------------------------------------------------------


async def test_what_staff_type_while_the_bot_joins_is_relayed_once_and_history_is_not(
    env: RelayEnv,
) -> None:
    """A second portal: its history is written before any link to it exists; the link is added
    (config, restart); staff invite the bot and type at once — while the daemon is down, so the
    message is certainly older than the bot's join — and again right after the join."""
    sec, alice, pavel = env.sec, env.alice, env.pavel
    room = await sec.room_create(name=f"second portal {env.tag}", invite=[env.alice_user.user_id])
    assert isinstance(room, RoomCreateResponse), room
    await alice.join(room.room_id)
    await env.say(alice, room.room_id, "history before the link")
    partner = await pavel.room_create(name=f"second {env.tag}", invite=[env.bot_out.user_id])
    assert isinstance(partner, RoomCreateResponse), partner
    await env.start_daemon()  # a running daemon with a sync token, not a fresh login

    env.daemon.stop()
    config = env.directory / "config.toml"
    config.write_text(
        config.read_text() + f'\n[[links]]\nid = "second"\ninternal_room = "{room.room_id}"\n'
        f'external_network = "acme"\nexternal_chat = "{partner.room_id}"\n'
    )
    invited = await sec.room_invite(room.room_id, env.bot_in.user_id)
    assert isinstance(invited, RoomInviteResponse), invited
    await env.say(alice, room.room_id, "typed while the bot was invited")
    env.daemon.start()
    await env.wait_ready()
    await poll(lambda: _is_member(sec, room.room_id, env.bot_in.user_id))
    await env.say(alice, room.room_id, "typed right after the join")
    await poll(lambda: _is_member(pavel, partner.room_id, env.bot_out.user_id))
    await env.say(alice, room.room_id, "last one")

    outside = env.pavel_view
    await outside.wait_for_body(partner.room_id, lambda b: b == "last one", timeout=60)
    bodies = outside.bodies(partner.room_id, env.bot_out.user_id)
    assert bodies == [
        "typed while the bot was invited",
        "typed right after the join",
        "last one",
    ]
    recorded = env.kv(f"matrix.room_since.{room.room_id}")
    assert recorded is not None
    assert recorded.isdigit()


# -- 2. stickers and polls ------------------------------------------------------------------------


def poll_unstable(question: str, answers: list[str]) -> dict[str, Any]:
    """A poll as Element sends it today (MSC3381, unstable prefix)."""
    return {
        "org.matrix.msc3381.poll.start": {
            "kind": "org.matrix.msc3381.poll.disclosed",
            "max_selections": 1,
            "question": {"org.matrix.msc1767.text": question},
            "answers": [
                {"id": f"a{n}", "org.matrix.msc1767.text": a} for n, a in enumerate(answers)
            ],
        },
        "org.matrix.msc1767.text": question,
    }


def poll_stable(question: str, answers: list[str]) -> dict[str, Any]:
    """A poll in the Matrix 1.x stable form (``m.poll.start``)."""
    return {
        "m.poll": {
            "kind": "m.disclosed",
            "max_selections": 1,
            "question": {"m.text": [{"body": question}]},
            "answers": [{"m.id": f"a{n}", "m.text": [{"body": a}]} for n, a in enumerate(answers)],
        },
        "m.text": [{"body": question}],
    }


async def test_stickers_and_polls_from_staff_reach_the_partner_room_archived_and_audited(
    env: RelayEnv,
) -> None:
    await env.start_daemon()
    alice, portal, partner = env.alice, env.portal, env.partner_room
    outside, bot_out = env.pavel_view, env.bot_out.user_id
    uri = await env.upload_png(alice)
    sticker = await env.send(
        alice,
        portal,
        {"body": "Happy dot", "url": uri, "info": {"mimetype": "image/png", "size": len(PNG)}},
        "m.sticker",
    )
    lunch = await env.send(
        alice,
        portal,
        poll_unstable("Lunch?", ["Pizza", "Sushi"]),
        "org.matrix.msc3381.poll.start",
    )
    stable = await env.send(
        alice, portal, poll_stable("Meet when?", ["Monday", "Friday"]), "m.poll.start"
    )
    card = await env.send(
        alice,
        portal,
        poll_unstable("Pay with which card?", ["4111 1111 1111 1111", "cash"]),
        "org.matrix.msc3381.poll.start",
    )
    await env.say(alice, portal, "after the polls")

    await outside.wait_for_body(partner, lambda b: b == "after the polls")
    image = outside.find(partner, lambda e: e.get("content", {}).get("msgtype") == "m.image")
    assert image is not None
    assert image["sender"] == bot_out
    downloaded = await env.pavel.download(image["content"]["url"])
    assert isinstance(downloaded, DownloadResponse)
    assert downloaded.body == PNG
    bodies = outside.bodies(partner, bot_out)
    assert "📊 Poll: Lunch?\n1. Pizza\n2. Sushi" in bodies
    assert "📊 Poll: Meet when?\n1. Monday\n2. Friday" in bodies
    assert not [b for b in bodies if "4111" in b]  # the poll text is judged like any message
    await env.alice_view.wait(
        lambda: env.alice_view.find(
            portal,
            lambda e: (
                e.get("sender") == env.bot_in.user_id
                and e.get("content", {}).get("msgtype") == "m.notice"
                and e.get("content", {}).get("m.relates_to", {}).get("m.in_reply_to", {})
                == {"event_id": card}
            ),
        )
    )
    for event_id in (sticker, lunch, stable, card):
        [(message_id, _, _)] = archived(env, event_id)
        assert "policy.decision" in audited(env, message_id)


async def test_stickers_and_polls_cross_telegram_both_ways(
    tg: telegram_env.TelegramEnv,
) -> None:
    await tg.start_daemon()
    world = tg.sandbox.world
    upload, _ = await tg.alice.upload(
        lambda *_: PNG, content_type="image/png", filename="dot.png", filesize=len(PNG)
    )
    await tg.alice.room_send(
        tg.portal,
        "m.sticker",
        {"body": "Happy dot", "url": upload.content_uri,
         "info": {"mimetype": "image/png", "size": len(PNG)}},
    )  # fmt: skip
    await tg.alice.room_send(
        tg.portal, "org.matrix.msc3381.poll.start", poll_unstable("Lunch?", ["Pizza", "Sushi"])
    )
    sent = await poll(
        lambda: len(got := [m for m in tg.partner_sees() if m.sender == tg.account.id]) >= 2 and got
    )
    assert isinstance(sent[0].media, types.MessageMediaPhoto)
    assert world.media_bytes(sent[0].media) == PNG
    assert sent[1].text == "📊 Poll: Lunch?\n1. Pizza\n2. Sushi"

    world.send(tg.partner, tg.account, "", media=world.sticker(WEBP, "😀"))
    world.send(tg.partner, tg.account, "", media=world.poll("Delivery day?", ["Mon", "Tue"]))
    image = await poll(
        lambda: [e for e in tg.relayed() if e["content"].get("msgtype") == "m.image"]
    )
    downloaded = await tg.alice.download(mxc=image[0]["content"]["url"])
    assert isinstance(downloaded, DownloadResponse)
    assert downloaded.body == WEBP
    text = await poll(lambda: [b for b in tg.relayed_bodies() if "Delivery day?" in b])
    assert text[0].endswith("📊 poll: Delivery day?\n  ○ Mon\n  ○ Tue")


# -- 3. names after a restart --------------------------------------------------------------------


async def test_after_a_restart_senders_keep_their_names_and_rooms_their_titles(
    env: RelayEnv,
) -> None:
    await env.start_daemon()
    before = await env.say(env.pavel, env.partner_room, "before the restart")
    await env.alice_view.wait_for_body(env.portal, lambda b: b.endswith("before the restart"))
    env.daemon.stop()
    env.daemon.start()
    await env.wait_ready()

    inbound = await env.say(env.pavel, env.partner_room, "after the restart")
    outbound = await env.say(env.alice, env.portal, "answer after the restart")
    copy = await env.alice_view.wait_for_body(
        env.portal, lambda b: b.endswith(": after the restart")
    )
    await env.pavel_view.wait_for_body(env.partner_room, lambda b: b == "answer after the restart")

    assert copy["content"]["body"] == f"pavel{env.tag}: after the restart"
    [(_, name_before, _)] = archived(env, before)
    assert name_before == f"pavel{env.tag}"
    assert archived(env, inbound)[0][1:] == (f"pavel{env.tag}", f"with internal {env.tag}")
    assert archived(env, outbound)[0][1:] == (f"alice{env.tag}", f"ACME portal {env.tag}")
