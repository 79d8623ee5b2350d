"""Admin-defined detectors: keyword lists and regular expressions from the config.

Regexes run on RE2, a linear-time engine: an admin's ``(a+)+$`` cannot hang the daemon, and a
pattern RE2 cannot run in linear time (backreferences, lookaround) is refused at load time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2

from gateway.policy.findings import Finding

MAX_PATTERN_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class CustomDetector:
    kind: str
    pattern: Any
    """A compiled RE2 pattern (keywords are compiled into one alternation)."""
    confidence: float = 0.8

    def find(self, text: str) -> list[Finding]:
        return [
            Finding(self.kind, m.start(), m.end(), self.confidence, detail=self.kind)
            for m in self.pattern.finditer(text)
        ]


def compile_regex(pattern: str) -> Any:
    """Compile with RE2; raises ValueError with RE2's own reason."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(pattern)
    except re2.error as err:
        reason = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise ValueError(f"not a valid RE2 pattern: {reason}") from None


def keywords_pattern(words: Sequence[str]) -> Any:
    """Case-insensitive whole words; whitespace inside a phrase matches any run of spaces."""
    parts = [r"\s+".join(re.escape(piece) for piece in word.split()) for word in words if word]
    if not parts:
        raise ValueError("needs at least one keyword")
    return compile_regex(rf"(?i)(?:^|[^\pL\pN_])({'|'.join(parts)})(?:$|[^\pL\pN_])")


@dataclass(frozen=True, slots=True)
class KeywordDetector(CustomDetector):
    def find(self, text: str) -> list[Finding]:
        # RE2 has no lookaround: the boundaries are consumed, so report the inner group
        return [
            Finding(self.kind, m.start(1), m.end(1), self.confidence, detail=self.kind)
            for m in self.pattern.finditer(text)
        ]


__all__ = ["CustomDetector", "KeywordDetector", "compile_regex", "keywords_pattern"]
