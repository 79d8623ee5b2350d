"""Issue 5 acceptance: the real telethon client on the sandboxed Telegram, a real Synapse inside.

Every check looks where a person would: staff through their Matrix ``/sync``, the partner
through their own Telegram chat history in the sandbox world.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telethon.tl import types

from bridges.telegram.session import open_session, set_update_state
from gateway.commands.status import render
from gateway.control.client import ControlClient
from tests.integration.relay_env import PNG, poll
from tests.integration.synapse import SynapseServer
from tests.integration.telegram_env import TelegramEnv, build

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
async def env(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[TelegramEnv]:
    environment = await build(synapse, tmp_path / "tg")
    try:
        yield environment
    finally:
        await environment.close()


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def relayed_texts(env: TelegramEnv, marker: str) -> list[str]:
    """The partner texts containing ``marker`` that reached the portal, without the name prefix."""
    return [b.rsplit(": ", 1)[-1] for b in env.relayed_bodies() if marker in b]


async def relayed_body(env: TelegramEnv, text: str) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        return next((e for e in env.relayed() if text in e["content"].get("body", "")), None)

    return await poll(found)


async def test_messages_formatting_replies_edits_deletions_reactions_both_ways(
    env: TelegramEnv,
) -> None:
    await env.start_daemon()
    world, partner, account = env.sandbox.world, env.partner, env.account

    # partner → staff, with formatting and an emoji before it (UTF-16 offsets)
    text = "😀 Hello, invoice is ready"
    bold = types.MessageEntityBold(offset=utf16("😀 "), length=len("Hello"))
    first, _ = world.send(partner, account, text, entities=[bold])
    event = await relayed_body(env, "invoice is ready")
    assert event["content"]["body"].endswith(text)
    assert "<strong>Hello</strong>" in event["content"]["formatted_body"] or (
        "<b>Hello</b>" in event["content"]["formatted_body"]
    )
    assert "Pavel ACME" in event["content"]["body"]  # the partner's name travels with it

    # staff → partner: a formatted reply
    reply_id = await env.alice_view.client.room_send(
        env.portal,
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": "> invoice\n\nThanks 🎉 received",
            "format": "org.matrix.custom.html",
            "formatted_body": "Thanks 🎉 <b>received</b>",
            "m.relates_to": {"m.in_reply_to": {"event_id": event["event_id"]}},
        },
    )
    reply_event = reply_id.event_id
    mine = await poll(lambda: [m for m in env.partner_sees() if "received" in m.text])
    assert len(mine) == 1
    copy = mine[0]
    assert copy.text.endswith("Thanks 🎉 received")
    [entity] = [e for e in copy.entities if isinstance(e, types.MessageEntityBold)]
    start = copy.text.index("received")
    assert (entity.offset, entity.length) == (utf16(copy.text[:start]), len("received"))
    assert copy.reply_to == first_partner_copy_id(env, first.id)

    # staff edit → partner's copy edited in place
    await env.alice_view.client.room_send(
        env.portal,
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": "* Thanks, all received",
            "m.new_content": {"msgtype": "m.text", "body": "Thanks, all received"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": reply_event},
        },
    )
    await poll(lambda: [m for m in env.partner_sees() if m.text.endswith("Thanks, all received")])
    assert len([m for m in env.partner_sees() if m.sender == account.id]) == 1

    # partner reacts to the staff message; staff react to the partner's
    world.react(partner, copy.id, "👍")
    reaction = await poll(
        lambda: [
            e.source
            for e in env.alice_view.events(env.portal)
            if e.source.get("type") == "m.reaction"
            and e.source["content"]["m.relates_to"]["event_id"] == reply_event
        ]
    )
    assert reaction[0]["content"]["m.relates_to"]["key"] == "👍"
    fire = await env.alice_view.client.room_send(
        env.portal,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": event["event_id"], "key": "🔥"}},
    )
    await poll(lambda: world.history(partner, account)[0].reactions.get(account.id) == "🔥")

    # and both take their reactions back
    await env.alice_view.client.room_redact(env.portal, fire.event_id)
    await poll(lambda: account.id not in world.history(partner, account)[0].reactions)
    world.react(partner, copy.id, None)
    await poll(
        lambda: any(
            e.source.get("type") == "m.room.redaction"
            and e.source.get("redacts") == reaction[0]["event_id"]
            for e in env.alice_view.events(env.portal)
        )
    )

    # partner edits and deletes their own message
    world.edit(partner, first.id, "😀 Hello, invoice v2 is ready", [bold])
    edit = await poll(
        lambda: [
            e
            for e in env.relayed()
            if e["content"].get("m.relates_to", {}).get("rel_type") == "m.replace"
        ]
    )
    assert edit[0]["content"]["m.relates_to"]["event_id"] == event["event_id"]
    assert "invoice v2" in edit[0]["content"]["m.new_content"]["body"]
    world.delete(partner, [first.id], revoke=True)
    await poll(
        lambda: any(
            e.source.get("type") == "m.room.redaction"
            and e.source.get("redacts") == event["event_id"]
            for e in env.alice_view.events(env.portal)
        )
    )

    # staff redaction → deleted for the partner too
    await env.alice_view.client.room_redact(env.portal, reply_event)
    await poll(lambda: not [m for m in env.partner_sees() if m.sender == account.id])


def first_partner_copy_id(env: TelegramEnv, partner_message_id: int) -> int:
    """The id hgw's account has for the message the partner sent as ``partner_message_id``."""
    return env.sandbox.world.twins[(env.partner.id, partner_message_id)][1]


