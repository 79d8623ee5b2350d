"""Hypothesis: evasion never hides a number, redaction never leaves a digit, scan never breaks."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gateway.policy import EvaluationContext, evaluate, load_policy, scan
from gateway.policy.detectors.digits import MIN_REAL_DIGITS
from gateway.policy.findings import label
from gateway.policy.normalize import normalize
from tests.unit.policy.samples import (
    NOON,
    OUT,
    inn12_complete,
    luhn_complete,
    message,
    snils_complete,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u180e",
    "\u034f",
    "\ufe0f",
    "\U000e0041",
]
SEPARATORS = [" ", "  ", "-", ".", "/", "\n", " - ", "💳", " 💳 ", "\t", "_"]
LOOKALIKES = {"0": "ОoOо", "1": "lI", "3": "Зз"}
DIGIT_FORMS = {  # the same digit in other scripts and styles
    d: [chr(0xFF10 + d), chr(0x1D7CE + d), chr(0x0660 + d), chr(0x06F0 + d), chr(0x0966 + d)]
    for d in range(10)
}


@st.composite
def disguised(draw: st.DrawFn, number: str) -> str:
    """``number`` with invisible characters, separators and look-alikes mixed in. The first
    and last characters stay plain digits: a run that starts with a look-alike letter is a
    word (documented limit), and the number must not melt into the words around it. At least
    ``MIN_REAL_DIGITS`` stay digits: a message with fewer is not searched (documented limit)."""
    out = []
    letters = 0
    for i, digit in enumerate(number):
        inner = 0 < i < len(number) - 1
        form = draw(st.sampled_from(["plain", "lookalike", "script"])) if inner else "plain"
        if form == "lookalike" and digit in LOOKALIKES:
            letters += 1
            out.append(draw(st.sampled_from(LOOKALIKES[digit])))
        elif form == "script":
            out.append(draw(st.sampled_from(DIGIT_FORMS[int(digit)])))
        else:
            out.append(digit)
        if i < len(number) - 1:
            out.append("".join(draw(st.lists(st.sampled_from(INVISIBLE), max_size=2))))
            if draw(st.integers(0, 3)) == 0:
                out.append(draw(st.sampled_from(SEPARATORS)))
    assume(len(number) - letters >= MIN_REAL_DIGITS)
    return "".join(out)


def card_numbers() -> st.SearchStrategy[str]:
    prefixes = st.sampled_from(["2200", "2204", "4", "51", "55", "2221", "2720", "62", "6759"])
    return prefixes.flatmap(
        lambda p: st.text("0123456789", min_size=15 - len(p), max_size=15 - len(p)).map(
            lambda rest: luhn_complete(p + rest)
        )
    )


def inns() -> st.SearchStrategy[str]:
    return (
        st.text("0123456789", min_size=10, max_size=10)
        .filter(lambda s: s[:2] != "00")
        .map(inn12_complete)
    )


def snilses() -> st.SearchStrategy[str]:
    return st.integers(1_002_000, 999_999_999).map(lambda n: snils_complete(f"{n:09d}"))


CASES = {
    "card": ("Оплата картой {} до пятницы", card_numbers),
    "inn": ("ИНН {} для договора", inns),
    "snils": ("СНИЛС сотрудника {} прилагаю", snilses),
}


def check_found(kind: str, number: str, typed: str) -> None:
    template, _ = CASES[kind]
    text = template.format(typed)
    start = text.index(typed)
    hits = [f for f in scan(text) if f.kind == kind]
    assert hits, (kind, number, typed)
    covering = [f for f in hits if f.start <= start and start + len(typed) <= f.end + 3]
    assert covering, (typed, [(f.kind, text[f.start : f.end]) for f in hits])


@SETTINGS
@given(data=st.data())
def test_disguised_card_is_found(data: st.DataObject) -> None:
    number = data.draw(card_numbers())
    check_found("card", number, data.draw(disguised(number)))


@SETTINGS
@given(data=st.data())
def test_disguised_inn_is_found(data: st.DataObject) -> None:
    number = data.draw(inns())
    check_found("inn", number, data.draw(disguised(number)))


@SETTINGS
@given(data=st.data())
def test_disguised_snils_is_found(data: st.DataObject) -> None:
    number = data.draw(snilses())
    check_found("snils", number, data.draw(disguised(number)))


REDACT = {
    mode: load_policy(
        {
            "rules": [
                {
                    "name": "mask-it",
                    "action": "redact",
                    "kinds": ["card", "inn", "snils"],
                    "redact": mode,
                }
            ]
        }
    )
    for mode in ("mask", "label")
}


def digit_like(text: str) -> list[str]:
    """Characters of ``text`` that are, or normalise to, a digit or a digit look-alike."""
    seen = normalize(text).text
    return [c for c in seen if c.isdigit() or unicodedata.decimal(c, None) is not None]


@SETTINGS
@given(data=st.data(), kind=st.sampled_from(sorted(CASES)), mode=st.sampled_from(["mask", "label"]))
def test_redaction_leaves_no_digit(data: st.DataObject, kind: str, mode: str) -> None:
    template, numbers = CASES[kind]
    number = data.draw(numbers())
    typed = data.draw(disguised(number))
    text = template.format(typed)
    decision = evaluate(REDACT[mode], message(text), OUT, context=EvaluationContext(now=NOON))
    assert decision.action == "redact", (text, decision.findings)
    assert decision.text is not None
    assert digit_like(decision.text) == [], decision.text
    head, tail = template.split("{}")
    assert decision.text.startswith(head)
    assert decision.text.endswith(tail)
    left = decision.text[len(head) : len(decision.text) - len(tail)]
    if mode == "label":
        assert left.strip() == label(kind), left
    else:  # every letter and digit typed is a mask dot now: no look-alike letter survives
        assert not any(c.isalnum() for c in left), left
    assert all(f.kind not in CASES for f in scan(decision.text))


@SETTINGS
@given(text=st.text())
def test_scan_never_raises_and_stays_in_bounds(text: str) -> None:
    for finding in scan(text):
        assert 0 <= finding.start < finding.end <= len(text)


@SETTINGS
@given(text=st.text(st.characters(codec="utf-8"), max_size=300), data=st.data())
def test_normalised_offsets_map_inside_the_original(text: str, data: st.DataObject) -> None:
    norm = normalize(text)
    assume(norm.text)
    start = data.draw(st.integers(0, len(norm.text) - 1))
    end = data.draw(st.integers(start + 1, len(norm.text)))
    o_start, o_end = norm.to_original(start, end)
    assert 0 <= o_start < o_end <= len(text)
    # the mapped original stretch normalises to (at least) the normalised one
    assert norm.text[start:end] in normalize(text[o_start:o_end]).text


MIXED = st.text(
    st.sampled_from(
        list("0123456789 -./\n") + INVISIBLE + ["О", "З", "l", "４", "٤", "a", "б", "ё"]
    ),
    max_size=80,
)


@SETTINGS
@given(text=MIXED)
def test_digit_heavy_text_never_raises(text: str) -> None:
    for finding in scan(text):
        assert 0 <= finding.start < finding.end <= len(text)
