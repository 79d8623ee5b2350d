"""Why a rule matched, said in English for the audit log and in the rule's language to senders.

The engine records reasons as small structured :class:`Why` values, not sentences, so the same
match renders as "card number ×1" in the audit log and "номер карты ×1" in a Russian notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

KIND_NAMES = {
    "en": {
        "card": "card number", "inn": "INN", "ogrn": "OGRN", "snils": "SNILS",
        "passport_ru": "passport data", "bank_account_ru": "bank account", "phone": "phone number",
        "email": "e-mail address", "iban": "IBAN", "secret": "password or access key",
        "marking": "classification marking",
    },
    "ru": {
        "card": "номер карты", "inn": "ИНН", "ogrn": "ОГРН", "snils": "СНИЛС",
        "passport_ru": "паспортные данные", "bank_account_ru": "банковский счёт",
        "phone": "номер телефона", "email": "адрес e-mail", "iban": "IBAN",
        "secret": "пароль или ключ доступа", "marking": "гриф ограниченного доступа",
    },
}  # fmt: skip

PHRASES = {
    "en": {
        "kinds": "{what}",
        "in_attachment": "{what} in an attachment",
        "unknown_contact": "a message from a contact not yet assigned to a link",
        "attachment_kind": "an attachment of type {value}",
        "big_attachment": "an attachment of {value} bytes or more",
        "unscannable": "a file that could not be checked ({value})",
        "name_mismatch": "a file whose name hides its real type",
        "rate": "more messages than allowed ({value})",
        "scope": "every message in its scope",
        "unredactable": "{what} in an attachment, which cannot be masked",
    },
    "ru": {
        "kinds": "{what}",
        "in_attachment": "{what} во вложении",
        "unknown_contact": "сообщение от контакта, ещё не привязанного к чату",
        "attachment_kind": "вложение типа {value}",
        "big_attachment": "вложение размером от {value} байт",
        "unscannable": "файл, который не удалось проверить ({value})",
        "name_mismatch": "файл, имя которого скрывает его настоящий тип",
        "rate": "больше сообщений, чем разрешено ({value})",
        "scope": "любое сообщение в его области действия",
        "unredactable": "{what} во вложении, которое нельзя скрыть",
    },
}

NOTICES = {
    "en": {
        "block": "Your message was not sent: rule “{rule}” found {reason}.",
        "hold": "Your message is waiting for an admin's approval: rule “{rule}” found {reason}.",
        "redact": "Your message was sent with parts hidden: rule “{rule}” found {reason}.",
        "override": " You may send it anyway with a written justification.",
        "error": "Your message is held: the policy check failed; an admin will review it.",
    },
    "ru": {
        "block": "Сообщение не отправлено: правило «{rule}» обнаружило {reason}.",
        "hold": "Сообщение ждёт одобрения администратора: правило «{rule}» обнаружило {reason}.",
        "redact": "Сообщение отправлено, часть скрыта: правило «{rule}» обнаружило {reason}.",
        "override": " Вы можете отправить его с письменным обоснованием.",
        "error": "Сообщение задержано: проверка политики не удалась; его рассмотрит администратор.",
    },
}


@dataclass(frozen=True, slots=True)
class Why:
    """One reason a rule matched: ``key`` names a phrase; ``counts`` or ``value`` fill it in."""

    key: str
    counts: tuple[tuple[str, int], ...] = ()
    value: str | None = None


def say(whys: Sequence[Why], language: str = "en") -> str:
    """The reasons as one phrase in ``language`` (unknown languages fall back to English)."""
    phrases = PHRASES.get(language, PHRASES["en"])
    names = KIND_NAMES.get(language, KIND_NAMES["en"])
    parts = []
    for why in whys:
        what = ", ".join(f"{names.get(kind, kind)} ×{n}" for kind, n in why.counts)
        parts.append(phrases[why.key].format(what=what, value=why.value))
    return "; ".join(parts) or phrases["scope"]


def notice(
    action: str,
    rule: str,
    whys: Sequence[Why],
    *,
    language: str,
    custom: str | None = None,
    override: bool = False,
) -> str:
    """What the sender is told about a block, hold or redaction."""
    templates = NOTICES.get(language, NOTICES["en"])
    reason = say(whys, language)
    text = (custom or templates[action]).format(rule=rule, reason=reason)
    if override and action in ("block", "hold"):
        text += templates["override"]
    return text


__all__ = ["KIND_NAMES", "NOTICES", "Why", "notice", "say"]
