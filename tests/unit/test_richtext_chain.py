"""Matrix HTML → spans → Telegram entities → spans → Matrix HTML, as a message crossing twice.

The two converters are property-tested one by one; this checks that they agree with each other:
whatever formatting Matrix and Telegram can both express survives the trip out and back,
including non-BMP characters (two UTF-16 units on Telegram's side), nesting and adjacency.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bridges.matrix.html import html_to_spans, normal_form, spans_to_html
from bridges.telegram.entities import entities_to_spans, spans_to_entities, split_message
from gateway.model import Span, SpanKind
from tests.unit.test_matrix_html import formatted

BOTH_SIDES = {
    SpanKind.BOLD,
    SpanKind.ITALIC,
    SpanKind.UNDERLINE,
    SpanKind.STRIKE,
    SpanKind.CODE,
    SpanKind.PRE,
    SpanKind.SPOILER,
    SpanKind.BLOCKQUOTE,
    SpanKind.LINK,
}
"""Mentions are left out: a Matrix id means nothing on Telegram (the bridge drops it)."""


def crossable(sample: tuple[str, tuple[Span, ...]]) -> tuple[str, tuple[Span, ...]]:
    text, spans = sample
    kept = tuple(
        s
        for s in spans
        if s.kind in BOTH_SIDES
        and (s.kind is not SpanKind.LINK or (s.extra or "").startswith("http"))
    )
    return text, kept


@settings(max_examples=400, deadline=None)
@given(formatted().map(crossable))
def test_formatting_survives_matrix_to_telegram_and_back(
    sample: tuple[str, tuple[Span, ...]],
) -> None:
    text, spans = sample
    sent_text, sent_spans = html_to_spans(spans_to_html(text, spans))
    entities = spans_to_entities(sent_text, sent_spans)
    back = entities_to_spans(sent_text, entities)
    assert normal_form(back) == normal_form(sent_spans)
    assert html_to_spans(spans_to_html(sent_text, back)) == (sent_text, normal_form(sent_spans))


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32))
def test_ten_thousand_formatted_characters_split_into_valid_pieces(seed: int) -> None:
    import random

    rng = random.Random(seed)
    alphabet = ["a", "б", "😀", "𝕏", " ", "\n", ".", "e\u0301", "👍🏽", "🇷🇺"]
    text = "".join(rng.choice(alphabet) for _ in range(10_000))
    spans = []
    for _ in range(60):
        start = rng.randrange(len(text) - 1)
        spans.append(
            Span(
                start,
                rng.randrange(1, min(400, len(text) - start) + 1),
                rng.choice([SpanKind.BOLD, SpanKind.ITALIC, SpanKind.CODE]),
            )
        )
    pieces = split_message(text, spans)
    assert "".join(piece for piece, _ in pieces) == text
    for piece, piece_spans in pieces:
        assert len(piece.encode("utf-16-le")) // 2 <= 4096
        entities = spans_to_entities(piece, piece_spans)
        units = len(piece.encode("utf-16-le")) // 2
        assert all(e.offset >= 0 and e.offset + e.length <= units for e in entities)
        assert not any("\ud800" <= c <= "\udfff" for c in piece)
