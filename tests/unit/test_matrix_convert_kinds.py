"""Stickers and polls from Matrix become messages, not silence (issue 16 item 5).

Pure: raw event dicts → nio's parser → :func:`convert_event`, no homeserver. Before, an
``m.sticker`` and every poll start were skipped without a trace.
"""

from __future__ import annotations

from typing import Any

from nio.events.room_events import Event

from bridges.matrix.convert import RoomContext, convert_event
from gateway.model import ChatRef, Direction, Message, NetworkName

CTX = RoomContext(chat=ChatRef(NetworkName("matrix"), "!room:hs"), direction=Direction.OUTBOUND)


def event(kind: str, content: dict[str, Any], event_id: str = "$e1") -> Any:
    return Event.parse_event(
        {
            "type": kind,
            "event_id": event_id,
            "sender": "@alice:hs",
            "origin_server_ts": 1_700_000_000_000,
            "content": content,
        }
    )


def test_a_sticker_is_an_image_attachment_named_after_its_description() -> None:
    sticker = event(
        "m.sticker",
        {"body": "Happy cat", "url": "mxc://hs/abc", "info": {"mimetype": "image/png", "size": 9}},
    )
    message = convert_event(sticker, CTX)
    assert isinstance(message, Message)
    [attachment] = message.attachments
    assert (attachment.name, attachment.declared_mime, attachment.native_ref) == (
        "Happy cat.png",
        "image/png",
        "mxc://hs/abc",
    )
    assert message.text == ""


def test_a_sticker_without_a_usable_url_still_says_a_sticker_was_there() -> None:
    message = convert_event(event("m.sticker", {"body": "wave", "url": "https://x/y"}), CTX)
    assert isinstance(message, Message)
    assert message.attachments == ()
    assert message.text == "[attachment unavailable: wave]"


def test_polls_unstable_and_stable_become_numbered_text() -> None:
    unstable = {
        "org.matrix.msc3381.poll.start": {
            "question": {"org.matrix.msc1767.text": "Lunch?"},
            "answers": [
                {"id": "a", "org.matrix.msc1767.text": "Pizza"},
                {"id": "b", "org.matrix.msc1767.text": "Sushi"},
            ],
        },
        "org.matrix.msc1767.text": "Lunch?",
    }
    stable = {
        "m.poll": {
            "question": {"m.text": [{"body": "Lunch?"}]},
            "answers": [
                {"m.id": "a", "m.text": [{"body": "Pizza"}]},
                {"m.id": "b", "m.text": [{"body": "Sushi"}]},
            ],
        },
        "m.text": [{"body": "Lunch?"}],
    }
    for kind, content in (("org.matrix.msc3381.poll.start", unstable), ("m.poll.start", stable)):
        message = convert_event(event(kind, content), CTX)
        assert isinstance(message, Message), kind
        assert message.text == "📊 Poll: Lunch?\n1. Pizza\n2. Sushi"


def test_an_unreadable_poll_is_relayed_as_its_fallback_or_a_marker_and_votes_are_not() -> None:
    fallback = convert_event(
        event("m.poll.start", {"m.poll": {}, "m.text": [{"body": "Vote now"}]}), CTX
    )
    assert isinstance(fallback, Message)
    assert fallback.text == "Vote now"
    bare = convert_event(event("m.poll.start", {}), CTX)
    assert isinstance(bare, Message)
    assert bare.text == "[a poll hgw could not read]"
    vote = event("m.poll.response", {"m.selections": ["a"], "m.relates_to": {}})
    assert convert_event(vote, CTX) is None
