"""Matrix ``org.matrix.custom.html`` ⇄ plain text + spans. Pure, hostile-input safe.

Incoming HTML is parsed with the standard library's tolerant parser and reduced to what the
gateway's model can carry: text, and spans for bold, italic, underline, strike, code, pre (with
language), links, mentions, spoilers and blockquotes. Everything else is dropped: tags outside
the Matrix spec's allow-list are unwrapped (their text kept), and the content of script, style,
iframe, object, embed, svg, math, template and noscript is removed whole. Links keep only safe
schemes; a ``javascript:`` link becomes plain text.

Outgoing HTML is built from spans with every piece of text escaped, and is always well nested:
spans that cross are split at each other's boundaries.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from gateway.model import Span, SpanKind

MAX_HTML_CHARS = 256 * 1024
"""Input beyond this is not parsed (the caller falls back to the plain body)."""
MAX_DEPTH = 100

_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript",
     "mx-reply", "head", "title", "textarea", "select", "applet", "frame", "frameset"}
)  # fmt: skip
_BLOCK = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol", "li",
     "table", "tr", "hr", "details", "summary", "caption"}
)  # fmt: skip
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr"})
_SIMPLE = {
    "b": SpanKind.BOLD, "strong": SpanKind.BOLD,
    "i": SpanKind.ITALIC, "em": SpanKind.ITALIC,
    "u": SpanKind.UNDERLINE, "ins": SpanKind.UNDERLINE,
    "s": SpanKind.STRIKE, "del": SpanKind.STRIKE, "strike": SpanKind.STRIKE,
    "code": SpanKind.CODE, "blockquote": SpanKind.BLOCKQUOTE,
}  # fmt: skip
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "magnet", "matrix"})
MATRIX_TO = "https://matrix.to/#/"


def safe_url(url: str) -> str | None:
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    return url if scheme in SAFE_SCHEMES else None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.length = 0
        self.spans: list[Span] = []
        self.stack: list[tuple[str, SpanKind | None, str | None, int]] = []
        self.dropping = 0
        self.lists: list[list[int]] = []  # one counter per open list; [-1] for <ul>
        self.pre_language: str | None = None

    # text --------------------------------------------------------------------------------
    def _emit(self, piece: str) -> None:
        if piece:
            self.text.append(piece)
            self.length += len(piece)

    def _newline(self) -> None:
        if self.length and not "".join(self.text[-2:]).endswith("\n"):
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if any(tag == "pre" for tag, *_ in self.stack):
            self._emit(data)
        elif data.strip():
            self._emit(data.replace("\n", " "))
        elif "\n" not in data:  # a space between inline tags is text; indentation is not
            self._emit(data)

    # tags --------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:
            if tag in _DROP_WITH_CONTENT:
                self.dropping += 1
            return
        if tag in _DROP_WITH_CONTENT:
            self.dropping = 1
            return
        if tag == "br":
            self._emit("\n")
            return
        if tag in _BLOCK:
            self._newline()
        if tag in ("ul", "ol"):
            self.lists.append([-1] if tag == "ul" else [0])
        if tag == "li" and self.lists:
            counter = self.lists[-1]
            if counter[0] < 0:
                self._emit("• ")
            else:
                counter[0] += 1
                self._emit(f"{counter[0]}. ")
        if tag in _VOID or len(self.stack) >= MAX_DEPTH:
            return
        kind, extra = self._kind(tag, dict(attrs))
        self.stack.append((tag, kind, extra, self.length))

    def _kind(self, tag: str, attrs: dict[str, str | None]) -> tuple[SpanKind | None, str | None]:
        if tag in _SIMPLE:
            return _SIMPLE[tag], None
        if tag == "pre":
            return SpanKind.PRE, None
        if tag == "span" and "data-mx-spoiler" in attrs:
            return SpanKind.SPOILER, None
        if tag == "a":
            url = safe_url(attrs.get("href") or "")
            if url is None:
                return None, None
            if url.startswith(MATRIX_TO):
                target = unquote(url[len(MATRIX_TO) :]).split("?")[0]
                if target.startswith("@"):
                    return SpanKind.MENTION, target
            return SpanKind.LINK, url
        if tag == "code":
            return SpanKind.CODE, None
        return None, None

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag in _DROP_WITH_CONTENT:
                self.dropping -= 1
            return
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        # close up to the matching open tag; unmatched end tags are ignored
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                for open_tag, kind, extra, start in reversed(self.stack[index:]):
                    self._close(open_tag, kind, extra, start)
                del self.stack[index:]
                break
        if tag in _BLOCK:
            self._newline()

    def _close(self, tag: str, kind: SpanKind | None, extra: str | None, start: int) -> None:
        if kind is None or self.length <= start:
            return
        if kind is SpanKind.CODE and any(open_tag == "pre" for open_tag, *_ in self.stack):
            # <pre><code class="language-x"> is one PRE span that carries the language
            self.pre_language = extra or self.pre_language
            return
        if kind is SpanKind.PRE:
            extra, self.pre_language = self.pre_language, None
        self.spans.append(Span(start, self.length - start, kind, extra))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)


class _CodeLanguage(_Reader):
    """Remembers ``class="language-x"`` of ``<code>`` for the PRE span."""

    def _kind(self, tag: str, attrs: dict[str, str | None]) -> tuple[SpanKind | None, str | None]:
        if tag == "code":
            classes = (attrs.get("class") or "").split()
            language = next((c[9:] for c in classes if c.startswith("language-")), None)
            return SpanKind.CODE, language
        return super()._kind(tag, attrs)


def html_to_spans(source: str) -> tuple[str, tuple[Span, ...]]:
    """Sanitised text and spans from Matrix HTML. Raises ValueError beyond MAX_HTML_CHARS."""
    if len(source) > MAX_HTML_CHARS:
        raise ValueError(f"formatted body of {len(source)} characters exceeds {MAX_HTML_CHARS}")
    reader = _CodeLanguage()
    reader.feed(source)
    reader.close()
    for tag, kind, extra, start in reversed(reader.stack):
        reader._close(tag, kind, extra, start)
    text = "".join(reader.text)
    stripped = text.strip("\n")
    lead = len(text) - len(text.lstrip("\n"))
    spans = []
    for span in reader.spans:
        offset = max(span.offset - lead, 0)
        end = min(span.end - lead, len(stripped))
        if end > offset:
            spans.append(Span(offset, end - offset, span.kind, span.extra))
    return stripped, merge_adjacent(spans)


def merge_adjacent(spans: Sequence[Span]) -> tuple[Span, ...]:
    """Normal form: sorted, and touching spans of the same kind and target joined into one."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.kind.value, s.extra or "", s.offset)):
        last = merged[-1] if merged else None
        if last and last.kind is span.kind and last.extra == span.extra and span.offset <= last.end:
            end = max(last.end, span.end)
            merged[-1] = Span(last.offset, end - last.offset, last.kind, last.extra)
        else:
            merged.append(span)
    return tuple(sorted(merged, key=lambda s: (s.offset, -s.length, s.kind.value)))


