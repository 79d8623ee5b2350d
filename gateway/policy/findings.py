"""What a detector reports: a kind, where it is in the ORIGINAL text, and how sure it is.

A finding never carries the matched value: it travels into the audit log and to admins'
notifications, which must not become a second copy of the data the policy keeps in.
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


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int
    """Code-point offset in the text as the user typed it (not the normalised copy)."""
    end: int
    confidence: float
    """0..1: 1.0 for a checksum-valid number with its context word, lower without one, or for
    pattern-only matches."""
    detail: str | None = None
    """What matched beyond the kind (card brand, secret type, the marking), never the value."""
    where: str | None = None
    """``None`` for the message text; ``"attachment:N"`` for the N-th attachment (offsets are
    then in its extracted text), ``"split"`` for a number completed across messages."""

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "confidence": self.confidence,
        }
        if self.detail:
            data["detail"] = self.detail
        if self.where:
            data["where"] = self.where
        return data


def label(kind: str) -> str:
    return LABELS.get(kind, f"[{kind}]")


__all__ = ["KINDS", "LABELS", "Finding", "label"]
