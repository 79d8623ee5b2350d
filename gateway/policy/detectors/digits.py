"""Digit runs: where the number detectors look, and which digit groupings they believe.

A *run* is digit groups joined by short separators — up to three characters that are not
letters, digits, ",", ";" or ":" (spaces, dots, dashes, slashes, brackets, newlines, emoji), or a
bare comma inside digits ("4111,1111"). A comma or semicolon followed by a space, or a colon,
ends a run: that is how lists of amounts and times are written, and joining "6 500 000, 1 200 000"
into one number is how a naive detector finds cards in a price list.

Inside a run, letters that look like digits (Cyrillic З and О, Latin O, I, l …) count as digits
— but only when no ordinary letter touches them, so "10 окт" stays a date and "OOO" a word.

Which stretches of a run may be a number is decided by :func:`candidates`: the whole run, any
single group, or a stretch of groups in a layout the kind is conventionally written in (cards in
fours, SNILS as 3-3-3-2). Arbitrary stretches are not tried: with a one-in-ten check digit,
every window of a long price list would eventually pass Luhn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

LOOKALIKES = {
    "O": "0", "o": "0", "О": "0", "о": "0",
    "I": "1", "l": "1", "і": "1", "І": "1",
    "З": "3", "з": "3",
    "Ч": "4", "ч": "4",
    "б": "6", "Б": "6",
}  # fmt: skip
"""Letters typed instead of digits. Counted only inside a run with at least one real digit."""
_LOOK = "".join(LOOKALIKES)
_LETTER = r"[^\W\d_]"
_DIGIT = rf"(?:\d|(?<!{_LETTER})[{_LOOK}]++(?!{_LETTER}))"
"""A digit, or a whole stretch of look-alike letters that touches no other letter: in
"Hello" the "lo" is not "10" (possessive ``++``: the stretch is taken whole or not at all)."""
_FIRST = rf"[\d{_LOOK}](?:(?<=\d)|(?<!{_LETTER}.)[{_LOOK}]*+(?!{_LETTER}))"
"""The first digit of a run, written so that the pattern starts with a plain character class:
the regex engine then skips straight to candidate characters instead of trying every position."""
_SEPARATOR = r"(?:[^\w,;:]{1,3}|_|,(?=\d))"
RUN = re.compile(rf"{_FIRST}{_DIGIT}*(?:{_SEPARATOR}{_DIGIT}+)*")
GROUP = re.compile(rf"[\d{_LOOK}]+")
"""Inside a run every digit or look-alike is part of a group: separators hold no letters."""
_TO_DIGITS = str.maketrans(LOOKALIKES)
_DATE = re.compile(r"(?<!\d)(?:[0-3]?\d([./])[01]?\d\1(?:19|20)\d\d|(?:19|20)\d\d-[01]\d-[0-3]\d)")
"""12.03.2026, 1/2/2026, 2026-03-12: a run containing a date is a date, not one long number."""
_DIGITS = re.compile(r"\d")
_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)")
_NOT_DIGIT_LIKE = re.compile(rf"[^\d{_LOOK}]+")

MIN_REAL_DIGITS = 4
"""A message with fewer ASCII digits (after normalisation) is not searched for numbers."""
_ENOUGH_DIGITS = re.compile(rf"\d(?:\D*\d){{{MIN_REAL_DIGITS - 1}}}")
MIN_RUN_DIGITS = 8
"""The shortest number any detector reports: an international phone number with its "+"."""


# Runs, groups and candidates are NamedTuples rather than frozen dataclasses: a message makes
# dozens of them, and a frozen dataclass's __init__ costs several times a tuple's.


class Group(NamedTuple):
    digits: str
    """ASCII digits, look-alike letters already translated."""
    start: int
    end: int
    real: bool
    """Holds at least one real digit (not only look-alike letters)."""


class Run(NamedTuple):
    groups: tuple[Group, ...]
    plus: bool
    """A "+" stands right before the run (an international phone number)."""
    dated: int
    """How many calendar dates the run contains (0: none)."""
    size: int
    """Digits in all groups (look-alikes included), counted once."""

    @property
    def start(self) -> int:
        return self.groups[0].start

    @property
    def end(self) -> int:
        return self.groups[-1].end


class Candidate(NamedTuple):
    """A stretch of groups that might be one number."""

    digits: str
    start: int
    end: int
    shape: tuple[int, ...]
    whole: bool
    """The stretch is the whole run: the user typed it as one number, however grouped."""


_new = tuple.__new__
"""Builds a Group without NamedTuple's Python-level ``__new__``: half the cost, same object."""


def enough_digits(text: str) -> bool:
    """At least :data:`MIN_REAL_DIGITS` digits: one regex that stops at the fourth digit."""
    return _ENOUGH_DIGITS.search(text) is not None


def digit_count(text: str) -> int:
    """ASCII digits in ``text`` (normalisation made every decimal digit ASCII)."""
    return sum(map(text.count, "0123456789"))


