"""The byte-level shortcuts behind the evasion work decide exactly what the ``str`` versions do.

The detectors test a message on its Windows-1251 bytes (one byte per character) before running
patterns on the text: whether normalisation has anything to do, where digit runs are, whether
anything is letter-spaced. Each shortcut is checked here against the plain definition on random
text drawn from the characters that matter (digits, look-alike letters, separators, Cyrillic,
characters the code page lacks).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy.detectors import digits
from gateway.policy.detectors.hidden import join_spacing
from gateway.policy.normalize import _UNSAFE, _safe, normalize, single_bytes

ALPHABET = (
    "0123456789" + "OoОоIlіІЗзЧчбБ" + "abcxyzабвгдх" + " .-/\n_,;:%+()x?" + "\u200b٤４€«»—№😀é"
)
TEXT = st.text(alphabet=ALPHABET, max_size=60)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_safe_bytes_agree_with_the_pattern(text: str) -> None:
    assert _safe(text) == (_UNSAFE.search(text) is None)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_single_bytes_keep_offsets(text: str) -> None:
    assert len(single_bytes(text)) == len(text)


@settings(max_examples=600, deadline=None)
@given(TEXT)
def test_runs_on_bytes_match_runs_on_text(text: str) -> None:
    text = normalize(text).text
    expected = [m.span() for m in digits.RUN.finditer(text)]
    assert [m.span() for m in digits._run_matches(text)] == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcкот .-_*\n", max_size=40))
def test_joined_spacing_maps_back(text: str) -> None:
    joined = join_spacing(text)
    if joined is None:
        return
    norm, regions = joined
    for start, end in regions:
        o_start, o_end = norm.to_original(start, end)
        typed = text[o_start:o_end]
        # the joined letters are the typed letters, in order, with nothing else but separators
        assert [c for c in typed if c.isalnum()] == [c for c in norm.text[start:end] if c.isalnum()]
