"""Telegram entities ⇄ spans (UTF-16 offsets) and message splitting (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telethon.tl import types as tl

from bridges.matrix.html import normal_form
from bridges.telegram.entities import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    entities_to_spans,
    spans_to_entities,
    split_message,
    utf16_length,
)
from gateway.model import Span, SpanKind

K = SpanKind


def units(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


def covered_by(text: str, entity: tl.TypeMessageEntity) -> str:
    """What Telegram would mark: slice the UTF-16 encoding, independently of the converter."""
    raw = units(text)[2 * entity.offset : 2 * (entity.offset + entity.length)]
    return raw.decode("utf-16-le", "surrogatepass")


def test_offsets_are_utf16_units() -> None:
    text = "😀 a 👍🏽 b 𝕏"
    spans = (Span(0, 1, K.BOLD), Span(2, 1, K.ITALIC), Span(4, 2, K.UNDERLINE), Span(9, 1, K.CODE))
    entities = spans_to_entities(text, spans)
    assert [(type(e), e.offset, e.length) for e in entities] == [
        (tl.MessageEntityBold, 0, 2),
        (tl.MessageEntityItalic, 3, 1),
        (tl.MessageEntityUnderline, 5, 4),
        (tl.MessageEntityCode, 12, 2),
    ]
    assert [covered_by(text, e) for e in entities] == ["😀", "a", "👍🏽", "𝕏"]
    assert entities_to_spans(text, entities) == spans
    assert utf16_length(text) == 14 == len(units(text)) // 2


def test_every_kind_maps_both_ways() -> None:
    text = "b i u s c pre link @durov name q spoiler"
    spans = (
        Span(0, 1, K.BOLD),
        Span(2, 1, K.ITALIC),
        Span(4, 1, K.UNDERLINE),
        Span(6, 1, K.STRIKE),
        Span(8, 1, K.CODE),
        Span(10, 3, K.PRE, "python"),
        Span(14, 4, K.LINK, "https://example.org/?a=1"),
        Span(19, 6, K.MENTION, "@durov"),
        Span(26, 4, K.MENTION, "777"),
        Span(31, 1, K.BLOCKQUOTE),
        Span(33, 7, K.SPOILER),
    )
    entities = spans_to_entities(text, spans)
    assert [type(e) for e in entities] == [
        tl.MessageEntityBold,
        tl.MessageEntityItalic,
        tl.MessageEntityUnderline,
        tl.MessageEntityStrike,
        tl.MessageEntityCode,
        tl.MessageEntityPre,
        tl.MessageEntityTextUrl,
        tl.MessageEntityMention,
        tl.MessageEntityMentionName,
        tl.MessageEntityBlockquote,
        tl.MessageEntitySpoiler,
    ]
    assert entities[5].language == "python"
    assert entities[8].user_id == 777
    assert entities_to_spans(text, entities) == spans


def test_mentions_for_sending_and_what_is_left_out() -> None:
    text = "ann bob eve mx"
    spans = (
        Span(0, 3, K.MENTION, "42"),
        Span(4, 3, K.MENTION, "@bob_the_builder"),  # text is not the username: a t.me link
        Span(8, 3, K.MENTION, "43"),
        Span(12, 2, K.MENTION, "@mx:example.org"),  # a Matrix id the bridge did not map
        Span(0, 2, K.LINK, "javascript:alert(1)"),
        Span(5, 99, K.BOLD),
        Span(1, 0, K.ITALIC),
    )
    known = {42: tl.InputUser(42, access_hash=99)}
    entities = spans_to_entities(text, spans, input_user=known.get)
    assert [type(e) for e in entities] == [
        tl.InputMessageEntityMentionName,
        tl.MessageEntityTextUrl,
        tl.MessageEntityMentionName,  # unknown to the cache: left for the adapter to resolve
    ]
    assert entities[0].user_id.access_hash == 99
    assert entities[1].url == "https://t.me/bob_the_builder"
    assert entities_to_spans(text, entities) == (
        Span(0, 3, K.MENTION, "42"),
        Span(4, 3, K.LINK, "https://t.me/bob_the_builder"),
        Span(8, 3, K.MENTION, "43"),
    )


def test_received_entities_of_other_kinds() -> None:
    text = "see example.com or https://x.org, mail a@b.ru, #tag /start ⭐ @no"
    entities = [
        tl.MessageEntityUrl(4, 11),
        tl.MessageEntityUrl(19, 13),
        tl.MessageEntityEmail(39, 6),
        tl.MessageEntityHashtag(47, 4),
        tl.MessageEntityBotCommand(52, 6),
        tl.MessageEntityCustomEmoji(59, 1, document_id=5),
        tl.MessageEntityMention(61, 3),  # too short to be a username
        tl.MessageEntityTextUrl(0, 3, url="tg://user?id=12345"),
        tl.MessageEntityTextUrl(0, 3, url="javascript:alert(1)"),
        tl.MessageEntityPre(0, 3, language=""),
    ]
    assert entities_to_spans(text, entities) == (
        Span(0, 3, K.MENTION, "12345"),
        Span(0, 3, K.PRE),
        Span(4, 11, K.LINK, "http://example.com"),
        Span(19, 13, K.LINK, "https://x.org"),
        Span(39, 6, K.LINK, "mailto:a@b.ru"),
    )


def test_hostile_entities_are_clamped_or_dropped() -> None:
    text = "a😀b"  # units: a=0, 😀=1..2, b=3
    entities: list[object] = [
        tl.MessageEntityBold(-5, 7),  # starts before the text: clamped to 0
        tl.MessageEntityItalic(2, 1),  # second half of the emoji: widened to the whole emoji
        tl.MessageEntityUnderline(3, 1000),  # runs past the end: clamped
        tl.MessageEntityStrike(4, 1),  # starts at the end: empty, dropped
        tl.MessageEntityCode(1, 0),  # zero length
        tl.MessageEntityCode(1, -3),  # negative length
        tl.MessageEntitySpoiler(10**12, 10**12),
        tl.MessageEntityTextUrl(0, 1, url=None),  # type: ignore[arg-type]
        tl.MessageEntityPre(0, 1, language=None),  # type: ignore[arg-type]
        None,
        "bold",
        tl.MessageEntityBold("0", 1),  # type: ignore[arg-type]
    ]
    assert entities_to_spans(text, entities) == (
        Span(0, 2, K.BOLD),
        Span(0, 1, K.PRE),
        Span(1, 1, K.ITALIC),
        Span(2, 1, K.UNDERLINE),
    )
    assert entities_to_spans(text, None) == ()
    assert entities_to_spans("", [tl.MessageEntityBold(0, 5)]) == ()


# -- round trips -----------------------------------------------------------------------------

CHARS = st.characters(codec="utf-8") | st.sampled_from(
    ["😀", "👍🏽"[1], "𝕏", "\U0010ffff", "\u0301", "\u200d", "\n", " ", "\ud800"]
)
TEXT = st.lists(CHARS, min_size=1, max_size=60).map("".join)
KINDS = st.sampled_from(list(K))
EXTRAS = {
    K.PRE: st.sampled_from([None, "python", "c++"]),
    K.LINK: st.sampled_from(["https://example.org/", "mailto:x@y.z", "http://ü.ru/?q=😀"]),
    K.MENTION: st.integers(1, 2**40).map(str),
}


@st.composite
def formatted(draw: st.DrawFn) -> tuple[str, list[Span]]:
    """Any spans inside the text: Telegram entities may nest, touch and even cross."""
    text = draw(TEXT)
    spans = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        kind = draw(KINDS)
        spans.append(Span(start, end - start, kind, draw(EXTRAS[kind]) if kind in EXTRAS else None))
    return text, spans


def ordered(spans: list[Span] | tuple[Span, ...]) -> list[Span]:
    return sorted(spans, key=lambda s: (s.offset, -s.length, s.kind.value, s.extra or ""))


@settings(max_examples=400, deadline=None)
@given(formatted())
def test_spans_entities_spans_round_trip(sample: tuple[str, list[Span]]) -> None:
    text, spans = sample
    entities = spans_to_entities(text, spans)
    by_start = sorted(spans, key=lambda s: (s.offset, -s.length))  # the order entities come in
    for entity, span in zip(entities, by_start, strict=True):
        assert covered_by(text, entity) == text[span.offset : span.end]
    assert list(entities_to_spans(text, entities)) == ordered(spans)


ENTITY_TYPES = [
    tl.MessageEntityBold,
    tl.MessageEntityItalic,
    tl.MessageEntityCode,
    tl.MessageEntitySpoiler,
    tl.MessageEntityBlockquote,
]


@settings(max_examples=400, deadline=None)
@given(
    TEXT,
    st.lists(
        st.tuples(st.sampled_from(ENTITY_TYPES), st.integers(-200, 200), st.integers(-5, 200))
    ),
)
def test_any_received_entities_give_valid_spans(
    text: str, raw: list[tuple[type, int, int]]
) -> None:
    spans = entities_to_spans(text, [cls(offset, length) for cls, offset, length in raw])
    assert all(0 <= s.offset < s.end <= len(text) for s in spans)


# -- splitting -------------------------------------------------------------------------------


def rejoin(pieces: list[tuple[str, tuple[Span, ...]]]) -> tuple[str, tuple[Span, ...]]:
    """The pieces' text glued back, and their spans shifted back onto it."""
    shifted, position = [], 0
    for piece, spans in pieces:
        shifted += [Span(s.offset + position, s.length, s.kind, s.extra) for s in spans]
        position += len(piece)
    return "".join(piece for piece, _ in pieces), normal_form(shifted)


