"""What a detector reports: a kind, where it is in the ORIGINAL text, and how sure it is.

A finding never carries the matched value: it travels into the audit log and to admins'
notifications, which must not become a second copy of the data the policy keeps in.

How sure is said twice, in one field: ``confidence`` is a number, and :attr:`Finding.level`
reads it in three bands — ``low``, ``medium``, ``high`` (Purview's confidence levels; rules act
on a level, see :mod:`gateway.policy.confidence`). The level is derived from the number rather
than stored beside it because findings are rebuilt in several places (offsets mapped back to
the original text, attachment and field findings, split numbers) by copying ``confidence``:
a second field would be dropped by every copy that does not know about it.
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = (
    "card",
    "inn",
    "ogrn",
    "snils",
    "passport_ru",
    "bank_account_ru",
    "phone",
    "email",
    "iban",
    "secret",
    "marking",
)
"""The built-in detector kinds. Fixed names: rules, tests and the audit log rely on them."""

LABELS = {
    "card": "[card number]",
    "inn": "[INN]",
    "ogrn": "[OGRN]",
    "snils": "[SNILS]",
    "passport_ru": "[passport]",
    "bank_account_ru": "[bank account]",
    "phone": "[phone]",
    "email": "[e-mail]",
    "iban": "[IBAN]",
    "secret": "[secret]",
    "marking": "[marking]",
}
"""What ``redact = "label"`` puts in place of a finding; custom kinds get ``[kind]``."""

LEVELS = ("low", "medium", "high")
"""Confidence levels, weakest first. A rule acts on findings at or above its ``min_confidence``."""
LEVEL_FLOOR = {"low": 0.0, "medium": 0.5, "high": 0.9}
"""The lowest ``confidence`` of each level. A custom detector's ``confidence`` (default 0.8)
falls in a band like any other: 0.5 and up is medium, 0.9 and up high."""
LEVEL_CONFIDENCE = {"low": 0.4, "medium": 0.75, "high": 1.0}
"""The number the confidence post-pass gives a finding whose level it changes."""
AT_OR_ABOVE = {level: LEVELS[rank:] for rank, level in enumerate(LEVELS)}
"""The levels a rule with ``min_confidence = level`` counts."""


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int
    """Code-point offset in the text as the user typed it (not the normalised copy)."""
    end: int
    confidence: float
    """0..1; read as a level by :attr:`level` (bands in :data:`LEVEL_FLOOR`)."""
    detail: str | None = None
    """What matched beyond the kind (card brand, secret type, the marking), never the value."""
    where: str | None = None
    """``None`` for the message text; ``"attachment:N"`` for the N-th attachment (offsets are
    then in its extracted text), ``"split"`` for a number completed across messages."""

    @property
    def level(self) -> str:
        """``low``, ``medium`` or ``high``: the band ``confidence`` falls in."""
        confidence = self.confidence
        return "high" if confidence >= 0.9 else "medium" if confidence >= 0.5 else "low"

    def at_least(self, level: str) -> bool:
        """Whether this finding counts for a rule acting on ``level`` and up."""
        return self.confidence >= LEVEL_FLOOR[level]

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "confidence": self.confidence,
            "level": self.level,
        }
        if self.detail:
            data["detail"] = self.detail
        if self.where:
            data["where"] = self.where
        return data


def label(kind: str) -> str:
    return LABELS.get(kind, f"[{kind}]")


__all__ = [
    "AT_OR_ABOVE",
    "KINDS",
    "LABELS",
    "LEVELS",
    "LEVEL_CONFIDENCE",
    "LEVEL_FLOOR",
    "Finding",
    "label",
]
