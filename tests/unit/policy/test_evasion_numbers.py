"""Numbers typed with odd separators (issue 15, item 3): found, and nothing else becomes one.

A separator between digit groups may be up to three punctuation characters with up to two
spaces on either side ("4276 -- 3801"), a line break with some spaces around it ("\\r\\n\\r\\n"),
or one letter or ";"/":" repeated between groups of three or four digits ("4276x3801x2345x6787").
Dates, IP addresses, versions, screen sizes, prices and ids keep not being numbers.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy import scan
from gateway.policy.redact import redact
from tests.unit.policy.samples import (
    BIK,
    IBAN_DE,
    INN_10,
    INN_12,
    MIR,
    OGRN,
    SNILS,
    VISA,
    account_complete,
    grouped,
    luhn_complete,
)

NUMBER_KINDS = {"card", "inn", "snils", "ogrn", "passport_ru", "bank_account_ru", "phone", "iban"}
CARD = "4276380123456787"  # the red team's card, Luhn-valid
ACCOUNT = "40702810638000000000"  # checks against BIK 044525225


def found(text: str, kind: str) -> list[str]:
    return [text[f.start : f.end] for f in scan(text) if f.kind == kind]


def numbers(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text) if f.kind in NUMBER_KINDS]


@pytest.mark.parametrize(
    "typed",
    [
        "4276x3801x2345x6787",
        "4276X3801X2345X6787",
        "4276х3801х2345х6787",  # Cyrillic х
        "4276 -- 3801 -- 2345 -- 6787",
        "4276 --- 3801 --- 2345 --- 6787",
        "4276 // 3801 // 2345 // 6787",
        "4276  |  3801  |  2345  |  6787",
        "4276\r\n\r\n3801\r\n\r\n2345\r\n\r\n6787",
        "4276 \n 3801 \n 2345 \n 6787",
        "4276;3801;2345;6787",
        "4276:3801:2345:6787",
        "4276 ... 3801 ... 2345 ... 6787",
        "4276x3801X2345x6787",  # the same letter in either case
    ],
)
def test_card_with_repeated_or_odd_separators(typed: str) -> None:
    text = f"карта {typed} спасибо"
    assert found(text, "card") == [typed]


@pytest.mark.parametrize(
    ("kind", "context", "typed"),
    [
        ("inn", "ИНН", "770 -- 708 -- 3893"),
        ("inn", "ИНН", "770x708x3893"),
        ("inn", "ИНН", "5001 -- 0073 -- 2259"),
        ("snils", "СНИЛС", "112 -- 233 -- 445 -- 95"),
        ("snils", "СНИЛС", "112x233x445x95"),
        ("ogrn", "ОГРН", "1027 -- 7001 -- 32195"),
        ("passport_ru", "паспорт", "4509 -- 123456"),
        ("phone", "тел.", "+7 916 -- 123 -- 45 -- 67"),
        ("phone", "тел.", "8x916x123x4567"),
        ("phone", "тел.", "8 916\n123\n45\n67"),
        ("phone", "call me at", "+ 4 4 2 0 7 9 4 6 0 9 5 8"),  # "+" and a space before
        ("passport_ru", "паспорт", "4509x123456"),  # a chain in a passport's layout
        ("ogrn", "ОГРНИП", "33982x59791x90742"),  # fives
        ("bank_account_ru", "р/с", "40702x810x6x3800x0000000"),
    ],
)
def test_other_numbers_with_odd_separators(kind: str, context: str, typed: str) -> None:
    text = f"{context} {typed} ок"
    assert found(text, kind) == [typed], scan(text)


def test_numbers_from_the_sample_set_with_letter_separators() -> None:
    for number, kind, context in [
        (VISA, "card", "card"),
        (MIR, "card", "карта"),
        (INN_12, "inn", "ИНН"),
        (SNILS, "snils", "СНИЛС"),
    ]:
        typed = grouped(number, (4, 4, 4, 4) if len(number) == 16 else (3, 3, 3), "x")
        text = f"{context} {typed}"
        assert found(text, kind) == [typed], (text, scan(text))


@pytest.mark.parametrize(
    "typed",
    [
        "DE89-3704-0044-0532-0130-00",
        "DE89.3704.0044.0532.0130.00",
        "DE89  3704  0044  0532  0130  00",
        "DE89 -- 3704 -- 0044 -- 0532 -- 0130 -- 00",
        "DE89/3704/0044/0532/0130/00",
        "DE89\n3704\n0044\n0532\n0130\n00",
        "DE89;3704;0044;0532;0130;00",
        "DE89x3704x0044x0532x0130x00",
        "DE89х3704х0044х0532х0130х00",  # Cyrillic х
    ],
)
def test_iban_with_separators(typed: str) -> None:
    text = f"IBAN {typed} Commerzbank"
    assert found(text, "iban") == [typed]


@pytest.mark.parametrize(
    "text",
    [
        f"р/с {ACCOUNT}",
        f"р/сч {ACCOUNT} в Сбербанке",
        f"Расчётный счёт: {ACCOUNT}",
        f"расчетный счет {grouped(ACCOUNT, (5, 3, 1, 4, 7))}",
        f"account {ACCOUNT}",
        f"bank account no. {ACCOUNT}",
        f"номер счёта {ACCOUNT}",
        "л/с 40817810099910004312",
    ],
)
def test_settlement_account_without_bik_needs_a_strong_context_word(text: str) -> None:
    assert [kind for kind, _ in numbers(text)] == ["bank_account_ru"], numbers(text)


@pytest.mark.parametrize(
    "text",
    [
        f"{ACCOUNT}",  # no context word
        "р/с 12345678901234567890",  # no currency code where a real account has one
        "р/с 40702999638000000000",  # "999" is no currency
        "трек 40702810638000000000123",  # longer than an account
        "заказ 40702810638000000000",  # a document number, not an account word
    ],
)
def test_twenty_digits_without_context_or_structure_are_not_accounts(text: str) -> None:
    assert "bank_account_ru" not in {kind for kind, _ in numbers(text)}


def test_account_with_bik_still_certain() -> None:
    text = f"р/с {ACCOUNT}, БИК {BIK}"
    (finding,) = [f for f in scan(text) if f.kind == "bank_account_ru"]
    assert finding.confidence == 1.0
    assert text[finding.start : finding.end] == ACCOUNT


def test_account_from_samples_without_bik() -> None:
    account = account_complete(BIK, "40817810", "09991000431")
    assert found(f"р/с {account} (Сбербанк)", "bank_account_ru") == [account]


def test_letter_chain_redaction_masks_the_whole_number() -> None:
    text = "карта 4276x3801x2345x6787 спасибо"
    findings = [(f, "mask") for f in scan(text)]
    redacted, _ = redact(text, (), findings)
    assert redacted == "карта " + "•" * 19 + " спасибо"  # the letters between go too


@pytest.mark.parametrize(
    "text",
    [
        # dates, times, IP addresses, versions
        "встреча 12.03.2024, потом 13.03.2024 и 14.03.2024",
        "12.03.2024 -- 15.03.2024 -- 20.03.2024",
        "в 12:30:45, 13:30:00 и 14:45:10",
        "сервер 192.168.100.200 и 10.10.10.10",
        "версия 1.2.3.4, сборка 10.2.30.4000",
        "v2026.03.12.1234",
        # screen sizes, dimensions and multiplications
        "экран 1920x1080, 2560x1440 и 3840x2160",
        "коробка 400x300x200 мм, паллета 1200x800x1500",
        "размер 1200x800x1500x2000",
        "2x4x8x16x32x64",
        # prices and amounts
        "итого 6 500 000 -- 1 200 000 -- 4 100 000 руб",
        "цены: 4500;3800;2300;6700 руб",
        "1 250 000,00 / 208 333,33 / 1 041 666,67",
        # ids and codes
        "id 550e8400-e29b-41d4-a716-446655440000",
        "sha 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "tracking 1Z4710612113442052, RA123456789RU",
        "build 20260312x1045x0001",
        "ISBN 978-5-389-07435-4",
        "сервер 98.92.44.62 / 51.116.228.191, версия 7.1.62",
        "адреса 10.0.0.1 -- 10.0.0.2 -- 10.0.0.3",
        "хэш 4509a123456b, файл 1920x1080x60",
    ],
)
def test_no_numbers_in_business_text(text: str) -> None:
    assert numbers(text) == []


_SEPARATOR = st.sampled_from(
    [" -- ", " --- ", "  |  ", " // ", "\r\n\r\n", " \n ", " ... ", "x", "х", ";", " - ", "."]
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            ("card", "карта", CARD, (4, 4, 4, 4)),
            ("card", "card", luhn_complete("220070021272707"), (4, 4, 4, 4)),
            ("inn", "ИНН", INN_10, (3, 3, 4)),
            ("inn", "ИНН", INN_12, (4, 4, 4)),
            ("ogrn", "ОГРН", OGRN, (4, 4, 5)),
            ("snils", "СНИЛС", SNILS, (3, 3, 3, 2)),
        ]
    ),
    _SEPARATOR,
)
def test_any_bounded_separator_keeps_the_number(
    case: tuple[str, str, str, tuple[int, ...]], separator: str
) -> None:
    kind, context, number, layout = case
    typed = grouped(number, layout, separator)
    text = f"{context} {typed} ок"
    assert found(text, kind) == [typed], (text, scan(text))


def test_iban_sample_constant_is_found_grouped_with_dashes() -> None:
    typed = grouped(IBAN_DE, (4, 4, 4, 4, 4), "-")
    assert found(f"IBAN: {typed}", "iban") == [typed]


@pytest.mark.parametrize(
    ("text", "kind", "typed"),
    [
        # a sentence end inside a run: the digits after it are judged on their own
        (
            "переговорная 3. 2 1 0 7 6 3 4 9 7 7 3 8 (ИНН). Повестка",
            "inn",
            "2 1 0 7 6 3 4 9 7 7 3 8",
        ),
        # digits typed one by one, then "/" and a KPP
        ("Реквизиты: ООО «Вектор», 7 7 0 7 0 8 3 8 9 3/770701001", "inn", "7 7 0 7 0 8 3 8 9 3"),
        # a stretch beside a date is not the date
        ("оплата до 27.01.2026. 7 7 0 7 0 8 3 8 9 3 (ИНН)", "inn", "7 7 0 7 0 8 3 8 9 3"),
        # a card right after a hash ends a sentence
        (
            "commit 909d4b18d3cb7c9140fcaab45dd3da75cf9a8366. 4276 3801 2345 6787. ok",
            "card",
            "4276 3801 2345 6787",
        ),
        # kind words written with dots or look-alike letters
        ("С.Н.И.Л.С. 112-233-445 95", "snils", "112-233-445 95"),
        ("Стpaхoвoй нoмep 112-233-445 95", "snils", "112-233-445 95"),
        ("Tax ID 7707083893", "inn", "7707083893"),
        # a date-shaped stretch inside a SNILS, with its word before it
        ("СНИЛС 0 0 10.0.2000 1 5", "snils", "0 0 10.0.2000 1 5"),
    ],
)
def test_numbers_next_to_other_numbers(text: str, kind: str, typed: str) -> None:
    assert found(text, kind) == [typed], scan(text)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("nr 4276380123456787", True),  # a bare number sign is no document
        ("№ 4276 3801 2345 6787", True),
        ("переведи на счёт 4276 3801 2345 6787", True),  # "счёт" is also a card's account
        ("Счёт № 4276380123456787", False),  # an invoice
        ("order #4276380123456787", False),
        ("invoice no. 4276380123456787", False),
        ("Заказ №4276380123456787 отгружен", False),
        ("nr 4276 3801 2345 678", False),  # not a card's full layout
    ],
)
def test_number_signs_before_cards(text: str, card: bool) -> None:
    assert bool(found(text, "card")) == card, scan(text)
