"""Each kind found where a security officer expects it, and not in ordinary business chat."""

from __future__ import annotations

import pytest

from gateway.policy import scan
from gateway.policy.detectors.markings import LABELS, MARKINGS, STEMS


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("карта 4111 1111 1111 1111, срок 12/27", "card", "4111 1111 1111 1111"),
        ("pay to 5555-5555-5555-4444 today", "card", "5555-5555-5555-4444"),
        ("Мир 2200 0000 0000 0004", "card", "2200 0000 0000 0004"),
        ("mc 2221000000000009", "card", "2221000000000009"),
        ("amex 3782 822463 10005", "card", "3782 822463 10005"),
        ("ИНН 7707083893", "inn", "7707083893"),
        ("ИНН/КПП 7707083893/770701001", "inn", "7707083893"),
        ("inn of the director: 500100732259", "inn", "500100732259"),
        ("ОГРН 1027700132195", "ogrn", "1027700132195"),
        ("ОГРНИП 339825979190742", "ogrn", "339825979190742"),
        ("СНИЛС 112-233-445 95", "snils", "112-233-445 95"),
        ("паспорт 4509 123456 выдан ОВД", "passport_ru", "4509 123456"),
        ("серия 45 09 номер 123456", "passport_ru", "45 09 номер 123456"),
        ("passport series 4509 No. 123456", "passport_ru", "4509 No. 123456"),
        ("звоните +7 916 123-45-67, 2 шт.", "phone", "+7 916 123-45-67"),
        ("тел. 8 (916) 123-45-67", "phone", "8 (916) 123-45-67"),
        ("call +44 20 7946 0958", "phone", "+44 20 7946 0958"),
        ("пишите ivan.petrov@example.ru", "email", "ivan.petrov@example.ru"),
        ("IBAN DE89 3704 0044 0532 0130 00 Commerzbank", "iban", "DE89 3704 0044 0532 0130 00"),
        ("iban gb82west12345698765432", "iban", "gb82west12345698765432"),
        ("key AKIAIOSFODNN7EXAMPLE for s3", "secret", "AKIAIOSFODNN7EXAMPLE"),
        ("ghp_" + "a1B2" * 9, "secret", "ghp_" + "a1B2" * 9),
        ("xoxb-123456789012-abcdefghij", "secret", "xoxb-123456789012-abcdefghij"),
        (
            "use 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 for the bot",
            "secret",
            "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
        ),
        ("db password = Xk8#pL2!vQ9z", "secret", "Xk8#pL2!vQ9z"),
        ("Коммерческая тайна ООО «Ромашка»", "marking", "Коммерческая тайна"),
        ("Гриф: ДСП", "marking", "ДСП"),
        ("Для служебного пользования", "marking", "Для служебного пользования"),
        ("CONFIDENTIAL - do not forward", "marking", "CONFIDENTIAL"),
        ("Confidential: Q3 numbers", "marking", "Confidential"),
        ("Internal use only", "marking", "Internal use only"),
        ("КОНФИДЕНЦИАЛЬНО", "marking", "КОНФИДЕНЦИАЛЬНО"),
    ],
)
def test_finds(text: str, kind: str, value: str) -> None:
    assert (kind, value) in found(text)


def test_private_key_covers_the_whole_block() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    text = f"here:\n{key}\nthanks"
    assert found(text) == [("secret", key)]


def test_jwt() -> None:
    jwt = (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"
        ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    )
    assert found(f"token {jwt}") == [("secret", jwt)]


def test_bank_account_needs_a_bik_or_an_account_word() -> None:
    with_bik = "р/с 40702810638000000000 в ПАО Сбербанк, БИК 044525225"
    assert ("bank_account_ru", "40702810638000000000") in found(with_bik)
    # without a BIK to check, the account word and the account's structure decide (issue 15)
    assert ("bank_account_ru", "40702810638000000000") in found("р/с 40702810638000000000")
    assert not any(kind == "bank_account_ru" for kind, _ in found("40702810638000000000"))
    wrong_bik = "счёт № 40702810638000000000, БИК 044525974"
    assert not any(kind == "bank_account_ru" for kind, _ in found(wrong_bik))


