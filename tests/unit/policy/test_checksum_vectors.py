"""Public check-digit vectors, hard-coded (no python-stdnum needed), and where stdnum is wrong."""

from __future__ import annotations

import pytest

from gateway.policy import checksums
from tests.unit.policy.samples import BIK, CORR_ACCOUNT, account_complete, luhn_complete


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("2200700212727076", "mir"),
        ("2201382000000013", "mir"),
        ("2204000000000000", "mir"),
        ("4012888888881881", "visa"),
        ("5105105105105100", "mastercard"),
        ("2720990000000007", "mastercard"),
        ("6799990100000000019", "maestro"),
        ("6205500000000000004", "unionpay"),
        ("3530111333300000", "jcb"),
    ],
)
def test_card_vectors(number: str, brand: str) -> None:
    assert checksums.is_card(number)
    assert checksums.card_brand(number) == brand
    assert not checksums.is_card(number[:-1] + str((int(number[-1]) + 1) % 10))


def test_retired_and_short_numbers_are_not_cards() -> None:
    assert checksums.luhn("4222222222222")  # 13-digit Visa: retired; EAN-13 barcodes start 4 too
    assert not checksums.is_card("4222222222222")


@pytest.mark.parametrize(
    "prefix", ["220500000000000", "222099000000000", "272100000000000", "111111111111111"]
)
def test_luhn_valid_outside_issuer_ranges(prefix: str) -> None:
    number = luhn_complete(prefix)
    assert checksums.luhn(number)
    assert not checksums.is_card(number)


@pytest.mark.parametrize(
    "number",  # python-stdnum tests/test_ru_inn.doctest
    [
        "7707083893",
        "500100732259",
        "005826107187",
        "0108003670",
        "0273074555",
        "7813045547",
        "8906008740",
    ],
)
def test_inn_vectors(number: str) -> None:
    assert checksums.is_inn(number)
    for i in (len(number) - 1, len(number) - 2):
        assert not checksums.is_inn(number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :])


@pytest.mark.parametrize(
    "number",  # python-stdnum stdnum/ru/ogrn.py doctests
    ["1027700132195", "1022200525819", "1022500001325", "385768585948949"],
)
def test_ogrn_vectors(number: str) -> None:
    assert checksums.is_ogrn(number)
    assert not checksums.is_ogrn(number[:-1] + str((int(number[-1]) + 1) % 10))


def test_ogrnip_remainder_ten_to_twelve() -> None:
    """python-stdnum 2.2 compares ``first14 % 13`` itself with the check digit, so it rejects
    every valid OGRNIP whose remainder is 10–12; the check digit is the remainder mod 10."""
    found: dict[int, str] = {}
    for first14 in range(30450011600015, 30450011600215):
        remainder = first14 % 13
        if remainder >= 10:
            found.setdefault(remainder, f"{first14}{remainder % 10}")
    assert set(found) == {10, 11, 12}
    for remainder, number in found.items():
        assert checksums.is_ogrn(number), (remainder, number)
        assert int(number[-1]) != remainder  # what stdnum 2.2 wants can never be one digit
        wrong = [number[:-1] + d for d in "0123456789" if d != number[-1]]
        assert not any(checksums.is_ogrn(w) for w in wrong)


def test_snils_vector_and_control_00() -> None:
    assert checksums.is_snils("11223344595")
    assert not checksums.is_snils("11223344596")
    hundred = next(
        p
        for p in (f"{n:09d}" for n in range(1002000, 10**9, 7919))
        if sum(int(d) * (9 - i) for i, d in enumerate(p)) in (100, 101)
    )
    assert checksums.is_snils(hundred + "00")


def test_account_cbr_rule() -> None:
    assert checksums.is_bank_account(CORR_ACCOUNT, BIK)  # Sberbank к/с with its BIK
    assert not checksums.is_bank_account("30101810400000000226", BIK)
    digits = BIK[-3:] + CORR_ACCOUNT  # keyed like a settlement account it would not pass
    assert sum(int(d) * (7, 1, 3)[i % 3] for i, d in enumerate(digits)) % 10 != 0
    account = account_complete(BIK, "40702810", "38000012345")
    assert checksums.is_bank_account(account, BIK)
    assert not checksums.is_bank_account(account, "044525593")


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
    ],
)
def test_iban_vectors(iban: str) -> None:
    assert checksums.iban_valid(iban)
    compact = iban.replace(" ", "")
    assert not checksums.iban_valid(compact[:4] + compact[5] + compact[4] + compact[6:])
