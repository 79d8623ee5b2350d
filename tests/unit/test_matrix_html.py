"""Matrix HTML ⇄ spans: sanitising hostile input, line breaks, and round trips (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridges.matrix.html import (
    MAX_HTML_CHARS,
    html_to_spans,
    mentioned_user,
    normal_form,
    safe_url,
    spans_to_html,
)
from gateway.model import Span, SpanKind

K = SpanKind


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("<p>a <script>alert(1)</script>b</p>", "a b"),
        ("x<iframe src='//evil'>inside <b>bold</b></iframe>y", "xy"),
        ("<object><param name=a>fallback</object>ok<svg><text>s</text></svg>", "ok"),
        ("<math><mi>x</mi></math>a<template>t</template><noscript>n</noscript>b", "ab"),
        ("x<embed src=evil.swf>y", "xy"),  # void: nothing to drop but the tag
        ("<svg><math></svg>visible", "visible"),  # mis-nested drops still end
        ("<form action=x><input value=secret>typed</form>", "typed"),
        (
            "<marquee onmouseover='x()'>unknown tag keeps its text</marquee>",
            "unknown tag keeps its text",
        ),
        ("<style>body{}</style><b>visible</b>", "visible"),
        (
            "<mx-reply><blockquote>quoted <a href='x'>in reply</a></blockquote></mx-reply>answer",
            "answer",
        ),
        ("a<!-- hidden <b>x</b> -->b<!-- unterminated", "ab"),
        ("<!DOCTYPE html><?xml version='1.0'?>x", "x"),
        ("a < b > c &amp; <not a tag", "a < b > c & <not a tag"),
        ("&lt;b&gt; &amp; &#x1F600; &nbsp;", "<b> & 😀 \xa0"),
        ("<b>unclosed <i>tags", "unclosed tags"),
        ("stray </b></p>end", "stray \n\nend"),
    ],
)
def test_sanitises_to_text(source: str, text: str) -> None:
    assert html_to_spans(source)[0] == text


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("a<br>b<br/>c</br>d", "a\nb\nc\nd"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),  # paragraphs keep the blank line between them
        ("<p>\n  one\n</p>\n\n<p>two</p>\n", "one\n\ntwo"),  # indentation is not text
        ("<div>one</div><div>two</div>", "one\ntwo"),
        ("<br><p>x</p><br>", "\n\nx\n"),  # hard breaks are the author's; soft ones never at ends
        ("<b>a</b>\n  <i>b</i>\n", "a b"),  # source newlines are spaces, none at the end
        ("<h1>Title</h1>body", "Title\n\nbody"),
        ("text<blockquote>quote</blockquote>more", "text\nquote\nmore"),
        ("<ul><li>one</li><li>two</li></ul>", "• one\n• two"),
        ("<ol><li>first</li><li>second</li></ol>", "1. first\n2. second"),
        ("<ol start='7'><li>seven</li></ol><ol start='x'><li>one</li></ol>", "7. seven\n1. one"),
        (
            "<p>intro</p><ul><li>a<ol><li>a1</li><li>a2</li></ol></li><li>b</li></ul>",
            "intro\n\n• a\n  1. a1\n  2. a2\n• b",
        ),
        (
            "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>",
            "a | b\n1 | 2",
        ),
        ("above<hr>below", "above\n---\nbelow"),
        ('hi <img src="mxc://s/e" alt=":party:"> <img src="mxc://s/f">', "hi :party: "),
        ("<details><summary>more</summary>hidden</details>", "more\nhidden"),
    ],
)
def test_line_breaks_lists_and_structure(source: str, text: str) -> None:
    assert html_to_spans(source)[0] == text


def test_links_keep_only_safe_schemes() -> None:
    text, spans = html_to_spans(
        '<a href="javascript:alert(1)">js</a> <a href=" JaVaScRiPt:alert(1)">js2</a> '
        '<a href="java\tscript:x">js3</a> <a href="data:text/html,x">data</a> '
        '<a href="/relative">rel</a> <a href="https://example.com/a?b=1&amp;c=2">web</a> '
        '<a href="mailto:a@b.ru">mail</a> <a href="magnet:?xt=urn:x">mag</a>'
    )
    assert text == "js js2 js3 data rel web mail mag"
    assert [(s.kind, s.extra) for s in spans] == [
        (K.LINK, "https://example.com/a?b=1&c=2"),
        (K.LINK, "mailto:a@b.ru"),
        (K.LINK, "magnet:?xt=urn:x"),
    ]
    assert safe_url("https://x.ru/" + "a" * 5000) is None
    assert safe_url("http://[::1") is None  # invalid IPv6 literal: refused, not raised


def test_mentions_spoilers_and_code_blocks() -> None:
    text, spans = html_to_spans(
        '<a href="https://matrix.to/#/%40bob%3Aexample.org?via=x">Bob</a>: '
        '<a href="https://matrix.to/#/#room:example.org">room</a> '
        "<span data-mx-spoiler='reason'>secret</span> <span style='color:red'>plain</span>"
        '<pre><code class="language-python">x = 1\n  y</code></pre>'
        '<pre><code class="language-a/b">z</code></pre><code>inline</code>'
    )
    assert text == "Bob: room secret plain\nx = 1\n  y\nz\ninline"
    assert spans == (
        Span(0, 3, K.MENTION, "@bob:example.org"),
        Span(5, 4, K.LINK, "https://matrix.to/#/#room:example.org"),
        Span(10, 6, K.SPOILER),
        Span(23, 9, K.PRE, "python"),
        Span(33, 1, K.PRE),  # a class that is not one language is ignored
        Span(35, 6, K.CODE),
    )
    assert mentioned_user("matrix:u/alice:example.org") == "@alice:example.org"
    assert mentioned_user("https://matrix.to/#/@not-a-user") is None


def test_headings_are_bold_and_nested_tags_give_nested_spans() -> None:
    text, spans = html_to_spans("<h2>Head</h2><b>bo<i>th</i></b><u>u</u><del>d</del><s>s</s>")
    assert text == "Head\n\nbothuds"
    assert spans == (
        Span(0, 4, K.BOLD),
        Span(6, 4, K.BOLD),
        Span(8, 2, K.ITALIC),
        Span(10, 1, K.UNDERLINE),
        Span(11, 2, K.STRIKE),
    )


def test_outgoing_html_is_escaped_and_well_nested() -> None:
    text = "<b>&amp; bold-italic"
    spans = (Span(0, 12, K.BOLD), Span(9, 11, K.ITALIC), Span(13, 7, K.LINK, 'https://x.ru/"q'))
    produced = spans_to_html(text, spans)
    assert produced == (
        "<strong>&lt;b&gt;&amp;amp; <em>bol</em></strong><em>d<a "
        'href="https://x.ru/&quot;q">-italic</a></em>'
    )
    assert spans_to_html("<script>\n", ()) == "&lt;script&gt;<br>"
    back_text, back = html_to_spans(produced)
    assert back_text == text
    assert back == normal_form((Span(0, 12, K.BOLD), Span(9, 11, K.ITALIC), spans[2]))


def test_outgoing_blocks_mentions_and_unsafe_spans() -> None:
    text = "quote\ncode\n@bob"
    spans = (
        Span(0, 5, K.BLOCKQUOTE),
        Span(6, 4, K.PRE, "py"),
        Span(11, 4, K.MENTION, "@bob:example.org"),
        Span(0, 1, K.LINK, "javascript:alert(1)"),
        Span(1, 1, K.MENTION, "12345"),  # a Telegram id the bridge did not map
        Span(2, 99, K.BOLD),
        Span(3, 0, K.ITALIC),
    )
    assert spans_to_html(text, spans) == (
        "<blockquote>quote</blockquote><br>"
        '<pre><code class="language-py">code</code></pre><br>'
        '<a href="https://matrix.to/#/@bob:example.org">@bob</a>'
    )
    assert spans_to_html("a\nb", (Span(0, 3, K.PRE),)) == "<pre><code>a\nb</code></pre>"


def test_oversized_html_is_refused() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        html_to_spans("x" * (MAX_HTML_CHARS + 1))


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "unit", ["<!--", "<a", "<?", "</", "<!", "<", "&#", "<b>", "<a href='", "<p>x</p>"]
)
def test_hostile_repetition_stays_linear(unit: str) -> None:
    """CPython's HTMLParser alone takes 5 s to minutes on some of these at 256 KiB."""
    text, spans = html_to_spans(unit * (MAX_HTML_CHARS // len(unit)))
    assert all(0 <= s.offset < s.end <= len(text) for s in spans)


@pytest.mark.timeout(120)
def test_one_megabyte_body_and_deep_nesting_finish() -> None:
    body = ("<p>Lorem <b>ipsum</b> <a href='https://e.org/'>dolor</a> sit 😀 amet</p>" * 16_000)[
        : 1 << 20
    ]
    text, spans = html_to_spans(body, max_chars=1 << 20)
    assert text.startswith("Lorem ipsum dolor")
    assert len(spans) > 25_000
    lists = "<ul><li>x" * 100_000  # indentation is capped: output stays linear in the input
    assert len(html_to_spans(lists, max_chars=1 << 20)[0]) < 25 * 100_000
    nested = "<b><i>" * 50_000 + "deep" + "</i></b>" * 50_000
    text, spans = html_to_spans(nested, max_chars=1 << 20)
    assert text == "deep"
    assert spans == (Span(0, 4, K.BOLD), Span(0, 4, K.ITALIC))


# -- round trips -----------------------------------------------------------------------------

INLINE = [K.BOLD, K.ITALIC, K.UNDERLINE, K.STRIKE, K.CODE, K.SPOILER, K.LINK, K.MENTION]
BLOCKS = [K.PRE, K.BLOCKQUOTE]
EXTRAS = {
    K.LINK: st.sampled_from(
        ["https://example.com/p?q=1&r=2", "http://x.ru/\"<>'", "mailto:a@b.c", "matrix:r/x:y"]
    ),
    K.MENTION: st.sampled_from(["@u:example.org", "@ёж/?#%:host.ru", "@a=b:[::1]:8448"]),
    K.PRE: st.sampled_from([None, "python", "c++", "objective-c"]),
}
TEXT = st.lists(
    st.characters(blacklist_categories=("Cs",))
    | st.sampled_from(["\n", "😀", "𝕏", "e\u0301", "<", ">", "&", '"', "&amp;", "<b>", "<!--"]),
    min_size=1,
    max_size=40,
).map("".join)


@st.composite
def formatted(draw: st.DrawFn) -> tuple[str, tuple[Span, ...]]:
    """The round-trippable set (see ``spans_to_html``): nested or disjoint spans, blocks on
    line boundaries, no CODE inside PRE."""
    text = draw(TEXT)
    spans: list[Span] = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(INLINE + BLOCKS))
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        if kind in BLOCKS:
            start = text.rfind("\n", 0, start) + 1
            end = len(text) if (found := text.find("\n", end)) < 0 else found
            if end <= start:
                continue
        if any(s.offset < start < s.end < end or start < s.offset < end < s.end for s in spans):
            continue  # crossing
        span = Span(start, end - start, kind, draw(EXTRAS[kind]) if kind in EXTRAS else None)
        pres = [s for s in (*spans, span) if s.kind is K.PRE]
        codes = [s for s in (*spans, span) if s.kind is K.CODE]
        if any(p.offset <= c.offset and c.end <= p.end for p in pres for c in codes):
            continue
        spans.append(span)
    return text, tuple(spans)


@settings(max_examples=500, deadline=None)
@given(formatted())
def test_round_trip_of_the_round_trippable_set(sample: tuple[str, tuple[Span, ...]]) -> None:
    text, spans = sample
    assert html_to_spans(spans_to_html(text, spans)) == (text, normal_form(spans))


@settings(max_examples=300, deadline=None)
@given(TEXT, st.lists(st.tuples(st.integers(0, 40), st.integers(1, 40), st.sampled_from(INLINE))))
def test_crossing_inline_spans_keep_their_coverage(
    text: str, raw: list[tuple[int, int, SpanKind]]
) -> None:
    """Lossy but faithful: crossing spans come back split, covering the same characters."""
    spans = [
        Span(o, min(n, len(text) - o), k, "https://e.org/" if k is K.LINK else None)
        for o, n, k in raw
        if o < len(text) and k is not K.MENTION
    ]
    back_text, back = html_to_spans(spans_to_html(text, spans))
    assert back_text == text

    def covered(items: tuple[Span, ...] | list[Span]) -> set[tuple[int, SpanKind]]:
        return {(i, s.kind) for s in items for i in range(s.offset, s.end)}

    assert covered(back) == covered(spans)


HTML_BITS = st.sampled_from(
    ["<b>", "</b>", "<i>", "</i>", "<p>", "</p>", "<br>", "<ul>", "<ol>", "<li>", "</li>", "</ul>",
     "<pre>", "</pre>", "<code class='language-x'>", "</code>", "<blockquote>", "</blockquote>",
     "<script>", "</script>", "<svg>", "</svg>", "<mx-reply>", "</mx-reply>", "<a href='https://e'>",
     "<a href='javascript:x'>", "</a>", "<span data-mx-spoiler>", "</span>", "<!--", "-->", "<",
     ">", "&", "&amp;", "&#", "\n", " ", "x", "😀", "<a", "</", "'", '"', "=", "<!", "<?"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(HTML_BITS, max_size=60).map("".join) | st.text(max_size=300))
def test_arbitrary_input_never_raises_and_spans_are_normal(source: str) -> None:
    text, spans = html_to_spans(source)
    assert all(s.offset >= 0 and s.end <= len(text) and s.length > 0 for s in spans)
    assert spans == normal_form(spans)
