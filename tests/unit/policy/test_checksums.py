"""Check digits against public vectors (python-stdnum's documentation, card networks' test
numbers, CBR examples); python-stdnum itself, when installed, cross-checks where it is right."""

from __future__ import annotations

import pytest

from gateway.policy import checksums


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4111111111111111", "visa"),
        ("4000056655665556", "visa"),
        ("5555555555554444", "mastercard"),
        ("2221000000000009", "mastercard"),  # 2-series Mastercard: Presidio's pattern misses it
        ("2223003122003222", "mastercard"),
        ("2200000000000004", "mir"),
        ("2200000000000012", "mir"),
        ("378282246310005", "amex"),
        ("6200000000000005", "unionpay"),
        ("6759649826438453", "maestro"),
    ],
)
def test_card_vectors(number: str, brand: str) -> None:
    assert checksums.is_card(number)
    assert checksums.card_brand(number) == brand


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",  # Luhn fails
        "1234567812345670",  # Luhn passes, no issuer uses prefix 12
        "2205000000000003",  # just past Mir's 2200-2204
        "411111111111",  # too short
    ],
)
def test_card_rejects(number: str) -> None:
    assert not checksums.is_card(number)


@pytest.mark.parametrize(
    "number", ["7707083893", "500100732259", "1234567894", "123456789047", "7830002293"]
)
def test_inn_vectors(number: str) -> None:
    assert checksums.is_inn(number)


@pytest.mark.parametrize("number", ["1234567895", "123456789037", "7707083894", "0007083893"])
def test_inn_rejects(number: str) -> None:
    assert not checksums.is_inn(number)


@pytest.mark.parametrize("number", ["1027700132195", "1022200525819", "385768585948949"])
def test_ogrn_vectors(number: str) -> None:
    assert checksums.is_ogrn(number)


@pytest.mark.parametrize(
    "number", ["339825979190742", "301290404796661", "325899139441170", "319803649420550"]
)
def test_ogrnip_with_remainder_over_nine(number: str) -> None:
    """The check digit is (first 14 mod 13) mod 10; python-stdnum 2.2 compares the remainder
    itself, so it rejects these valid OGRNIPs (remainder 10-12). We must accept them."""
    remainder = int(number[:14]) % 13
    assert remainder >= 10
    assert int(number[14]) == remainder % 10
    assert checksums.is_ogrn(number)


@pytest.mark.parametrize("number", ["1022500001328", "1027700132196", "385768585948940"])
def test_ogrn_rejects(number: str) -> None:
    assert not checksums.is_ogrn(number)


@pytest.mark.parametrize("number", ["11223344595", "08765430300", "00100200300"])
def test_snils(number: str) -> None:
    # 112-233-445 95 is the canonical example; 001-001-998 and below carry no check
    expected = number != "00100200300"
    assert checksums.is_snils(number) is expected


def test_snils_rejects_wrong_control() -> None:
    assert not checksums.is_snils("11223344596")


@pytest.mark.parametrize(
    ("first9", "weighted_sum", "control"),
    [
        ("001168298", 107, "06"),  # over 101: the sum mod 101
        ("001437544", 101, "00"),  # exactly 101: 00
        ("001508815", 100, "00"),  # exactly 100: 00
        ("006996682", 201, "00"),  # over 101 and mod 101 gives 100: 00
    ],
)
def test_snils_control_edges(first9: str, weighted_sum: str, control: str) -> None:
    assert sum(int(d) * (9 - i) for i, d in enumerate(first9)) == weighted_sum
    assert checksums.is_snils(first9 + control)
    assert not checksums.is_snils(first9 + f"{(int(control) + 1) % 100:02d}")


@pytest.mark.parametrize(
    ("account", "bik"),
    [
        ("30101810400000000225", "044525225"),  # Sberbank's correspondent account (CBR rule)
        ("40702810638000000000", "044525225"),
    ],
)
def test_bank_account_vectors(account: str, bik: str) -> None:
    assert checksums.is_bank_account(account, bik)


def test_bank_account_needs_its_bik() -> None:
    assert not checksums.is_bank_account("40702810638000000000", "044525974")
    assert not checksums.is_bank_account("40702810638000000001", "044525225")


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "CH9300762011623852957",
    ],
)
def test_iban_vectors(iban: str) -> None:
    assert checksums.iban_valid(iban)
    assert not checksums.iban_valid(iban[:-1] + str((int(iban[-1]) + 1) % 10))


@pytest.mark.parametrize(
    ("module", "number"),
    [
        ("luhn", "4111111111111111"),
        ("luhn", "2200000000000004"),
        ("ru.inn", "7707083893"),
        ("ru.inn", "123456789047"),
        ("ru.ogrn", "1027700132195"),
        ("ru.ogrn", "385768585948949"),
        ("iban", "GB82WEST12345698765432"),
    ],
)
def test_vectors_agree_with_python_stdnum(module: str, number: str) -> None:
    """Optional cross-check (python-stdnum is not a dependency): the vectors above are ones
    stdnum accepts too, so they are not our own arithmetic checking itself."""
    import importlib

    pytest.importorskip("stdnum")
    assert importlib.import_module(f"stdnum.{module}").is_valid(number)
