"""Matrix ``org.matrix.custom.html`` ⇄ plain text + spans. Pure, hostile-input safe.

In: HTML is reduced to text and spans. Tags outside the Matrix allow-list are unwrapped (text
kept); ``script``, ``style``, ``iframe``, ``object``, ``svg``, ``math``, ``template``,
``noscript``, ``mx-reply`` (reply fallbacks) and a few more go with their content; ``embed`` is
void and ignored. Only these attributes are read: ``href`` on ``a`` (schemes in
:data:`SAFE_SCHEMES`, else plain text), ``data-mx-spoiler`` on ``span``, ``class="language-x"``
on ``code`` in ``pre``, ``start`` on ``ol``, ``alt`` on ``img`` (as text). ``<br>`` is a hard
``"\\n"``; a block boundary only ensures a line start (after ``p``/headings: a blank line), and
such soft breaks never appear at the text's start or end. Source newlines are spaces, as in HTML.

Cost is linear. :func:`_pre_escape` turns every ``<`` that does not open a complete tag into
``&lt;`` first, because CPython's ``HTMLParser`` before 3.11.13 rescans to the end of the input
for each unterminated ``<a``/``<!--``/``</``/``<?`` (measured: 5–47 s for 256 KiB). Input over
``max_chars`` raises ``ValueError`` — the caller has the plain ``body``, better than a silently
cut message; nesting deeper than :data:`MAX_DEPTH` is flattened.

Out: all text escaped, always well nested (crossing spans are closed and reopened); which span
sets survive a round trip exactly is spelled out in :func:`spans_to_html`.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urlsplit

from gateway.model import Span, SpanKind

MAX_HTML_CHARS = 256 * 1024  # default limit of html_to_spans
MAX_DEPTH = 100  # open elements tracked; deeper tags give text, no spans
MAX_URL_CHARS = 4096  # a longer href is no link (its text stays)
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "magnet", "matrix"})
MATRIX_TO = "https://matrix.to/#/"

_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "svg", "math", "template", "noscript", "mx-reply",
     "head", "title", "textarea", "select", "applet", "frameset", "noembed", "noframes"}
)  # fmt: skip
_BREAKS = dict.fromkeys(
    ["div", "blockquote", "pre", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "tr",
     "caption", "details", "summary", "hr", "dl", "dt", "dd", "section", "article"], 1
) | dict.fromkeys(["p", "h1", "h2", "h3", "h4", "h5", "h6"], 2)  # fmt: skip
"""Newlines a block's boundary wants before the next text: a line start, or a blank line."""
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "wbr",
                   "embed", "frame", "param", "source", "track", "keygen"})  # fmt: skip
_TAG_KINDS = {
    "b": SpanKind.BOLD, "strong": SpanKind.BOLD, "i": SpanKind.ITALIC, "em": SpanKind.ITALIC,
    "u": SpanKind.UNDERLINE, "ins": SpanKind.UNDERLINE, "s": SpanKind.STRIKE,
    "del": SpanKind.STRIKE, "strike": SpanKind.STRIKE, "code": SpanKind.CODE,
    "blockquote": SpanKind.BLOCKQUOTE, "pre": SpanKind.PRE,
    **{f"h{level}": SpanKind.BOLD for level in range(1, 7)},
}  # fmt: skip
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")
_USER_ID = re.compile(r"@[^\s:]{1,255}:[^\s/?#]{1,255}")
# What may follow a kept "<": one complete tag, bounded by the next "<" (so matching is linear).
_TAG_PIECE = re.compile(
    r"/?[A-Za-z][A-Za-z0-9:-]*"
    r"(?:\s+[^\s\"'<>/=]+(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s\"'=<>`]+))?)*\s*/?>"
)
_DECLARATION = re.compile(r"[!?][^>]*>")


def html_to_spans(source: str, *, max_chars: int = MAX_HTML_CHARS) -> tuple[str, tuple[Span, ...]]:
    """Sanitised text and spans (:func:`normal_form`); ``ValueError`` over ``max_chars``."""
    if len(source) > max_chars:
        raise ValueError(f"formatted body of {len(source)} characters exceeds {max_chars}")
    reader = _Reader()
    reader.feed(_pre_escape(source))
    reader.close()
    for entry in reversed(reader.stack):  # what the author left open runs to the end
        reader.close_element(entry)
    return "".join(reader.out), normal_form(reader.spans)


