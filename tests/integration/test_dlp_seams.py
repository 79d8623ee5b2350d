"""Issue 15 acceptance: every way a red team got a card number or a marking past the shipped
default policy, replayed against the real ``hgw run`` between two real Synapses.

Each case is sent from alice's real client into the portal; it must end blocked or held,
audited with what was found, and the partner's side must never see it — checked over every
string of every event the partner bot posted (body, HTML, file names, mimetypes), not only the
body. The link carries ``format = "{sender_name}: {body}"`` so the staff member's display name
is part of what leaves.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from nio import AsyncClient, RoomPutStateResponse, UploadResponse

from tests.integration.relay_env import PNG, RelayEnv, build, poll
from tests.integration.synapse import SynapseServer

pytestmark = pytest.mark.synapse

CARD = "4276380123456787"
"""Luhn-valid (a Sberbank Visa prefix); never to be seen on the partner side."""
CARD_SPACED = "4276 3801 2345 6787"
HELD_OR_BLOCKED = ("hold", "block")


@pytest.fixture
async def env(
    synapse: SynapseServer, partner_synapse: SynapseServer, tmp_path: Path
) -> AsyncIterator[RelayEnv]:
    relay = await build(synapse, partner_synapse, tmp_path / "relay")
    config = relay.directory / "config.toml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(
        r'(external_chat = "[^"]*")', r'\1\nformat = "{sender_name}: {body}"', text, count=1
    )
    config.write_text(text, encoding="utf-8")
    try:
        await relay.start_daemon()
        yield relay
    finally:
        await relay.close()


# -- helpers ---------------------------------------------------------------------------------


def strings(value: Any) -> Iterator[str]:
    """Every string leaf (keys included) of a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def leaked(env: RelayEnv, needles: tuple[str, ...]) -> list[str]:
    """Strings of the partner bot's events that carry any needle (compared digits-only for
    digit needles, so spacing and separators do not hide a number)."""
    found = []
    for event in env.pavel_view.events(env.partner_room):
        if event.source.get("sender") != env.bot_out.user_id:
            continue
        for value in strings(event.source.get("content", {})):
            digits = re.sub(r"\D", "", value)
            folded = value.casefold()
            for needle in needles:
                hit = needle in digits if needle.isdigit() else needle.casefold() in folded
                if hit:
                    found.append(value)
    return found


async def decision_of(env: RelayEnv, event_id: str) -> dict[str, Any]:
    """The audited policy decision on the message the event became (waits for it)."""

    async def probe() -> dict[str, Any] | None:
        rows = env.query(
            "SELECT a.details FROM audit a JOIN messages m ON a.subject = 'message:' || m.id"
            " WHERE m.native_id = ? AND a.action = 'policy.decision'",
            (event_id,),
        )
        return json.loads(rows[0][0]) if rows else None

    return await poll(probe)  # type: ignore[no-any-return]


async def assert_stopped(env: RelayEnv, cases: dict[str, tuple[str, str]]) -> None:
    """Each case's message was held or blocked, and the audit names a finding of its kind.

    ``cases`` maps a name to ``(event id, kind)``; every case is checked before failing, so
    one run says which of them got through.
    """
    failures = []
    for name, (event_id, kind) in cases.items():
        details = await decision_of(env, event_id)
        decision = details["decision"]
        kinds = {f["kind"] for f in decision["findings"]}
        problems = [a for a in decision["attachments"] if not a.get("scannable", True)]
        found = kind in kinds or (kind == "unscannable" and bool(problems))
        if details["action"] not in HELD_OR_BLOCKED or not found:
            failures.append(f"{name}: {details['action']}, kinds {sorted(kinds)}")
    assert failures == []


async def finish(env: RelayEnv) -> None:
    """A marker after everything: once it reached the partner, every earlier row was handled."""
    await env.say(env.alice, env.portal, "that is all")
    await env.pavel_view.wait_for_body(env.partner_room, lambda b: b.endswith("that is all"))


async def upload(client: AsyncClient, data: bytes, mime: str, name: str) -> str:
    response, _ = await client.upload(
        lambda *_: data, content_type=mime, filename=name, filesize=len(data)
    )
    assert isinstance(response, UploadResponse), response
    return str(response.content_uri)


async def send_file(env: RelayEnv, data: bytes, mime: str, name: str, **content: Any) -> str:
    uri = await upload(env.alice, data, mime, name)
    body = {
        "msgtype": "m.file",
        "body": name,
        "filename": name,
        "url": uri,
        "info": {"mimetype": mime, "size": len(data)},
        **content,
    }
    return await env.send(env.alice, env.portal, body)


async def rename(env: RelayEnv, name: str) -> None:
    """Alice's display name in the portal (a per-room name, as any client can set), once the
    bot has seen it: its next message carries the new name."""
    response = await env.alice.room_put_state(
        env.portal,
        "m.room.member",
        {"membership": "join", "displayname": name},
        state_key=env.alice_user.user_id,
    )
    assert isinstance(response, RoomPutStateResponse), response
    await env.alice_view.wait(
        lambda: env.alice_view.find(
            env.portal,
            lambda e: (
                e.get("type") == "m.room.member" and e.get("content", {}).get("displayname") == name
            ),
        )
    )


# -- documents built here, the way Word and other writers lay them out -----------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)


def docx(text: str, *, prefix: str = "w", main: str = "word/document.xml") -> bytes:
    """A minimal valid .docx whose main part is ``main``, elements prefixed ``prefix:``."""
    p = prefix
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<{p}:document xmlns:{p}="{W_NS}"><{p}:body><{p}:p><{p}:r>'
        f"<{p}:t>{text}</{p}:t></{p}:r></{p}:p></{p}:body></{p}:document>"
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main}" ContentType="{MAIN_TYPE}"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="{main}"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr(main, document)
    return buffer.getvalue()


