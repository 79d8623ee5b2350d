"""Text normalisation before detection, so simple evasion fails.

A user hiding a card number from a filter types it with zero-width spaces, fullwidth or
mathematical digits, a stress accent on a letter of "конфиденциально", or a keycap emoji.
Detection runs on a normalised copy: NFKC, invisible and format characters removed, combining
marks that do not compose into a letter (й and ё stay) removed, every decimal digit of every
script turned into an ASCII digit. Digit look-alike *letters* and separators inside numbers are
handled where numbers are found (:mod:`gateway.policy.detectors.digits`), because only inside a
run of digits is an "О" a zero.

The normalised text keeps the way back: a finding maps to exactly the characters the user
typed, so a redaction masks those, no more, no less. The map is a short list of changed
segments, built only when normalisation changed something — ordinary Russian or English chat
passes with one regex scan and no map at all.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

INVISIBLE = re.compile(
    "["
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef"
    "]"
)
"""Zero-width, bidi controls, soft hyphen, variation selectors, tag characters, fillers."""

_COMBINING = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_SAFE = "\x00-\x7f\u0400-\u045f\u00ab\u00bb\u2013\u2014\u2018-\u201e\u2116"
"""ASCII, basic Cyrillic, «» – — quotes and №: characters NFKC leaves alone (№ it would turn
into "No", which only moves offsets), so text made of them needs no work at all."""
_UNSAFE = re.compile(f"[^{_SAFE}]")
"""The quick test: combining marks are outside the safe set too, so this finds them as well."""
_SUSPECT = re.compile(f"[{_SAFE}]?[^{_SAFE}][{_COMBINING}]*")
_SAFE_BYTES = bytes(
    byte
    for byte in range(256)
    if byte != ord("?") and _UNSAFE.match(bytes([byte]).decode("cp1251", "replace")) is None
)
"""The Windows-1251 bytes of safe characters but "?", which also stands for the characters the
code page lacks (see :func:`_safe`)."""
"""A character NFKC might change, with the base before a combining mark and the marks after."""


@dataclass(frozen=True, slots=True)
class Normalized:
    """The text detectors see, and the way back to the original.

    ``segments`` lists, in order, the stretches of the normalised text that differ from the
    original: ``(norm_start, norm_end, orig_start, orig_end)``. Between two segments the texts
    are identical up to a shift. Empty when nothing changed (the common, fast case).
    """

    original: str
    text: str
    segments: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.segments)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering normalised ``[start, end)``, ``start < end``."""
        if not self.segments:
            return start, end
        return self._position(start, first=True), self._position(end - 1, first=False)

    def _position(self, index: int, *, first: bool) -> int:
        i = bisect_right(self.segments, index, key=_start) - 1  # O(log n): no list of starts
        if i < 0:
            return index if first else index + 1
        _n_start, n_end, o_start, o_end = self.segments[i]
        if index < n_end:  # inside a replaced stretch: take the original characters whole
            return o_start if first else o_end
        offset = o_end + (index - n_end)  # after the stretch: shifted, one to one
        return offset if first else offset + 1


def _start(segment: tuple[int, int, int, int]) -> int:
    return segment[0]


def _fold(cluster: str) -> str:
    """What one original character (with its combining marks) becomes."""
    if len(cluster) == 1:
        if INVISIBLE.match(cluster):
            return ""
        digit = unicodedata.decimal(cluster, None)  # Arabic-Indic, Devanagari … digits
        if digit is not None:
            return str(digit)
    folded = unicodedata.normalize("NFKC", cluster)
    folded = INVISIBLE.sub("", folded)
    if not folded.isascii():
        # marks that did not compose into a letter are dropped: "а́" → "а", "1⃣" → "1";
        # digits NFKC leaves alone (Arabic-Indic after a space: " ٤") still become ASCII
        folded = "".join(
            _digit(c) for c in folded if not unicodedata.combining(c) and c != "\u20e3"
        )
    return folded


def _digit(char: str) -> str:
    if char.isascii():
        return char
    digit = unicodedata.decimal(char, None)
    return char if digit is None else str(digit)


def normalize(text: str) -> Normalized:
    """NFKC with invisible characters and stray combining marks removed, offsets kept."""
    if _safe(text):
        return Normalized(text, text)
    pieces: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    done = 0  # original characters consumed
    length = 0  # normalised characters produced
    for match in _SUSPECT.finditer(text):
        cluster = match.group()
        folded = _fold(cluster)
        if folded == cluster:
            continue
        index = match.start()
        # a base character the fold kept ("1" of "1\ufeff", " " of " ４") stays out of the
        # segment, so a finding that ends or starts at it maps to exactly what the user typed
        while folded and index < match.end() and folded[0] == text[index]:
            folded = folded[1:]
            index += 1
        pieces.append(text[done:index])
        length += index - done
        pieces.append(folded)
        segments.append((length, length + len(folded), index, match.end()))
        length += len(folded)
        done = match.end()
    if not segments:
        return Normalized(text, text)
    pieces.append(text[done:])
    return Normalized(text, "".join(pieces), tuple(segments))


def _safe(text: str) -> bool:
    """No character outside :data:`_SAFE`: asked of the Windows-1251 bytes the detectors use
    next anyway (:func:`single_bytes` keeps them for the same, unchanged text), with one
    ``bytes.translate`` that deletes the safe bytes — several times cheaper than a search of
    the ``str``. A "?" left over may stand for a character the code page lacks: the text is
    safe when there are as many question marks in it."""
    rest = single_bytes(text).translate(None, _SAFE_BYTES)
    if not rest:
        return True
    if rest.strip(b"?"):
        return False
    return len(rest) == text.count("?")  # every "?" is a question mark


def last_text_memo(compute: Callable[[str], bytes]) -> Callable[[str], bytes]:
    """Remember ``compute`` for the last text only, checked by identity.

    Several detectors ask for the same byte form of the same message in turn; a memo of one
    entry is all that takes, and it is safe across threads: whichever thread stored the pair,
    its bytes are right for its own text (the pair keeps that text alive, so identity cannot
    be mistaken).
    """
    last: list[tuple[str | None, bytes]] = [(None, b"")]

    @wraps(compute)
    def remembered(text: str) -> bytes:
        pair = last[0]
        if pair[0] is text:
            return pair[1]
        data = compute(text)
        last[0] = (text, data)
        return data

    return remembered


@last_text_memo
def single_bytes(text: str) -> bytes:
    """``text`` in Windows-1251, "?" for each character that code page lacks: one byte per
    character, so byte offsets are character offsets. The cheap tests of several detectors
    (markings, spacing, spelled-out addresses, encoded runs) run on this form with
    ``bytes.translate`` and ``in``, several times faster than on ``str``."""
    return text.encode("cp1251", "replace")


_LOWER = bytes(
    bytes([b]).decode("cp1251", "replace").lower().encode("cp1251", "replace")[0]
    for b in range(256)
)


@last_text_memo
def lowered_bytes(text: str) -> bytes:
    """:func:`single_bytes` in lower case (Latin and Cyrillic): where the detectors look for
    their keywords before running a pattern ("пароль", "паспорт", "собака"); several times
    cheaper than ``str.lower`` and a ``str`` search."""
    return single_bytes(text).translate(_LOWER)


__all__ = [
    "INVISIBLE",
    "Normalized",
    "last_text_memo",
    "lowered_bytes",
    "normalize",
    "single_bytes",
]
