"""Telegram message entities ⇄ spans, and splitting long texts. Pure: no client, no I/O.

Telegram counts offsets and lengths in UTF-16 code units (an emoji outside the BMP is 2), the
model counts Python code points; :class:`_Utf16` translates, in O(1) per offset for BMP-only text
and O(log n) otherwise. Entities from the network are untrusted: offsets outside the text are
clamped, an offset inside a surrogate pair is moved to the nearest whole character, and
entities that end up empty, or have a kind or URL we do not carry, are dropped (the text stays).

:func:`split_message` cuts texts over Telegram's 4096-unit message / 1024-unit caption limits so
that the pieces concatenate to exactly the original — separators stay at the end of a piece.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate
from urllib.parse import urlsplit

from telethon.tl import types as tl

from gateway.model import Span, SpanKind

TEXT_LIMIT = 4096
"""Longest message text Telegram accepts, in UTF-16 code units."""
CAPTION_LIMIT = 1024
"""Longest media caption, in UTF-16 code units (the limit for non-premium accounts)."""
MAX_LANGUAGE_CHARS = 64
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "magnet"})
"""URL schemes kept as links (same spirit as the Matrix side; tg:// is Telegram-internal)."""

_SIMPLE: dict[type, SpanKind] = {
    tl.MessageEntityBold: SpanKind.BOLD,
    tl.MessageEntityItalic: SpanKind.ITALIC,
    tl.MessageEntityUnderline: SpanKind.UNDERLINE,
    tl.MessageEntityStrike: SpanKind.STRIKE,
    tl.MessageEntityCode: SpanKind.CODE,
    tl.MessageEntitySpoiler: SpanKind.SPOILER,
    tl.MessageEntityBlockquote: SpanKind.BLOCKQUOTE,
}
_ENTITY_OF = {kind: cls for cls, kind in _SIMPLE.items()}
_TG_USER = re.compile(r"tg://user\?id=(\d{1,20})")
_USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
_NUMERIC_ID = re.compile(r"\d{1,20}")

InputUserLookup = Callable[[int], "tl.TypeInputUser | None"]
"""Gives the ``InputUser`` (id + access hash) of a Telegram user id, if the adapter knows it."""


class _Utf16:
    """Code-point ⇄ UTF-16 offsets of one text."""

    __slots__ = ("_units", "length")

    def __init__(self, text: str) -> None:
        wide = bool(text) and max(text) > "\uffff"
        self._units = (
            list(accumulate((1 + (c > "\uffff") for c in text), initial=0)) if wide else None
        )
        self.length = self._units[-1] if self._units else len(text)

    def units(self, index: int) -> int:
        """UTF-16 offset of code point ``index``."""
        return self._units[index] if self._units else index

    def index(self, units: int, *, round_up: bool) -> int:
        """Code point at UTF-16 offset ``units`` (clamped); mid-pair rounds down or up."""
        units = min(max(units, 0), self.length)
        if self._units is None:
            return units
        return bisect_left(self._units, units) if round_up else bisect_right(self._units, units) - 1


def utf16_length(text: str) -> int:
    """Length of ``text`` as Telegram counts it."""
    return len(text) + sum(c > "\uffff" for c in text)


# -- entities → spans --------------------------------------------------------------------------


def entities_to_spans(text: str, entities: Sequence[object] | None) -> tuple[Span, ...]:
    """Spans (code points, sorted) for the entities of a received message. Never raises."""
    index = _Utf16(text)
    spans: list[Span] = []
    for entity in entities or ():
        offset, length = getattr(entity, "offset", None), getattr(entity, "length", None)
        if type(offset) is not int or type(length) is not int or length <= 0:
            continue
        start = index.index(offset, round_up=False)
        end = index.index(offset + length, round_up=True)
        if end <= start:
            continue
        meaning = _meaning(entity, text[start:end])
        if meaning is not None:
            spans.append(Span(start, end - start, *meaning))
    return tuple(sorted(spans, key=lambda s: (s.offset, -s.length, s.kind.value, s.extra or "")))


def _meaning(entity: object, covered: str) -> tuple[SpanKind, str | None] | None:
    """(kind, extra) of one entity, or ``None`` for kinds the model does not carry."""
    kind = _SIMPLE.get(type(entity))
    if kind is not None:
        return kind, None
    if isinstance(entity, tl.MessageEntityPre):
        language = entity.language.strip() if isinstance(entity.language, str) else ""
        return SpanKind.PRE, language[:MAX_LANGUAGE_CHARS] or None
    if isinstance(entity, tl.MessageEntityTextUrl):
        url = entity.url.strip() if isinstance(entity.url, str) else ""
        if user := _TG_USER.fullmatch(url):
            return SpanKind.MENTION, user.group(1)
        return (SpanKind.LINK, url) if _safe(url) else None
    if isinstance(entity, tl.MessageEntityUrl):
        url = covered.strip() if "://" in covered else f"http://{covered.strip()}"
        return (SpanKind.LINK, url) if _safe(url) else None
    if isinstance(entity, tl.MessageEntityEmail):
        return SpanKind.LINK, f"mailto:{covered.strip()}"
    if isinstance(entity, tl.MessageEntityMentionName) and type(entity.user_id) is int:
        return SpanKind.MENTION, str(entity.user_id)
    if isinstance(entity, tl.InputMessageEntityMentionName):
        user_id = getattr(entity.user_id, "user_id", None)
        return (SpanKind.MENTION, str(user_id)) if type(user_id) is int else None
    if isinstance(entity, tl.MessageEntityMention) and _USERNAME.fullmatch(covered):
        return SpanKind.MENTION, covered
    return None  # hashtags, bot commands, custom emoji …: the text says it all


def _safe(url: str) -> bool:
    try:
        return urlsplit(url).scheme.lower() in SAFE_SCHEMES
    except ValueError:
        return False


# -- spans → entities --------------------------------------------------------------------------


def spans_to_entities(
    text: str, spans: Sequence[Span], *, input_user: InputUserLookup | None = None
) -> list[tl.TypeMessageEntity]:
    """Entities (UTF-16, sorted) to send with ``text``.

    A MENTION of a numeric Telegram id becomes ``InputMessageEntityMentionName`` when
    ``input_user`` finds the user (sending needs the access hash, and telethon does not resolve
    ``formatting_entities`` itself), else ``MessageEntityMentionName`` — what Telegram itself
    delivers, so received entities round-trip. A MENTION of ``@username`` is a
    ``MessageEntityMention`` where the text is that name, else a ``t.me`` link. Other mentions
    (a Matrix id the bridge did not map), unsafe links and spans outside the text are left out.
    """
    index = _Utf16(text)
    entities: list[tl.TypeMessageEntity] = []
    for span in sorted(spans, key=lambda s: (s.offset, -s.length)):
        if span.length <= 0 or span.offset < 0 or span.end > len(text):
            continue
        offset = index.units(span.offset)
        length = index.units(span.end) - offset
        entity = _entity(span, text[span.offset : span.end], offset, length, input_user)
        if entity is not None:
            entities.append(entity)
    return entities


def _entity(
    span: Span, covered: str, offset: int, length: int, input_user: InputUserLookup | None
) -> tl.TypeMessageEntity | None:
    if span.kind in _ENTITY_OF:
        return _ENTITY_OF[span.kind](offset, length)
    extra = span.extra or ""
    if span.kind is SpanKind.PRE:
        return tl.MessageEntityPre(offset, length, language=extra[:MAX_LANGUAGE_CHARS])
    if span.kind is SpanKind.LINK:
        return tl.MessageEntityTextUrl(offset, length, url=extra) if _safe(extra) else None
    if span.kind is SpanKind.MENTION and _NUMERIC_ID.fullmatch(extra):
        user = input_user(int(extra)) if input_user else None
        if user is not None:
            return tl.InputMessageEntityMentionName(offset, length, user_id=user)
        return tl.MessageEntityMentionName(offset, length, user_id=int(extra))
    if span.kind is SpanKind.MENTION and _USERNAME.fullmatch(extra):
        if covered.lower() == extra.lower():
            return tl.MessageEntityMention(offset, length)
        return tl.MessageEntityTextUrl(offset, length, url=f"https://t.me/{extra[1:]}")
    return None


# -- splitting ---------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…。！？][\"'»”’)\]]*\s+")
_SPACE = re.compile(r"\s+")
_MAX_BACK_OFF = 32
"""How far a cut may move back to keep a grapheme whole before giving up (cheap, not exact)."""


def split_message(
    text: str, spans: Sequence[Span] = (), limit: int = TEXT_LIMIT
) -> list[tuple[str, tuple[Span, ...]]]:
    """Pieces of at most ``limit`` UTF-16 units whose concatenation is exactly ``text``.

    Each cut prefers, in the second half of the allowed window, a paragraph break, then a line
    break, then a sentence end, then whitespace (the separator stays at the end of the earlier
    piece); then the same anywhere in the window; then a hard cut that never splits a surrogate
    pair and, within a few characters, not a combining mark, ZWJ sequence, variation selector or
    flag from its base. Spans are re-based onto each piece; one crossing a cut is split in two.
    Spans outside the text are clipped. An empty text gives one empty piece. ``limit`` ≥ 2.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 UTF-16 units (one surrogate pair)")
    index = _Utf16(text)
    starts = [0]
    while index.length - index.units(starts[-1]) > limit:
        start = starts[-1]
        hard = index.index(index.units(start) + limit, round_up=False)
        starts.append(_cut(text, start, hard))
    ends = [*starts[1:], len(text)]
    placed: list[list[Span]] = [[] for _ in starts]
    for span in spans:
        first, last = max(span.offset, 0), min(span.end, len(text))
        piece = max(bisect_right(starts, first) - 1, 0)
        while piece < len(starts) and starts[piece] < last:
            left, right = max(first, starts[piece]), min(last, ends[piece])
            if right > left:
                placed[piece].append(
                    Span(left - starts[piece], right - left, span.kind, span.extra)
                )
            piece += 1
    return [
        (text[start:end], tuple(sorted(mine, key=lambda s: (s.offset, -s.length))))
        for start, end, mine in zip(starts, ends, placed, strict=True)
    ]


def _cut(text: str, start: int, hard: int) -> int:
    """Where the piece beginning at ``start`` ends; ``start < result <= hard``."""
    for low in (start + (hard - start) // 2, start + 1):
        for finder in (_after_paragraph, _after_line, _after_sentence, _after_space):
            cut = finder(text, low, hard)
            if cut > start and _whole(text, cut):
                return cut
    cut = hard
    while cut > start and hard - cut < _MAX_BACK_OFF and not _whole(text, cut):
        cut -= 1
    return cut if cut > start and _whole(text, cut) else hard


def _after_paragraph(text: str, low: int, hard: int) -> int:
    found = text.rfind("\n\n", low, hard)
    return found + 2 if found >= 0 else -1


def _after_line(text: str, low: int, hard: int) -> int:
    found = text.rfind("\n", low, hard)
    return found + 1 if found >= 0 else -1


def _after_sentence(text: str, low: int, hard: int) -> int:
    return _last_end(_SENTENCE_END, text, low, hard)


def _after_space(text: str, low: int, hard: int) -> int:
    return _last_end(_SPACE, text, low, hard)


def _last_end(pattern: re.Pattern[str], text: str, low: int, hard: int) -> int:
    end = -1
    for match in pattern.finditer(text, low, hard):
        end = match.end()
    return end


def _whole(text: str, cut: int) -> bool:
    """Whether cutting before ``text[cut]`` keeps every grapheme whole (cheap approximation)."""
    if not 0 < cut < len(text):
        return True
    before, after = text[cut - 1], text[cut]
    if before == "\r" and after == "\n":
        return False
    if before == "\u200d" or _extends(after):
        return False
    if _regional(before) and _regional(after):  # inside a flag: an odd run of indicators before
        run = 0
        while run < _MAX_BACK_OFF and cut - run > 0 and _regional(text[cut - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def _extends(char: str) -> bool:
    """Characters that attach to the one before: combining marks, ZWJ, selectors, skin tones."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or code == 0x200D
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


__all__ = [
    "CAPTION_LIMIT",
    "TEXT_LIMIT",
    "InputUserLookup",
    "entities_to_spans",
    "spans_to_entities",
    "split_message",
    "utf16_length",
]
