"""Matrix HTML ⇄ spans: sanitising hostile input, and round trips (Hypothesis)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridges.matrix.html import MAX_HTML_CHARS, html_to_spans, merge_adjacent, spans_to_html
from gateway.model import Span, SpanKind

K = SpanKind


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("<p>a <script>alert(1)</script>b</p>", "a b"),
        ("x<iframe src='//evil'>inside</iframe>y", "xy"),
        ("<object><embed>e</embed></object>ok<svg><text>s</text></svg>", "ok"),
        ("<marquee>unknown tag keeps its text</marquee>", "unknown tag keeps its text"),
        ("<style>body{}</style><b>visible</b>", "visible"),
        ("<mx-reply><blockquote>quoted</blockquote></mx-reply>answer", "answer"),
        ("<ul><li>one</li><li>two</li></ul>", "• one\n• two"),
        ("<ol><li>first</li><li>second</li></ol>", "1. first\n2. second"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<p>one</p><p>two</p>", "one\ntwo"),
        ("&lt;b&gt; &amp; &#x1F600;", "<b> & 😀"),
        ("<b>unclosed <i>tags", "unclosed tags"),
    ],
)
def test_sanitises_to_text(source: str, text: str) -> None:
    assert html_to_spans(source)[0] == text


def test_links_keep_only_safe_schemes() -> None:
    text, spans = html_to_spans(
        '<a href="javascript:alert(1)">js</a> <a href="data:text/html,x">data</a> '
        '<a href="https://example.com/a?b=1&amp;c=2">web</a> <a href="mailto:a@b.ru">mail</a>'
    )
    assert text == "js data web mail"
    assert [(s.kind, s.extra) for s in spans] == [
        (K.LINK, "https://example.com/a?b=1&c=2"),
        (K.LINK, "mailto:a@b.ru"),
    ]


def test_mentions_spoilers_and_code_blocks() -> None:
    text, spans = html_to_spans(
        '<a href="https://matrix.to/#/%40bob%3Aexample.org">Bob</a>: '
        "<span data-mx-spoiler>secret</span> "
        '<pre><code class="language-python">x = 1\n  y</code></pre>'
    )
    assert text == "Bob: secret \nx = 1\n  y"  # the space before the block is the author's
    assert spans == (
        Span(0, 3, K.MENTION, "@bob:example.org"),
        Span(5, 6, K.SPOILER),
        Span(13, 9, K.PRE, "python"),
    )


def test_outgoing_html_is_escaped_and_well_nested() -> None:
    text = "<b>&amp; bold-italic"
    spans = (Span(0, 12, K.BOLD), Span(9, 11, K.ITALIC), Span(13, 7, K.LINK, 'https://x.ru/"q'))
    produced = spans_to_html(text, spans)
    assert produced.startswith("<strong>&lt;b&gt;&amp;amp;")
    assert '<a href="https://x.ru/&quot;q">' in produced
    assert "<script" not in spans_to_html("<script>", ())
    # crossing spans are split, so the result parses back to the same coverage
    back_text, back = html_to_spans(produced)
    assert back_text == text
    covered = {(i, s.kind) for s in back for i in range(s.offset, s.end)}
    assert covered == {(i, s.kind) for s in spans for i in range(s.offset, s.end)}


def test_unsafe_link_in_spans_is_not_emitted() -> None:
    assert 'href="#"' in spans_to_html("x", (Span(0, 1, K.LINK, "javascript:alert(1)"),))


def test_oversized_html_is_refused_and_large_input_is_linear() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        html_to_spans("x" * (MAX_HTML_CHARS + 1))
    nested = "<b><i>" * 5000 + "deep" + "</i></b>" * 5000
    began = time.perf_counter()
    text, _ = html_to_spans(nested[:MAX_HTML_CHARS])
    assert "deep" in text
    assert time.perf_counter() - began < 10  # generous: quadratic behaviour would take minutes


# -- round trips -------------------------------------------------------------------------

INLINE = [K.BOLD, K.ITALIC, K.UNDERLINE, K.STRIKE, K.CODE, K.SPOILER, K.LINK, K.MENTION]
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\r")
    | st.just("\n")
    | st.sampled_from("😀𝕏é<>&\"'"),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip("\n") == t and not t.isspace())


@st.composite
def formatted(draw: st.DrawFn) -> tuple[str, tuple[Span, ...]]:
    """Text with spans that nest or are disjoint (never cross): the round-trippable set."""
    text = draw(TEXT)
    spans: list[Span] = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        if any(s.offset < start < s.end < end or start < s.offset < end < s.end for s in spans):
            continue
        kind = draw(st.sampled_from(INLINE))
        extra = {K.LINK: "https://example.com/p?q=1&r=2", K.MENTION: "@u:example.org"}.get(kind)
        spans.append(Span(start, end - start, kind, extra))
    return text, tuple(spans)


@settings(max_examples=300, deadline=None)
@given(formatted())
def test_round_trip_of_nested_and_disjoint_spans(sample: tuple[str, tuple[Span, ...]]) -> None:
    text, spans = sample
    assert html_to_spans(spans_to_html(text, spans)) == (text, merge_adjacent(spans))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_input_never_raises_and_spans_stay_in_bounds(source: str) -> None:
    text, spans = html_to_spans(source)
    assert all(s.offset >= 0 and s.end <= len(text) and s.length > 0 for s in spans)
