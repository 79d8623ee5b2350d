"""Payment data: ``card``, ``bank_account_ru`` and ``iban``.

Every finding here passes a check digit: Luhn for cards (with the issuer's prefix and length),
the CBR control key for an account against a BIK in the same message, mod-97 for an IBAN (with
the country's registered length). A number that fails is not reported — that, not the regex,
is what keeps order numbers and tracking codes from being called card numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gateway.policy import checksums
from gateway.policy.detectors.digits import Run, candidates, labelled, near
from gateway.policy.findings import Finding

CARD_LENGTHS = frozenset(range(13, 20))
CARD_LAYOUTS = frozenset(
    {(4, 4, 4, 4), *((4, 4, 4, 4, n) for n in (1, 2, 3)), *((4, 4, 4, n) for n in (1, 2, 3))}
    | {(4, 6, 5), (4, 6, 4)}
)
"""How cards are printed: in fours (16–19 digits, 13–15 with a short last group), Amex 4-6-5,
Diners 4-6-4. A stretch inside a longer run is a card only in one of these layouts."""

ACCOUNT_LENGTHS = frozenset({20})
ACCOUNT_LAYOUTS = frozenset({(5, 3, 1, 4, 7), (5, 3, 1, 11), (4, 4, 4, 4, 4), (3, 2, 3, 1, 4, 7)})
"""40702 810 9 3800 0012345: balance account, currency, key, branch, number."""
BIK_PREFIX = "04"
"""Every Russian bank identification code starts with the country code 04."""

IBAN = re.compile(r"(?i)(?<![\w-])([A-Z]{2}[\dОЗ]{2}(?: ?[A-Z0-9ОЗ]){11,30})(?![\w-])")
"""Cyrillic О and З are accepted where a digit or letter goes: the look-alike disguise."""
_AS_DIGITS = str.maketrans("ОоЗз", "0033")
_AS_LETTERS = str.maketrans("ОоЗз", "OOZZ")
_IBAN_REGISTRY = """
AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18
DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23
IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27
MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19
SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30
"""
IBAN_LENGTHS = {m[0]: int(m[1]) for m in re.findall(r"([A-Z]{2})(\d\d)", _IBAN_REGISTRY)}
"""Registered IBAN length per country (SWIFT IBAN registry): the match is cut to it, so the
word after an IBAN is never taken for its last group."""


CARD_CONTEXT = re.compile(r"(?i)карт|card|visa|master|\bмир\b|\bmir\b|maestro|cvv|cvc|pan\b")


def find_cards(text: str, runs: Sequence[Run]) -> list[Finding]:
    found = []
    for run in runs:
        if run.size < 13:
            continue
        context = near(CARD_CONTEXT, text, run.start, run.end)
        if labelled(text, run.start) and not context:
            continue  # "артикул 4600123456789", "order #5018…": numbered things, not cards
        for c in candidates(run, CARD_LENGTHS, CARD_LAYOUTS):
            if checksums.is_card(c.digits):
                # a card word nearby makes it certain; without one, an OGRNIP or INN with its
                # own context word (1.0) wins an overlap against an Amex-shaped reading
                conventional = len(c.shape) == 1 or c.shape in CARD_LAYOUTS
                confidence = 1.0 if context else 0.95 if conventional else 0.9
                found.append(
                    Finding("card", c.start, c.end, confidence, checksums.card_brand(c.digits))
                )
        if run.dated == 1 and run.size in CARD_LENGTHS:
            # one date-shaped stretch inside a card-length run ("4 1.01.2020 1234 5676") is a
            # disguise, not a date: date ranges hold two dates and are left alone
            digits = "".join(g.digits for g in run.groups)
            if checksums.is_card(digits):
                brand = checksums.card_brand(digits)
                found.append(Finding("card", run.start, run.end, 0.8, brand))
    return found


def find_accounts(runs: Sequence[Run]) -> list[Finding]:
    """20-digit accounts whose CBR control key checks against a BIK in the same message."""
    accounts = [run for run in runs if run.size >= 20]
    if not accounts:
        return []
    biks = {
        c.digits
        for run in runs
        for c in candidates(run, frozenset({9}), frozenset())
        if c.digits.startswith(BIK_PREFIX)
    }
    found = []
    for run in accounts:
        for c in candidates(run, ACCOUNT_LENGTHS, ACCOUNT_LAYOUTS):
            if any(checksums.is_bank_account(c.digits, bik) for bik in biks):
                found.append(Finding("bank_account_ru", c.start, c.end, 1.0))
    return found


_IBAN_START = re.compile(r"[A-Za-z]{2}[\dОоЗз]{2}")
"""Where an IBAN could begin. A plain pattern, so the regex engine skips to candidates; the
word boundary before it is checked in code, and :data:`IBAN` runs only from those places."""


def find_ibans(text: str) -> list[Finding]:
    found = []
    for start_match in _IBAN_START.finditer(text):
        start = start_match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_-"):
            continue  # inside a word: "ae74" in a hash
        length = IBAN_LENGTHS.get(text[start : start + 2].upper())
        if length is None:
            continue
        match = IBAN.match(text, start)
        if match is None:
            continue
        raw = match.group(1)
        compact, end = _take(raw, length)
        if compact is None or raw[end : end + 1].isalnum():
            continue  # the registered length ends inside a word: a hash, not an IBAN
        readings = {compact.translate(_AS_DIGITS), compact.translate(_AS_LETTERS)}
        if any(checksums.iban_valid(reading) for reading in readings):
            found.append(Finding("iban", start, start + end, 1.0, compact[:2]))
    return found


def _take(raw: str, length: int) -> tuple[str | None, int]:
    """The first ``length`` letters and digits of ``raw`` and where they end in it."""
    kept = 0
    for index, char in enumerate(raw):
        if char.isalnum():
            kept += 1
            if kept == length:
                return "".join(c for c in raw[: index + 1] if c.isalnum()).upper(), index + 1
    return None, 0


__all__ = ["find_accounts", "find_cards", "find_ibans"]
