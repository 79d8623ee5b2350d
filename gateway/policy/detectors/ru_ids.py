"""Russian identifiers: ``inn``, ``ogrn``, ``snils``, ``passport_ru``.

INN-10 and OGRN have a one-in-eleven check digit, so a checksum alone would call every eleventh
invoice number an INN. What else counts:

- a context word near the number ("ИНН", "СНИЛС" …) makes it certain (confidence 1.0);
- without one, a number that is labelled as something else ("счёт №", "order #", "договор"), glued
  to letters ("INV2024000123") or shaped like a Russian phone number is not reported;
- a passport has no check digit at all, so it needs a context word, as in Microsoft Purview.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gateway.policy import checksums
from gateway.policy.detectors.digits import Candidate, Run, candidates, glued, labelled, near
from gateway.policy.detectors.markings import fold, folded_bytes, letter_pattern
from gateway.policy.findings import Finding
from gateway.policy.normalize import lowered_bytes

LENGTHS = frozenset({10, 11, 12, 13, 15})
PASSPORT_LAYOUTS = frozenset({(4, 6), (2, 2, 6)})
PASSPORT_SHAPES = PASSPORT_LAYOUTS | {(10,)}
LAYOUTS = PASSPORT_LAYOUTS | {(3, 3, 3, 2), (3, 3, 5)}
"""SNILS is printed 112-233-445 95; the others are written in one piece."""


def _word(word: str) -> str:
    """A context word with each letter also as its look-alike from the other script
    ("Стpaхoвoй" with Latin p, a, o): the disguise that hides a number hides its word too."""
    return "".join(letter_pattern(c) for c in word)


def _abbreviation(word: str) -> str:
    """ "ИНН" also as "И.Н.Н." or "И Н Н" (a dot or a space after each letter), look-alikes too."""
    return r"[.\s]?".join(letter_pattern(c) for c in word)


CONTEXT = {
    "inn": re.compile(
        rf"(?i){_abbreviation('инн')}|\b{_abbreviation('inn')}\b|\b{_word('tin')}\b"
        rf"|{_word('налогоплательщ')}|{_word('taxpayer')}|\btax\s*(?:id|no|number|identification)"
    ),
    "snils": re.compile(
        rf"(?i){_abbreviation('снилс')}|{_abbreviation('snils')}|{_word('страхов')}"
    ),
    "ogrn": re.compile(
        rf"(?i){_abbreviation('огрн')}|{_abbreviation('ogrn')}|\bpsrn\b"
        r"|государственн\w* регистрац"
    ),
    "passport_ru": re.compile(
        rf"(?i){_word('паспорт')}|{_word('passport')}|{_word('сери')}[яи]|{_word('выдан')}"
        r"|pa[s$5]{1,2}p[o0]rt|\bсер\.|\bпасп\.|удостоверени\w*\s+личност"
    ),
}
PASSPORT_WORDS = re.compile(
    r"(?i)(?:паспорт\w*|пасп\.|серия|серии|сер\.|passport|удостоверени\w*\s+личност\w*)\D{0,24}?"
    r"(?<!\d)((?:[0-9]{2}[ -]?[0-9]{2})[ \t]*[,;/-]?[ \t]*"
    r"(?:(?:№|номер|number|no\.?|n\.?|н\.?)[ \t]*)?(?:[0-9]{6}|[0-9]{3}[ -][0-9]{3}))(?!\d)"
)
""""серия 4509 номер 123456": the words split the digits into two runs, so look for the phrase.
Also how people shorten and punctuate it: "пасп. 4511 123456", "серия 4511, номер 123456",
"с. 4511 н. 123456", "сер. 70 11 № 766666", "4511/123456", "45-11 123456", "4511 123 456",
"удостоверение личности"."""
PASSPORT_HINTS = (
    "паспорт", "пасп.", "passport", "серия", "серии", "сер.", "выдан",
)  # fmt: skip
"""Lower-case words of which one must be in the text for a passport to be looked for at all."""
_PASSPORT_HINT = re.compile(b"|".join(re.escape(hint.encode("cp1251")) for hint in PASSPORT_HINTS))
"""Searched in :func:`lowered_bytes`: no ``str.lower`` of every message."""
_DISGUISED_PASSPORT_HINT = re.compile(
    b"|".join(re.escape(fold(word)) for word in ("паспорт", "pasport", "passport"))
)
"""The word disguised: "pasport", "pa$$port", "пacпopт" with Latin a, c, o, p — each one
literal in :func:`markings.folded_bytes`."""
PHONE_SHAPES = frozenset(
    {(3, 3, 2, 2), (3, 3, 4), (3, 7), (1, 3, 3, 2, 2), (1, 3, 3, 4), (1, 3, 7), (1, 10)}
)


def find_ids(text: str, runs: Sequence[Run]) -> list[Finding]:
    lowered = lowered_bytes(text)
    passport_words = _PASSPORT_HINT.search(lowered) is not None or (
        # a disguised word only matters before a number of ten digits: look only then
        any(run.size >= 10 for run in runs) and _disguised_passport(text)
    )
    found = []
    for run in runs:
        if run.size < 10:
            continue
        for c in candidates(run, LENGTHS, LAYOUTS):
            finding = _identify(text, run, c, passport_words)
            if finding is not None:
                found.append(finding)
        if run.dated == 1 and run.size in LENGTHS:
            found += _dated(text, run)
    if passport_words:
        found += _passport_phrases(text, found)
    return found


def _disguised_passport(text: str) -> bool:
    return _DISGUISED_PASSPORT_HINT.search(folded_bytes(text)) is not None


def _identify(text: str, run: Run, c: Candidate, passport_words: bool) -> Finding | None:
    n = len(c.digits)
    if (
        passport_words
        and n == 10
        and (c.shape in PASSPORT_SHAPES or (len(c.shape) > 2 and c.shape not in PHONE_SHAPES))
        and c.digits[:2] != "00"  # the series starts with a region code, 01 and up
        and not labelled(text, c.start)
        and near(CONTEXT["passport_ru"], text, c.start, c.end, after=False)
    ):
        # its context word makes it surer than the phone number the same digits may spell
        return Finding("passport_ru", c.start, c.end, 0.95)
    kind = _checked_kind(c.digits)
    if kind is None:
        return None
    if near(CONTEXT[kind], text, c.start, c.end, after=False):
        return Finding(kind, c.start, c.end, 1.0)
    # a context word only after the number does not outweigh a label before it:
    # in "invoice #3384711491 ИНН 1839270257" the "ИНН" belongs to the next number
    if labelled(text, c.start) or glued(text, c.start, c.end) or _phone_like(run, c):
        return None
    confidence = 1.0 if near(CONTEXT[kind], text, c.start, c.end, before=False) else 0.85
    return Finding(kind, c.start, c.end, confidence)


def _checked_kind(digits: str) -> str | None:
    """The identifier whose length and check digits ``digits`` have, if any."""
    n = len(digits)
    if n in (10, 12) and checksums.is_inn(digits):
        return "inn"
    if n == 11 and checksums.is_snils(digits):
        return "snils"
    if n in (13, 15) and checksums.is_ogrn(digits):
        return "ogrn"
    return None


def _dated(text: str, run: Run) -> list[Finding]:
    """One date-shaped stretch inside an identifier-length run ("0 0 10.0.2000 1 5"): a run
    holding a date is read as a date, unless the identifier's own word stands before it and the
    whole run passes its check digits — the disguise, as for cards in :mod:`payment`."""
    digits = "".join(g.digits for g in run.groups)
    kind = _checked_kind(digits)
    if kind is None or not near(CONTEXT[kind], text, run.start, run.end, after=False):
        return []
    return [Finding(kind, run.start, run.end, 0.8)]


def _phone_like(run: Run, c: Candidate) -> bool:
    """A Russian mobile (9xx…, 8 9xx…, +7 9xx…) or a phone-shaped grouping."""
    if run.plus or c.shape in PHONE_SHAPES:
        return True
    n, digits = len(c.digits), c.digits
    return (n == 10 and digits[0] == "9") or (n == 11 and digits[:2] in ("79", "89"))


def _passport_phrases(text: str, found: list[Finding]) -> list[Finding]:
    extra = []
    for match in PASSPORT_WORDS.finditer(text):
        start, end = match.span(1)
        if match.group(1)[:2] != "00" and not any(f.start < end and start < f.end for f in found):
            extra.append(Finding("passport_ru", start, end, 0.95))
    return extra


__all__ = ["find_ids"]
