"""All detectors behind one call: :func:`scan` a text, get findings in its original offsets.

One module per family — :mod:`payment` (card, bank_account_ru, iban), :mod:`ru_ids` (inn, ogrn,
snils, passport_ru), :mod:`contacts` (phone, email), :mod:`secrets`, :mod:`markings`,
:mod:`custom` (admin keywords and regexes) — all reading the same normalised text and the same
digit runs (:mod:`digits`), computed once per message and only when it has enough digits.

Where two findings of the exclusive kinds overlap, the more specific one wins: a secret or an
e-mail address over the digits inside it, an IBAN or account over a card-like stretch of it, a
checksum-valid identifier over a phone number. Markings and custom kinds may overlap anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gateway.policy.confidence import assign_levels
from gateway.policy.detectors.contacts import find_emails, find_phones
from gateway.policy.detectors.custom import CustomDetector, KeywordDetector
from gateway.policy.detectors.digits import enough_digits, runs
from gateway.policy.detectors.hidden import find_hidden
from gateway.policy.detectors.markings import find_markings
from gateway.policy.detectors.payment import find_accounts, find_cards, find_ibans
from gateway.policy.detectors.ru_ids import find_ids
from gateway.policy.detectors.secrets import find_secrets
from gateway.policy.findings import Finding
from gateway.policy.normalize import Normalized, normalize

PRECEDENCE = {
    kind: rank
    for rank, kind in enumerate(
        (
            "secret",
            "email",
            "iban",
            "bank_account_ru",
            "card",
            "snils",
            "ogrn",
            "inn",
            "passport_ru",
            "phone",
        )
    )
}
"""Exclusive kinds, most specific first: the tie-break between equally sure, equally long
overlapping findings; the loser is dropped."""


def scan(text: str, *, detectors: Sequence[CustomDetector] = ()) -> tuple[Finding, ...]:
    """Every finding in ``text``, sorted by position, offsets into ``text`` as given."""
    if not text:
        return ()
    norm = normalize(text)
    return tuple(_to_original(norm, scan_normalized(norm.text, detectors)))


def scan_normalized(text: str, detectors: Sequence[CustomDetector] = ()) -> list[Finding]:
    """Findings in an already normalised text, offsets into it."""
    found = find_secrets(text)
    found += find_emails(text)
    if enough_digits(text):
        digit_runs = runs(text)
        found += find_ibans(text)
        found += find_accounts(digit_runs)
        found += find_cards(text, digit_runs)
        found += find_ids(text, digit_runs)
        found += find_phones(text, digit_runs)
    found = _resolve(assign_levels(text, found))  # levels first: the surer reading wins
    found += find_markings(text)
    for detector in detectors:
        found += detector.find(text)
    found += find_hidden(text, detectors)  # letter-spaced and encoded parts (issue 15)
    if len(found) > 1:
        found.sort(key=lambda f: (f.start, f.end, f.kind))
    return found


def _resolve(found: list[Finding]) -> list[Finding]:
    """Keep the surest, then the longest, then the most specific of overlapping findings: in
    "ИНН 7 92874227647" the whole run is an INN with its context word (1.0), and the
    11-digit group inside it that happens to pass SNILS's check (0.85) is not reported."""
    if len(found) < 2:
        return found
    kept: list[Finding] = []
    rank = PRECEDENCE.__getitem__
    for f in sorted(found, key=lambda f: (-f.confidence, f.start - f.end, rank(f.kind), f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return kept


def _to_original(norm: Normalized, found: Iterable[Finding]) -> Iterable[Finding]:
    if not norm.changed:
        return found
    mapped = []
    for f in found:
        start, end = norm.to_original(f.start, f.end)
        mapped.append(Finding(f.kind, start, end, f.confidence, f.detail, f.where))
    return mapped


__all__ = ["CustomDetector", "Finding", "KeywordDetector", "scan", "scan_normalized"]
