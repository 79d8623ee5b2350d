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
from gateway.policy.normalize import single_bytes

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

IBAN = re.compile(
    r"(?i)(?<![\w-])([A-Z]{2}[\dОЗ]{2}(?:(?>\s{0,2}[-./|_;:]{0,3}\s{0,2})[A-Z0-9ОЗ]){11,30})(?![\w-])"
)
"""Cyrillic О and З are accepted where a digit or letter goes: the look-alike disguise. Between
characters, the separators of a digit run (:mod:`digits`): up to three of ``-./|_;:`` padded by
up to two spaces or line breaks — "DE89-3704-…", "DE89 -- 3704 …", "DE89;3704;…". The
separator is atomic, so a failed match backtracks over characters, not over ways of splitting
the spaces."""
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


_NUMBER_SIGN = re.compile(r"(?i)(?:^|[^\w#№])(?:№|#|no\.?|nr\.?|сч[её]т[ау]?)\s*[:.]?\s*$")
"""A label that only says "number", with no word saying of what — or "счёт" alone, which is
also the account a card is ("переведи на счёт 4276 …"); "счёт № …" is an invoice."""
_DOCUMENT = re.compile(
    r"(?i)(?:сч[её]т\w*\W{0,4}(?:№|#|no\b)|invoice|order|заказ|договор|contract|трек|track|накладн"
    r"|\bref|артикул|\bsku"
    r"|\bid|штрихкод|barcode|\bean|ticket|тикет|заявк)\w*\W{0,4}(?:no|nr)?\W{0,4}$"
)
"""The word for a document before such a sign: "счёт № …", "order #…" stay documents."""
_FULL_LAYOUTS = frozenset({(16,), (19,), (4, 4, 4, 4), (4, 4, 4, 4, 3)})
CARD_CONTEXT = re.compile(r"(?i)карт|card|visa|master|\bмир\b|\bmir\b|maestro|cvv|cvc|pan\b")


def find_cards(text: str, runs: Sequence[Run]) -> list[Finding]:
    found = []
    for run in runs:
        if run.size < 13:
            continue
        valid = [
            c for c in candidates(run, CARD_LENGTHS, CARD_LAYOUTS) if checksums.is_card(c.digits)
        ]
        # one date-shaped stretch inside a card-length run ("4 1.01.2020 1234 5676") is a
        # disguise, not a date: date ranges hold two dates and are left alone
        dated = ""
        if run.dated == 1 and run.size in CARD_LENGTHS:
            dated = "".join(g.digits for g in run.groups)
            dated = dated if checksums.is_card(dated) else ""
        if not valid and not dated:
            continue  # most long runs: the words around them are not even looked at
        context = near(CARD_CONTEXT, text, run.start, run.end)
        if labelled(text, run.start) and not context:
            # "артикул 4600123456789", "order #5018…": numbered things, not cards — but a bare
            # "№"/"no."/"nr"/"счёт" before sixteen digits in a card's layout is no document
            if not _NUMBER_SIGN.search(text, max(0, run.start - 8), run.start) or _DOCUMENT.search(
                text, max(0, run.start - 24), run.start
            ):
                continue
            valid = [c for c in valid if len(c.digits) in (16, 19) and c.shape in _FULL_LAYOUTS]
            if not valid:
                continue
        for c in valid:
            # a card word nearby makes it certain; without one, an OGRNIP or INN with its
            # own context word (1.0) wins an overlap against an Amex-shaped reading
            conventional = len(c.shape) == 1 or c.shape in CARD_LAYOUTS
            confidence = 1.0 if context else 0.95 if conventional else 0.9
            found.append(
                Finding("card", c.start, c.end, confidence, checksums.card_brand(c.digits))
            )
        if dated:
            found.append(Finding("card", run.start, run.end, 0.8, checksums.card_brand(dated)))
    return found