async def test_photo_and_document_relay_both_ways(env: TelegramEnv) -> None:
    await env.start_daemon()
    world = env.sandbox.world
    offer = "Предложение: 10 шт. по 5 EUR, поставка в декабре.\n".encode()
    world.send(env.partner, env.account, "photo", media=world.photo(PNG))
    world.send(env.partner, env.account, "", media=world.document(offer, "offer.txt", "text/plain"))
    image = await poll(
        lambda: [e for e in env.relayed() if e["content"].get("msgtype") == "m.image"]
    )
    files = await poll(
        lambda: [e for e in env.relayed() if e["content"].get("msgtype") == "m.file"]
    )
    assert files[0]["content"]["filename"] == "offer.txt"
    assert files[0]["content"]["body"] == "Pavel ACME"  # a file alone still says who sent it
    downloaded = await env.alice.download(mxc=image[0]["content"]["url"])
    assert downloaded.body == PNG

    upload, _ = await env.alice.upload(
        lambda *_: offer, content_type="text/plain", filename="contract.txt", filesize=len(offer)
    )
    await env.alice.room_send(
        env.portal,
        "m.room.message",
        {"msgtype": "m.file", "body": "contract.txt", "url": upload.content_uri,
         "info": {"mimetype": "text/plain", "size": len(offer)}},
    )  # fmt: skip
    upload_png, _ = await env.alice.upload(
        lambda *_: PNG, content_type="image/png", filename="dot.png", filesize=len(PNG)
    )
    await env.alice.room_send(
        env.portal,
        "m.room.message",
        {"msgtype": "m.image", "body": "dot.png", "url": upload_png.content_uri,
         "info": {"mimetype": "image/png", "size": len(PNG)}},
    )  # fmt: skip
    sent = await poll(
        lambda: (
            len(got := [m for m in env.partner_sees() if m.sender == env.account.id]) >= 2 and got
        )
    )
    document, photo = sent[0].media, sent[1].media
    assert isinstance(document, types.MessageMediaDocument)
    assert world.media_bytes(document) == offer
    assert document.document.attributes[0].file_name == "contract.txt"
    assert isinstance(photo, types.MessageMediaPhoto)
    assert world.media_bytes(photo) == PNG


async def test_flood_wait_mid_burst_delays_but_loses_nothing(env: TelegramEnv) -> None:
    env.write_config(
        '[control]\nsocket = "control.sock"\n'
        f'[control.users]\n{getpass.getuser()} = {{ role = "admin" }}\n'
    )
    daemon = await env.start_daemon()
    env.sandbox.flood_wait("SendMessageRequest", 5, after=60)
    bridge = daemon.bridges["telegram"]
    seen_waits: list[float] = []
    printed: list[str] = []
    control = ControlClient(daemon.config.control.socket)
    await control.connect(reconnect=False)

    async def watch_status() -> None:  # what `hgw status` shows during the burst
        while True:
            if (until := bridge.status()["flood_wait_until"]) is not None:
                seen_waits.append(until - time.time())
                shown = render(await control.call("status")).splitlines()
                printed.extend(line for line in shown if "flood wait until" in line)
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch_status())
    started = time.monotonic()
    for i in range(200):
        await env.alice.room_send(
            env.portal, "m.room.message", {"msgtype": "m.text", "body": f"burst {i}"}
        )
    await poll(lambda: len(env.partner_texts()) >= 200, 120)
    watcher.cancel()
    await control.close()
    assert seen_waits
    assert max(seen_waits) > 4  # the account-wide pause was visible, with its length
    assert printed
    assert printed[0].strip().startswith("telegram")
    assert "s left)" in printed[0]
    assert env.partner_texts() == [f"burst {i}" for i in range(200)]
    assert time.monotonic() - started >= 5
    assert env.sandbox.calls["SendMessageRequest"] == 201  # the refused one was tried again