def runs(text: str, min_digits: int = MIN_RUN_DIGITS) -> list[Run]:
    """The runs of ``text`` (normalised) with at least ``min_digits`` digits."""
    found = []
    for match in RUN.finditer(text):
        raw = match.group()
        if len(raw) < min_digits or len(_NOT_DIGIT_LIKE.sub("", raw)) < min_digits:
            continue
        if not _DIGITS.search(raw):
            continue  # a run of look-alike letters only ("OOO", "Ill") is a word
        base = match.start()
        if base > 1 and text[base - 1].isalpha() and text[base - 2].isdigit():
            continue  # the tail of a code such as "1Z4710612113442052" (UPS tracking)
        if "." in raw and (_IPV4.fullmatch(raw) or _DATE.fullmatch(raw)):
            continue  # 192.168.100.200 is an address, 12.03.2026 a date: neither is a number
        groups = []
        for m in GROUP.finditer(raw):
            digits = m.group()
            start = base + m.start()
            if digits.isdigit():
                groups.append(_new(Group, (digits, start, start + len(digits), True)))
            else:
                real = _DIGITS.search(digits) is not None
                end = start + len(digits)
                groups.append(_new(Group, (digits.translate(_TO_DIGITS), start, end, real)))
        size = sum(len(g.digits) for g in groups)
        if size >= min_digits:
            dated = len(_DATE.findall(raw))
            found.append(Run(tuple(groups), base > 0 and text[base - 1] == "+", dated, size))
    return found


def candidates(
    run: Run, lengths: frozenset[int], layouts: frozenset[tuple[int, ...]]
) -> Iterator[Candidate]:
    """Stretches of ``run`` whose digit count is in ``lengths``: the whole run (unless it holds
    a date), single groups, and stretches whose group sizes are one of ``layouts``."""
    groups = run.groups
    n = len(groups)
    longest = max(lengths)
    # look-alike letters alone at an edge may be words ("I 4111 …") or disguised digits
    # ("I 1 2 2 3344595"): the run counts as whole with or without them
    firsts = {0, next(i for i, g in enumerate(groups) if g.real)}
    lasts = {n - 1, max(i for i, g in enumerate(groups) if g.real)}
    for first in range(n):
        size = 0
        for last in range(first, n):
            size += len(groups[last].digits)
            if size > longest:
                break
            if size not in lengths:
                continue
            whole = first in firsts and last in lasts
            shape = tuple(len(g.digits) for g in groups[first : last + 1])
            if (whole and not run.dated) or first == last or shape in layouts:
                digits = "".join(g.digits for g in groups[first : last + 1])
                yield Candidate(digits, groups[first].start, groups[last].end, shape, whole)


def near(
    pattern: re.Pattern[str],
    text: str,
    start: int,
    end: int,
    width: int = 40,
    *,
    before: bool = True,
    after: bool = True,
) -> bool:
    """Whether ``pattern`` (a context word) occurs within ``width`` characters before ``start``
    or half that after ``end``, with no other digits in between: in "ИНН 7707083893, счёт
    1234567890" the word "ИНН" speaks for the first number only."""
    if before:
        matches = list(pattern.finditer(text, max(0, start - width), start))
        if matches and not _DIGITS.search(text, matches[-1].end(), start):
            return True
    if not after:
        return False
    following = pattern.search(text, end, end + width // 2)
    return following is not None and not _DIGITS.search(text, end, following.start())


LABEL = re.compile(
    r"(?i)(?:№|#|\bno\.?|\bnr\.?|\bсч[её]т\w*|\binvoice|\border|\bзаказ\w*|\bдоговор\w*"
    r"|\bcontract|\bтрек|\btrack\w*|\bнакладн\w*|\bref\.?|\bартикул\w*|\bsku|\bid"
    r"|\bштрихкод|\bbarcode|\bean)\s*[:.]?\s*$"
)
"""Words that say the number after them is a document or product number."""


_GLUED_BEFORE = re.compile(r"[^\W\d_][-/_]?$")
_GLUED_AFTER = re.compile(r"[-/_]?[^\W\d_]")


def glued(text: str, start: int, end: int) -> bool:
    """Letters touch the stretch, or sit behind one dash or slash: "INV2024000123",
    "INV-2026-673830", the digits of a UUID or a hash."""
    return bool(
        _GLUED_BEFORE.search(text, max(0, start - 2), start) or _GLUED_AFTER.match(text, end)
    )


def labelled(text: str, start: int) -> bool:
    """The number at ``start`` is introduced as a document number ("счёт №", "order #")."""
    return bool(LABEL.search(text, max(0, start - 16), start))


__all__ = [
    "LOOKALIKES",
    "MIN_REAL_DIGITS",
    "MIN_RUN_DIGITS",
    "Candidate",
    "Group",
    "Run",
    "candidates",
    "digit_count",
    "enough_digits",
    "glued",
    "labelled",
    "near",
    "runs",
]
