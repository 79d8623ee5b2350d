"""Text normalisation before detection, so simple evasion fails.

A user hiding a card number from a filter types it with zero-width spaces, fullwidth or
mathematical digits, a Cyrillic "З" for 3, or emoji between the groups. Detection runs on a
normalised copy: NFKC, invisible and format characters removed. Digit look-alikes and separators
are handled where numbers are found (:mod:`gateway.policy.detectors.numbers`), because only
*inside* a run of digits is an "О" a zero.

Every character of the normalised text remembers where it came from, so a finding maps back to
exactly the characters the user typed and a redaction masks those — no more, no less.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

INVISIBLE = re.compile(
    "["
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef"
    "]"
)
"""Zero-width, bidi, soft hyphen, variation selectors, tag characters, fillers."""


@dataclass(frozen=True, slots=True)
class Normalized:
    """The text detectors see, and the way back to the original.

    ``origin[i]`` is the index in the original text of normalised character ``i``; ``None``
    means the two are identical and no map is needed (the common, fast case).
    """

    original: str
    text: str
    origin: tuple[int, ...] | None = None

    def span_in_original(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering normalised ``[start, end)``."""
        if self.origin is None:
            return start, end
        first = self.origin[start]
        last = self.origin[end - 1]
        # one original character may expand into several (NFKC "①" → "1"); take it whole
        return first, last + 1


_SUSPECT = re.compile(r"[^\x00-\x7f\u0400-\u045f]")
"""Characters NFKC might change: everything but ASCII and the basic Cyrillic block."""


def _fold(char: str) -> str:
    if INVISIBLE.match(char):
        return ""
    digit = unicodedata.decimal(char, None)  # Arabic-Indic, Devanagari … digits NFKC keeps
    if digit is not None:
        return str(digit)
    return unicodedata.normalize("NFKC", char)


def normalize(text: str) -> Normalized:
    """NFKC with invisible characters removed, keeping the way back to ``text``.

    Only suspect characters are looked at one by one; ordinary Russian or English text passes
    with one regex scan, which is what keeps the policy engine at tens of thousands of messages
    a second.
    """
    pieces: list[str] = []
    origin: list[int] = []
    done = 0
    changed = False
    for match in _SUSPECT.finditer(text):
        index = match.start()
        char = match.group()
        folded = _fold(char)
        if folded == char:
            continue
        changed = True
        pieces.append(text[done:index])
        origin.extend(range(done, index))
        folded = "".join(c for c in folded if not INVISIBLE.match(c))
        pieces.append(folded)
        origin.extend([index] * len(folded))
        done = index + 1
    if not changed:
        return Normalized(text, text)
    pieces.append(text[done:])
    origin.extend(range(done, len(text)))
    return Normalized(text, "".join(pieces), tuple(origin))


__all__ = ["INVISIBLE", "Normalized", "normalize"]
