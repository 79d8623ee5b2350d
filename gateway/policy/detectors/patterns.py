"""Pattern detectors: e-mail, IBAN, secrets, classification markings, phone numbers.

Each runs only when a cheap prefilter says it could match (an "@", a digit, a key prefix), so
ordinary chat costs a few substring checks.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import phonenumbers

from gateway.policy import checksums
from gateway.policy.detectors.numbers import Group
from gateway.policy.findings import Finding

EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[^\W\d_]{2,24}(?![\w-])"
)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")

_SECRETS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "IA"),
    (
        "private_key",
        re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----"),
        "-----BEGIN",
    ),
    ("jwt", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"), "eyJ"),
    ("slack_token", re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}"), "xox"),
    ("github_token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{40,})"), "g"),
    # Bare Telegram bot tokens, e.g. inside "use 123456789:AA… for the bot": bot id, colon,
    # 35 characters of base64url — what detect-secrets and gitleaks miss without a keyword.
    ("telegram_bot_token", re.compile(r"(?<![\w:])\d{8,10}:[A-Za-z0-9_-]{35}(?![\w-])"), ":"),
)
ASSIGNMENT = re.compile(
    r"(?i)\b(?:password|passwd|pwd|пароль|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|client[_-]?secret)\b\s*[:=]\s*[\"']?([^\s\"']{8,})"
)
MIN_ENTROPY = 3.0
"""Bits per character a ``key=value`` value needs to count as a secret (rules out "changeme1")."""

MARKING = re.compile(
    r"(?<!\w)(?:"
    r"коммерческая\s+тайна|коммерческую\s+тайну|коммерческой\s+тайны"
    r"|строго\s+конфиденциально|конфиденциально"
    r"|для\s+служебного\s+пользования"
    r"|confidential|strictly\s+confidential|internal\s+use\s+only|trade\s+secret"
    r")(?!\w)",
    re.IGNORECASE,
)
DSP = re.compile(r"(?<!\w)ДСП(?!\w)")
"""Upper case only: in lower case "дсп" is chipboard, a word a furniture supplier uses."""


def entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def find_emails(text: str) -> list[Finding]:
    if "@" not in text:
        return []
    return [Finding("email", m.start(), m.end(), 0.9) for m in EMAIL.finditer(text)]


def find_ibans(text: str) -> list[Finding]:
    return [
        Finding("iban", m.start(), m.end(), 1.0)
        for m in IBAN.finditer(text)
        if checksums.iban_valid(m.group())
    ]


def find_secrets(text: str) -> list[Finding]:
    found = [
        Finding("secret", m.start(), m.end(), 0.95, detail=name)
        for name, pattern, hint in _SECRETS
        if hint in text
        for m in pattern.finditer(text)
    ]
    if "=" in text or ":" in text:
        for m in ASSIGNMENT.finditer(text):
            value = m.group(1)
            if entropy(value) >= MIN_ENTROPY and not any(
                f.start <= m.start(1) < f.end for f in found
            ):
                found.append(Finding("secret", m.start(1), m.end(1), 0.7, detail="assignment"))
    return found


def find_markings(text: str) -> list[Finding]:
    found = [
        Finding("marking", m.start(), m.end(), 0.9, detail=m.group().lower())
        for m in MARKING.finditer(text)
    ]
    found += [Finding("marking", m.start(), m.end(), 0.8, detail="ДСП") for m in DSP.finditer(text)]
    return found


DATE_SHAPES = ((2, 2, 4), (4, 2, 2), (1, 2, 4), (2, 1, 4))
"""12.03.2026, 2026-03-12: dates, not phone numbers — and not worth a libphonenumber parse."""


def find_phones(text: str, all_runs: Sequence[Sequence[Group]]) -> list[Finding]:
    """Phone numbers by Google's libphonenumber metadata, Russian numbering by default.

    Only digit runs of plausible length are parsed (with a "+" just before them, if any):
    running libphonenumber's matcher over every message would cost more than everything else.
    """
    found = []
    for groups in all_runs:
        digits = sum(len(g.digits) for g in groups)
        if not 7 <= digits <= 15 or tuple(len(g.digits) for g in groups) in DATE_SHAPES:
            continue
        start, end = groups[0].start, groups[-1].end
        if start > 0 and text[start - 1] == "+":
            start -= 1
        try:
            number = phonenumbers.parse(text[start:end], "RU")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            found.append(Finding("phone", start, end, 0.9))
    return found


__all__ = [
    "entropy",
    "find_emails",
    "find_ibans",
    "find_markings",
    "find_phones",
    "find_secrets",
]
