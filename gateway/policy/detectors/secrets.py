"""Credentials: the ``secret`` kind.

Provider tokens are recognised by their documented prefixes and shapes (AWS access key ids,
PEM private keys, JWTs, Slack, GitHub, Google API keys, Stripe live keys) and by one shape the
usual scanners miss: a **bare Telegram bot token** in a sentence ("use 123456789:AA… for the
bot"), which detect-secrets and gitleaks only find after a keyword such as ``token=``. Generic
``password = …`` / ``api_key: …`` assignments count when the value looks random (Shannon
entropy), so "password: changeme" in a how-to does not.

Each pattern has a cheap substring hint; a message without any hint costs a few ``in`` checks.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from gateway.policy.findings import Finding

_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "aws_access_key",
        ("AKIA", "ASIA", "AGPA", "AIDA", "AROA"),
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    ),
    (
        "private_key",
        ("-----BEGIN",),
        # the whole block, so a redaction removes the key and not just its header line
        re.compile(
            r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]{0,16384}?-----END \1PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,-]*)"
        ),
    ),
    ("jwt", ("eyJ",), re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")),
    ("slack_token", ("xox",), re.compile(r"\bxox[abposre]-[0-9A-Za-z-]{10,}")),
    (
        "slack_webhook",
        ("hooks.slack.com",),
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}"),
    ),
    (
        "github_token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
    ),
    ("github_token", ("github_pat_",), re.compile(r"\bgithub_pat_\w{60,255}\b")),
    ("google_api_key", ("AIza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![\w-])")),
    ("stripe_key", ("_live_",), re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}\b")),
)
_HINT = re.compile("|".join(re.escape(hint) for _, hints, _ in _PATTERNS for hint in hints))
"""Any provider prefix at all: one regex search instead of a dozen substring tests."""
BOT_TOKEN = re.compile(r"\d{8,10}:[A-Za-z0-9_-]{35}(?![\w-])")
"""Bot id (8–10 digits), colon, 35 characters of base64url: BotFather's format. Looked for only
at the colons of a text, whose digits before are checked in code (chat is full of "14:30")."""
ASSIGNMENT = re.compile(
    r"(?i)(?<![^\W_])(?:password|passwd|pwd|пароль|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|secret[_-]?key|private[_-]?key|client[_-]?secret|auth)\b[\"']?\s*(?:[:=]|=>)\s*"
    r"[\"']?([^\s\"',;]{8,200})"
)
_ASSIGNMENT_HINT = re.compile("pass|pwd|пароль|secret|token|key|auth")
MIN_ENTROPY = 3.0
"""Bits per character a value needs to count as a secret: "changeme1" has 2.9, a random
12-character token about 3.5."""
MIN_ENTROPY_ONE_CLASS = 3.4
"""A value of digits only or letters only needs more: "12345678" has exactly 3.0 bits."""


def random_enough(value: str) -> bool:
    """Whether an assigned value looks generated rather than typed ("changeme", "12345678")."""
    bits = entropy(value)
    if bits < MIN_ENTROPY:
        return False
    return bits >= MIN_ENTROPY_ONE_CLASS or not (value.isdigit() or value.isalpha())


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def _stands_alone(text: str, start: int) -> bool:
    """Nothing word-like glued before ``start`` (a bot id is not the tail of a longer number)."""
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] in ":_")


def _bot_token(text: str, colon: int) -> list[Finding]:
    start = colon
    while start > 0 and colon - start < 10 and text[start - 1].isdigit():
        start -= 1
    if colon - start < 8 or not _stands_alone(text, start):
        return []
    match = BOT_TOKEN.match(text, start)
    if match is None:
        return []
    return [Finding("secret", start, match.end(), 0.95, "telegram_bot_token")]


def find_secrets(text: str) -> list[Finding]:
    found = []
    if _HINT.search(text):
        for name, hints, pattern in _PATTERNS:
            if any(hint in text for hint in hints):
                found += [
                    Finding("secret", m.start(), m.end(), 0.95, name)
                    for m in pattern.finditer(text)
                ]
    colon = text.find(":")
    while colon != -1:
        found += _bot_token(text, colon)
        colon = text.find(":", colon + 1)
    if ("=" in text or ":" in text) and _ASSIGNMENT_HINT.search(text.lower()):
        for m in ASSIGNMENT.finditer(text):
            start, end = m.span(1)
            if random_enough(m.group(1)) and not any(
                f.start < end and start < f.end for f in found
            ):
                found.append(Finding("secret", start, end, 0.7, detail="assignment"))
    return found


__all__ = ["MIN_ENTROPY", "MIN_ENTROPY_ONE_CLASS", "entropy", "find_secrets", "random_enough"]