# -- the cases ---------------------------------------------------------------------------------


async def test_fields_around_the_body_are_judged(env: RelayEnv) -> None:
    """HTML attribute, edit HTML, file name, legacy image body, display name via ``format``."""
    alice, portal = env.alice, env.portal
    href = f'<a href="https://pay.example/checkout?pan={CARD}">payment link</a>'

    # 1. the number only in an href
    in_href = await env.send(
        alice,
        portal,
        {
            "msgtype": "m.text",
            "body": "payment link",
            "format": "org.matrix.custom.html",
            "formatted_body": href,
        },
    )
    # 2. the same in an edit's m.new_content, of a message that went out clean
    clean = await env.say(alice, portal, "see the payment page")
    await env.pavel_view.wait_for_body(env.partner_room, lambda b: "see the payment page" in b)
    edit = await env.send(
        alice,
        portal,
        {
            "msgtype": "m.text",
            "body": "* payment link",
            "m.new_content": {
                "msgtype": "m.text",
                "body": "payment link",
                "format": "org.matrix.custom.html",
                "formatted_body": href,
            },
            "m.relates_to": {"rel_type": "m.replace", "event_id": clean},
        },
    )
    # 3. a file named after the number (contents harmless)
    named = await send_file(env, b"see attached\n", "text/plain", f"{CARD}.txt")
    # 4. a legacy m.image whose body (its name) is the number
    image_uri = await upload(alice, PNG, "image/png", "dot.png")
    legacy = await env.send(
        alice,
        portal,
        {
            "msgtype": "m.image",
            "body": CARD_SPACED,
            "url": image_uri,
            "info": {"mimetype": "image/png", "size": len(PNG)},
        },
    )
    cases = {
        "href": (in_href, "card"),
        "edit href": (edit, "card"),
        "file name": (named, "card"),
        "legacy image body": (legacy, "card"),
    }

    # 5. the display name, filled into the link's format after the body
    await rename(env, CARD_SPACED)
    by_name = await env.say(alice, portal, "hello from accounts")
    cases["display name"] = (by_name, "card")
    await assert_stopped(env, cases)
    await rename(env, "Alice")

    await finish(env)
    assert leaked(env, (CARD,)) == []
    assert not [b for b in env.pavel_view.bodies(env.partner_room) if "hello from accounts" in b]


async def test_documents_are_read_by_structure_and_never_cut_silently(env: RelayEnv) -> None:
    """A marking in a .docx with another prefix or main part; a card past a .txt's scan cap."""
    marking = "Коммерческая тайна"
    prefixed = await send_file(env, docx(marking, prefix="ns0"), DOCX_MIME, "report.docx")
    moved = await send_file(
        env, docx(marking, main="word/main-document.xml"), DOCX_MIME, "plan.docx"
    )
    filler = ("lorem ipsum dolor sit amet " * 10 + "\n") * 1000  # ~270k characters
    oversized = await send_file(
        env, (filler + f"card {CARD_SPACED}\n").encode(), "text/plain", "notes.txt"
    )
    await assert_stopped(
        env,
        {
            "docx ns0 prefix": (prefixed, "marking"),
            "docx main part elsewhere": (moved, "marking"),
            "txt over the cap": (oversized, "unscannable"),
        },
    )

    await finish(env)
    names = [
        str(e.source.get("content", {}).get("filename") or e.source.get("content", {}).get("body"))
        for e in env.pavel_view.messages(env.partner_room, env.bot_out.user_id)
    ]
    assert not [n for n in names if n in ("report.docx", "plan.docx", "notes.txt")]


SPLITS = [
    ("4276 3801.", "2345 6787"),
    ("4276 3801", "rest 2345 6787"),
]
SEPARATED = ["4276x3801x2345x6787", "4276 -- 3801 -- 2345 -- 6787"]
MARKINGS = ["Коммерческая\u200bтайна: план", "Коммерческая_тайна: план"]


async def test_split_separated_and_disguised_data_are_caught(env: RelayEnv) -> None:
    alice, portal = env.alice, env.portal
    cases: dict[str, tuple[str, str]] = {}
    for first, second in SPLITS:
        await env.say(alice, portal, first)
        await env.pavel_view.wait_for_body(env.partner_room, lambda b, f=first: b.endswith(f))
        cases[f"split {first!r} + {second!r}"] = (await env.say(alice, portal, second), "card")
        await decision_of(env, cases[f"split {first!r} + {second!r}"][0])
        await env.say(alice, portal, "ok, thanks")  # ends the kept tail before the next pair
    for text in SEPARATED:
        cases[text] = (await env.say(alice, portal, text), "card")
    for text in MARKINGS:
        cases[repr(text)] = (await env.say(alice, portal, text), "marking")
    await assert_stopped(env, cases)

    await finish(env)
    assert leaked(env, ("23456787", "42763801234", "тайна")) == []


async def test_split_number_across_a_daemon_restart_is_caught(env: RelayEnv) -> None:
    alice, portal = env.alice, env.portal
    await env.say(alice, portal, "card 4276 3801")
    await env.pavel_view.wait_for_body(env.partner_room, lambda b: b.endswith("card 4276 3801"))
    assert env.daemon.stop() == 0
    env.daemon.start()
    await env.wait_ready()
    second = await env.say(alice, portal, "2345 6787")
    await assert_stopped(env, {"split over a restart": (second, "card")})
    await finish(env)
    assert leaked(env, ("23456787",)) == []
