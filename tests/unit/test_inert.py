"""gateway.inert: whatever a network sends, nothing in the result is a terminal instruction."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.inert import BIDI, inert, inert_json, inert_offsets

HOSTILE = [
    "\x1b]52;c;aGVsbG8=\x1b\\",  # OSC 52: write the clipboard
    "\x1b[2J",  # clear the screen
    "\x1b[31mred",  # colour
    "\x1b]0;TITLE\x07",  # window title, BEL-terminated
    "\x1bP+q544e\x1b\\",  # DCS
    "\x1b_apc\x1b\\",  # APC
    "\x9b31m\x9d0;t\x9c",  # 8-bit CSI, OSC, ST
    "safe\rEVIL",  # carriage return over what was drawn
    "abc\u202edcb\u2066x\u2069",  # Trojan Source
]
# Code points near the unsafe ranges, so Hypothesis hits them often.
EDGES = st.sampled_from(
    [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, 0xD800, 0xDFFF)]
    + list(BIDI)
    + ["\u241b", "⟨", "⟩", "U+", "\u200d", "a", "\n", "\t"]
)
TEXTS = st.lists(st.one_of(EDGES, st.text(max_size=4)), max_size=40).map("".join)


def unsafe(char: str, keep: str) -> bool:
    code = ord(char)
    if char in keep:
        return False
    return (
        code < 0x20
        or 0x7F <= code <= 0x9F
        or char in BIDI
        or char in "\u2028\u2029"
        or 0xD800 <= code <= 0xDFFF
    )


@pytest.mark.parametrize("keep", ["", "\n", "\n\t"])
@given(text=TEXTS)
def test_nothing_unsafe_survives_and_inert_is_stable(text: str, keep: str) -> None:
    shown = inert(text, keep=keep)
    assert not [c for c in shown if unsafe(c, keep)]
    assert "\x1b" not in shown
    assert not [c for c in shown if unicodedata.category(c) == "Cc" and c not in keep]
    assert inert(shown, keep=keep) == shown
    assert shown.count("\n") == (text.count("\n") if "\n" in keep else 0)


@given(text=TEXTS, data=st.data())
def test_offsets_follow_the_text(text: str, data: st.DataObject) -> None:
    shown, where = inert_offsets(text, keep="\n")
    assert shown == inert(text, keep="\n")
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert shown[where(start) : where(end)] == inert(text[start:end], keep="\n")
    assert where(len(text)) == len(shown)


@given(value=st.recursive(st.text() | st.integers(), lambda inner: st.dictionaries(
    st.text(), inner, max_size=3) | st.lists(inner, max_size=3), max_leaves=8))  # fmt: skip
def test_json_stays_the_same_data_with_nothing_raw(value: object) -> None:
    for indent in (None, 2):
        document = inert_json(json.dumps(value, ensure_ascii=False, indent=indent))
        assert json.loads(document) == value
        assert not [c for c in document if unsafe(c, "\n")]


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_sequences_are_shown_whole(text: str) -> None:
    shown = inert(text)
    assert "\x1b" not in shown
    assert shown.replace("\u241b", "").replace("\u2407", "")  # the rest stays readable


def test_the_stand_ins() -> None:
    assert inert("\x1b]52;c;aGk=\x1b\\") == "␛]52;c;aGk=␛\\"
    assert inert("\x1b[2J") == "␛[2J"
    assert inert("a\tb\nc", keep="\n") == "a␉b\nc"
    assert inert("a\tb\nc") == "a␉b␊c"
    assert inert("\x7f\x00") == "␡␀"
    assert inert("\x9b31m") == "⟨U+009B⟩31m"
    assert inert("abc\u202edcb") == "abc⟨U+202E⟩dcb"
    assert inert("\u200fשלום") == "⟨U+200F⟩שלום"
    assert inert("Привет 👋🏽 [bold]x[/]") == "Привет 👋🏽 [bold]x[/]"  # not markup's business
    with pytest.raises(ValueError, match="only newline and tab"):
        inert("x", keep="\r")
