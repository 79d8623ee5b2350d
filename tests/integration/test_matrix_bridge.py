"""The Matrix adapter against a real Synapse, seen from a real nio user client.

The one fake is the :class:`RecordingSink` — the seam where the router would sit. Everything
else is real: Synapse, matrix-nio on both sides, the content repository, txn-id dedupe.
Waits are polls with timeouts, never fixed sleeps.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import stat
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from nio import (
    AsyncClient,
    DownloadResponse,
    Event,
    JoinedMembersResponse,
    LoginResponse,
    RedactedEvent,
    RoomCreateResponse,
    RoomGetEventResponse,
    RoomGetStateEventResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    RoomVisibility,
    UploadResponse,
)

from bridges.base import Deletion, Reaction
from bridges.matrix.adapter import MatrixBridge
from bridges.matrix.convert import MAX_TEXT_CHARS, RoomContext, convert_event
from bridges.matrix.receive import Receiver
from gateway.errors import PermanentBridgeError, SecretFileError
from gateway.model import (
    Attachment,
    ChatRef,
    Delivery,
    Direction,
    Message,
    MessageKind,
    NetworkName,
    OperationKind,
    Span,
    SpanKind,
)

T = TypeVar("T")
TIMEOUT = 20.0
MEDIA_CAP = 64 * 1024
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a4d10000000049454e44ae426082"
)


# -- the one fake: a sink that records ---------------------------------------------------------


class RecordingSink:
    """Collects what the bridge reports, in order; keeps checkpoints in a dict.

    ``log`` interleaves events and checkpoints so a test can check that no checkpoint ever came
    before the events it covers.
    """

    def __init__(self, checkpoints: dict[str, str] | None = None) -> None:
        self.messages: list[Message] = []
        self.reactions: list[Reaction] = []
        self.deletions: list[Deletion] = []
        self.checkpoints: dict[str, str] = {} if checkpoints is None else checkpoints
        self.log: list[tuple[str, str]] = []
        self._changed = asyncio.Event()

    async def message(self, message: Message) -> None:
        self.messages.append(message)
        self._record("message", message.native_id)

    async def reaction(self, reaction: Reaction) -> None:
        self.reactions.append(reaction)
        self._record("reaction", reaction.native_id)

    async def deletion(self, deletion: Deletion) -> None:
        self.deletions.append(deletion)
        self._record("deletion", deletion.target_native_id)

    async def connected(self) -> None:
        self._record("connected", "")

    async def checkpoint(self, key: str, value: str) -> None:
        self.checkpoints[key] = value
        self._record("checkpoint", value)

    async def restore(self, key: str) -> str | None:
        return self.checkpoints.get(key)

    def _record(self, what: str, value: str) -> None:
        self.log.append((what, value))
        self._changed.set()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float = TIMEOUT) -> T:
        """Poll ``probe`` each time something is recorded until it returns something truthy."""

        async def poll() -> T:
            while True:
                found = probe()
                if found:
                    return found
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(poll(), timeout)

    def text(self, text: str) -> Callable[[], Message | None]:
        return lambda: next((m for m in self.messages if m.text == text), None)

    def texts(self) -> list[str]:
        return [m.text for m in self.messages]


class FlakySink(RecordingSink):
    """Fails to store the first attempt of each text in ``fail_once`` — a store hiccup."""

    def __init__(self, fail_once: set[str]) -> None:
        super().__init__()
        self.fail_once = fail_once

    async def message(self, message: Message) -> None:
        if message.text in self.fail_once:
            self.fail_once.discard(message.text)
            self._record("failed", message.native_id)
            raise OSError("disk full")
        await super().message(message)


# -- set-up ------------------------------------------------------------------------------------


def _url(synapse: Any) -> str:
    """The harness's client-server base URL (the one place that knows the attribute name)."""
    return str(synapse.url)


async def _register(synapse: Any, name: str) -> Any:
    """A fresh user (``user_id``, ``password``, ``access_token``) from the harness."""
    user = synapse.register_user(name)
    return await user if inspect.isawaitable(user) else user


async def _client(synapse: Any, user: Any) -> AsyncClient:
    client = AsyncClient(_url(synapse), user.user_id)
    assert isinstance(await client.login(user.password), LoginResponse)
    return client