def long_message() -> tuple[str, tuple[Span, ...]]:
    paragraph = (
        "Договор № 17 подписан. 😀 The partner asked for changes — see below! "
        "Second sentence with 𝕏 and e\u0301 combining marks? Yes.\nA new line 👍🏽 here.\n\n"
    )
    text = (paragraph * 80)[:10_000]
    assert len(text) == 10_000
    spans = [Span(i, 9, K.BOLD) for i in range(0, len(text) - 9, 37)]
    spans += [Span(i, 500, K.ITALIC) for i in range(0, len(text) - 500, 1500)]
    spans += [Span(100, 9000, K.BLOCKQUOTE), Span(4000, 300, K.LINK, "https://e.org/")]
    return text, tuple(spans)


def test_ten_thousand_characters_split_into_valid_pieces() -> None:
    text, spans = long_message()
    pieces = split_message(text, spans)
    assert len(pieces) == 3
    assert all(utf16_length(piece) <= TEXT_LIMIT for piece, _ in pieces)
    assert all(piece.endswith("\n\n") for piece, _ in pieces[:-1])  # paragraph breaks preferred
    assert rejoin(pieces) == (text, normal_form(spans))
    for piece, piece_spans in pieces:
        assert all(0 <= s.offset < s.end <= len(piece) for s in piece_spans)
        entities = spans_to_entities(piece, piece_spans)
        assert all(e.offset + e.length <= utf16_length(piece) for e in entities)
    captions = split_message(text, spans, CAPTION_LIMIT)
    assert all(utf16_length(piece) <= CAPTION_LIMIT for piece, _ in captions)
    assert rejoin(captions) == (text, normal_form(spans))


