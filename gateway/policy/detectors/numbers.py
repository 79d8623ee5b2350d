"""Checksum-validated numbers: card, INN, OGRN, SNILS, passport, bank account.

A number is found as a *run*: digit groups separated by at most three non-word characters
(spaces, dots, dashes, slashes, newlines, emoji). Inside a run, letters that look like digits
(Cyrillic З and О, Latin O, I, l) count as digits — but only when no ordinary letter touches
them, so "10 окт" stays a date. Each contiguous sequence of groups whose digit count fits a kind
is checked against that kind's check digit; "card 2202 2056 1234 5678, INN 7707083893" yields
both numbers from one run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from gateway.policy import checksums
from gateway.policy.findings import Finding

LOOKALIKES = {
    "О": "0", "о": "0", "O": "0", "o": "0", "Q": "0", "D": "0",
    "З": "3", "з": "3", "Э": "3",
    "I": "1", "l": "1", "|": "1", "і": "1", "І": "1",
    "Б": "6", "б": "6", "S": "5", "B": "8", "Ч": "4", "ч": "4",
}  # fmt: skip
_LOOK = "".join(LOOKALIKES)
_LETTER_NOT_LOOK = rf"[^\W\d_{_LOOK}]"
_DIGIT = rf"(?:\d|(?<!{_LETTER_NOT_LOOK})[{_LOOK}](?!{_LETTER_NOT_LOOK}))"
_SEPARATOR = r"(?:[^\w]|_){1,3}"
RUN = re.compile(rf"{_DIGIT}+(?:{_SEPARATOR}{_DIGIT}+)*")
GROUP = re.compile(rf"{_DIGIT}+")
_TO_DIGITS = str.maketrans(LOOKALIKES)

PASSPORT_CONTEXT = re.compile(r"паспорт|серия|серии|номер|выдан|passport|series", re.IGNORECASE)
BIK = re.compile(r"(?<!\d)04\d{7}(?!\d)")
PHONE_SHAPES = ((3, 3, 2, 2), (3, 3, 4), (3, 7), (1, 3, 3, 2, 2), (1, 3, 3, 4), (1, 3, 7))
"""Group layouts that read as phone numbers: a 10-digit run shaped like this is not an INN."""

MIN_DIGITS = 10
"""The shortest number kind here (INN-10, passport) has ten digits: fewer, and we skip."""


@dataclass(frozen=True, slots=True)
class Group:
    digits: str
    start: int
    end: int


def digit_count(text: str) -> int:
    """ASCII digits in a normalised text (normalisation turned every decimal digit into one)."""
    return sum(map(text.count, "0123456789"))


def runs(text: str) -> Iterator[list[Group]]:
    for run in RUN.finditer(text):
        groups = [
            Group(m.group().translate(_TO_DIGITS), run.start() + m.start(), run.start() + m.end())
            for m in GROUP.finditer(run.group())
        ]
        # a run made only of look-alike letters ("OOO", "Ill") is a word, not a number
        if any(c.isdigit() for c in run.group()):
            yield groups


def _windows(groups: list[Group]) -> Iterator[tuple[str, int, int, tuple[int, ...]]]:
    """Every contiguous sequence of groups with 10–23 digits: (digits, start, end, shape)."""
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last].digits
            if len(digits) > 23:
                break
            if len(digits) >= MIN_DIGITS:
                shape = tuple(len(g.digits) for g in groups[first : last + 1])
                yield digits, groups[first].start, groups[last].end, shape


def _kind(digits: str, shape: tuple[int, ...], text: str, start: int) -> str | None:
    n = len(digits)
    if 13 <= n <= 19 and checksums.is_card(digits):
        return "card"
    if n == 11 and checksums.is_snils(digits):
        return "snils"
    if n in (13, 15) and checksums.is_ogrn(digits):
        return "ogrn"
    if n in (10, 12) and checksums.is_inn(digits) and shape not in PHONE_SHAPES:
        return "inn"
    if n == 10 and shape in ((4, 6), (2, 2, 6), (10,)):
        context = text[max(0, start - 40) : start]
        if PASSPORT_CONTEXT.search(context):
            return "passport_ru"
    return None


def find_numbers(text: str, all_runs: list[list[Group]] | None = None) -> list[Finding]:
    """Findings in ``text`` (already normalised); longest valid number wins where they overlap."""
    if digit_count(text) < MIN_DIGITS - 2:  # allow a couple of look-alike letters
        return []
    found: list[Finding] = []
    biks: list[str] | None = None
    for groups in all_runs if all_runs is not None else runs(text):
        candidates = []
        for digits, start, end, shape in _windows(groups):
            kind = _kind(digits, shape, text, start)
            if kind is None and len(digits) == 20:
                biks = biks if biks is not None else BIK.findall(text)
                if any(checksums.is_bank_account(digits, bik) for bik in biks):
                    kind = "bank_account_ru"
            if kind is not None:
                candidates.append(Finding(kind, start, end, 1.0))
        found.extend(_without_overlaps(candidates))
    return found


def _without_overlaps(candidates: list[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    for candidate in sorted(candidates, key=lambda f: (f.start - f.end, f.start)):
        if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda f: f.start)


__all__ = ["LOOKALIKES", "MIN_DIGITS", "Group", "digit_count", "find_numbers", "runs"]