async def test_lost_reply_is_retried_with_the_same_random_id(env: TelegramEnv) -> None:
    await env.start_daemon()
    env.sandbox.lose_reply("SendMessageRequest")
    await env.alice.room_send(env.portal, "m.room.message", {"msgtype": "m.text", "body": "once"})
    await env.alice.room_send(env.portal, "m.room.message", {"msgtype": "m.text", "body": "twice"})
    await poll(lambda: env.partner_texts() == ["once", "twice"], 60)
    assert env.sandbox.calls["SendMessageRequest"] >= 3  # "once" was sent twice
    assert env.sandbox.calls.get("GetHistoryRequest", 0) >= 1  # found to map its id
    rows = await env.daemon.store.reader.execute_fetchall(  # type: ignore[union-attr]
        "SELECT state, remote_id FROM outbox WHERE target_network = 'telegram' ORDER BY id"
    )
    assert [r[0] for r in rows] == ["sent", "sent"]
    assert all(r[1] for r in rows)


async def test_messages_sent_while_the_daemon_is_down_arrive_once_in_order(
    env: TelegramEnv,
) -> None:
    await env.start_daemon()
    env.sandbox.world.send(env.partner, env.account, "before the stop")
    await relayed_body(env, "before the stop")
    await env.stop_daemon()
    for i in range(50):
        env.sandbox.world.send(env.partner, env.account, f"offline {i}")
    await env.start_daemon()
    expected = [f"offline {i}" for i in range(50)]

    await poll(lambda: len(relayed_texts(env, "offline")) >= 50, 60)
    assert relayed_texts(env, "offline") == expected
    assert env.sandbox.calls["GetDifferenceRequest"] >= 2
    # hgw's own checkpoint followed the difference to its end (not only telethon's session)
    assert env.daemon is not None
    store = env.daemon.store
    account_pts = env.sandbox.world.accounts[env.account.id].pts

    async def checkpointed() -> bool:
        saved = await store.get_value("telegram.update_state")
        return bool(saved) and json.loads(saved)["pts"] == account_pts

    await poll(checkpointed)


async def command(env: TelegramEnv, text: str, expect: str) -> str:
    """Type ``text`` in the management room as the admin; the daemon's answer containing
    ``expect``."""
    await env.sec.room_send(env.admin_room, "m.room.message", {"msgtype": "m.text", "body": text})

    def answer() -> str | None:
        bodies = env.sec_view.bodies(env.admin_room, env.bot.user_id)
        return next((b for b in bodies if expect in b), None)

    return await poll(answer)


async def invited_room(env: TelegramEnv, chat_id: int) -> str:
    """Join the portal hgw opened for ``chat_id`` (the admin was invited to it)."""
    assert env.daemon is not None
    link = next(link for link in env.daemon.all_links() if link.external.chat_id == str(chat_id))
    response = await env.sec.join(link.internal.chat_id)
    assert getattr(response, "room_id", None) == link.internal.chat_id, response
    return link.internal.chat_id


async def test_unknown_contact_waits_in_reception_until_assigned(env: TelegramEnv) -> None:
    await env.start_daemon()
    world = env.sandbox.world
    stranger = world.add_user("Olga", last_name="Newco", username=f"newco_{env.tag}")
    for text in ("Добрый день!", "Мы новый поставщик", "Можно прислать прайс?"):
        world.send(stranger, env.account, text)
    listed = await command(env, "!hgw reception", "Olga Newco")
    assert f"telegram:{stranger.id}" in listed
    assert "3 message(s)" in listed
    assert not any("Добрый" in b for b in env.relayed_bodies())  # nothing relayed yet

    await command(env, f"!hgw assign telegram:{stranger.id}", "is linked to")
    portal = await invited_room(env, stranger.id)
    bodies = await poll(
        lambda: len(got := env.sec_view.bodies(portal, env.bot.user_id)) >= 3 and got
    )
    assert [b.split(": ", 1)[1] for b in bodies] == [
        "Добрый день!",
        "Мы новый поставщик",
        "Можно прислать прайс?",
    ]
    assert "Nobody is waiting" in await command(env, "!hgw reception", "Nobody")

    # later messages from the contact follow the same way; staff answers go back
    world.send(stranger, env.account, "Спасибо!")
    await poll(lambda: any("Спасибо!" in b for b in env.sec_view.bodies(portal, env.bot.user_id)))
    await env.sec.room_send(portal, "m.room.message", {"msgtype": "m.text", "body": "Пришлите"})
    await poll(
        lambda: (
            [m.text for m in world.history(stranger, env.account) if m.sender == env.account.id]
            == ["Пришлите"]
        )
    )