@pytest.mark.parametrize(
    ("text", "limit", "first"),
    [
        ("one two three\nfour five.\n\nsix seven eight", 30, "one two three\nfour five.\n\n"),
        ("one two.\n\nthree four\nfive. six seven", 30, "one two.\n\nthree four\n"),  # 2nd half
        ("one two three four\nfive six. seven eight nine", 30, "one two three four\n"),
        ("one two three four. five six seven eight", 30, "one two three four. "),
        ("one two three four?» Five six seven eight", 30, "one two three four?» "),
        ("one two three four five six seven eight nine", 30, "one two three four five six "),
        ("x" * 40, 30, "x" * 30),
        ("😀" * 20, 31, "😀" * 15),  # 30 units: never half a surrogate pair
        ("e\u0301" * 20, 31, "e\u0301" * 15),  # the mark stays with its letter
        ("ab" + "👩\u200d👩\u200d👧" * 5, 12, "ab👩\u200d👩\u200d👧"),  # ZWJ sequence kept whole
        ("a" + "🇷🇺" * 10, 10, "a🇷🇺🇷🇺"),  # flags are pairs of regional indicators
        ("a\r\nb", 2, "a"),
    ],
)
def test_cut_preferences(text: str, limit: int, first: str) -> None:
    pieces = split_message(text, (), limit)
    assert pieces[0][0] == first
    assert "".join(piece for piece, _ in pieces) == text
    assert all(utf16_length(piece) <= limit for piece, _ in pieces)


def test_split_edge_cases() -> None:
    assert split_message("", (Span(0, 3, K.BOLD),)) == [("", ())]
    assert split_message("short", (Span(0, 99, K.BOLD), Span(-2, 3, K.CODE))) == [
        ("short", (Span(0, 5, K.BOLD), Span(0, 1, K.CODE)))
    ]
    with pytest.raises(ValueError, match="limit"):
        split_message("abc", (), 1)


@settings(max_examples=400, deadline=None)
@given(formatted(), st.integers(2, 40))
def test_split_pieces_fit_and_rejoin_exactly(sample: tuple[str, list[Span]], limit: int) -> None:
    text, spans = sample
    pieces = split_message(text, spans, limit)
    assert all(piece and utf16_length(piece) <= limit for piece, _ in pieces)
    assert rejoin(pieces) == (text, normal_form(spans))


@pytest.mark.timeout(120)
def test_one_megabyte_text_splits_quickly() -> None:
    text, spans = long_message()
    big = text * 105  # ~1 M characters
    big_spans = [
        Span(s.offset + i * len(text), s.length, s.kind, s.extra) for i in range(105) for s in spans
    ]
    pieces = split_message(big, big_spans)
    assert "".join(piece for piece, _ in pieces) == big
    assert len(entities_to_spans(big, spans_to_entities(big, big_spans))) == len(big_spans)
