"""What a detector reports: a kind, where it is in the ORIGINAL text, and how sure it is."""

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


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int
    end: int
    confidence: float
    """0..1: 1.0 for checksum-validated numbers, lower for pattern-only matches."""
    detail: str | None = None
    """What matched beyond the kind (the secret's type, the marking found), never the value."""
    spans: tuple[tuple[int, int], ...] = ()
    """For a finding spread over several messages or pieces: the ranges in *this* text."""

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "confidence": self.confidence,
        }
        if self.detail:
            data["detail"] = self.detail
        return data


def label(kind: str) -> str:
    return LABELS.get(kind, f"[{kind}]")


__all__ = ["KINDS", "LABELS", "Finding", "label"]
