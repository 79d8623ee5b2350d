"""Check digits of the numbers we detect. Pure functions of a digit string.

A number that fails its check digit is not reported: that is what keeps invoice numbers,
tracking codes and phone numbers from being called card numbers or INNs.
"""

from __future__ import annotations


def luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The payment system by IIN range, or ``None`` if no major one issues this prefix."""
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if 2200 <= four <= 2204 and 16 <= n <= 19:
        return "mir"
    if digits[0] == "4" and n in (16, 19):  # 13-digit Visa is long retired; EAN-13 is not
        return "visa"
    if (51 <= two <= 55 or 2221 <= four <= 2720) and n == 16:
        return "mastercard"
    if two in (34, 37) and n == 15:
        return "amex"
    if two == 62 and 16 <= n <= 19:
        return "unionpay"
    if 3528 <= four <= 3589 and 16 <= n <= 19:
        return "jcb"
    if (two == 50 or 56 <= two <= 69) and 16 <= n <= 19:  # shorter ones: barcodes, not cards
        return "maestro"
    return None


def is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and card_brand(digits) is not None and luhn(digits)


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum((ord(d) - 48) * w for d, w in zip(digits, weights, strict=False))


_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def is_inn(digits: str) -> bool:
    """Russian taxpayer number: 10 digits (organisation) or 12 (person), with check digits.

    No organisation's INN starts with region 00; a person's may (python-stdnum's vectors
    include 005826107187), and two check digits are strong enough without the region test.
    """
    if len(digits) == 10:
        return _weighted(digits, _INN10) % 11 % 10 == int(digits[9]) and digits[:2] != "00"
    if len(digits) == 12:
        first = _weighted(digits, _INN12_1) % 11 % 10
        second = _weighted(digits, _INN12_2) % 11 % 10
        return first == int(digits[10]) and second == int(digits[11])
    return False


def is_ogrn(digits: str) -> bool:
    """OGRN (13 digits, legal entities) or OGRNIP (15, individual entrepreneurs).

    The OGRNIP check digit is ``(first 14 % 13) % 10``; python-stdnum 2.2 compares the
    remainder itself and so rejects valid OGRNIPs whose remainder is 10–12.
    """
    if len(digits) == 13 and digits[0] in "15":
        return int(digits[:12]) % 11 % 10 == int(digits[12])
    if len(digits) == 15 and digits[0] == "3":
        return int(digits[:14]) % 13 % 10 == int(digits[14])
    return False


def is_snils(digits: str) -> bool:
    """Pension insurance number, 11 digits; numbers up to 001-001-998 carry no check."""
    if len(digits) != 11 or int(digits[:9]) <= 1001998:
        return False
    total = sum((ord(d) - 48) * (9 - i) for i, d in enumerate(digits[:9]))
    while total > 101:
        total %= 101
    check = 0 if total in (100, 101) else total
    return check == int(digits[9:])


def is_bank_account(account: str, bik: str) -> bool:
    """20-digit account against a 9-digit BIK: the CBR control key with weights 7-1-3."""
    if len(account) != 20 or len(bik) != 9:
        return False
    # a correspondent account (301…) is keyed by "0" + the BIK's 5th–6th digits (CBR rule)
    key = ("0" + bik[4:6] if account.startswith("301") else bik[-3:]) + account
    weights = (7, 1, 3) * 8
    return sum((ord(d) - 48) * w for d, w in zip(key, weights, strict=False)) % 10 == 0


def iban_valid(iban: str) -> bool:
    """ISO 13616 mod-97 over the rearranged, letter-expanded IBAN."""
    compact = iban.replace(" ", "").upper()
    if not (15 <= len(compact) <= 34) or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    expanded = "".join(str(int(c, 36)) for c in rearranged)
    return int(expanded) % 97 == 1


__all__ = [
    "card_brand",
    "iban_valid",
    "is_bank_account",
    "is_card",
    "is_inn",
    "is_ogrn",
    "is_snils",
    "luhn",
]
