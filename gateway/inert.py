"""Network text made inert for a terminal: controls, escapes and bidi are shown, never executed.

Why: a partner's text reaches an operator's terminal through ``hgw tui`` and the CLI, and a
terminal acts on what it is sent. ``ESC ] 52 ; c ; <base64> ESC \\`` puts text on the clipboard
(tmux passes it on), ``ESC [ 2 J`` blanks the screen, ``ESC ] 0 ; … `` retitles the window,
``CR`` and ``BS`` draw over a sender's name, and bidi overrides reorder what is read (Trojan
Source, CVE-2021-42574). Invariant 6 of the design: such text is shown, not interpreted.

How: every character a terminal may act on is replaced, one at a time, by a visible stand-in:

- C0 controls and DEL → the Unicode control pictures (ESC → ``␛``, BEL → ``␇``, CR → ``␍``,
  DEL → ``␡``); ``\\n`` and ``\\t`` only stay where the caller keeps them (a message body, not
  a name on one line);
- C1 controls (U+0080–U+009F: the 8-bit CSI, OSC, DCS, APC, PM, SOS and ST) → ``⟨U+009B⟩``;
- bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the bidi marks
  (U+200E, U+200F, U+061C) → ``⟨U+202E⟩``. The marks are shown too: they are invisible, and in a
  terminal that does bidi they move the neutral characters next to them just as well — the
  price is a visible ``⟨U+200F⟩`` in right-to-left text that carries one;
- the line and paragraph separators (U+2028, U+2029) → ``⟨U+2028⟩``;
- lone surrogates (JSON allows ``"\\ud800"``), which cannot be encoded for a UTF-8 terminal at
  all, → ``⟨U+D800⟩``.

Escape sequences need no parser: with ESC and the C1 introducers replaced nothing is left that
starts one, and the rest of a sequence (``]52;c;aGk=``) is ordinary text, shown as it came.
Replacing characters one by one keeps the function stable: ``inert(inert(s)) == inert(s)``.
Not touched: zero-width joiners and spaces (emoji sequences need them), combining marks, tag
characters — a terminal draws them and acts on none.

Textual markup is a separate matter, handled where text is drawn: the TUI shows network text as
``rich.text.Text``, never as a markup string. The archive keeps the original characters; only
what is displayed is changed.

Pure and imports nothing of ours, so the TUI and the CLI share this one module.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Bidi controls shown as ``⟨U+XXXX⟩``: embeddings, overrides, isolates and marks."""

_KEEPABLE = frozenset("\n\t")
_PICTURES = {chr(code): chr(0x2400 + code) for code in range(0x20)} | {"\x7f": "\u2421"}


@lru_cache(maxsize=8)
def _pattern(keep: str) -> re.Pattern[str]:
    """One character class of everything unsafe except ``keep`` (compiled once per ``keep``)."""
    if not set(keep) <= _KEEPABLE:
        raise ValueError(f"only newline and tab can be kept, not {keep!r}")
    c0 = "".join(re.escape(chr(code)) for code in range(0x20) if chr(code) not in keep)
    return re.compile(f"[{c0}\x7f-\x9f{BIDI}\u2028\u2029\ud800-\udfff]")


def stand_in(char: str) -> str:
    """What one unsafe character is shown as (control picture, or ``⟨U+XXXX⟩``)."""
    return _PICTURES.get(char) or f"⟨U+{ord(char):04X}⟩"


def _replace(match: re.Match[str]) -> str:
    return stand_in(match.group())


def inert(text: str, *, keep: str = "") -> str:
    """``text`` with every character a terminal could act on shown as a visible stand-in.

    ``keep`` names the layout characters left as they are: ``"\\n"`` for a message body drawn
    on several lines, ``"\\n\\t"`` for plain CLI output; a name or a title keeps none.
    Text without anything unsafe (nearly all of it) is returned as it is after one regex scan.
    """
    pattern = _pattern(keep)
    if pattern.search(text) is None:
        return text
    return pattern.sub(_replace, text)


def inert_offsets(text: str, *, keep: str = "") -> tuple[str, Callable[[int], int]]:
    """:func:`inert` plus where each offset of ``text`` landed in the result.

    Stand-ins are longer than what they replace, so a span or a policy finding given in the
    original's code points (``text[a:b]``) is ``result[where(a):where(b)]``.
    """
    pattern = _pattern(keep)
    if pattern.search(text) is None:
        return text, lambda offset: max(0, min(offset, len(text)))
    originals: list[int] = []  # offset in text of each replaced character
    shifts: list[int] = []  # how far the result has moved ahead, just after it
    pieces: list[str] = []
    shift, last = 0, 0
    for match in pattern.finditer(text):
        start = match.start()
        shown = stand_in(match.group())
        pieces += [text[last:start], shown]
        shift += len(shown) - 1
        originals.append(start)
        shifts.append(shift)
        last = start + 1
    pieces.append(text[last:])

    def where(offset: int) -> int:
        offset = max(0, min(offset, len(text)))
        before = bisect_right(originals, offset - 1)  # replaced characters before ``offset``
        return offset + (shifts[before - 1] if before else 0)

    return "".join(pieces), where


def inert_json(document: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) with the same data, in which
    every unsafe character is written as a ``\\uXXXX`` escape instead of raw.

    ``json.dumps`` already escapes C0 (ESC becomes ``\\u001b``) but writes DEL, C1, bidi and
    separators raw; outside strings a document only holds newlines of its own indentation,
    which are kept. ``json.loads`` of the result equals ``json.loads`` of the input.
    """
    pattern = _pattern("\n")
    if pattern.search(document) is None:
        return document
    return pattern.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


__all__ = ["BIDI", "inert", "inert_json", "inert_offsets", "stand_in"]