async def test_pm_opens_a_portal_with_a_new_contact(env: TelegramEnv) -> None:
    await env.start_daemon()
    world = env.sandbox.world
    contact = world.add_user("Ivan", username=f"ivan_{env.tag}")
    await command(env, f"!hgw pm @ivan_{env.tag}", "Portal for Ivan")
    portal = await invited_room(env, contact.id)
    await env.sec.room_send(portal, "m.room.message", {"msgtype": "m.text", "body": "Здравствуйте"})
    await poll(lambda: [m.text for m in world.history(contact, env.account)] == ["Здравствуйте"])
    world.send(contact, env.account, "Добрый день")
    await poll(
        lambda: any("Добрый день" in b for b in env.sec_view.bodies(portal, env.bot.user_id))
    )
    assert "no Telegram user" in await command(env, "!hgw pm @nobody_here_x", "no Telegram user")

    # by phone number, as staff often know a partner: resolved through Telegram's contacts
    olga = world.add_user("Olga", phone="+79161234567")
    await command(env, "!hgw pm +7 916 123-45-67", "Portal for Olga")
    by_phone = await invited_room(env, olga.id)
    await env.sec.room_send(by_phone, "m.room.message", {"msgtype": "m.text", "body": "Olga?"})
    await poll(lambda: [m.text for m in world.history(olga, env.account)] == ["Olga?"])
    nobody = await command(env, "!hgw pm +7 999 000-00-00", "no Telegram user with the phone")
    assert "+7 999 000-00-00" in nobody


async def test_portal_mode_opens_a_portal_and_policy_holds_until_assigned(env: TelegramEnv) -> None:
    env.write_config(telegram_extra='unknown_contacts = "portal"')
    await env.start_daemon()
    world = env.sandbox.world
    stranger = world.add_user("Boris", username=f"boris_{env.tag}")
    world.send(stranger, env.account, "Здравствуйте, это Борис")
    # the portal opens at once, but the default policy holds what an unknown contact says
    assert env.daemon is not None
    await poll(env.daemon.approvals.pending)
    notice = await command(env, "!hgw approvals", "unknown-contacts-held")
    approval = int(notice.split("#", 1)[1].split()[0])
    portal = await invited_room(env, stranger.id)
    assert any(link.id == f"auto-telegram-{stranger.id}" for link in env.daemon.all_links())
    await command(env, f"!hgw approve {approval}", "approved")
    await poll(lambda: any("Борис" in b for b in env.sec_view.bodies(portal, env.bot.user_id)))
    # an admin assigns the contact: the same room, now a known contact, nothing held
    await command(env, f"!hgw assign telegram:{stranger.id}", "is linked to")
    world.send(stranger, env.account, "Второе сообщение")
    await poll(lambda: any("Второе" in b for b in env.sec_view.bodies(portal, env.bot.user_id)))
    assert [link.id for link in env.daemon.all_links() if link.internal.chat_id == portal] == [
        f"telegram-{stranger.id}"
    ]


async def test_telegram_outage_both_ways_resumes_in_order(env: TelegramEnv) -> None:
    daemon = await env.start_daemon()
    world = env.sandbox.world
    env.sandbox.go_down()
    await poll(lambda: not daemon.bridges["telegram"].status()["connected"])
    assert "telegram DISCONNECTED" in await command(env, "!hgw status", "Networks:")
    for i in range(10):
        world.send(env.partner, env.account, f"during outage {i}")
    for i in range(3):
        await env.alice.room_send(
            env.portal, "m.room.message", {"msgtype": "m.text", "body": f"reply {i}"}
        )
    await asyncio.sleep(1.5)  # deliveries fail and back off meanwhile; nothing may be lost
    env.sandbox.come_up()
    came_up = time.monotonic()
    await poll(lambda: env.partner_texts() == [f"reply {i}" for i in range(3)], 60)
    assert time.monotonic() - came_up < 10

    def inbound() -> list[str]:
        return [b.rsplit(": ", 1)[-1] for b in env.relayed_bodies() if "during outage" in b]

    await poll(lambda: len(inbound()) >= 10, 60)
    assert inbound() == [f"during outage {i}" for i in range(10)]
    listed = await command(env, "!hgw dialogs", "telegram:")
    assert f"Pavel ACME — telegram:{env.partner.id}" in listed


