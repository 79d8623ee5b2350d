"""Received Telegram media without a file is shown as text; files get safe, telling names."""

from __future__ import annotations

from datetime import UTC, datetime

from telethon.tl import types

from bridges.telegram.convert import (
    attachment_of,
    describe_action,
    describe_media,
    display_name,
    safe_name,
)


class Received:
    """The few attributes of telethon's Message the converter reads."""

    def __init__(self, media: object, message_id: int = 7) -> None:
        self.media = media
        self.id = message_id
        self.chat_id = 42
        self.date = datetime(2026, 11, 25, tzinfo=UTC)


def document(mime: str, *attributes: object, size: int = 10) -> types.MessageMediaDocument:
    return types.MessageMediaDocument(
        document=types.Document(
            id=1,
            access_hash=2,
            file_reference=b"",
            date=None,
            mime_type=mime,
            size=size,
            dc_id=2,
            attributes=list(attributes),
        )
    )


def test_location_contact_poll_and_dice_become_text() -> None:
    geo = types.MessageMediaGeo(types.GeoPoint(long=37.617635, lat=55.755814, access_hash=0))
    assert describe_media(geo) == (
        "📍 https://www.openstreetmap.org/?mlat=55.755814&mlon=37.617635"
    )
    contact = types.MessageMediaContact("+79001234567", "Ivan", "Petrov", "", 0)
    assert describe_media(contact) == "👤 contact: Ivan Petrov +79001234567"
    poll = types.MessageMediaPoll(
        poll=types.Poll(
            id=1,
            question=types.TextWithEntities("Когда встреча?", []),
            answers=[
                types.PollAnswer(types.TextWithEntities("Пн", []), b"1"),
                types.PollAnswer(types.TextWithEntities("Вт", []), b"2"),
            ],
            hash=0,
        ),
        results=types.PollResults(),
    )
    assert describe_media(poll) == "📊 poll: Когда встреча?\n  ○ Пн\n  ○ Вт"
    assert describe_media(types.MessageMediaDice(value=6, emoticon="🎲")) == "🎲 6"
    assert describe_media(None) is None


def test_voice_video_and_stickers_get_names_that_say_what_they_are() -> None:
    voice = document("audio/ogg", types.DocumentAttributeAudio(duration=3, voice=True))
    assert attachment_of(Received(voice)).name == "voice_7.ogg"
    video = document("video/mp4", types.DocumentAttributeVideo(duration=1, w=1, h=1))
    assert attachment_of(Received(video)).name == "video_7.mp4"
    sticker = document(
        "image/webp",
        types.DocumentAttributeSticker(alt="😀", stickerset=types.InputStickerSetEmpty()),
    )
    assert attachment_of(Received(sticker)).name == "sticker_7.webp"
    named = document("application/pdf", types.DocumentAttributeFilename("../../etc/passwd\x00.pdf"))
    assert attachment_of(Received(named)).name == "passwd.pdf"


def test_hostile_names_are_made_safe() -> None:
    assert safe_name("..\\..\\boot.ini") == "boot.ini"
    assert safe_name("\u202eexe.pdf") == "exe.pdf"  # no bidi override to fake the extension
    assert safe_name("...") == "file"
    assert len(safe_name("a" * 10_000)) == 200
    assert display_name(types.User(id=1, first_name="A" * 1000)) == "A" * 256


def test_chat_actions_become_notices() -> None:
    assert describe_action(types.MessageActionChatEditTitle("Новое имя"), "Olga") == (
        "Olga renamed the chat to 'Новое имя'"
    )
    assert describe_action(types.MessageActionChatDeleteUser(1), "Olga") == "Olga left"
    assert describe_action(types.MessageActionHistoryClear(), "Olga") is None
