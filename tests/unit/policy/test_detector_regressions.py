"""Cases that once got past the detectors (or were wrongly reported), kept so they stay fixed."""

from __future__ import annotations

import pytest

from gateway.policy import scan
from tests.unit.policy.samples import VISA, luhn_complete

NUMBER_KINDS = {"card", "inn", "snils", "ogrn", "passport_ru", "bank_account_ru", "phone"}


def found(text: str, kind: str) -> list[str]:
    return [text[f.start : f.end] for f in scan(text) if f.kind == kind]


@pytest.mark.parametrize(
    "typed",
    [
        "４１１１ １１１１ １１１１ １１１１",  # offsets once took the space before in
        "𝟒𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏",
        "٤١١١ ١١١١ ١١١١ ١١١١",  # Arabic-Indic after a space was not folded at all
        "4\u200d1\u200c1\u20601 1111 1111 1111",
    ],
)
def test_disguised_card_offsets_are_exact(typed: str) -> None:
    text = f"вот карта: {typed} спасибо"
    assert found(text, "card") == [typed]


def test_trailing_invisible_character_is_not_part_of_the_finding() -> None:
    text = f"card {VISA}\ufeff ok"
    assert found(text, "card") == [VISA]


def test_date_shaped_stretch_inside_a_card() -> None:
    number = luhn_complete("410120201234567")
    typed = f"{number[0]} {number[1]}.{number[2:4]}.{number[4:8]} {number[8:12]} {number[12:]}"
    assert found(f"карта {typed} ок", "card") == [typed]


@pytest.mark.parametrize("text", ["C0NFIDENTIAL draft", "CONF1DENTIAL: Q3", "Кoммерческая тайна"])
def test_lookalike_markings(text: str) -> None:
    assert found(text, "marking")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("DB_PASSWORD=Zx8kQ2mP9vL4nR7t", "Zx8kQ2mP9vL4nR7t"),
        (
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE",
        ),
        (
            "бот: 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw2 — не потеряй",
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw2",
        ),
    ],
)
def test_secrets(text: str, secret: str) -> None:
    assert found(text, "secret") == [secret]


@pytest.mark.parametrize("text", ["password=changeme", "пароль: 12345678", "token = xxxxxxxxxx"])
def test_low_entropy_assignments_are_not_secrets(text: str) -> None:
    assert found(text, "secret") == []


@pytest.mark.parametrize(
    "text",
    [
        "tracking 1Z4710612113442052, contract INV-2026-673830",
        "Обновили сервер 30.243.54.121 и 172.3.221.116 до версии 3.12",
        "Hello, re order 9054795941/26: 374 items",
        "Счёт № 8348598893/26 от 19.06.2026",
        "отслеживание 59917337730613 и 50357748471268",
        "в отпуске 22.02.2026-28.02.2026 и 5.03.2026-15.03.2026",
    ],
)
def test_business_numbers_are_not_identifiers(text: str) -> None:
    assert {f.kind for f in scan(text)} & NUMBER_KINDS == set(), [
        (f.kind, text[f.start : f.end]) for f in scan(text)
    ]