async def _poll(probe: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    """Poll an async probe every 100 ms until it returns something truthy."""

    async def run() -> Any:
        while not (found := await probe()):
            await asyncio.sleep(0.1)
        return found

    return await asyncio.wait_for(run(), timeout)


@dataclass
class Relay:
    synapse: Any
    alice: AsyncClient
    bot: Any
    room_id: str
    state_dir: Path
    sink: RecordingSink
    bridge: MatrixBridge = field(init=False)

    def new_bridge(self, **kwargs: Any) -> MatrixBridge:
        return MatrixBridge(
            _url(self.synapse),
            self.bot.user_id,
            password=self.bot.password,
            state_dir=self.state_dir,
            allowed_inviters={self.alice.user_id},
            max_media_bytes=MEDIA_CAP,
            **kwargs,
        )

    async def send(self, content: dict[str, Any], event_type: str = "m.room.message") -> str:
        response = await self.alice.room_send(self.room_id, event_type, content)
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def say(self, text: str) -> str:
        return await self.send({"msgtype": "m.text", "body": text})

    async def content_of(self, event_id: str) -> dict[str, Any]:
        event = await self.event(event_id)
        return dict(event.source["content"])

    async def event(self, event_id: str) -> Event:
        response = await self.alice.room_get_event(self.room_id, event_id)
        assert isinstance(response, RoomGetEventResponse), response
        return response.event

    def delivery(self, operation: OperationKind = OperationKind.SEND, **fields: Any) -> Delivery:
        return Delivery(
            outbox_id=1,
            target=ChatRef(NetworkName("matrix"), self.room_id),
            operation=operation,
            idempotency_key=uuid.uuid4().hex,
            **fields,
        )


@pytest.fixture
async def relay(synapse: Any, tmp_path: Path) -> AsyncIterator[Relay]:
    """Alice's room with the bot invited; the bridge started, joined and past its first sync."""
    tag = uuid.uuid4().hex[:8]
    alice_user = await _register(synapse, f"alice{tag}")
    bot = await _register(synapse, f"bot{tag}")
    alice = await _client(synapse, alice_user)
    created = await alice.room_create(visibility=RoomVisibility.private, name=f"portal {tag}")
    assert isinstance(created, RoomCreateResponse), created
    relay = Relay(synapse, alice, bot, created.room_id, tmp_path / "state", RecordingSink())
    relay.bridge = relay.new_bridge()
    await alice.room_invite(created.room_id, bot.user_id)
    await relay.bridge.start(relay.sink)
    try:

        async def bot_joined() -> bool:
            members = await alice.joined_members(created.room_id)
            assert isinstance(members, JoinedMembersResponse)
            return any(m.user_id == bot.user_id for m in members.members)

        await _poll(bot_joined)
        await relay.sink.wait_for(lambda: relay.sink.checkpoints.get("sync_token"))
        yield relay
    finally:
        await relay.bridge.stop()
        await alice.close()


# -- receiving ---------------------------------------------------------------------------------


async def test_receives_text_formatted_reply_edit_reaction_redaction_and_image(
    relay: Relay,
) -> None:
    sink = relay.sink
    hello = await relay.say("hello")
    bold = await relay.send(
        {
            "msgtype": "m.notice",
            "body": "bold move",
            "format": "org.matrix.custom.html",
            "formatted_body": "<b>bold</b> move",
        }
    )
    reply = await relay.send(
        {
            "msgtype": "m.text",
            "body": f"> <{relay.alice.user_id}> hello\n\nanswer",
            "format": "org.matrix.custom.html",
            "formatted_body": "<mx-reply><blockquote>hello</blockquote></mx-reply>answer",
            "m.relates_to": {"m.in_reply_to": {"event_id": hello}},
        }
    )
    edit = await relay.send(
        {
            "msgtype": "m.text",
            "body": "* hello, world",
            "m.new_content": {"msgtype": "m.emote", "body": "hello, world"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": hello},
        }
    )
    reaction = await relay.send(
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": hello, "key": "👍"}},
        "m.reaction",
    )
    upload, _ = await relay.alice.upload(
        lambda *_: PNG, content_type="image/png", filename="dot.png", filesize=len(PNG)
    )
    assert isinstance(upload, UploadResponse), upload
    image = await relay.send(
        {
            "msgtype": "m.image",
            "body": "dot.png",
            "url": upload.content_uri,
            "info": {"mimetype": "image/png", "size": len(PNG)},
        }
    )
    await relay.alice.room_redact(relay.room_id, bold)

    await sink.wait_for(lambda: sink.deletions)
    by_id = {m.native_id: m for m in sink.messages}
    assert [m.native_id for m in sink.messages] == [hello, bold, reply, edit, image]

    first = by_id[hello]
    assert (first.text, first.kind, first.sender.user_id) == (
        "hello",
        MessageKind.TEXT,
        relay.alice.user_id,
    )
    assert first.chat == ChatRef(NetworkName("matrix"), relay.room_id, first.chat.title)
    assert first.direction is Direction.OUTBOUND
    assert by_id[bold].text == "bold move"
    assert by_id[bold].kind is MessageKind.NOTICE
    assert Span(0, 4, SpanKind.BOLD) in by_id[bold].spans
    assert (by_id[reply].text, by_id[reply].reply_to_native_id) == ("answer", hello)
    assert (by_id[edit].text, by_id[edit].edit_of_native_id) == ("hello, world", hello)
    assert by_id[edit].kind is MessageKind.EMOTE
    [attachment] = by_id[image].attachments
    assert (attachment.data, attachment.declared_mime, attachment.name) == (
        PNG,
        "image/png",
        "dot.png",
    )
    assert attachment.native_ref == upload.content_uri
    assert [(r.native_id, r.target_native_id, r.key) for r in sink.reactions] == [
        (reaction, hello, "👍")
    ]
    assert [d.target_native_id for d in sink.deletions] == [bold]
    # The token moves only after the events it covers: the last thing recorded is a checkpoint.
    await sink.wait_for(lambda: sink.log[-1][0] == "checkpoint")


async def test_own_messages_are_not_relayed_back(relay: Relay) -> None:
    await relay.bridge.deliver(relay.delivery(text="from the bot"))
    await relay.say("after the bot")
    await relay.sink.wait_for(relay.sink.text("after the bot"))
    assert "from the bot" not in relay.sink.texts()


async def test_syncs_name_the_uploaded_filter_instead_of_spelling_it_out(relay: Relay) -> None:
    """Synapse schema-checks a filter given inline on every /sync; an uploaded one it loads."""
    client = relay.bridge._client
    filters: list[object] = []
    sync = client.sync

    async def recording_sync(*args: Any, **kwargs: Any) -> Any:
        filters.append(kwargs.get("sync_filter"))
        return await sync(*args, **kwargs)

    client.sync = recording_sync  # type: ignore[method-assign]
    for text in ("one", "two"):
        await relay.say(text)
        await relay.sink.wait_for(relay.sink.text(text))
    assert filters
    assert all(isinstance(f, str) for f in filters), filters
    stored = await asyncio.to_thread(
        relay.synapse.request,
        "GET",
        f"/_matrix/client/v3/user/{client.user_id}/filter/{filters[-1]}",
        access_token=client.access_token,
    )
    assert stored["room"]["timeline"] == {"limit": 100}
    assert stored["room"]["ephemeral"] == {"not_types": ["*"]}


async def test_a_refused_filter_upload_falls_back_to_the_inline_filter_quietly(
    synapse: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = AsyncClient(_url(synapse), "@nobody:internal.test")
    client.access_token = "not-a-token"  # so the homeserver refuses the upload
    receiver = Receiver(
        client,
        RecordingSink(),
        network=NetworkName("matrix"),
        direction=Direction.OUTBOUND,
        since="s1",
        allowed_inviters=(),
        max_media_bytes=MEDIA_CAP,
        sync_timeout_ms=1000,
        retry_seconds=(0.1, 1.0),
        relogin=None,
    )
    try:
        first = await receiver._sync_filter()
        second = await receiver._sync_filter()
    finally:
        await client.close()
    assert isinstance(first, dict)
    assert first == second
    assert first["room"]["timeline"] == {"limit": 100}
    warnings = [r for r in caplog.records if "could not upload the sync filter" in r.message]
    assert len(warnings) == 1  # not one per sync: the next upload waits minutes


async def test_invites_from_strangers_are_rejected(relay: Relay) -> None:
    mallory_user = await _register(relay.synapse, f"mallory{uuid.uuid4().hex[:8]}")
    mallory = await _client(relay.synapse, mallory_user)
    try:
        created = await mallory.room_create(visibility=RoomVisibility.private)
        assert isinstance(created, RoomCreateResponse)
        await mallory.room_invite(created.room_id, relay.bot.user_id)

        async def bot_left() -> bool:
            state = await mallory.room_get_state_event(
                created.room_id, "m.room.member", relay.bot.user_id
            )
            return (
                isinstance(state, RoomGetStateEventResponse)
                and state.content.get("membership") == "leave"
            )

        await _poll(bot_left)
    finally:
        await mallory.close()


# -- delivering --------------------------------------------------------------------------------


async def test_delivers_text_formatted_reply_edit_reaction_redaction_and_image(
    relay: Relay,
) -> None:
    plain = await relay.bridge.deliver(relay.delivery(text="plain words"))
    assert await relay.content_of(plain) == {"msgtype": "m.text", "body": "plain words"}

    styled = await relay.bridge.deliver(
        relay.delivery(
            text="bold <tag>", spans=(Span(0, 4, SpanKind.BOLD),), kind=MessageKind.EMOTE
        )
    )
    content = await relay.content_of(styled)
    assert content["msgtype"] == "m.emote"
    assert content["format"] == "org.matrix.custom.html"
    assert "<strong>bold</strong>" in content["formatted_body"]
    assert "<tag>" not in content["formatted_body"]

    notice = await relay.bridge.deliver(relay.delivery(OperationKind.NOTICE, text="held"))
    assert (await relay.content_of(notice))["msgtype"] == "m.notice"

    reply = await relay.bridge.deliver(relay.delivery(text="re", reply_to_remote_id=plain))
    assert (await relay.content_of(reply))["m.relates_to"] == {"m.in_reply_to": {"event_id": plain}}

    edit = await relay.bridge.deliver(
        relay.delivery(OperationKind.EDIT, text="plainer words", target_remote_id=plain)
    )
    content = await relay.content_of(edit)
    assert content["body"] == "* plainer words"
    assert content["m.new_content"] == {"msgtype": "m.text", "body": "plainer words"}
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": plain}

    react = await relay.bridge.deliver(
        relay.delivery(OperationKind.REACT, reaction="🎉", target_remote_id=plain)
    )
    reaction = await relay.event(react)
    assert reaction.source["type"] == "m.reaction"
    assert reaction.source["content"]["m.relates_to"] == {
        "rel_type": "m.annotation",
        "event_id": plain,
        "key": "🎉",
    }

    image = await relay.bridge.deliver(
        relay.delivery(
            text="a caption",
            attachments=(Attachment("dot.png", "image/png", len(PNG), data=PNG),),
        )
    )
    content = await relay.content_of(image)
    assert (content["msgtype"], content["body"], content["filename"]) == (
        "m.image",
        "a caption",
        "dot.png",
    )
    downloaded = await relay.alice.download(content["url"])
    assert isinstance(downloaded, DownloadResponse), downloaded
    assert downloaded.body == PNG

    redaction = await relay.bridge.deliver(
        relay.delivery(OperationKind.DELETE, target_remote_id=styled)
    )
    assert redaction.startswith("$")
    assert isinstance(await relay.event(styled), RedactedEvent)


async def test_same_idempotency_key_twice_makes_one_event(relay: Relay) -> None:
    body = f"exactly once {uuid.uuid4().hex}"
    delivery = relay.delivery(text=body)
    first = await relay.bridge.deliver(delivery)
    second = await relay.bridge.deliver(delivery)
    assert first == second

    redact = relay.delivery(OperationKind.DELETE, target_remote_id=first)
    assert await relay.bridge.deliver(redact) == await relay.bridge.deliver(redact)

    history = await relay.alice.room_messages(relay.room_id, limit=100)
    assert isinstance(history, RoomMessagesResponse), history
    ids = [e.event_id for e in history.chunk]
    assert ids.count(first) == 1
    sent = [e for e in history.chunk if e.source.get("content", {}).get("body") == body]
    assert len(sent) <= 1  # redacted by now; never two


async def test_a_text_too_long_for_one_event_arrives_in_pieces(relay: Relay) -> None:
    tag = uuid.uuid4().hex
    paragraph = f"{tag} Счёт за поставку, пункт за пунктом. " * 20 + "\n\n"
    body = paragraph * 40  # ~40,000 characters: over one event's safe size
    delivery = relay.delivery(text=body)
    first = await relay.bridge.deliver(delivery)
    assert first == await relay.bridge.deliver(delivery)  # a retry repeats nothing
    history = await relay.alice.room_messages(relay.room_id, limit=100)
    assert isinstance(history, RoomMessagesResponse), history
    pieces = [
        e.source["content"]["body"]
        for e in reversed(history.chunk)
        if tag in e.source.get("content", {}).get("body", "")
    ]
    assert len(pieces) >= 4
    assert "".join(pieces) == body


async def test_permanent_errors(relay: Relay) -> None:
    elsewhere = await relay.alice.room_create(visibility=RoomVisibility.private)
    assert isinstance(elsewhere, RoomCreateResponse)
    outside = Delivery(
        outbox_id=2,
        target=ChatRef(NetworkName("matrix"), elsewhere.room_id),
        operation=OperationKind.SEND,
        idempotency_key=uuid.uuid4().hex,
        text="not a member",
    )
    with pytest.raises(PermanentBridgeError, match="M_FORBIDDEN"):
        await relay.bridge.deliver(outside)

    big = bytes(MEDIA_CAP + 1)
    with pytest.raises(PermanentBridgeError, match="cap"):
        await relay.bridge.deliver(
            relay.delivery(attachments=(Attachment("big.bin", None, len(big), data=big),))
        )
    with pytest.raises(PermanentBridgeError):
        await relay.bridge.deliver(relay.delivery(OperationKind.EDIT, text="no target"))


async def test_access_token_login_saves_the_device(relay: Relay, tmp_path: Path) -> None:
    bridge = MatrixBridge(
        _url(relay.synapse),
        relay.bot.user_id,
        access_token=relay.bot.access_token,
        state_dir=tmp_path / "token-state",
    )
    await bridge.start(RecordingSink())
    try:
        event_id = await bridge.deliver(relay.delivery(text="via token"))
        assert (await relay.content_of(event_id))["body"] == "via token"
        saved = json.loads(next((tmp_path / "token-state").glob("*.json")).read_text())
        assert saved["device_id"]
        assert saved["user_id"] == relay.bot.user_id
    finally:
        await bridge.stop()


# -- restarts ----------------------------------------------------------------------------------


async def test_restart_resumes_from_the_saved_token_without_loss_or_repeats(relay: Relay) -> None:
    await relay.say("before the stop")
    await relay.sink.wait_for(relay.sink.text("before the stop"))
    await relay.bridge.stop()
    session_file = next(relay.state_dir.glob("*.json"))
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    device = json.loads(session_file.read_text())["device_id"]

    # More than one sync timeline holds: the gap must be filled from /messages.
    missed = [f"while stopped {n}" for n in range(130)]
    for text in missed:
        await relay.say(text)

    sink = RecordingSink(relay.sink.checkpoints)
    relay.bridge = relay.new_bridge()
    await relay.bridge.start(sink)
    await sink.wait_for(sink.text(missed[-1]), timeout=60)
    assert sink.texts() == missed
    assert json.loads(session_file.read_text())["device_id"] == device


async def test_a_failed_store_holds_the_token_back_and_the_event_comes_again(
    relay: Relay,
) -> None:
    await relay.bridge.stop()
    sink = FlakySink({"store me"})
    sink.checkpoints.update(relay.sink.checkpoints)
    relay.bridge = relay.new_bridge(retry_seconds=(0.05, 0.2))
    await relay.bridge.start(sink)
    stored = await relay.say("store me")
    await relay.say("and me")
    await sink.wait_for(sink.text("and me"))
    assert sink.texts() == ["store me", "and me"]
    failed_at = sink.log.index(("failed", stored))
    stored_at = sink.log.index(("message", stored))
    assert not [entry for entry in sink.log[failed_at:stored_at] if entry[0] == "checkpoint"]


async def test_fresh_login_without_a_token_does_not_replay_history(relay: Relay) -> None:
    await relay.say("old news")
    await relay.sink.wait_for(relay.sink.text("old news"))
    await relay.bridge.stop()

    sink = RecordingSink()  # a new store: no sync token
    relay.bridge = relay.new_bridge()
    await relay.bridge.start(sink)
    await sink.wait_for(lambda: sink.checkpoints.get("sync_token"))
    await relay.say("fresh news")
    await sink.wait_for(sink.text("fresh news"))
    assert sink.texts() == ["fresh news"]


async def test_session_file_readable_by_others_is_refused(relay: Relay) -> None:
    await relay.bridge.stop()
    session_file = next(relay.state_dir.glob("*.json"))
    os.chmod(session_file, 0o644)
    relay.bridge = relay.new_bridge()
    with pytest.raises(SecretFileError, match="chmod 600"):
        await relay.bridge.start(RecordingSink())


async def test_the_sync_loop_survives_a_homeserver_outage(relay: Relay) -> None:
    """Synapse stopped for 10 s and started again: the loop reconnects by itself and the
    message sent after the restart arrives within seconds."""
    await relay.say("before the outage")
    await relay.sink.wait_for(relay.sink.text("before the outage"))
    relay.synapse.stop()
    try:
        await asyncio.sleep(10)  # the outage itself, not a wait for a result
    finally:
        relay.synapse.start()
    await relay.say("after the outage")
    await relay.sink.wait_for(relay.sink.text("after the outage"), timeout=10)
    assert relay.sink.texts() == ["before the outage", "after the outage"]


# -- hostile input -----------------------------------------------------------------------------


async def test_malformed_huge_and_script_laden_events_do_not_stop_the_loop(relay: Relay) -> None:
    """Synapse itself refuses a missing msgtype or a non-string body; what it lets through
    (bad relations, a media event without url, a non-string formatted_body, unknown event
    types, an oversized reaction key) must be logged and skipped or salvaged — and the next
    message still arrives."""
    sink = relay.sink
    target = await relay.say("target")
    await relay.send({"msgtype": "m.text", "body": "bad relation", "m.relates_to": "nonsense"})
    await relay.send(
        {
            "msgtype": "m.text",
            "body": "bad edit",
            "m.relates_to": {"rel_type": "m.replace", "event_id": 5},
        }
    )
    await relay.send(
        {
            "msgtype": "m.text",
            "body": "bad html",
            "format": "org.matrix.custom.html",
            "formatted_body": 5,
        }
    )
    await relay.send(
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": "k" * 300}},
        "m.reaction",
    )
    await relay.send({"whatever": [1, 2, {"deep": None}]}, "org.example.weird")
    await relay.send({"msgtype": "m.image", "body": "nourl.png"})
    server = relay.bot.user_id.split(":", 1)[1]
    await relay.send({"msgtype": "m.image", "body": "gone.png", "url": f"mxc://{server}/nope"})
    await relay.send({"msgtype": "m.file", "body": "evil.txt", "url": "https://evil.example/x"})
    await relay.send(
        {
            "msgtype": "m.text",
            "body": "safe",
            "format": "org.matrix.custom.html",
            "formatted_body": "<script>alert(1)</script><iframe src='https://evil.example'></iframe>"
            "<b>safe</b><marquee onmouseover='x()'>moving</marquee>",
        }
    )
    huge, _ = await relay.alice.upload(
        lambda *_: bytes(MEDIA_CAP + 1),
        content_type="application/octet-stream",
        filename="huge.bin",
        filesize=MEDIA_CAP + 1,
    )
    assert isinstance(huge, UploadResponse)
    await relay.send({"msgtype": "m.file", "body": "huge.bin", "url": huge.content_uri})
    big = "ж" * 30_000  # near Synapse's 64 KiB event limit (60 KB of UTF-8)
    await relay.send({"msgtype": "m.text", "body": big})
    await relay.say("still alive")

    await sink.wait_for(sink.text("still alive"), timeout=30)
    texts = sink.texts()
    assert "bad relation" in texts
    bad_edit = next(m for m in sink.messages if m.text == "bad edit")
    assert bad_edit.edit_of_native_id is None
    assert "bad html" not in texts  # nio refuses a non-string formatted_body: logged, skipped
    assert "[attachment unavailable: nourl.png]" in texts
    assert "[attachment unavailable: gone.png]" in texts
    assert "[attachment unavailable: evil.txt]" in texts
    assert "[attachment unavailable: huge.bin]" in texts
    assert big in texts
    [scripted] = [m for m in sink.messages if "safe" in m.text and m.spans]
    assert "alert" not in scripted.text
    assert "<" not in scripted.text
    assert not sink.reactions
    assert all(not m.attachments for m in sink.messages)


def test_a_one_megabyte_body_is_truncated_with_a_marker() -> None:
    """Synapse refuses events over 64 KiB, so this one is fed to the converter directly."""
    source = {
        "type": "m.room.message",
        "event_id": "$huge",
        "sender": "@eve:example.org",
        "origin_server_ts": 1,
        "content": {"msgtype": "m.text", "body": "a" * 1_000_000},
    }
    ctx = RoomContext(ChatRef(NetworkName("matrix"), "!r:example.org"), Direction.OUTBOUND)
    message = convert_event(Event.parse_event(source), ctx)
    assert isinstance(message, Message)
    assert message.text.startswith("a" * MAX_TEXT_CHARS)
    assert message.text.endswith(f"[… truncated {1_000_000 - MAX_TEXT_CHARS} characters]")
