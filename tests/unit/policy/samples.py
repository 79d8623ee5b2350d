"""Valid numbers for policy tests: public vectors, and independent check-digit arithmetic.

The arithmetic here is written separately from :mod:`gateway.policy.checksums` (from the
published algorithms), so a test that builds a number with it and expects the engine to find it
checks the engine rather than itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.model import ChatRef, Direction, Link, LinkId, Message, NetworkName, Route, UserRef

# python-stdnum's and the card networks' public test numbers
VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
MASTERCARD_2 = "2221000000000009"
MIR = "2200700212727076"
INN_10 = "7707083893"
INN_12 = "500100732259"
OGRN = "1027700132195"
SNILS = "11223344595"
BIK = "044525225"
CORR_ACCOUNT = "30101810400000000225"
IBAN_DE = "DE89370400440532013000"


def luhn_complete(prefix: str) -> str:
    """``prefix`` with the Luhn check digit appended."""
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return prefix + str((10 - total % 10) % 10)


def inn12_complete(prefix10: str) -> str:
    w1 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    c1 = sum(int(a) * b for a, b in zip(prefix10, w1, strict=True)) % 11 % 10
    w2 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    c2 = sum(int(a) * b for a, b in zip(prefix10 + str(c1), w2, strict=True)) % 11 % 10
    return f"{prefix10}{c1}{c2}"


def snils_complete(prefix9: str) -> str:
    total = sum(int(d) * (9 - i) for i, d in enumerate(prefix9))
    check = total % 101 % 100
    return f"{prefix9}{check:02d}"


def account_complete(bik: str, head: str, tail: str) -> str:
    """A 20-digit account ``head`` + key + ``tail`` whose CBR control key checks with ``bik``."""
    for key in "0123456789":
        account = head + key + tail
        prefix = ("0" + bik[4:6]) if account.startswith("301") else bik[-3:]
        digits = prefix + account
        if sum(int(d) * (7, 1, 3)[i % 3] for i, d in enumerate(digits)) % 10 == 0:
            return account
    raise AssertionError("no control key")  # pragma: no cover


def grouped(digits: str, sizes: tuple[int, ...], sep: str = " ") -> str:
    out, i = [], 0
    for size in sizes:
        out.append(digits[i : i + size])
        i += size
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(out)


MATRIX = NetworkName("matrix")
TELEGRAM = NetworkName("telegram")
INTERNAL = ChatRef(MATRIX, "!room:corp")
EXTERNAL = ChatRef(TELEGRAM, "-1001")
LINK = Link(LinkId("acme"), INTERNAL, EXTERNAL)
OUT = Route(LINK, Direction.OUTBOUND)
IN = Route(LINK, Direction.INBOUND)
STAFF = UserRef(MATRIX, "@ivan:corp")
PARTNER = UserRef(TELEGRAM, "42")
NOON = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)  # a Wednesday


def message(text: str = "", *, inbound: bool = False, **extra: object) -> Message:
    if inbound:
        return Message(EXTERNAL, PARTNER, "n1", Direction.INBOUND, text, **extra)  # type: ignore[arg-type]
    return Message(INTERNAL, STAFF, "n1", Direction.OUTBOUND, text, **extra)  # type: ignore[arg-type]