def normal_form(spans: Iterable[Span]) -> tuple[Span, ...]:
    """Spans compared by meaning: empty ones dropped, same kind+extra that touch or overlap
    merged into one, sorted by (offset, longest first, kind, extra)."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.kind.value, s.extra or "", s.offset)):
        last = merged[-1] if merged else None
        if last and last.kind is span.kind and last.extra == span.extra and span.offset <= last.end:
            end = max(last.end, span.end)
            merged[-1] = Span(last.offset, end - last.offset, last.kind, last.extra)
        elif span.length > 0:
            merged.append(span)
    return tuple(sorted(merged, key=lambda s: (s.offset, -s.length, s.kind.value, s.extra or "")))


def safe_url(url: str) -> str | None:
    """``url`` (stripped) if its scheme is allowed and it is not absurdly long, else ``None``.
    Relative URLs are refused: there is no base to resolve them against."""
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    return url if scheme in SAFE_SCHEMES else None


def mentioned_user(url: str) -> str | None:
    """The Matrix user id a ``matrix.to`` or ``matrix:u/`` link points at, if it is one."""
    if url.startswith(MATRIX_TO):
        target = unquote(url[len(MATRIX_TO) :].split("?", 1)[0])
    elif url.startswith("matrix:u/"):
        target = "@" + unquote(url[len("matrix:u/") :].split("?", 1)[0])
    else:
        return None
    return target if _USER_ID.fullmatch(target) else None


def _pre_escape(source: str) -> str:
    """Comments removed; every ``<`` not opening a well-formed tag escaped (see module doc)."""
    kept: list[str] = []
    position = 0
    while (start := source.find("<!--", position)) >= 0:
        kept.append(source[position:start])
        end = source.find("-->", start + 4)
        if end < 0:  # an unterminated comment hides the rest, as in a browser
            position = len(source)
            break
        position = end + 3
    kept.append(source[position:])
    head, *pieces = "".join(kept).split("<")
    out = [head]
    for piece in pieces:
        if _TAG_PIECE.match(piece):
            out.append("<" + piece)
        elif declaration := _DECLARATION.match(piece):  # <!DOCTYPE>, <?xml?>: dropped
            out.append(piece[declaration.end() :])
        else:
            out.append("&lt;" + piece)
    return "".join(out)


class _Open:
    """An element open in :class:`_Reader` (mutable parser state; never leaves the module)."""

    __slots__ = ("extra", "kind", "start", "tag")

    def __init__(self, tag: str, kind: SpanKind | None, extra: str | None, start: int) -> None:
        self.tag, self.kind, self.extra, self.start = tag, kind, extra, start


class _Reader(HTMLParser):
    """Collects text and spans; see the module doc for the line-break rules."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.length = 0
        self.trailing = 0  # newlines at the end of the text so far
        self.need = 0  # newlines a block boundary wants before the next text
        self.space = False  # a collapsed source newline wants a space before the next text
        self.spans: list[Span] = []
        self.waiting: list[_Open] = []  # opened where a break may still go before the content
        self.stack: list[_Open] = []
        self.open_tags: Counter[str] = Counter()
        self.dropping: list[str] = []
        self.lists: list[list[int]] = []  # one counter per open list; [-1] for <ul>
        self.cells = 0
        self.pre_depth = 0

    def _raw(self, piece: str) -> None:
        self.out.append(piece)
        self.length += len(piece)
        body = piece.rstrip("\n")
        self.trailing = len(piece) - len(body) + (0 if body else self.trailing)

    def _prefix(self, piece: str = "") -> str:
        """What a block boundary or collapsed space puts before ``piece``; newlines ``piece``
        begins with (in ``<pre>``) count toward a block's break, as ``<br>`` does."""
        if not self.length:
            return ""
        missing = self.need - self.trailing - (len(piece) - len(piece.lstrip("\n")))
        if missing > 0:
            return "\n" * missing
        return " " if self.space and not self.trailing and self.need <= self.trailing else ""

    def _text(self, piece: str) -> None:
        if piece:
            if prefix := self._prefix(piece):
                self._raw(prefix)
            self.need, self.space = 0, False
            self._content(piece)

    def _content(self, piece: str) -> None:
        """Content at last: elements opened while a break was pending start here."""
        for entry in self.waiting:
            entry.start = self.length
        self.waiting.clear()
        self._raw(piece)

    def _block(self, newlines: int) -> None:
        if self.length:
            self.need = max(self.need, newlines)

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if self.pre_depth or "\n" not in data:
            self._text(data)
            return
        # source formatting: whitespace around a newline is one space, none at a line start
        lines = data.split("\n")
        words = [lines[0].rstrip(), *(line.strip() for line in lines[1:-1]), lines[-1].lstrip()]
        self.space = self.space or not words[0]
        self._text(" ".join(word for word in words if word))
        self.space = self.space or not words[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping or tag in _DROP_WITH_CONTENT:
            if tag in _DROP_WITH_CONTENT and len(self.dropping) < MAX_DEPTH:
                self.dropping.append(tag)
            return
        if tag == "br":
            self._content("\n")
            return
        self._block(_BREAKS.get(tag, 0))
        attributes = dict(attrs)
        self._structure(tag, attributes)
        if tag in _VOID or len(self.stack) >= MAX_DEPTH:
            return
        kind, extra = self._kind(tag, attributes)
        entry = _Open(tag, kind, extra, self.length)
        if kind is not None and self._prefix():
            entry.start = -1  # not yet known: after the break or space, or at a <br>
            self.waiting.append(entry)
        self.stack.append(entry)
        self.open_tags[tag] += 1
        self.pre_depth += tag == "pre"

    def _structure(self, tag: str, attrs: dict[str, str | None]) -> None:
        """Lists, table cells, rules and images: text that stands for structure."""
        if tag in ("ul", "ol") and len(self.lists) < MAX_DEPTH:
            start = attrs.get("start") or "1"
            first = int(start[:7]) if start.isascii() and start.isdigit() else 1
            self.lists.append([-1] if tag == "ul" else [first - 1])
        elif tag == "li" and self.lists:
            counter = self.lists[-1]
            counter[0] += counter[0] >= 0
            bullet = "•" if counter[0] < 0 else f"{counter[0]}."
            self._text(f"{'  ' * min(len(self.lists) - 1, 8)}{bullet} ")  # no n² indents
        elif tag == "tr":
            self.cells = 0
        elif tag in ("td", "th"):
            if self.cells:
                self._text(" | ")
            self.cells += 1
        elif tag == "hr":
            self._text("---")
            self._block(1)
        elif tag == "img":
            self._text((attrs.get("alt") or attrs.get("title") or "")[:256])
        elif tag == "code" and self.pre_depth:
            language = _language(attrs.get("class"))
            pre = next(entry for entry in reversed(self.stack) if entry.tag == "pre")
            pre.extra = pre.extra or language

    def _kind(self, tag: str, attrs: dict[str, str | None]) -> tuple[SpanKind | None, str | None]:
        if tag == "code" and self.pre_depth:
            return None, None  # <pre><code> is one PRE span; the language went to the pre
        if tag in _TAG_KINDS:
            return _TAG_KINDS[tag], None
        if tag == "span" and "data-mx-spoiler" in attrs:
            return SpanKind.SPOILER, None
        if tag == "a":
            url = safe_url(attrs.get("href") or "")
            if url is None:
                return None, None
            user = mentioned_user(url)
            return (SpanKind.MENTION, user) if user else (SpanKind.LINK, url)
        return None, None

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag in self.dropping:
                del self.dropping[len(self.dropping) - 1 - self.dropping[::-1].index(tag) :]
            return
        if tag == "br":  # </br> is read as <br>, as browsers do
            self._content("\n")
            return
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if self.open_tags[tag]:  # close up to the matching element; stray end tags are ignored
            while self.stack:
                entry = self.stack.pop()
                self.close_element(entry)
                if entry.tag == tag:
                    break
        self._block(_BREAKS.get(tag, 0))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def close_element(self, entry: _Open) -> None:
        self.open_tags[entry.tag] -= 1
        self.pre_depth -= entry.tag == "pre"
        if entry.kind is not None and self.length > entry.start >= 0:
            self.spans.append(Span(entry.start, self.length - entry.start, entry.kind, entry.extra))


def _language(classes: str | None) -> str | None:
    for name in (classes or "").split():
        if name.startswith("language-") and _LANGUAGE.fullmatch(name[9:]):
            return name[9:]
    return None


# -- spans → HTML ----------------------------------------------------------------------------

_HTML: dict[SpanKind, tuple[str, str]] = {
    SpanKind.BLOCKQUOTE: ("<blockquote>", "</blockquote>"), SpanKind.PRE: ("", "</code></pre>"),
    SpanKind.LINK: ("", "</a>"), SpanKind.MENTION: ("", "</a>"),
    SpanKind.SPOILER: ("<span data-mx-spoiler>", "</span>"),
    SpanKind.BOLD: ("<strong>", "</strong>"), SpanKind.ITALIC: ("<em>", "</em>"),
    SpanKind.UNDERLINE: ("<u>", "</u>"), SpanKind.STRIKE: ("<del>", "</del>"),
    SpanKind.CODE: ("<code>", "</code>"),
}  # fmt: skip
_ORDER = {kind: rank for rank, kind in enumerate(_HTML)}  # outermost first, for equal ranges


def _open_tag(span: Span) -> str | None:
    """The start tag of ``span``, or ``None`` when it cannot be shown safely (text only)."""
    if span.kind is SpanKind.LINK:
        url = safe_url(span.extra or "")
        return f'<a href="{html.escape(url, quote=True)}">' if url else None
    if span.kind is SpanKind.MENTION:  # a foreign id (the bridge did not map it) gets no link
        user = span.extra or ""
        ok = _USER_ID.fullmatch(user)
        return f'<a href="{MATRIX_TO}{html.escape(quote(user, safe="@:"))}">' if ok else None
    if span.kind is SpanKind.PRE:
        language = span.extra if span.extra and _LANGUAGE.fullmatch(span.extra) else None
        return f'<pre><code class="language-{language}">' if language else "<pre><code>"
    return _HTML[span.kind][0]


def spans_to_html(text: str, spans: Sequence[Span]) -> str:
    """Well-nested, escaped HTML for ``text`` with ``spans``; ``"\\n"`` becomes ``<br>``.

    ``html_to_spans(spans_to_html(t, s)) == (t, normal_form(s))`` holds exactly when all pairs
    of spans nest or are disjoint, and: PRE and BLOCKQUOTE start at a line start (offset 0 or
    after ``"\\n"``) and end at a line end (text end, or next to a ``"\\n"``) — elsewhere a
    block gains line breaks; no CODE lies inside a PRE (``<pre><code>`` *is* PRE); LINK urls
    pass :func:`safe_url` unchanged and are not user links (those read back as MENTION);
    MENTION ids are Matrix user ids and PRE languages match ``[A-Za-z0-9_+#.-]{1,32}`` (else
    the tag is left out, the text kept). Crossing spans are split where they cross and come
    back as several spans (a split block as several blocks). Empty or outside spans are ignored.
    """
    tags: dict[int, str] = {}
    ending: dict[int, list[int]] = {}
    for index, span in enumerate(spans):
        valid = span.length > 0 and span.offset >= 0 and span.end <= len(text)
        if valid and (tag := _open_tag(span)) is not None:
            tags[index] = tag
            ending.setdefault(span.end, []).append(index)
    order = sorted(tags, key=lambda i: (spans[i].offset, -spans[i].end, _ORDER[spans[i].kind]))
    cuts = sorted({0, len(text), *(spans[i].offset for i in tags), *ending})
    out: list[str] = []
    stack: list[int] = []
    depth_of: dict[int, int] = {}
    next_open = 0

    def push(index: int) -> None:
        depth_of[index] = len(stack)
        stack.append(index)
        out.append(tags[index])

    for position, upto in zip(cuts, [*cuts[1:], len(text)], strict=True):
        closing = [depth_of[i] for i in ending.get(position, ())]
        if closing:  # close down to the lowest span ending here; reopen those that go on
            popped = stack[min(closing) :]
            del stack[min(closing) :]
            out.extend(_HTML[spans[i].kind][1] for i in reversed(popped))
            for index in popped:
                if spans[index].end > position:
                    push(index)
        while next_open < len(order) and spans[order[next_open]].offset == position:
            push(order[next_open])
            next_open += 1
        escaped = html.escape(text[position:upto], quote=False)
        if "\n" in escaped and not any(spans[i].kind is SpanKind.PRE for i in stack):
            escaped = escaped.replace("\n", "<br>")
        out.append(escaped)
    out.extend(_HTML[spans[i].kind][1] for i in reversed(stack))
    return "".join(out)


__all__ = [
    "MATRIX_TO", "MAX_DEPTH", "MAX_HTML_CHARS", "SAFE_SCHEMES", "html_to_spans",
    "mentioned_user", "normal_form", "safe_url", "spans_to_html",
]  # fmt: skip