# -- spans → HTML --------------------------------------------------------------------------

_OPEN = {
    SpanKind.BOLD: "<strong>", SpanKind.ITALIC: "<em>", SpanKind.UNDERLINE: "<u>",
    SpanKind.STRIKE: "<del>", SpanKind.CODE: "<code>", SpanKind.BLOCKQUOTE: "<blockquote>",
    SpanKind.SPOILER: "<span data-mx-spoiler>",
}  # fmt: skip
_CLOSE = {
    SpanKind.BOLD: "</strong>", SpanKind.ITALIC: "</em>", SpanKind.UNDERLINE: "</u>",
    SpanKind.STRIKE: "</del>", SpanKind.CODE: "</code>", SpanKind.BLOCKQUOTE: "</blockquote>",
    SpanKind.SPOILER: "</span>", SpanKind.LINK: "</a>", SpanKind.MENTION: "</a>",
    SpanKind.PRE: "</code></pre>",
}  # fmt: skip


def _open(span: Span) -> str:
    if span.kind is SpanKind.LINK:
        return f'<a href="{html.escape(safe_url(span.extra or "") or "#", quote=True)}">'
    if span.kind is SpanKind.MENTION:
        return f'<a href="{html.escape(MATRIX_TO + (span.extra or ""), quote=True)}">'
    if span.kind is SpanKind.PRE:
        language = html.escape(span.extra or "", quote=True)
        return f'<pre><code class="language-{language}">' if language else "<pre><code>"
    return _OPEN[span.kind]


def _escape(text: str, in_pre: bool) -> str:
    escaped = html.escape(text, quote=False)
    return escaped if in_pre else escaped.replace("\n", "<br>")


def spans_to_html(text: str, spans: Sequence[Span]) -> str:
    """Well-nested HTML: crossing spans are split where they cross; all text is escaped."""
    valid = [s for s in spans if s.length > 0 and s.offset >= 0 and s.end <= len(text)]
    cuts = sorted({0, len(text), *(s.offset for s in valid), *(s.end for s in valid)})
    out: list[str] = []
    open_stack: list[Span] = []
    for left, right in itertools.pairwise(cuts):
        active = [s for s in valid if s.offset <= left and s.end >= right]
        # keep the longest-running outermost; reopen what had to close
        active.sort(key=lambda s: (s.offset, -s.end, s.kind.value))
        keep = 0
        while keep < len(open_stack) and keep < len(active) and open_stack[keep] == active[keep]:
            keep += 1
        for span in reversed(open_stack[keep:]):
            out.append(_CLOSE[span.kind])
        del open_stack[keep:]
        for span in active[keep:]:
            out.append(_open(span))
            open_stack.append(span)
        in_pre = any(s.kind is SpanKind.PRE for s in open_stack)
        out.append(_escape(text[left:right], in_pre))
    for span in reversed(open_stack):
        out.append(_CLOSE[span.kind])
    return "".join(out)


__all__ = ["MAX_HTML_CHARS", "html_to_spans", "merge_adjacent", "safe_url", "spans_to_html"]