ACCOUNT_CONTEXT = re.compile(
    r"(?i)р\s?/\s?сч?\b|\bр\.\s?с\.|расч[её]тн\w*\s+сч|\bрасч\.\s*сч|\bсч[её]т\w*\s+получател"
    r"|лицев\w*\s+сч|\bл\s?/\s?сч?\b|номер\w*\s+(?:банковск\w*\s+)?сч[её]т|банковск\w*\s+сч[её]т"
    r"|\baccount\b|\bacct\b|\ba/c\b|\bсч[её]т[ау]?\s+в\s+банке"
)
"""Words that name a bank account: "р/с", "расчётный счёт", "лицевой счёт", "account". Not a
bare "счёт": that is also an invoice ("счёт № …"), labelled as a document by :mod:`digits`."""
CURRENCIES = frozenset({"810", "643", "840", "978", "156", "826", "756", "392", "933", "398"})
"""ISO 4217 codes in digits 6–8 of an account: rouble (810 in accounts, 643), dollar, euro,
yuan, pound, franc, yen, Belarusian rouble, tenge — what Russian banks open accounts in."""


def find_accounts(runs: Sequence[Run]) -> list[Finding]:
    """20-digit accounts: certain when the CBR control key checks against a BIK in the same
    message; without a BIK, when an account word stands before the number and the number has an
    account's structure (balance account 3xxxx/4xxxx, then a currency code) — a chance of about
    one in five hundred for twenty random digits, and the word rules out everything else."""
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
            elif (
                c.whole
                and c.digits[0] in "34"
                and c.digits[5:8] in CURRENCIES
                and near(ACCOUNT_CONTEXT, run.text, c.start, c.end, after=False)
            ):
                # as sure as a card without its word: wins an overlap with a card-like stretch
                found.append(Finding("bank_account_ru", c.start, c.end, 0.95, "no BIK"))
    return found


_IBAN_START = re.compile(r"[A-Za-z]{2}[\dОоЗз]{2}")
"""Where an IBAN could begin. A plain pattern, so the regex engine skips to candidates; the
word boundary before it is checked in code, and :data:`IBAN` runs only from those places."""


def _iban_classes() -> bytes:
    """Windows-1251 bytes to ``a`` for a Latin letter, ``d`` for a digit or Cyrillic О/З, a
    space for the rest: an IBAN starts where ``b"aadd"`` is."""
    table = bytearray(b" " * 256)
    for char in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
        table[ord(char)] = ord("a")
    for char in "0123456789ОоЗз":
        table[char.encode("cp1251")[0]] = ord("d")
    return bytes(table)


_IBAN_CLASSES = _iban_classes()


def find_ibans(text: str) -> list[Finding]:
    if b"aadd" not in single_bytes(text).translate(_IBAN_CLASSES):
        return []  # no two Latin letters before two digits: most messages, one C pass
    found = []
    for start_match in _IBAN_START.finditer(text):
        start = start_match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_-"):
            continue  # inside a word: "ae74" in a hash
        length = IBAN_LENGTHS.get(text[start : start + 2].upper())
        if length is None:
            continue
        match = IBAN.match(text, start)
        if match is not None:
            raw = match.group(1)
            compact, end = _take(raw, length)
            if compact is not None and not raw[end : end + 1].isalnum():
                # (else the registered length ends inside a word: a hash, not an IBAN)
                readings = {compact.translate(_AS_DIGITS), compact.translate(_AS_LETTERS)}
                if any(checksums.iban_valid(reading) for reading in readings):
                    found.append(Finding("iban", start, start + end, 1.0, compact[:2]))
                    continue
        chained = _IBAN_CHAIN.match(text, start)
        if chained is not None:
            compact = chained.group().replace(chained.group(2), "").upper()
            if len(compact) == length and checksums.iban_valid(compact):
                found.append(Finding("iban", start, chained.end(), 1.0, compact[:2]))
    return found


_IBAN_CHAIN = re.compile(
    r"(?i)([A-Z]{2}\d{2})([^\W\d_]|[;:])(?:[A-Z0-9]{4}\2){1,7}[A-Z0-9]{1,4}(?![\w-])"
)
"""An IBAN in fours joined by one repeated letter ("DE89x3704x0044x…"): the letter is a
separator only where it stands between every group of four, and the check digits decide."""


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