def test_several_numbers_in_one_run() -> None:
    text = "ИНН 7707083893, карта 4111 1111 1111 1111, тел +7 916 123 45 67"
    assert [kind for kind, _ in found(text)] == ["inn", "card", "phone"]


def test_passport_needs_context() -> None:
    assert found("4509 123456") == []
    assert found("заказ 4509 123456 отгружен") == []


def test_offsets_are_in_the_original_text() -> None:
    text = "ИНН\u200b 7707\u2060083893"
    (finding,) = scan(text)
    assert text[finding.start : finding.end] == "7707\u2060083893"


NEGATIVES = [
    # dates, times, prices and amounts
    "Встреча 12.03.2026 в 14:30, перенесли на 15.03.2026 10:00",
    "Встреча 12.03.2026 14:30, потом 22.01.2026 - 23.01.2026",
    "Итого 6 500 000, 1 200 000, 4 100 000 руб",
    "Сумма: 1 250 000,00 руб. (НДС 208 333,33)",
    "Price list: 4,500.00 USD; 12,750.50 USD; 1,000,000 total",
    "квартал 2025 2026 2027 2028 бюджет",
    # invoice, contract, order, tracking numbers
    "Счёт № 2024000123 от 12.03.2026",
    "invoice #7707083893 is attached",
    "Договор № 50010073225 9 от 01.02.2026",
    "order INV2024000123 shipped",
    "трек RA123456789RU, заказ 0012345678",
    "UPS 1Z999AA10123456784",
    # identifiers that are not personal data
    "id 550e8400-e29b-41d4-a716-446655440000",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "server 192.168.100.254 and 10.0.0.1",
    "version 2.14.3, build 20260312.1",
    "артикул 4600123456789 на складе",  # an EAN-13 barcode, not a card
    # words that look like markings but are not
    "политика конфиденциальности обновлена",
    "please keep this confidential between us",
    "мебель из дсп и мдф",
    "это не секрет, все знают",
    # things near secrets
    "password: changeme",
    "время 18:00:00, счёт 123456789:AAA",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_false_positives(text: str) -> None:
    assert found(text) == []


def test_every_marking_contains_a_prefilter_stem() -> None:
    for phrase in (*MARKINGS, *LABELS):
        assert any(stem in phrase for stem in STEMS), phrase


@pytest.mark.parametrize(
    "text",
    [
        "Кoммерческая тайна",  # Latin o
        "к0нфиденциально:",  # digit zero, as a label
        "CОNFIDENTIAL",  # Cyrillic О
        "Коммерческая\u00a0тайна",  # no-break space
        "Конфиденциа\u0301льно:",  # stress accent
    ],
)
def test_marking_lookalikes(text: str) -> None:
    assert [kind for kind, _ in found(text)] == ["marking"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a context word after a labelled number belongs to the next number
        (
            "invoice #3384711491 ИНН 1839270257",
            [("inn", "1839270257")],
        ),
        # an OGRNIP that is also Luhn-valid with an Amex prefix: its context word decides
        ("ОГРНИП 343657549186933", [("ogrn", "343657549186933")]),
        # a passport word after a labelled number does not make it a passport
        ("invoice #8296367230 паспорт серия 4659 467037", [("passport_ru", "4659 467037")]),
        # an IBAN typed with Cyrillic О for zeros, and a hex id that starts like one
        ("IBAN FR76 6549 744О 93О6 5294 6645 191", [("iban", "FR76 6549 744О 93О6 5294 6645 191")]),
        ("id de436bf6ebf5be2162521ea518347aec", []),
    ],
)
def test_overlaps_and_neighbours(text: str, expected: list[tuple[str, str]]) -> None:
    """Cases an independently generated corpus caught (docs/policy.md, "Detector kinds")."""
    assert found(text) == expected
