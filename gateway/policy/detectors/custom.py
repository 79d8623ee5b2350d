"""Admin-defined detectors from ``[[policy.detectors]]``: keyword lists and regular expressions.

Regexes run on RE2, a linear-time engine: an admin's ``(a+)+$`` cannot hang the daemon, and a
pattern RE2 cannot run in linear time (backreferences, lookaround) is refused at load time with
RE2's reason. Keywords are escaped literals, so they use Python's engine, which gives them
Unicode word boundaries (RE2's ``\\b`` is ASCII-only and would cut Cyrillic words) and lets each
letter match its look-alikes from the other script, like the built-in markings.

Both run on the normalised text, as every detector does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import re2

from gateway.policy.detectors.markings import phrase_pattern
from gateway.policy.findings import Finding

MAX_PATTERN_LENGTH = 2000
MAX_KEYWORDS = 1000
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the reason goes into the PolicyError, not to stderr
_OPTIONS.max_mem = 8 << 20  # a program bigger than 8 MiB is refused, not built


class _Pattern(Protocol):
    def finditer(self, text: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class CustomDetector:
    """A regex detector: every match of ``pattern`` is a finding of ``kind``."""

    kind: str
    pattern: _Pattern
    confidence: float = 0.8
    source: str = ""
    """The pattern or keywords as the admin wrote them (for ``hgw policy check``)."""

    def find(self, text: str) -> list[Finding]:
        return [
            Finding(self.kind, m.start(), m.end(), self.confidence, detail=self.kind)
            for m in self.pattern.finditer(text)
            if m.end() > m.start()
        ]


@dataclass(frozen=True, slots=True)
class KeywordDetector(CustomDetector):
    """Whole-word, case-insensitive keywords; see :func:`keywords_pattern`."""


def compile_regex(pattern: str) -> Any:
    """Compile with RE2; raise ValueError with RE2's own reason."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as err:
        reason = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise ValueError(f"not a valid RE2 pattern: {reason}") from None


def keywords_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Case-insensitive whole words or phrases; a space in a phrase matches any whitespace."""
    phrases = [word for word in words if word.strip()]
    if not phrases:
        raise ValueError("needs at least one non-empty keyword")
    if len(phrases) > MAX_KEYWORDS:
        raise ValueError(f"at most {MAX_KEYWORDS} keywords per detector")
    ordered = sorted(phrases, key=len, reverse=True)
    body = "|".join(phrase_pattern(p) for p in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


__all__ = ["CustomDetector", "KeywordDetector", "compile_regex", "keywords_pattern"]
