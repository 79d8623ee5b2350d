"""How people really write sensitive data in business chat, and what only looks like it.

The detectors were tuned on one generator's phrasings; these are the other ways the same data
is typed (issue 21): passports with "сер."/"пасп."/commas, credentials as ``login/password``
pairs, connection strings, bare provider tokens, disguised keywords, stamps as companies write
them, digits spelled as words. Each positive must be found at the acting level (medium and
up); each negative must not be.
"""

from __future__ import annotations

import pytest

from gateway.policy import scan
from gateway.policy.findings import AT_OR_ABOVE

ACTING = AT_OR_ABOVE["medium"]


def acting(text: str, kind: str) -> list[str]:
    """What of ``kind`` is found in ``text`` at the acting level, as typed."""
    return [text[f.start : f.end] for f in scan(text) if f.kind == kind and f.level in ACTING]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("паспорт серии 45 11 № 123456", "45 11 № 123456"),
        ("паспорт РФ 4511-123456", "4511-123456"),
        ("passport: 4511 123456", "4511 123456"),
        ("серия и номер паспорта 4511123456", "4511123456"),
        ("паспортные данные 45 11 123456 выдан ОВД района", "45 11 123456"),
        ("Паспорт: серия 4511, номер 123456", "4511, номер 123456"),
        ("пасп. 4511 123456", "4511 123456"),
        ("паспорт 4511 123 456", "4511 123 456"),
        ("паспорт (удостоверение личности) 4511 123456", "4511 123456"),
        ("паспорт с. 4511 н. 123456", "4511 н. 123456"),
        ("сер. 70 11 № 766666", "70 11 № 766666"),
        ("pasport 4511 123456", "4511 123456"),
        ("pa$$port 2 2 2 2 3 4 6 1 1 8", "2 2 2 2 3 4 6 1 1 8"),
        ("пacпopт 4511 123456", "4511 123456"),  # Latin a, c, o, p
    ],
)
def test_passport_phrasings(text: str, value: str) -> None:
    assert acting(text, "passport_ru") == [value], scan(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("креды admin/Adm1n#2024", "Adm1n#2024"),
        ("root / P@ssw0rd", "P@ssw0rd"),
        ("доступ в админку: admin / Secur3P@ss", "Secur3P@ss"),
        ("учётка: ivan.petrov / Winter2023", "Winter2023"),
        ("креды: admin:Adm1nPass", "Adm1nPass"),
        ("Доступ в админку: deploy / romashka5311!", "romashka5311!"),
        ("доступы: логин admin, пасс Admin2024", "Admin2024"),
        ("пароль от вайфая в переговорке hRT#WuEyu52", "hRT#WuEyu52"),
        ("логин deploy\nа пасс\nDXLM&223L0n", "DXLM&223L0n"),
        ("parol: Spring2024!", "Spring2024!"),
        ("p4r0l' mww!D4hRA84", "mww!D4hRA84"),
        ("пaрoль PGQX!536dvp", "PGQX!536dvp"),  # Latin a and o
        ("секрет: a8f5f167f44f4964e6c998dee827110c", "a8f5f167f44f4964e6c998dee827110c"),
        ("sk-proj-abcDEF123ghiJKL456mnoPQR789stuVWX", "sk-proj-abcDEF123ghiJKL456mnoPQR789stuVWX"),
        ("glpat-xY7abc123DEF456ghiJk", "glpat-xY7abc123DEF456ghiJk"),
        ("ключ AKIA AYD4 3JLA LHA6 M3CE", "AKIA AYD4 3JLA LHA6 M3CE"),
        ("токен sk_live_sSsDWtIe\n2zIctHUvc4ZzzrTF", "sk_live_sSsDWtIe\n2zIctHUvc4ZzzrTF"),
        (
            "строка подключения postgresql://app_user:00V#JGuGL31@pg-main:5432/app",
            "app_user:00V#JGuGL31@pg-main",
        ),
        ("redis://:P@ssw0rd_84@cache-01:6379/0", ":P@ssw0rd_84@cache-01"),
        (
            "Authorization: Basic aS5wZXRyb3Y6UEBzc3cwcmRfODY=",
            "Basic aS5wZXRyb3Y6UEBzc3cwcmRfODY=",
        ),
    ],
)
def test_secret_phrasings(text: str, value: str) -> None:
    assert acting(text, "secret") == [value], scan(text)


def test_connection_string_password_is_not_an_email() -> None:
    text = "postgres://i.petrov:P@ssw0rd_56@vpn.romashka.ru:5432/billing"
    assert [f.kind for f in scan(text)] == ["secret"]


@pytest.mark.parametrize(
    "text",
    [
        "Только для внутреннего использования",
        "Для внутреннего пользования",
        "Не для распространения",
        "Not for distribution",
        "Internal only - Q3 numbers",
        "Only for internal use\nCorporate card for the offsite",
        "Highly confidential, do not forward",
        "do not distribute outside the board",
    ],
)
def test_marking_phrasings(text: str) -> None:
    assert acting(text, "marking"), scan(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ИНН six six six two one nine five one nine four six six", "inn"),
        ("паспорт пять шесть один девять два шесть два четыре восемь три", "passport_ru"),
        ("pa$$port seven five one seven four seven nine nine one six", "passport_ru"),
        (
            "кинь на two four six zero one zero eight eight nine seven one two six zero nine zero",
            "card",
        ),
        ("ИНН физлица для справки 2-НДФЛ: 500100732259", "inn"),
    ],
)
def test_numbers_written_other_ways(text: str, kind: str) -> None:
    assert acting(text, kind), scan(text)


def test_spelled_digits_map_to_the_words_as_typed() -> None:
    text = "ИНН six six six two one nine five one nine four six six, спасибо"
    assert acting(text, "inn") == ["six six six two one nine five one nine four six six"]


@pytest.mark.parametrize(
    "text",
    [
        "reset your password via the link",
        "пароль должен содержать 8 символов",
        "password policy",
        "конфиденциальность данных",
        "NDA нужно подписать",
        "Политика конфиденциальности обновлена 12.03.2026",
        "доступ к отчёту Q3/2024 открыт",
        "доступы: sales/report2024",
        "логин/пароль пришлю позже",
        "root cause: memory leak in v2.3.1",
        "admin/settings/v2 не открывается",
        "User/Projects2024 папка",
        "путь C:/Users/admin/Docs2024",
        "login via SSO/OAuth2 only",
        "Доступ: read/write, 2024-05-01",
        "Доступ выдан: ivanov/petrov",
        "task-management-system-2024-roadmap-v2-final-draft",
        "пасс на следующий спринт",
        "серия встреч 12 13 июня",
        "Сериал 4 сезон 12 серия",
        "заказ № 4511 123456 от 12.03",
        "внутреннее совещание в 15:00",
        "distribution list обновлён",
        "секрет успеха — в команде",
        "Шкаф из ДСП 16 мм, кромка ПВХ, срок изготовления 10 дней",
        "плита ДСП ламинированная, 2 шт.",
        "AWS_SECRET_ACCESS_KEY задаётся в переменных окружения",
        "one two three four, let's go",
        "один, два, три — поехали",
        "https://example.com/docs?page=2",
        "Платёж 4511 123456 руб",
    ],
)
def test_hard_negatives(text: str) -> None:
    assert not [f for f in scan(text) if f.level in ACTING], scan(text)


def test_dsp_stamp_still_counts() -> None:
    assert acting("Гриф: ДСП", "marking") == ["ДСП"]
