"""Normalisation: evasion tricks never hide a number, and offsets lead back to what was typed.

The contract, stated by the strategies below: take a valid number standing on its own in a
sentence; put any mix of invisible characters anywhere in it; put at most one separator (up to
three characters: spaces, dots, dashes, slashes, newlines, brackets, emoji) between any two
digits; replace any digits by look-alikes (fullwidth, mathematical, Arabic-Indic digits, and
letters: Cyrillic З/О, Latin O/I/l) as long as four real digits remain. The number is still
found, as its kind, covering exactly the characters typed; and masking it leaves none of its
digits, whatever script they were typed in.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gateway.model import Span, SpanKind
from gateway.policy import scan
from gateway.policy.normalize import normalize
from gateway.policy.redact import MASK, redact

NUMBERS = {
    "card": ["4111111111111111", "2200000000000004", "5555555555554444", "2221000000000009"],
    "inn": ["7707083893", "500100732259"],
    "snils": ["11223344595"],
    "ogrn": ["1027700132195", "339825979190742"],
}
CONTEXT = {"card": "карта", "inn": "ИНН", "snils": "СНИЛС", "ogrn": "ОГРН"}
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u034f\ufe0f\U000e0041"
SEPARATORS = [" ", "  ", "-", ".", "/", "\n", " - ", "(", ") ", "_", "💳", " 🙂 ", "\t", "\u00a0"]
LOOKALIKE = {
    "0": ["О", "о", "O", "o", "０", "𝟎", "٠"],
    "1": ["I", "l", "１", "𝟏", "١"],
    "3": ["З", "з", "３", "𝟑"],
    "4": ["４", "𝟒", "٤"],
    "5": ["５", "𝟓"],
    "9": ["９", "𝟗"],
}
_DATE = re.compile(r"(?<!\d)[0-3]?\d([./])[01]?\d\1(?:19|20)\d\d")


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str, str]:
    """(kind, plain digits, disguised number)."""
    kind = draw(st.sampled_from(sorted(NUMBERS)))
    digits = draw(st.sampled_from(NUMBERS[kind]))
    pieces = []
    replaced = 0
    for index, digit in enumerate(digits):
        options = LOOKALIKE.get(digit, [])
        if options and replaced < len(digits) - 4 and draw(st.booleans()):
            pieces.append(draw(st.sampled_from(options)))
            replaced += 1
        else:
            pieces.append(digit)
        if index < len(digits) - 1 and draw(st.integers(0, 3)) == 0:
            pieces.append(draw(st.sampled_from(SEPARATORS)))
        if draw(st.integers(0, 4)) == 0:
            pieces.append(draw(st.sampled_from(INVISIBLE)))
    return kind, digits, "".join(pieces)


def _plain(text: str) -> str:
    return normalize(text).text


@settings(max_examples=400, deadline=None)
@given(disguised())
def test_disguise_never_hides_a_number(case: tuple[str, str, str]) -> None:
    kind, _digits, number = case
    # a run that contains a calendar date is read as a date, by design (see docs/policy.md)
    assume(not _DATE.search(_plain(number)))
    text = f"{CONTEXT[kind]}: {number} — срочно"
    findings = [f for f in scan(text) if f.kind == kind]
    assert findings, (text, scan(text))
    start = text.index(number)
    typed = text[findings[0].start : findings[0].end]
    assert findings[0].start >= start
    assert findings[0].end <= start + len(number)
    # it covers every character that normalises to one of the number's digits
    visible = [c for c in number if unicodedata.decimal(c, None) is not None or c.isalpha()]
    covered = [c for c in typed if unicodedata.decimal(c, None) is not None or c.isalpha()]
    assert covered == visible


@settings(max_examples=300, deadline=None)
@given(disguised(), st.sampled_from(["mask", "label"]))
def test_redaction_leaves_no_digit_behind(case: tuple[str, str, str], mode: str) -> None:
    kind, _digits, number = case
    assume(not _DATE.search(_plain(number)))
    text = f"{CONTEXT[kind]} {number} ок"
    findings = [f for f in scan(text) if f.kind == kind]
    assume(findings)
    redacted, _ = redact(text, (), [(f, mode) for f in findings])
    remaining = re.sub(r"\D", "", _plain(redacted).replace("ок", ""))
    assert remaining == ""
    if mode == "mask":
        assert MASK in redacted


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_offsets_map_into_the_original(text: str) -> None:
    norm = normalize(text)
    if not norm.changed:
        assert norm.text == text
        return
    for start in range(len(norm.text)):
        o_start, o_end = norm.to_original(start, start + 1)
        assert 0 <= o_start < o_end <= len(text)
        # the original stretch normalises to something containing this character
        assert norm.text[start] in normalize(text[o_start:o_end]).text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_scan_never_raises_and_offsets_are_in_bounds(prefix: str, suffix: str) -> None:
    text = f"{prefix} 4111 1111 1111 1111 {suffix}"
    for f in scan(text):
        assert 0 <= f.start < f.end <= len(text)


def test_label_redaction_moves_spans() -> None:
    text = "card 4111 1111 1111 1111 please"
    spans = (
        Span(0, 4, SpanKind.BOLD),  # before
        Span(5, 19, SpanKind.ITALIC),  # exactly the number
        Span(25, 6, SpanKind.CODE),  # after
        Span(0, 31, SpanKind.SPOILER),  # around everything
    )
    (finding,) = scan(text)
    redacted, moved = redact(text, spans, [(finding, "label")])
    assert redacted == "card [card number] please"
    by_kind = {s.kind: redacted[s.offset : s.end] for s in moved}
    assert by_kind[SpanKind.BOLD] == "card"
    assert by_kind[SpanKind.ITALIC] == "[card number]"
    assert by_kind[SpanKind.CODE] == "please"
    assert by_kind[SpanKind.SPOILER] == redacted


def test_mask_keeps_the_shape_and_drops_hidden_characters() -> None:
    text = "4111\u200b 1111 1111 1111!"
    (finding,) = scan(text)
    redacted, spans = redact(text, (Span(20, 1, SpanKind.BOLD),), [(finding, "mask")])
    assert redacted == "•••• •••• •••• ••••!"
    assert redacted[spans[0].offset] == "!"