async def test_resume_uses_hgw_checkpoint_when_telethon_state_ran_ahead(
    env: TelegramEnv,
) -> None:
    # The crash case: telethon saved an update state past updates hgw never stored. If the
    # bridge trusted telethon's session, these 150 messages (more than one difference slice)
    # would be skipped; hgw's own checkpoint must win.
    await env.start_daemon()
    env.sandbox.world.send(env.partner, env.account, "before the crash")
    await relayed_body(env, "before the crash")
    await env.stop_daemon()
    for i in range(150):
        env.sandbox.world.send(env.partner, env.account, f"unstored {i}")
    session = open_session(env.directory / "data" / "telegram.session")
    ahead = env.sandbox.world.accounts[env.account.id].pts
    set_update_state(session, {"pts": ahead, "date": int(time.time())})
    session.save()
    session.close()
    await env.start_daemon()
    expected = [f"unstored {i}" for i in range(150)]

    await poll(lambda: len(relayed_texts(env, "unstored")) >= 150, 90)
    assert relayed_texts(env, "unstored") == expected


async def test_partner_reply_long_text_and_long_caption(env: TelegramEnv) -> None:
    await env.start_daemon()
    world, partner, account = env.sandbox.world, env.partner, env.account

    # partner → staff: a reply to a staff message lands on that Matrix event
    staff_message = await env.alice.room_send(
        env.portal, "m.room.message", {"msgtype": "m.text", "body": "Draft contract is ready"}
    )
    [copy] = await poll(lambda: [m for m in env.partner_sees() if "Draft contract" in m.text])
    world.send(partner, account, "Got it, reading now", reply_to=copy.id)
    event = await relayed_body(env, "Got it, reading now")
    relates = event["content"]["m.relates_to"]["m.in_reply_to"]
    assert relates["event_id"] == staff_message.event_id

    # staff → partner: 30 formatted paragraphs (~11,000 characters, emoji included) split into
    # pieces of at most 4096 UTF-16 units that rejoin to the text, bold kept on every heading
    paragraphs = [f"Пункт {n}." + " Поставка 🚚 в срок, оплата по счёту." * 10 for n in range(30)]
    body = "\n\n".join(paragraphs)
    html = "<br><br>".join(
        f"<b>Пункт {n}.</b>" + p.removeprefix(f"Пункт {n}.") for n, p in enumerate(paragraphs)
    )
    before = len(env.partner_sees())
    await env.alice.room_send(
        env.portal,
        "m.room.message",
        {"msgtype": "m.text", "body": body, "format": "org.matrix.custom.html",
         "formatted_body": html},
    )  # fmt: skip

    def pieces() -> list[Any]:
        return [m for m in env.partner_sees()[before:] if m.sender == account.id]

    await poll(lambda: "".join(m.text for m in pieces()).endswith(paragraphs[-1]), 60)
    got = pieces()
    assert len(got) >= 3
    assert all(utf16(m.text) <= 4096 for m in got)
    assert "".join(m.text for m in got).endswith(body)
    headings = [
        utf16_slice(m.text, e.offset, e.length)
        for m in got
        for e in m.entities
        if isinstance(e, types.MessageEntityBold)
    ]
    assert headings == [f"Пункт {n}." for n in range(30)]

    # a file whose caption is over Telegram's 1024: the text goes first, then the bare file
    caption = "Условия договора: " + "каждый пункт обязателен. " * 70
    offer = b"terms and conditions\n"
    upload, _ = await env.alice.upload(
        lambda *_: offer, content_type="text/plain", filename="terms.txt", filesize=len(offer)
    )
    before = len(env.partner_sees())
    await env.alice.room_send(
        env.portal,
        "m.room.message",
        {"msgtype": "m.file", "body": caption, "filename": "terms.txt",
         "url": upload.content_uri, "info": {"mimetype": "text/plain", "size": len(offer)}},
    )  # fmt: skip
    sent = await poll(lambda: (got := pieces()) and got[-1].media is not None and got, 60)
    *texts, file_message = sent
    assert "".join(m.text for m in texts).endswith(caption)
    assert file_message.text == ""
    assert world.media_bytes(file_message.media) == offer


def utf16_slice(text: str, offset: int, length: int) -> str:
    units = text.encode("utf-16-le")
    return units[2 * offset : 2 * (offset + length)].decode("utf-16-le")
