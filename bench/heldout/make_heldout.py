"""Generate the held-out DLP evaluation set ``bench/heldout/heldout.jsonl``.

How the set was made
--------------------
Every line is one chat message built from a hand-written sentence template whose
slots are filled by the generators in this file.  A slot is either *neutral*
(names, companies, dates, amounts, ticket ids, IPs ...) or *sensitive* (one of
the eleven DLP kinds).  The ``labels`` of a line are exactly the kinds of the
sensitive slots the template used, so labels are correct by construction; a
final audit pass (``audit``) then re-checks every line independently:

* every sensitive number is re-validated with an independent implementation
  (``python-stdnum`` for Luhn / INN / OGRN / IBAN / EAN, the published
  algorithms written out below for SNILS, OGRNIP and the Bank of Russia
  account control key), and the generators cross-check themselves against it;
* negatives must contain no e-mail, no phone, no API-key / PEM / JWT shape,
  no confidentiality marking phrase, and no 10-20 digit run that happens to
  pass any of the checksums (except ``numeric_negative`` lines, whose numbers
  are *meant* to pass a checksum);
* positives may not contain unlabelled checksum-valid digit runs either.

Categories: ``plain`` (ordinary business chat with the item embedded),
``disguised`` (the item deliberately hidden: odd separators, zero-width
characters, other-script digits, look-alike letters, spelled-out digits,
base64/hex/percent encoding, letter-spaced or transliterated markings,
obfuscated e-mail), ``hard_negative`` (looks sensitive but is not) and
``numeric_negative`` (numbers chosen to pass INN/SNILS/OGRN/Luhn checks in
non-personal contexts such as logs, URLs and barcodes).

Why it is independent
---------------------
The author of this file was not shown the detectors under ``gateway/``, the
developers' benchmark generator or their tests; templates, phrasings, value
formats and disguises were written from the kind definitions alone.  The
output is seeded (``SEED``) and fully deterministic: re-running the script
reproduces ``heldout.jsonl`` byte for byte.  Detector developers must not tune
on this set; see README.md.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
import sys
import urllib.parse
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

from stdnum import ean, iban, luhn
from stdnum.ru import inn as std_inn
from stdnum.ru import ogrn as std_ogrn

SEED = 20250407
HERE = Path(__file__).resolve().parent
OUT = HERE / "heldout.jsonl"

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
CATEGORIES = ("plain", "disguised", "hard_negative", "numeric_negative")

# --------------------------------------------------------------------------
# Check-digit algorithms, written from their published definitions.
# --------------------------------------------------------------------------


def luhn_digit(body: str) -> str:
    """Luhn check digit for ``body`` (ISO/IEC 7812-1)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def inn10_digit(d9: str) -> str:
    """Control digit of a 10-digit organisation INN (FNS order)."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    return str(sum(int(c) * w for c, w in zip(d9, weights, strict=True)) % 11 % 10)


def inn12_digits(d10: str) -> str:
    """Two control digits of a 12-digit personal INN."""
    w1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    c1 = str(sum(int(c) * w for c, w in zip(d10, w1, strict=True)) % 11 % 10)
    w2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
    c2 = str(sum(int(c) * w for c, w in zip(d10 + c1, w2, strict=True)) % 11 % 10)
    return c1 + c2


def snils_digits(d9: str) -> str:
    """SNILS control number: weights 9..1; <100 as is; 100/101 -> 00; else mod 101."""
    s = sum(int(c) * (9 - i) for i, c in enumerate(d9))
    if s < 100:
        return f"{s:02d}"
    if s in (100, 101):
        return "00"
    r = s % 101
    return "00" if r == 100 else f"{r:02d}"


def snils_valid(num: str) -> bool:
    """A SNILS is checkable only above 001-001-998."""
    return (
        len(num) == 11
        and num.isdigit()
        and int(num[:9]) > 1001998
        and snils_digits(num[:9]) == num[9:]
    )


def ogrn_digit(body: str) -> str:
    """OGRN (12-digit body): mod 11, last digit; OGRNIP (14-digit body): mod 13, last digit."""
    if len(body) == 12:
        return str(int(body) % 11 % 10)
    if len(body) == 14:
        return str(int(body) % 13 % 10)
    raise ValueError(body)


ACCOUNT_WEIGHTS = (7, 1, 3) * 8


def account_sum(prefix3: str, acc: str) -> int:
    return sum(int(c) * w for c, w in zip(prefix3 + acc, ACCOUNT_WEIGHTS, strict=False))


def account_valid(bik: str, acc: str) -> bool:
    """Bank of Russia control key: BIK[-3:] + 20-digit account, weights 7-1-3, sum % 10 == 0."""
    return len(acc) == 20 and account_sum(bik[-3:], acc) % 10 == 0


def corr_valid(bik: str, acc: str) -> bool:
    """Correspondent account key: '0' + BIK[4:6] + account, same weights."""
    return len(acc) == 20 and account_sum("0" + bik[4:6], acc) % 10 == 0


def keyed_account(prefix3: str, acc_with_zero_key: str) -> str:
    """Fill position 9 (index 8, weight 3) so that the weighted sum ends in 0."""
    s = account_sum(prefix3, acc_with_zero_key)
    key = (s % 10) * 3 % 10
    return acc_with_zero_key[:8] + str(key) + acc_with_zero_key[9:]


def iban_check(cc: str, bban: str) -> str:
    """ISO 7064 mod 97-10 check digits."""
    rearranged = bban + cc + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def ean13_digit(body: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return str((10 - total % 10) % 10)


def checks_passed(num: str) -> list[str]:
    """Names of the identifier checks a bare digit string passes (independent validators)."""
    out: list[str] = []
    n = len(num)
    if n == 10 and std_inn.is_valid(num):
        out.append("INN-10")
    if n == 12 and std_inn.is_valid(num):
        out.append("INN-12")
    if n == 11 and snils_valid(num):
        out.append("SNILS")
    if n == 13 and std_ogrn.is_valid(num):
        out.append("OGRN")
    if n == 15 and num[0] in "34" and ogrn_digit(num[:14]) == num[14]:
        out.append("OGRNIP")
    if 13 <= n <= 19 and luhn.is_valid(num):
        out.append("Luhn")
    if n == 13 and ean.is_valid(num):
        out.append("EAN-13")
    return out


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

DIGITS = string.digits
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
UPPER32 = string.ascii_uppercase + "234567"
ZW = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
SHY = "\u00ad"


def chunk(s: str, sizes: Sequence[int]) -> list[str]:
    out, i = [], 0
    for n in sizes:
        out.append(s[i : i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return [p for p in out if p]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def digit_runs(text: str) -> list[str]:
    return re.findall(r"\d+", text)


class Gen:
    """All value generators share one seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # -- primitives --------------------------------------------------------
    def pick(self, seq: Sequence[str]) -> str:
        return self.rng.choice(seq)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(DIGITS) for _ in range(n))

    def rstr(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def failing(self, make: Callable[[], str]) -> str:
        """Draw from ``make`` until the digit string passes no identifier check."""
        while True:
            v = make()
            if not any(checks_passed(r) for r in digit_runs(v)):
                return v

    # -- payment cards -------------------------------------------------------
    CARD_BRANDS = (
        # (brand, prefixes, lengths, weight)
        ("Mir", ("2200", "2201", "2202", "2203", "2204"), (16, 16, 16, 19), 30),
        ("Visa", ("4276", "4279", "4377", "4584", "4111", "4916", "4532", "4039"), (16,), 28),
        ("Visa-13", ("4",), (13,), 3),
        ("Mastercard", ("51", "52", "53", "54", "55", "2221", "2300", "2720"), (16,), 22),
        ("Maestro", ("6759", "6762", "5018", "6390"), (16, 18, 19), 6),
        ("Amex", ("34", "37"), (15,), 5),
        ("UnionPay", ("62",), (16, 17, 19), 4),
        ("JCB", ("3528", "3566", "3589"), (16,), 2),
    )

    def card(self) -> tuple[str, list[str]]:
        brands = self.CARD_BRANDS
        brand = self.rng.choices(brands, weights=[b[3] for b in brands])[0]
        name, prefixes, lengths, _ = brand
        prefix = self.rng.choice(prefixes)
        length = self.rng.choice(lengths)
        while True:
            body = prefix + self.digits(length - 1 - len(prefix))
            num = body + luhn_digit(body)
            if luhn.is_valid(num) and num[:6] != "000000":
                break
        if length == 15:
            groups = chunk(num, (4, 6, 5))
        elif length == 19 and self.chance(0.4):
            groups = chunk(num, (6, 13))
        else:
            groups = chunk(num, (4, 4, 4, 4, 4))
        assert "".join(groups) == num, name
        assert 13 <= len(num) <= 19, name
        return num, groups

    # -- INN / OGRN / SNILS / passport --------------------------------------
    REGIONS = ("77", "78", "50", "66", "16", "54", "63", "52", "61", "23", "02", "74", "24", "59")

    def inn10(self) -> str:
        d9 = self.pick(self.REGIONS) + f"{self.rng.randint(1, 51):02d}" + self.digits(5)
        v = d9 + inn10_digit(d9)
        assert std_inn.is_valid(v)
        assert len(v) == 10
        return v

    def inn12(self) -> str:
        d10 = self.pick(self.REGIONS) + f"{self.rng.randint(1, 51):02d}" + self.digits(6)
        v = d10 + inn12_digits(d10)
        assert std_inn.is_valid(v)
        assert len(v) == 12
        return v

    def ogrn13(self) -> str:
        body = (
            self.pick(("1", "1", "1", "5"))
            + f"{self.rng.randint(2, 24):02d}"
            + self.pick(self.REGIONS)
            + self.digits(7)
        )
        v = body + ogrn_digit(body)
        assert std_ogrn.is_valid(v)
        return v

    def ogrnip15(self) -> str:
        while True:
            body = "3" + f"{self.rng.randint(4, 24):02d}" + self.pick(self.REGIONS) + self.digits(9)
            # Avoid remainders 10-12: python-stdnum omits the final "% 10" for
            # OGRNIP, so only keep numbers every reading of the rule accepts.
            if int(body) % 13 < 10:
                v = body + ogrn_digit(body)
                assert std_ogrn.is_valid(v)
                return v

    def snils(self) -> str:
        d9 = f"{self.rng.randint(2_000_000, 999_999_999):09d}"
        v = d9 + snils_digits(d9)
        assert snils_valid(v)
        return v

    PASSPORT_REGIONS = (
        "45",
        "46",
        "40",
        "41",
        "60",
        "65",
        "92",
        "03",
        "52",
        "53",
        "36",
        "18",
        "80",
        "22",
        "04",
        "71",
        "08",
        "25",
        "57",
        "75",
        "63",
        "50",
        "14",
        "32",
    )

    def passport(self) -> tuple[str, str]:
        year = (
            self.pick(("97", "98", "99")) if self.chance(0.15) else f"{self.rng.randint(0, 24):02d}"
        )
        series = self.pick(self.PASSPORT_REGIONS) + year
        number = f"{self.rng.randint(100001, 999999)}"
        return series, number

    # -- bank details --------------------------------------------------------
    def bik(self) -> str:
        region = self.pick(("45", "40", "65", "50", "92", "60", "52", "36", "57", "25"))
        div = self.pick(("25", "30", "77", "01", "04", "40", "12"))
        return "04" + region + div + f"{self.rng.randint(50, 999):03d}"

    def account(self, bik: str, holder: str = "org") -> str:
        first5 = {
            "org": self.pick(("40702", "40702", "40702", "40703", "40701")),
            "ip": "40802",
            "person": self.pick(("40817", "40817", "42301", "40820")),
        }[holder]
        currency = self.pick(("810", "810", "810", "810", "840", "978"))
        raw = first5 + currency + "0" + self.digits(4) + self.digits(7)
        acc = keyed_account(bik[-3:], raw)
        assert account_valid(bik, acc)
        return acc

    def corr(self, bik: str) -> str:
        raw = "30101810" + "0" + "0000000" + "0" + bik[-3:]
        acc = raw[:8] + "0" + raw[9:]
        s = account_sum("0" + bik[4:6], acc)
        acc = acc[:8] + str((s % 10) * 3 % 10) + acc[9:]
        assert corr_valid(bik, acc)
        return acc

    IBAN_FORMATS = (
        ("DE", "8n10n"),
        ("GB", "4B6n8n"),
        ("FR", "5n5n11c2n"),
        ("ES", "4n4n1n1n10n"),
        ("IT", "1a5n5n12c"),
        ("NL", "4B10n"),
        ("CH", "5n12c"),
        ("AT", "5n11n"),
        ("BE", "3n7n2n"),
        ("PL", "8n16n"),
        ("KZ", "3n13c"),
        ("TR", "5n1n16c"),
        ("AE", "3n16n"),
        ("SE", "3n16n1n"),
        ("NO", "4n6n1n"),
        ("DK", "4n9n1n"),
        ("FI", "3n11n"),
        ("CZ", "4n16n"),
        ("LT", "5n11n"),
        ("LV", "4a13c"),
        ("EE", "2n14n"),
        ("IE", "4B6n8n"),
        ("PT", "4n4n11n2n"),
        ("GE", "2a16n"),
        ("AZ", "4a20c"),
        ("BY", "4c4n16c"),
        ("CY", "3n5n16c"),
        ("GR", "3n4n16c"),
        ("HU", "3n4n1n15n1n"),
        ("RO", "4a16c"),
        ("SA", "2n18c"),
        ("IL", "3n3n13n"),
        ("LU", "3n13c"),
        ("SK", "4n6n10n"),
        ("HR", "7n10n"),
        ("RS", "3n13n2n"),
        ("UA", "6n19c"),
        ("BG", "4a4n2n8c"),
    )
    BANK_CODES: ClassVar[dict[str, tuple[str, ...]]] = {
        "GB": ("NWBK", "BARC", "HBUK", "LOYD", "MIDL", "RBOS"),
        "IE": ("AIBK", "BOFI", "IPBS"),
        "NL": ("ABNA", "INGB", "RABO", "TRIO", "SNSB"),
    }

    def iban(self) -> str:
        while True:
            cc, fmt = self.rng.choice(self.IBAN_FORMATS)
            parts = []
            for count, typ in re.findall(r"(\d+)([nacB])", fmt):
                n = int(count)
                if typ == "n":
                    parts.append(self.digits(n))
                elif typ == "a":
                    parts.append(self.rstr(string.ascii_uppercase, n))
                elif typ == "B":
                    parts.append(self.rng.choice(self.BANK_CODES[cc]))
                else:
                    alpha = DIGITS * 4 + string.ascii_uppercase
                    parts.append(self.rstr(alpha, n))
            bban = "".join(parts)
            value = cc + iban_check(cc, bban) + bban
            if iban.is_valid(value):
                return value

    # -- contact data --------------------------------------------------------
    def phone(self, kind: str = "ru_mobile") -> tuple[str, list[str]]:
        r = self.rng
        b, c, d = f"{r.randint(100, 999)}", f"{r.randint(0, 99):02d}", f"{r.randint(0, 99):02d}"
        if kind == "ru_mobile":
            a = str(r.choice((*range(900, 940), *range(950, 970), *range(977, 1000))))
            fmt = r.choice(
                (
                    f"+7 {a} {b}-{c}-{d}",
                    f"+7 ({a}) {b}-{c}-{d}",
                    f"8 {a} {b} {c} {d}",
                    f"8-{a}-{b}-{c}-{d}",
                    f"8{a}{b}{c}{d}",
                    f"+7{a}{b}{c}{d}",
                    f"8 ({a}) {b}{c}{d}",
                    f"+7 {a} {b} {c} {d}",
                    f"8({a}){b}-{c}-{d}",
                )
            )
            return fmt, ["+7", a, b, c, d]
        if kind == "ru_land":
            a = r.choice(("495", "499", "812", "343", "383", "846", "861", "843", "351", "863"))
            fmt = r.choice(
                (
                    f"+7 ({a}) {b}-{c}-{d}",
                    f"8 ({a}) {b}-{c}-{d}",
                    f"+7 {a} {b}-{c}-{d}",
                    f"8-{a}-{b}-{c}-{d}",
                )
            )
            return fmt, ["8", a, b, c, d]
        if kind == "hotline":
            a = r.choice(("800", "800", "800", "804"))
            fmt = r.choice((f"8 {a} {b}-{c}-{d}", f"8-{a}-{b}-{c}-{d}", f"8 ({a}) {b} {c} {d}"))
            return fmt, ["8", a, b, c, d]
        # international
        x = r.randint
        options = (
            (f"+44 20 7946 0{x(100, 999)}", None),
            (f"+44 7700 900{x(100, 999)}", None),
            (f"+1 (415) 555-01{x(10, 99)}", None),
            (f"+1 212 555 01{x(10, 99)}", None),
            (f"+49 30 {x(1000, 9999)} {x(1000, 9999)}", None),
            (f"+49 151 {x(1000, 9999)} {x(1000, 9999)}", None),
            (f"+33 1 {x(10, 99)} {x(10, 99)} {x(10, 99)} {x(10, 99)}", None),
            (f"+33 6 {x(10, 99)} {x(10, 99)} {x(10, 99)} {x(10, 99)}", None),
            (f"+375 29 {b}-{c}-{d}", None),
            (f"+7 701 {b} {c}{d}", None),
            (f"+998 90 {b} {c} {d}", None),
            (f"+86 138 {x(1000, 9999)} {x(1000, 9999)}", None),
            (f"+971 50 {b} {x(1000, 9999)}", None),
            (f"+90 532 {b} {c} {d}", None),
            (f"+972 52-{b}-{x(1000, 9999)}", None),
            (f"+31 20 {b} {x(1000, 9999)}", None),
            (f"+48 22 {b} {c} {d}", None),
        )
        fmt = r.choice(options)[0]
        return fmt, fmt.replace("(", "").replace(")", "").replace("-", " ").split()

    LOCAL_RU = (
        ("ivan", "petrov"),
        ("anna", "smirnova"),
        ("sergey", "kozlov"),
        ("olga", "volkova"),
        ("dmitry", "sokolov"),
        ("elena", "morozova"),
        ("pavel", "lebedev"),
        ("maria", "novikova"),
        ("alexey", "fedorov"),
        ("natalia", "orlova"),
        ("igor", "vasilyev"),
        ("yulia", "zaitseva"),
        ("nikita", "belov"),
        ("ekaterina", "guseva"),
        ("artem", "titov"),
        ("svetlana", "kuzmina"),
    )
    LOCAL_EN = (
        ("john", "smith"),
        ("emma", "clarke"),
        ("lukas", "weber"),
        ("sophie", "martin"),
        ("david", "cohen"),
        ("laura", "rossi"),
        ("mark", "jansen"),
        ("chloe", "dubois"),
        ("ahmed", "khan"),
        ("mei", "chen"),
        ("tom", "baker"),
        ("nina", "schulz"),
    )
    DOMAINS_PUBLIC = (
        "mail.ru",
        "yandex.ru",
        "gmail.com",
        "bk.ru",
        "inbox.ru",
        "outlook.com",
        "list.ru",
        "rambler.ru",
        "ya.ru",
        "proton.me",
        "icloud.com",
    )
    DOMAINS_CORP = (
        "vektor-m.ru",
        "sevlogistic.ru",
        "alfa-trade.com",
        "northwind-trading.com",
        "brightlane.io",
        "kontur-pro.ru",
        "granit-stroy.ru",
        "meridian-group.ru",
        "kestrel-logistics.eu",
        "bluepeak.co.uk",
        "orion-tech.ru",
        "harborfinch.de",
        "polymer-service.ru",
        "sfera.team",
        "corp.kedr-holding.ru",
        "mail.orchid-systems.com",
    )

    def email(self, lang: str = "ru") -> str:
        first, last = self.rng.choice(self.LOCAL_RU if lang == "ru" else self.LOCAL_EN)
        style = self.rng.randint(0, 9)
        local = (
            f"{first}.{last}",
            f"{first[0]}.{last}",
            f"{last}.{first}",
            f"{first[0]}{last}",
            f"{last}_{first[0]}",
            f"{first}.{last}{self.rng.randint(70, 99)}",
            self.pick(("sales", "buh", "office", "info", "hr", "zakupki", "support", "billing")),
            f"{first}{self.rng.randint(1, 2024)}",
            f"{first}.{last}+{self.pick(('invoices', 'work', 'crm'))}",
            f"{last}-{first}",
        )[style]
        domain = self.pick(self.DOMAINS_PUBLIC if self.chance(0.45) else self.DOMAINS_CORP)
        return f"{local}@{domain}"

    # -- secrets -------------------------------------------------------------
    PW_WORDS = (
        "Qwerty",
        "Sunrise",
        "Moskva",
        "Zima",
        "Kotik",
        "Polar",
        "Vector",
        "Summer",
        "Lipa",
        "Dragon",
        "Tigr",
        "Solnce",
        "Baikal",
        "Neva",
        "Volga",
        "Orion",
    )

    def password(self) -> str:
        r = self.rng
        style = r.randint(0, 3)
        if style == 0:
            pw = f"{r.choice(self.PW_WORDS)}{r.randint(10, 2025)}{r.choice('!#$%&*?@_')}"
        elif style == 1:
            pw = (
                self.rstr(string.ascii_letters, 3)
                + self.rstr(DIGITS, 1)
                + r.choice("!#$%&*?")
                + self.rstr(ALNUM, r.randint(5, 9))
            )
        elif style == 2:
            words = [r.choice(self.PW_WORDS).lower() for _ in range(3)]
            pw = "-".join(words) + f"-{r.randint(10, 99)}"
        else:
            pw = self.rstr(ALNUM + "!#%*", r.randint(10, 16)) + str(r.randint(0, 9))
        if not (re.search(r"[A-Za-z]", pw) and re.search(r"\d", pw)):
            return self.password()
        return pw

    def api_key(self, kind: str) -> str:
        r = self.rng
        if kind == "sk":
            return r.choice(
                (
                    "sk_live_" + self.rstr(ALNUM, 24),
                    "sk-live-" + self.rstr(ALNUM, 32),
                    "sk-proj-" + self.rstr(B64URL, 48),
                    "sk-ant-api03-" + self.rstr(B64URL, 40),
                    "rk_live_" + self.rstr(ALNUM, 24),
                )
            )
        if kind == "ghp":
            return r.choice(
                (
                    "ghp_" + self.rstr(ALNUM, 36),
                    "gho_" + self.rstr(ALNUM, 36),
                    "github_pat_" + self.rstr(ALNUM, 22) + "_" + self.rstr(ALNUM, 59),
                )
            )
        if kind == "aws":
            return r.choice(("AKIA", "AKIA", "ASIA")) + self.rstr(UPPER32, 16)
        if kind == "aws_secret":
            return self.rstr(ALNUM + "/+", 40)
        if kind == "slack":
            a = self.failing(lambda: self.digits(12))
            b = self.failing(lambda: self.digits(13))
            return f"{r.choice(('xoxb', 'xoxp', 'xoxa'))}-{a}-{b}-{self.rstr(ALNUM, 24)}"
        if kind == "tgbot":
            bot_id = self.failing(lambda: f"{r.randint(5_000_000_000, 7_999_999_999)}")
            return f"{bot_id}:AA{self.rstr(B64URL, 33)}"
        if kind == "gkey":
            return "AIza" + self.rstr(B64URL, 35)
        if kind == "glpat":
            return "glpat-" + self.rstr(B64URL, 20)
        if kind == "npm":
            return "npm_" + self.rstr(ALNUM, 36)
        if kind == "jwt":
            alg = r.choice(("HS256", "RS256"))
            header = b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
            claims = {
                "sub": str(r.randint(1000, 99999)),
                "role": r.choice(("admin", "user", "service", "billing")),
                "iat": r.randint(1_700_000_000, 1_760_000_000),
            }
            payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
            return f"{header}.{payload}.{self.rstr(B64URL, 43)}"
        raise ValueError(kind)

    def pem(self) -> str:
        kind, lead = self.rng.choice(
            (
                ("RSA PRIVATE KEY", "MIIEpAIBAAKCAQEA"),
                ("PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
                ("EC PRIVATE KEY", "MHcCAQEEI"),
                ("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"),
            )
        )
        b64 = string.ascii_letters + DIGITS + "+/"
        lines = [lead + self.rstr(b64, 64 - len(lead))]
        lines += [self.rstr(b64, 64) for _ in range(self.rng.randint(1, 2))]
        return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n...\n-----END {kind}-----"

    def conn(self) -> str:
        r = self.rng
        user = r.choice(("app", "crm", "svc_etl", "admin", "reporter", "billing", "sa"))
        pw = self.password()
        pw_url = urllib.parse.quote(pw, safe="")
        host = r.choice(
            (
                "db.internal",
                "10.0.3.12",
                "pg-prod-01.corp.local",
                "mysql.stage.lan",
                "cluster0.ab1cd.mongodb.net",
                "rabbit.internal",
            )
        )
        db = r.choice(("crm", "billing", "app", "orders", "hr"))
        return r.choice(
            (
                f"postgresql://{user}:{pw_url}@{host}:5432/{db}",
                f"mysql://{user}:{pw_url}@{host}:3306/{db}",
                f"mongodb+srv://{user}:{pw_url}@{host}/{db}",
                f"redis://:{pw_url}@{host}:6379/0",
                f"amqp://{user}:{pw_url}@{host}:5672/",
                f"Server={host};Database={db};User Id={user};Password={pw};",
                f"jdbc:postgresql://{host}:5432/{db}?user={user}&password={pw_url}",
            )
        )


# --------------------------------------------------------------------------
# Neutral vocabulary
# --------------------------------------------------------------------------

FIRST_RU_M = (
    "Иван",
    "Сергей",
    "Дмитрий",
    "Павел",
    "Алексей",
    "Игорь",
    "Никита",
    "Артём",
    "Олег",
    "Роман",
    "Михаил",
    "Андрей",
)
FIRST_RU_F = (
    "Анна",
    "Ольга",
    "Елена",
    "Мария",
    "Наталья",
    "Юлия",
    "Екатерина",
    "Светлана",
    "Марина",
    "Татьяна",
    "Ирина",
    "Ксения",
)
LAST_RU = (
    ("Петров", "Петрова"),
    ("Смирнов", "Смирнова"),
    ("Козлов", "Козлова"),
    ("Волков", "Волкова"),
    ("Соколов", "Соколова"),
    ("Лебедев", "Лебедева"),
    ("Новиков", "Новикова"),
    ("Фёдоров", "Фёдорова"),
    ("Орлов", "Орлова"),
    ("Васильев", "Васильева"),
    ("Зайцев", "Зайцева"),
    ("Белов", "Белова"),
    ("Гусев", "Гусева"),
    ("Титов", "Титова"),
    ("Кузьмин", "Кузьмина"),
    ("Морозов", "Морозова"),
)
PATRONYMIC = (
    ("Сергеевич", "Сергеевна"),
    ("Иванович", "Ивановна"),
    ("Андреевич", "Андреевна"),
    ("Петрович", "Петровна"),
    ("Викторович", "Викторовна"),
    ("Олегович", "Олеговна"),
)
FIRST_EN = (
    "John",
    "Emma",
    "Lukas",
    "Sophie",
    "David",
    "Laura",
    "Mark",
    "Chloe",
    "Ahmed",
    "Mei",
    "Tom",
    "Nina",
    "Oliver",
    "Hannah",
)
LAST_EN = (
    "Smith",
    "Clarke",
    "Weber",
    "Martin",
    "Cohen",
    "Rossi",
    "Jansen",
    "Dubois",
    "Khan",
    "Chen",
    "Baker",
    "Schulz",
)
CO_ROOTS = (
    "Вектор",
    "Северный ветер",
    "СтройИнвест",
    "Альтаир",
    "ТехноПарк-М",
    "Гранит",
    "Меридиан",
    "Балтийская логистика",
    "Полимер-Сервис",
    "Сфера",
    "Орион",
    "Кедр",
    "Восток-Трейд",
    "Лента-Пак",
    "АгроЮг",
    "Северсталь-Снаб",
)
CO_EN = (
    "Northwind Trading",
    "Brightlane Ltd",
    "Harbor & Finch GmbH",
    "Bluepeak Solutions",
    "Kestrel Logistics BV",
    "Orchid Systems LLC",
    "Silverline AG",
    "Redwood Analytics",
    "Atlas Freight",
    "Nordic Parts AB",
)
CITIES = (
    "Москва",
    "Санкт-Петербург",
    "Казань",
    "Екатеринбург",
    "Новосибирск",
    "Самара",
    "Нижний Новгород",
    "Ростов-на-Дону",
    "Краснодар",
    "Тула",
    "Пермь",
    "Воронеж",
)
CITIES_EN = ("Berlin", "Amsterdam", "London", "Dubai", "Istanbul", "Almaty", "Warsaw", "Vienna")
BANKS_RU = (
    "ПАО Сбербанк",
    "АО «Альфа-Банк»",
    "Банк ВТБ (ПАО)",
    "АО «Т-Банк»",
    "ПАО «Промсвязьбанк»",
    "АО «Райффайзенбанк»",
    "АО «Банк Точка»",
    "ПАО «Банк Уралсиб»",
    "ООО «Банк Развития Регионов»",
)
BANKS_EN = (
    "Deutsche Bank",
    "Commerzbank",
    "BNP Paribas",
    "ING",
    "Barclays",
    "UBS",
    "Raiffeisen",
    "HSBC",
    "Revolut",
    "Wise",
)
SWIFT = (
    "DEUTDEFF",
    "COBADEFFXXX",
    "BNPAFRPP",
    "INGBNL2A",
    "BARCGB22",
    "UBSWCHZH80A",
    "RZBAATWW",
    "HSBCGB2L",
    "REVOLT21",
    "TRWIBEB1XXX",
)
PRODUCTS = (
    "паллеты",
    "кабель ВВГнг 3х2,5",
    "картриджи HP 59A",
    "офисные кресла",
    "гофрокороба",
    "ноутбуки ThinkPad",
    "стрейч-плёнка",
    "светильники LED 36W",
    "бумага А4",
    "смесители",
    "плитка 60х60",
)
MONTHS_RU = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
EMOJI = ("🙏", "👍", "🙂", "✅", "📎", "🔥", "😊", "⚡", "🤝", "👌", "😅", "📌")

MARK_RU = (
    "Коммерческая тайна",
    "КОММЕРЧЕСКАЯ ТАЙНА",
    "Конфиденциально",
    "КОНФИДЕНЦИАЛЬНО",
    "Строго конфиденциально",
    "Конфиденциальная информация",
    "Для служебного пользования",
    "ДСП",
    "Только для внутреннего использования",
    "СТРОГО КОНФИДЕНЦИАЛЬНО",
)
MARK_EN = (
    "Strictly confidential",
    "STRICTLY CONFIDENTIAL",
    "Confidential",
    "CONFIDENTIAL",
    "Internal use only",
    "For internal use only",
    "INTERNAL USE ONLY",
    "Company confidential",
    "Proprietary and confidential",
    "Confidential — under NDA",
)


def _gender_name(g: Gen) -> tuple[str, str, str]:
    female = g.chance(0.5)
    first = g.pick(FIRST_RU_F if female else FIRST_RU_M)
    last = g.rng.choice(LAST_RU)[1 if female else 0]
    patr = g.rng.choice(PATRONYMIC)[1 if female else 0]
    return first, last, patr


def f_name_ru(g: Gen, s: Slots) -> str:
    first, last, _ = _gender_name(g)
    return f"{first} {last}" if g.chance(0.7) else f"{last} {first[0]}."


def f_fio(g: Gen, s: Slots) -> str:
    first, last, patr = _gender_name(g)
    return f"{last} {first} {patr}" if g.chance(0.7) else f"{last} {first[0]}.{patr[0]}."


def f_date_full(g: Gen, s: Slots) -> str:
    return f"{g.rng.randint(1, 28):02d}.{g.rng.randint(1, 12):02d}.{g.pick(('2024', '2025'))}"


def f_amount(g: Gen, s: Slots) -> str:
    v = g.rng.randint(15, 990) * 100
    txt = f"{v:,}".replace(",", " ")
    return txt + g.pick((" руб.", " ₽", " р.", " рублей", ",00 руб."))


def f_amount_big(g: Gen, s: Slots) -> str:
    v = g.rng.randint(100_000, 9_999_999)
    kop = g.rng.randint(0, 99)
    return f"{v:,}".replace(",", " ") + f",{kop:02d}" + g.pick((" руб.", " ₽", " RUB"))


def f_card(g: Gen, s: Slots) -> str:
    num, groups = g.card()
    style = g.rng.random()
    if style < 0.6:
        return " ".join(groups)
    if style < 0.82:
        return num
    if style < 0.92:
        return "-".join(groups)
    return "  ".join(groups)


def f_snils(g: Gen, s: Slots) -> str:
    v = g.snils()
    a, b, c, d = v[:3], v[3:6], v[6:9], v[9:]
    style = g.rng.random()
    if style < 0.6:
        return f"{a}-{b}-{c} {d}"
    if style < 0.75:
        return f"{a}-{b}-{c}-{d}"
    if style < 0.9:
        return v
    return f"{a} {b} {c} {d}"


def f_passport(g: Gen, s: Slots) -> str:
    ser, num = g.passport()
    return g.pick(
        (
            f"{ser[:2]} {ser[2:]} {num}",
            f"{ser[:2]} {ser[2:]} {num}",
            f"{ser} {num}",
            f"{ser} {num}",
            f"{ser[:2]} {ser[2:]} № {num}",
            f"{ser} №{num}",
            f"{ser}{num}",
        )
    )


def f_passport_kw(g: Gen, s: Slots) -> str:
    ser, num = g.passport()
    return g.pick(
        (
            f"серия {ser} № {num}",
            f"серия {ser[:2]} {ser[2:]} номер {num}",
            f"серия {ser}, номер {num}",
            f"Серия: {ser[:2]} {ser[2:]}, №: {num}",
            f"сер. {ser} № {num}",
        )
    )


def f_account(holder: str) -> Callable[[Gen, Slots], str]:
    def fill(g: Gen, s: Slots) -> str:
        acc = g.account(s["bik"], holder)
        return acc if g.chance(0.85) else " ".join(chunk(acc, (4, 4, 4, 4, 4)))

    return fill


def f_iban(g: Gen, s: Slots) -> str:
    v = g.iban()
    return iban.format(v) if g.chance(0.6) else v


def f_phone(kind: str) -> Callable[[Gen, Slots], str]:
    def fill(g: Gen, s: Slots) -> str:
        k = kind
        if k == "any":
            k = g.rng.choices(("ru_mobile", "ru_land", "intl", "hotline"), (6, 2, 2, 1))[0]
        return g.phone(k)[0]

    return fill


def f_marking(lst: Sequence[str]) -> Callable[[Gen, Slots], str]:
    return lambda g, s: g.pick(lst)


def f_const(options: Sequence[str]) -> Callable[[Gen, Slots], str]:
    return lambda g, s: g.pick(options)


def f_masked_card(g: Gen, s: Slots) -> str:
    num, _ = g.card()
    return g.pick(
        (
            f"**** **** **** {num[-4:]}",
            f"{num[:4]} {num[4:6]}** **** {num[-4:]}",
            f"{num[:6]}******{num[-4:]}",
            f"•••• {num[-4:]}",
            f"{num[:4]} **** **** {num[-4:]}",
        )
    )


def f_track_num(g: Gen, s: Slots) -> str:
    return g.failing(lambda: "8" + g.digits(13))


def f_uuid(g: Gen, s: Slots) -> str:
    h = g.rstr("0123456789abcdef", 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{g.pick('89ab')}{h[17:20]}-{h[20:]}"


SENSITIVE_FILLERS: dict[str, tuple[str, Callable[[Gen, Slots], str]]] = {
    "card": ("card", f_card),
    "inn": ("inn", lambda g, s: g.inn10() if g.chance(0.55) else g.inn12()),
    "inn10": ("inn", lambda g, s: g.inn10()),
    "inn12": ("inn", lambda g, s: g.inn12()),
    "ogrn": ("ogrn", lambda g, s: g.ogrn13()),
    "ogrnip": ("ogrn", lambda g, s: g.ogrnip15()),
    "snils": ("snils", f_snils),
    "passport": ("passport_ru", f_passport),
    "passport_kw": ("passport_ru", f_passport_kw),
    "account": ("bank_account_ru", f_account("org")),
    "account_ip": ("bank_account_ru", f_account("ip")),
    "account_person": ("bank_account_ru", f_account("person")),
    "phone": ("phone", f_phone("ru_mobile")),
    "phone_land": ("phone", f_phone("ru_land")),
    "hotline": ("phone", f_phone("hotline")),
    "phone_intl": ("phone", f_phone("intl")),
    "phone_any": ("phone", f_phone("any")),
    "email": ("email", lambda g, s: g.email("ru")),
    "email_en": ("email", lambda g, s: g.email("en")),
    "iban": ("iban", f_iban),
    "password": ("secret", lambda g, s: g.password()),
    "sk": ("secret", lambda g, s: g.api_key("sk")),
    "ghp": ("secret", lambda g, s: g.api_key("ghp")),
    "aws": ("secret", lambda g, s: g.api_key("aws")),
    "aws_secret": ("secret", lambda g, s: g.api_key("aws_secret")),
    "slack": ("secret", lambda g, s: g.api_key("slack")),
    "jwt": ("secret", lambda g, s: g.api_key("jwt")),
    "tgbot": ("secret", lambda g, s: g.api_key("tgbot")),
    "gkey": ("secret", lambda g, s: g.api_key("gkey")),
    "glpat": ("secret", lambda g, s: g.api_key("glpat")),
    "npm": ("secret", lambda g, s: g.api_key("npm")),
    "pem": ("secret", lambda g, s: g.pem()),
    "conn": ("secret", lambda g, s: g.conn()),
    "mark_ru": ("marking", f_marking(MARK_RU)),
    "mark_en": ("marking", f_marking(MARK_EN)),
    "mark_ru_l": (
        "marking",
        f_marking(
            (
                "конфиденциально",
                "коммерческая тайна",
                "для служебного пользования",
                "строго конфиденциально",
            )
        ),
    ),
    "mark_ct_acc": ("marking", f_marking(("коммерческую тайну",))),
    "mark_nda": ("marking", f_marking(("under NDA", "NDA-protected", "covered by our NDA"))),
    "mark_nda_tag": ("marking", f_marking(("[NDA]", "NDA", "Under NDA", "NDA only"))),
    "mark_nda_ru": ("marking", f_marking(("под NDA", "по NDA", "защищены NDA"))),
}

NEUTRAL_FILLERS: dict[str, Callable[[Gen, Slots], str]] = {
    "greet_ru": f_const(
        (
            "",
            "",
            "",
            "Добрый день! ",
            "Привет! ",
            "Здравствуйте. ",
            "Коллеги, ",
            "Доброе утро. ",
            "Привет, ",
            "Добрый вечер. ",
        )
    ),
    "greet_en": f_const(
        ("", "", "", "Hi, ", "Hello, ", "Hey, ", "Morning, ", "Hi all, ", "Good afternoon, ")
    ),
    "fn_ru": lambda g, s: _gender_name(g)[0],
    "name_ru": f_name_ru,
    "fio": f_fio,
    "fn_en": f_const(FIRST_EN),
    "name_en": lambda g, s: f"{g.pick(FIRST_EN)} {g.pick(LAST_EN)}",
    "co_ru": lambda g, s: f"{g.pick(('ООО', 'ООО', 'АО', 'ЗАО'))} «{g.pick(CO_ROOTS)}»",
    "co_en": f_const(CO_EN),
    "city": f_const(CITIES),
    "city_en": f_const(CITIES_EN),
    "date_full": f_date_full,
    "date": lambda g, s: f"{g.rng.randint(1, 28)} {g.pick(MONTHS_RU)}",
    "date_en": lambda g, s: f"{g.pick(MONTHS_EN)} {g.rng.randint(1, 28)}",
    "time": lambda g, s: f"{g.rng.randint(8, 20)}:{g.pick(('00', '15', '30', '45'))}",
    "amount": f_amount,
    "amount_big": f_amount_big,
    "amount_en": lambda g, s: g.pick(("$", "€", "EUR ", "USD ")) + f"{g.rng.randint(2, 95) * 50:,}",
    "inv": lambda g, s: f"счёт № {g.rng.randint(12, 4999)}",
    "inv_en": lambda g, s: f"INV-{g.pick(('2024', '2025'))}-{g.rng.randint(1, 999):04d}",
    "order": lambda g, s: f"заказ № {g.rng.randint(1000, 99999)}",
    "kpp": lambda g, s: f"{g.pick(Gen.REGIONS)}{g.rng.randint(1, 51):02d}01001",
    "bik": lambda g, s: g.bik(),
    "corr": lambda g, s: g.corr(s["bik"]),
    "bank": f_const(BANKS_RU),
    "bank_en": f_const(BANKS_EN),
    "swift": f_const(SWIFT),
    "exp": lambda g, s: f"{g.rng.randint(1, 12):02d}/{g.rng.randint(25, 31)}",
    "quarter": f_const(("Q3", "Q4", "III квартал", "2025 год", "осенний сезон")),
    "login": f_const(("admin", "svc_backup", "ivanov.p", "deploy", "root", "buh1c", "operator")),
    "district": f_const(
        (
            "Тверского района",
            "района Хамовники",
            "Кировского района",
            "Центрального района",
            "Октябрьского района",
        )
    ),
    "dept": lambda g, s: f"{g.rng.randint(100, 799)}-{g.rng.randint(1, 99):03d}",
    "ext": lambda g, s: str(g.rng.randint(100, 4999)),
    "product": f_const(PRODUCTS),
    "codename": f_const(("Falcon", "Aurora", "Tundra", "Bluebird", "Sever", "Kite")),
    "emoji": lambda g, s: g.pick(("", "", "")) or f" {g.pick(EMOJI)}",
    "ip": lambda g, s: g.pick(("10.{a}.{b}.{c}", "192.168.{b}.{c}", "172.16.{b}.{c}")).format(
        a=g.rng.randint(0, 254), b=g.rng.randint(0, 254), c=g.rng.randint(1, 254)
    ),
    "uuid": f_uuid,
    "githash": lambda g, s: g.rstr("0123456789abcdef", g.pick((7, 8, 40))),  # type: ignore[arg-type]
    "version": lambda g, s: f"{g.rng.randint(1, 9)}.{g.rng.randint(0, 30)}.{g.rng.randint(0, 20)}",
    "sha": lambda g, s: g.rstr("0123456789abcdef", 64),
    "mac": lambda g, s: ":".join(g.rstr("0123456789ABCDEF", 2) for _ in range(6)),
    "ticket": lambda g, s: (
        g.pick(("JIRA-", "SUP-", "OPS-", "HD-", "DEV-")) + str(g.rng.randint(100, 9999))
    ),
    "contract": lambda g, s: (
        f"{g.rng.randint(1, 99)}/{g.rng.randint(1, 12):02d}-{g.pick(('24', '25'))}"
    ),
    "order_code": lambda g, s: f"{g.pick(('ЗК', 'ZK', 'ORD', 'РН'))}-{g.rng.randint(10000, 99999)}",
    "track_ru": lambda g, s: (
        f"{g.pick(('RA', 'RB', 'LZ', 'CP'))}{g.digits(9)}{g.pick(('RU', 'CN', 'DE'))}"
    ),
    "track_num": f_track_num,
    "track_int": lambda g, s: "1Z" + g.rstr(string.ascii_uppercase + DIGITS, 16),
    "pnr": lambda g, s: g.rstr(string.ascii_uppercase, 6),
    "plate": lambda g, s: (
        f"{g.pick('АВЕКМНОРСТУХ')}{g.rng.randint(100, 999)}{g.pick('АВЕКМН')}{g.pick('ОРСТ')} "
        f"{g.pick(('77', '97', '199', '78', '50'))}"
    ),
    "kb": lambda g, s: str(g.rng.randint(4_000_000, 5_099_999)),
    "sku": lambda g, s: (
        f"{g.pick(('SKU', 'АРТ', 'ART'))}-{g.rng.randint(10, 99)}-{g.rng.randint(1000, 9999)}-"
        f"{g.pick(('BL', 'WH', 'XL', 'R'))}"
    ),
    "postal": lambda g, s: str(g.rng.randint(101000, 692999)),
    "street": f_const(("Тверская", "Ленина", "Садовая", "Профсоюзная", "Мира", "Гагарина")),
    "house": lambda g, s: str(g.rng.randint(1, 120)),
    "office": lambda g, s: str(g.rng.randint(1, 950)),
    "okpo": lambda g, s: g.digits(8),
    "okved": f_const(("62.01", "46.90", "49.41", "47.91", "70.22", "52.10")),
    "oktmo": lambda g, s: g.digits(8),
    "price": lambda g, s: f"{g.rng.randint(120, 99_000):,}".replace(",", " ") + " ₽",
    "qty": lambda g, s: str(g.rng.randint(2, 5000)),
    "rate": lambda g, s: f"{g.rng.randint(78, 101)},{g.rng.randint(0, 9999):04d}",
    "build_small": lambda g, s: str(g.rng.randint(100, 99999)),
    "last4": lambda g, s: g.digits(4),
    "masked_card": f_masked_card,
    "cadastral": lambda g, s: (
        f"{g.rng.randint(10, 89)}:{g.rng.randint(1, 30):02d}:{g.digits(7)}:{g.rng.randint(1, 9999)}"
    ),
    "case_no": lambda g, s: (
        f"А{g.rng.randint(40, 83)}-{g.rng.randint(1000, 299999)}/{g.pick(('2024', '2025'))}"
    ),
    "domain": f_const(
        ("corp.example.com", "portal.kontur-pro.ru", "id.brightlane.io", "sso.vektor-m.ru")
    ),
    "pct": lambda g, s: f"{g.rng.randint(1, 99)},{g.rng.randint(0, 9)}%",
    "flight": lambda g, s: (
        f"{g.pick(('SU', 'S7', 'U6', 'DP', 'TK', 'LH'))} {g.rng.randint(100, 2999)}"
    ),
    "room": lambda g, s: f"{g.rng.randint(1, 9)}-{g.rng.randint(1, 30):02d}",
    "inv_no": lambda g, s: f"{g.pick(('ИНВ', 'INV', 'ОС'))}-{g.rng.randint(1, 99999):05d}",
    "isbn": lambda g, s: _isbn(g),
    "b64line": lambda g, s: g.rstr(string.ascii_letters + DIGITS + "+/", 60),
    "date_iso": lambda g, s: f"2025-{g.rng.randint(1, 12):02d}-{g.rng.randint(1, 28):02d}",
}


def _isbn(g: Gen) -> str:
    body = "9785" + g.digits(8)
    full = body + ean13_digit(body)
    return f"{full[:3]}-{full[3]}-{full[4:7]}-{full[7:12]}-{full[12]}"


class Slots(dict[str, str]):
    """Template slots filled lazily; records which sensitive kinds were used."""

    def __init__(self, gen: Gen, preset: dict[str, str] | None = None) -> None:
        super().__init__(preset or {})
        self.gen = gen
        self.labels: set[str] = set()
        self.sensitive_digits: list[str] = []
        self.values: list[tuple[str, str]] = []

    def __missing__(self, key: str) -> str:
        base = re.sub(r"_\d+$", "", key)
        if base in SENSITIVE_FILLERS:
            kind, fn = SENSITIVE_FILLERS[base]
            value = fn(self.gen, self)
            self.labels.add(kind)
            self.sensitive_digits.append(re.sub(r"\D", "", value))
            self.values.append((kind, value))
        else:
            value = NEUTRAL_FILLERS[base](self.gen, self)
        self[key] = value
        return value


def render(gen: Gen, text: str, preset: dict[str, str] | None = None) -> tuple[str, Slots]:
    slots = Slots(gen, preset)
    # "руб." at the end of a sentence would otherwise give "руб.."
    return re.sub(r"(?<!\.)\.\.(?![.\w])", ".", text.format_map(slots)), slots


# --------------------------------------------------------------------------
# Templates: (template id, short description, text).  {slot} names come from
# SENSITIVE_FILLERS (labelled) or NEUTRAL_FILLERS (not labelled).
# --------------------------------------------------------------------------

Template = tuple[str, str, str]

PLAIN: dict[str, list[Template]] = {
    "card": [
        (
            "pl.card.01",
            "ru: pay for an order to a card, recipient name",
            "{greet_ru}Оплату за {order} можно перевести на карту {card}, получатель {name_ru}.",
        ),
        (
            "pl.card.02",
            "ru casual: lunch money, no keyword",
            "Скинь, пожалуйста, за обед сюда: {card}{emoji}",
        ),
        (
            "pl.card.03",
            "ru: refund card with expiry",
            "Карта для возврата средств: {card}, срок действия {exp}.",
        ),
        (
            "pl.card.04",
            "ru: refund to the paying card",
            "Клиент просит вернуть {amount} на ту же карту, с которой платил — {card}.",
        ),
        (
            "pl.card.05",
            "ru: number for payment, no keyword",
            "Вот номер для оплаты: {card} ({bank})",
        ),
        (
            "pl.card.06",
            "ru: corporate card limit",
            "Корпоративная карта ({name_ru}) — {card}, лимит {amount} в месяц.",
        ),
        (
            "pl.card.07",
            "ru: charge declined",
            "Не проходит списание с {card}, банк отклоняет. Можете проверить со своей стороны?",
        ),
        (
            "pl.card.08",
            "ru: advance to accountant's card",
            "{fn_ru}, переведи аванс {amount} на {card}, это карта нашего бухгалтера.",
        ),
        (
            "pl.card.09",
            "ru: hotel booked with a card",
            "Гостиницу, город {city}, бронировали с карты {card}, чек пришлю позже.",
        ),
        (
            "pl.card.10",
            "ru: payer form, multi-line",
            "Плательщик: {fio}\nКарта: {card}\nСумма: {amount}",
        ),
        (
            "pl.card.11",
            "en: charge deposit with expiry",
            "{greet_en}please charge the deposit to {card}, exp {exp}.",
        ),
        (
            "pl.card.12",
            "en: refund to card",
            "Refund should go back to card {card} — the customer confirmed it on the call.",
        ),
        (
            "pl.card.13",
            "en casual: use my card",
            "You can wire it or just use my card: {card}{emoji}",
        ),
        (
            "pl.card.14",
            "en: company travel card",
            "Company card for travel bookings: {card}. Keep the receipts!",
        ),
        (
            "pl.card.15",
            "en: failed payment retry",
            "The payment failed again on {card}, can you retry tomorrow morning?",
        ),
        (
            "pl.card.16",
            "mixed: paid via card, check invoice",
            "Оплатил через card {card}, please check {inv_en}",
        ),
        (
            "pl.card.17",
            "mixed: subscription renewal card",
            "для subscription renewal используем {card}, не меняйте пока",
        ),
        (
            "pl.card.18",
            "ru: card, will type CVC myself",
            "номер карты {card} cvc не скажу, сам введу на странице",
        ),
        (
            "pl.card.19",
            "ru: card details for transfer",
            "Кидаю карту для перевода: {card}, {name_ru}",
        ),
        (
            "pl.card.20",
            "en: card on file for customer",
            "Card on file for {co_en} is {card}; billing cycle starts on the 1st.",
        ),
    ],
    "inn": [
        ("pl.inn.01", "ru: org INN with KPP", "ИНН организации: {inn10}, КПП {kpp}."),
        (
            "pl.inn.02",
            "ru: invoice to company with INN",
            "{greet_ru}Выставите, пожалуйста, счёт на {co_ru}, ИНН {inn10}.",
        ),
        ("pl.inn.03", "ru: my INN for contract", "Мой ИНН {inn12}, это для договора ГПХ."),
        (
            "pl.inn.04",
            "ru: check counterparty, no keyword",
            "Проверь контрагента {inn10} по базе перед отгрузкой, что-то он мне не нравится.",
        ),
        (
            "pl.inn.05",
            "ru: self-employed INN",
            "Самозанятый {fio}, ИНН {inn12}, чек пришлю из «Мой налог».",
        ),
        ("pl.inn.06", "ru: buyer details slash", "Реквизиты покупателя: {co_ru} / {inn10}"),
        (
            "pl.inn.07",
            "ru: which of two INNs",
            "У {co_ru} инн {inn10} или {inn10_2}? В 1С два варианта, какой правильный?",
        ),
        ("pl.inn.08", "ru: INN for tax deduction", "Для вычета нужен ИНН, вот мой: {inn12}{emoji}"),
        ("pl.inn.09", "ru: sole trader INN", "ИП {fio}, ИНН: {inn12}, работаем на УСН без НДС."),
        (
            "pl.inn.10",
            "en: Russian tax ID for vendor card",
            "Their Russian tax ID (INN) is {inn10}, please add it to the vendor card.",
        ),
        ("pl.inn.11", "en: supplier INN", "Supplier {co_ru} — INN {inn10}, invoices in RUB only."),
        ("pl.inn.12", "en: contractor tax number", "Tax number for the contractor: {inn12}"),
        (
            "pl.inn.13",
            "mixed: vendor onboarding",
            "vendor onboarding: ИНН {inn10}, name {co_ru}, payment terms net 30",
        ),
        (
            "pl.inn.14",
            "ru: typo in act",
            "в акте опечатка — ИНН заказчика {inn}, а не как у вас указано",
        ),
        (
            "pl.inn.15",
            "ru: look up in registry, no keyword",
            "Найди в ЕГРЮЛ по номеру {inn10}, нужен юрадрес.",
        ),
        ("pl.inn.16", "ru: INN/KPP pair", "ИНН/КПП {inn10}/{kpp}"),
    ],
    "ogrn": [
        (
            "pl.ogrn.01",
            "ru: OGRN with registration date",
            "ОГРН {ogrn}, дата регистрации {date_full}.",
        ),
        (
            "pl.ogrn.02",
            "ru: contract header OGRN",
            "В шапке договора укажите ОГРН {ogrn} и юридический адрес.",
        ),
        ("pl.ogrn.03", "ru: sole trader OGRNIP", "ИП {fio}, ОГРНИП {ogrnip}."),
        (
            "pl.ogrn.04",
            "ru: registry extract",
            "Выписка из ЕГРЮЛ по {co_ru}: ОГРН {ogrn}, статус действующее.",
        ),
        (
            "pl.ogrn.05",
            "ru: check in EGRIP, no keyword",
            "Проверь по ЕГРИП номер {ogrnip}, это наш новый подрядчик.",
        ),
        (
            "pl.ogrn.06",
            "en: OGRN of Russian entity",
            "Registration number (OGRN) of the Russian entity: {ogrn}",
        ),
        (
            "pl.ogrn.07",
            "en: OGRNIP of sole trader",
            "OGRNIP for the sole trader is {ogrnip}, he'll sign tomorrow.",
        ),
        (
            "pl.ogrn.08",
            "ru: registration number of legal entity",
            "Регистрационный номер юрлица — {ogrn}, см. скан свидетельства.",
        ),
        ("pl.ogrn.09", "en: PSRN for KYC", "PSRN {ogrn} — as requested by the bank's KYC team."),
        (
            "pl.ogrn.10",
            "ru: company with OGRN postpones",
            "{co_ru} (ОГРН {ogrn}) просит перенести поставку на {date}.",
        ),
        ("pl.ogrn.11", "ru casual: checked OGRN", "огрн у них {ogrn}, я сверил с сайтом налоговой"),
        ("pl.ogrn.12", "mixed: KYC form", "KYC форма: OGRN {ogrn}, registered in {city}"),
    ],
    "snils": [
        ("pl.snils.01", "ru: sent SNILS as asked", "Прислала СНИЛС, как просили: {snils}."),
        (
            "pl.snils.02",
            "ru: employee with SNILS and hire date",
            "{fio}, СНИЛС {snils}, принят с {date_full}.",
        ),
        (
            "pl.snils.03",
            "ru: insurance certificate number",
            "Номер страхового свидетельства {snils}, скан приложу.",
        ),
        (
            "pl.snils.04",
            "ru: child's SNILS for Gosuslugi",
            "Для Госуслуг нужен СНИЛС ребёнка — {snils}, проверь, пожалуйста.",
        ),
        ("pl.snils.05", "ru: add SNILS to certificate", "В справке нет СНИЛС, добавьте: {snils}."),
        (
            "pl.snils.06",
            "en: SNILS of new hire",
            "SNILS (pension insurance number) of the new hire: {snils}",
        ),
        (
            "pl.snils.07",
            "en: update SNILS in HR",
            "Can you update {name_en}'s SNILS to {snils} in the HR system?",
        ),
        (
            "pl.snils.08",
            "ru: insurance number, don't confuse",
            "страховой номер {snils} — это {fn_ru}, не путай с ИНН",
        ),
        (
            "pl.snils.09",
            "ru: pension number",
            "Пенсионный номер сотрудника {snils}, ему в СФР заявление подавать.",
        ),
        ("pl.snils.10", "ru: form lines", "СНИЛС: {snils}\nФИО: {fio}"),
        (
            "pl.snils.11",
            "mixed: portal rejects SNILS",
            "HR портал не принимает СНИЛС {snils}, пишет invalid format",
        ),
        (
            "pl.snils.12",
            "ru casual: SNILS for sick leave",
            "Вот мой снилс {snils} для больничного{emoji}",
        ),
    ],
    "passport_ru": [
        (
            "pl.pass.01",
            "ru: passport issued by",
            "Паспорт {passport}, выдан {date_full} ОВД {district}.",
        ),
        (
            "pl.pass.02",
            "ru: data for building pass, no keyword",
            "Для пропуска в БЦ нужны паспортные данные: {fio}, {passport}.",
        ),
        (
            "pl.pass.03",
            "ru: series and number with dept code",
            "Серия и номер: {passport}. Код подразделения {dept}.",
        ),
        (
            "pl.pass.04",
            "ru: tickets with passport",
            "Билеты брать на имя: {fio}, паспорт РФ {passport}.",
        ),
        (
            "pl.pass.05",
            "en: visa invitation, internal passport",
            "Passport details for the visa invitation: {name_ru}, "
            "Russian internal passport {passport}.",
        ),
        (
            "pl.pass.06",
            "ru: factory visit list, no keyword",
            "Список на экскурсию по заводу:\n{fio} — {passport}",
        ),
        (
            "pl.pass.07",
            "ru: passport mismatch in contract",
            "{fn_ru}, уточни паспорт — в договоре стоит {passport}, а в скане другой.",
        ),
        (
            "pl.pass.08",
            "ru: hotel asks series/number",
            "Гостиница просит данные: {passport_kw}, прописка {city}.",
        ),
        ("pl.pass.09", "ru: power of attorney", "{passport_kw} — это мой, оформляй доверенность."),
        (
            "pl.pass.10",
            "en: guest registration",
            "Guest registration: {name_ru}, passport {passport}, arrival {date_en}.",
        ),
        (
            "pl.pass.11",
            "ru: passport issued by district",
            "паспорт {passport_kw}, выдан ОВД {district} {date_full}",
        ),
        (
            "pl.pass.12",
            "ru: new passport data",
            "Сменил паспорт, новые данные {passport}, старый недействителен.",
        ),
        (
            "pl.pass.13",
            "mixed: booking needs passport",
            "для booking нужен паспорт — {passport_kw}, {fio}",
        ),
    ],
    "bank_account_ru": [
        (
            "pl.acc.01",
            "ru: payment details with BIK",
            "Реквизиты для оплаты: р/с {account}, БИК {bik}, {bank}.",
        ),
        (
            "pl.acc.02",
            "ru: settlement account in bank",
            "Расчётный счёт {account}, банк — {bank}, БИК {bik}.",
        ),
        (
            "pl.acc.03",
            "ru: transfer to account, purpose",
            "Переведите на р/с {account} (БИК {bik}), назначение — оплата по {inv}.",
        ),
        (
            "pl.acc.04",
            "ru: changed bank",
            "Поменяли банк, новый расчётный счёт {account}, БИК {bik}. Старый закрываем {date}.",
        ),
        (
            "pl.acc.05",
            "ru: account without BIK",
            "Счёт получателя {account}. БИК и корр. счёт пришлю отдельно.",
        ),
        (
            "pl.acc.06",
            "en: settlement account with BIC",
            "Settlement account (р/с): {account}, BIC {bik}",
        ),
        (
            "pl.acc.07",
            "en: update supplier bank details",
            "Please update the supplier's bank details: account {account}, BIK {bik}, {bank}.",
        ),
        (
            "pl.acc.08",
            "ru: salary to personal account",
            "зп перечисляйте на мой счёт {account_person}, БИК {bik}",
        ),
        (
            "pl.acc.09",
            "ru: sole trader account with corr",
            "ИП работает через {bank}: р/с {account_ip}, БИК {bik}, к/с {corr}",
        ),
        (
            "pl.acc.10",
            "ru casual: pay order here",
            "р/сч {account} — оплату по {order} сюда{emoji}",
        ),
        (
            "pl.acc.11",
            "ru: bank block multi-line",
            "Банк: {bank}\nБИК: {bik}\nКорр. счёт: {corr}\nРасч. счёт: {account}",
        ),
        (
            "pl.acc.12",
            "ru: refund to personal account",
            "Возврат сделайте на лицевой счёт {account_person} в {bank} (БИК {bik}).",
        ),
        (
            "pl.acc.13",
            "mixed: payment details",
            "payment details: р/с {account}, БИК {bik}, назначение платежа — {inv_en}",
        ),
    ],
    "phone": [
        ("pl.phone.01", "ru: call me until", "Звоните на {phone}, я на связи до {time}."),
        (
            "pl.phone.02",
            "ru: driver number",
            "Номер водителя: {phone}, он будет на складе к {time}.",
        ),
        ("pl.phone.03", "ru: call the client back", "{fn_ru}, перезвони клиенту — {phone}."),
        (
            "pl.phone.04",
            "ru: new work landline with extension",
            "Мой новый рабочий: {phone_land} доб. {ext}",
        ),
        (
            "pl.phone.05",
            "ru: site foreman contact",
            "Контакт на объекте — прораб {name_ru}, {phone}.",
        ),
        (
            "pl.phone.06",
            "ru: partner hotline (labelled phone)",
            "Горячая линия для партнёров: {hotline}, круглосуточно.",
        ),
        ("pl.phone.07", "en: call when you land", "Call me at {phone_intl} when you land."),
        (
            "pl.phone.08",
            "en: office number, ask for",
            "Reach our office on {phone_intl}, ask for {fn_en}.",
        ),
        ("pl.phone.09", "ru: whatsapp number", "WhatsApp {phone}, в телеге меня нет"),
        ("pl.phone.10", "ru: courier number", "тел. {phone} — это курьер, он не может найти вход"),
        (
            "pl.phone.11",
            "ru: security desk landline",
            "По вопросам пропусков — охрана, {phone_land}.",
        ),
        ("pl.phone.12", "en: try my mobile", "If no one answers, try my mobile {phone}."),
        (
            "pl.phone.13",
            "ru: signature with phone",
            "--\n{name_ru}\nменеджер по закупкам\nтел.: {phone_any}",
        ),
        ("pl.phone.14", "en: dial-in number", "Dial-in for tomorrow's call: {phone_intl}"),
        (
            "pl.phone.15",
            "mixed: call a foreign colleague",
            "позвони {fn_en} на {phone_intl}, он ждёт",
        ),
        (
            "pl.phone.16",
            "ru: dispatcher number",
            "Если не дозвонитесь, наберите диспетчера {phone_any}",
        ),
        ("pl.phone.17", "ru: save number", "сохрани номер: {phone} ({fn_ru}, склад, {city})"),
    ],
    "email": [
        ("pl.email.01", "ru: send scan to", "Пришлите скан на {email}, пожалуйста."),
        (
            "pl.email.02",
            "ru: my work mailbox",
            "Мой рабочий ящик — {email}, старый больше не работает.",
        ),
        ("pl.email.03", "ru: add to mailing list", "Добавь {email} в рассылку по проекту."),
        ("pl.email.04", "en: cc on thread", "Please cc {email_en} on the contract thread."),
        ("pl.email.05", "en: invoices go to", "Invoices go to {email}, not to me directly."),
        (
            "pl.email.06",
            "ru: CRM login is an email",
            "Логин в CRM — {email}, права менеджера выдали.",
        ),
        ("pl.email.07", "ru: accounting contact", "Контакт бухгалтерии: {email}"),
        (
            "pl.email.08",
            "en: send NDA draft (NDA as topic, not marking)",
            "Can you send the NDA draft to {email_en}?",
        ),
        ("pl.email.09", "ru: bounced mail", "письмо ушло на {email}, но вернулось — проверь адрес"),
        ("pl.email.10", "en: two recipients", "Send the quote to {email_en} and to {email_en_2}."),
        ("pl.email.11", "ru: CV came from", "Резюме кандидата пришло с {email}, переслать тебе?"),
        ("pl.email.12", "ru: complaints address", "По рекламациям пишите на {email}{emoji}"),
        (
            "pl.email.13",
            "mixed: procurement address",
            "наш procurement: {email_en}, отвечают в течение дня",
        ),
        (
            "pl.email.14",
            "en: new address, update records",
            "{greet_en}my new address is {email}, please update your records.",
        ),
    ],
    "iban": [
        ("pl.iban.01", "en: EUR account with BIC", "Our EUR account: IBAN {iban}, BIC {swift}."),
        (
            "pl.iban.02",
            "ru: pay in EUR to IBAN",
            "Оплата в евро на IBAN {iban}, получатель {co_en}.",
        ),
        (
            "pl.iban.03",
            "en: transfer deposit",
            "Please transfer the deposit to {iban} ({bank_en}).",
        ),
        (
            "pl.iban.04",
            "ru: partner's new details, no keyword",
            "Новые реквизиты немецкого партнёра: {iban}",
        ),
        ("pl.iban.05", "en: refund IBAN", "IBAN for the refund: {iban}"),
        (
            "pl.iban.06",
            "en: supplier changed banks",
            "The supplier changed banks, new IBAN is {iban} — please double check before paying.",
        ),
        (
            "pl.iban.07",
            "ru: transfer amount with reference",
            "Переведи {amount_en} на {iban}, назначение {inv_en}.",
        ),
        ("pl.iban.08", "en: account holder line", "Account holder {name_en}, {iban}, {bank_en}"),
        ("pl.iban.09", "mixed: SEPA details", "для SEPA перевода: {iban} / {swift}"),
        (
            "pl.iban.10",
            "ru: branch asks to pay to",
            "Филиал просит платить на {iban}, BIC у них в письме.",
        ),
        ("pl.iban.11", "en casual: wire with ref", "wire to {iban} pls, ref {inv_en}{emoji}"),
    ],
    "secret": [
        ("pl.sec.01", "ru: test stand password", "Пароль от тестового стенда: {password}"),
        (
            "pl.sec.02",
            "ru: admin login/password",
            "логин admin, пароль {password} — поменяй после первого входа",
        ),
        ("pl.sec.03", "en: VPN user/pass", "VPN: user {login}, pass {password}"),
        (
            "pl.sec.04",
            "ru: meeting room wifi password",
            "wifi в переговорке {room}: сеть Guest_5G, пароль {password}",
        ),
        ("pl.sec.05", "ru: payment API key", "Ключ API для интеграции с оплатой: {sk}"),
        ("pl.sec.06", "ru: put key into .env", "Вставь в .env: OPENAI_API_KEY={sk}"),
        ("pl.sec.07", "en: GitHub token for CI", "GitHub token for CI: {ghp}"),
        ("pl.sec.08", "en: AWS key pair", "AWS creds for the staging bucket: {aws} / {aws_secret}"),
        ("pl.sec.09", "en: Slack bot token", "Slack bot token: {slack}"),
        ("pl.sec.10", "en: bearer JWT header", "Authorization: Bearer {jwt}"),
        ("pl.sec.11", "en: DATABASE_URL with password", "DATABASE_URL={conn}"),
        ("pl.sec.12", "ru: prod connection string", "строка подключения к проду: {conn}"),
        ("pl.sec.13", "ru: private key paste", "держи ключ от сервера:\n{pem}"),
        ("pl.sec.14", "ru: Telegram bot token", "Токен бота: {tgbot}"),
        (
            "pl.sec.15",
            "en: Google API key",
            "Google Maps key {gkey}, domain restriction isn't set up yet.",
        ),
        (
            "pl.sec.16",
            "en: shared mailbox password",
            "The password for the shared mailbox is {password}, don't change it.",
        ),
        ("pl.sec.17", "en: GitLab deploy token", "GitLab deploy token: {glpat}"),
        ("pl.sec.18", "en: npm publish token", "npm publish token {npm} — rotate after release"),
        (
            "pl.sec.19",
            "ru: 1C password and user",
            "{fn_ru}, от 1С пароль {password}, пользователь {login}",
        ),
        ("pl.sec.20", "ru: admin panel login/password", "Доступ к админке: {login} / {password}"),
        ("pl.sec.21", "en: deploy key paste", "here's the deploy key\n{pem}"),
        ("pl.sec.22", "mixed: prod creds", "prod creds: login {login}, пароль {password}"),
        ("pl.sec.23", "ru: pwd= for archive", "pwd={password} — от архива с отчётами"),
    ],
    "marking": [
        (
            "pl.mark.01",
            "ru: marking then dealer price list",
            "{mark_ru}. Прайс для дилеров на {quarter} во вложении.",
        ),
        (
            "pl.mark.02",
            "ru: classification stamp, do not forward",
            "Гриф «{mark_ru}». Не пересылать за пределы отдела.",
        ),
        (
            "pl.mark.03",
            "en: term sheet marking",
            "{mark_en} — draft term sheet for {co_en}, please don't forward.",
        ),
        (
            "pl.mark.04",
            "ru: document bears marking",
            "Документ с пометкой «{mark_ru}», храним только в закрытой папке.",
        ),
        ("pl.mark.05", "en: bracket tag, forecast", "[{mark_en}] Q3 revenue forecast attached."),
        (
            "pl.mark.06",
            "ru: marking, discount terms",
            "{mark_ru}: условия скидок для {co_ru} — 12% на {product}.",
        ),
        (
            "pl.mark.07",
            "en: NDA tag on roadmap",
            "{mark_nda_tag}: roadmap for H2, do not share with the vendor yet.",
        ),
        (
            "pl.mark.08",
            "ru: marking, network diagram",
            "{mark_ru}. Схема сети филиала, город {city}, см. вложение.",
        ),
        ("pl.mark.09", "en: salary bands marking", "{mark_en}: salary bands for 2025 attached."),
        (
            "pl.mark.10",
            "en: stamp, board minutes",
            "Stamp: {mark_en}. Board minutes from {date_en}.",
        ),
        (
            "pl.mark.11",
            "ru: information constitutes trade secret",
            "Информация составляет {mark_ct_acc} {co_ru}. Условия: отсрочка 60 дней.",
        ),
        (
            "pl.mark.12",
            "ru: marking, HR gossip",
            "{mark_ru}: {fn_ru} уходит в конце месяца, пока никому.",
        ),
        (
            "pl.mark.13",
            "en: acquisition codename",
            "{mark_en} // {co_en} acquisition, codename {codename}",
        ),
        (
            "pl.mark.14",
            "ru: margin report lowercase marking",
            "Отчёт по марже за {quarter} — {mark_ru_l}, только для руководителей.",
        ),
        ("pl.mark.15", "ru: subject line marking", "Тема: {mark_ru}. Бюджет на {quarter}"),
        (
            "pl.mark.16",
            "en: marking header, pricing exceptions",
            "{mark_en}\nPricing exceptions for {co_en} — approved by {name_en}.",
        ),
        (
            "pl.mark.17",
            "mixed: en marking, ru text",
            "{mark_en}. Прогноз продаж, {city}, {quarter}.",
        ),
        (
            "pl.mark.18",
            "en: deck is under NDA",
            "Heads-up: the attached deck is {mark_nda}, treat accordingly.",
        ),
        ("pl.mark.19", "ru: materials under NDA", "Материалы {mark_nda_ru}, наружу не отправляем."),
        (
            "pl.mark.20",
            "ru: information constituting trade secret",
            "Сведения, составляющие {mark_ct_acc}. Перечень поставщиков и цены во вложении.",
        ),
    ],
}

PLAIN_MULTI: list[Template] = [
    (
        "pl.multi.01",
        "ru: company requisites INN+OGRN+account",
        "Реквизиты {co_ru}: ИНН {inn10}, ОГРН {ogrn}, р/с {account}, БИК {bik}.",
    ),
    (
        "pl.multi.02",
        "ru: sole trader card with phone",
        "Карточка ИП: {fio}, ИНН {inn12}, ОГРНИП {ogrnip}, р/с {account_ip}, БИК {bik}, "
        "тел. {phone}",
    ),
    (
        "pl.multi.03",
        "ru: new employee documents",
        "Документы нового сотрудника: паспорт {passport}, СНИЛС {snils}, ИНН {inn12}.",
    ),
    (
        "pl.multi.04",
        "ru: signature phone+email",
        "С уважением,\n{name_ru}\n{co_ru}\nтел. {phone}\n{email}",
    ),
    (
        "pl.multi.05",
        "en: signature phone+email",
        "Best,\n{name_en}\nAccount Manager | {co_en}\nM: {phone_intl} | {email_en}",
    ),
    (
        "pl.multi.06",
        "ru: marking + CRM credentials",
        "{mark_ru}. Доступы к CRM: {email} / {password}",
    ),
    ("pl.multi.07", "en: marking + DB connection string", "{mark_en} — staging DB: {conn}"),
    (
        "pl.multi.08",
        "ru: hotel booking passport+card",
        "Для брони отеля: {fio}, паспорт {passport}, карта для гарантии {card}",
    ),
    (
        "pl.multi.09",
        "ru: invoice contacts email+phone+INN",
        "Контакты для счёта: {email}, {phone}, ИНН {inn10}",
    ),
    (
        "pl.multi.10",
        "en: IBAN + contact email",
        "Payment details: IBAN {iban}, questions to {email_en}",
    ),
    (
        "pl.multi.11",
        "ru: marking + supplier requisites",
        "{mark_ru}. Реквизиты нового поставщика: ИНН {inn10}, р/с {account}, БИК {bik}",
    ),
    (
        "pl.multi.12",
        "ru: pass request passport+phone",
        "Заявка на пропуск: {fio}, паспорт {passport}, моб. {phone}",
    ),
    (
        "pl.multi.13",
        "en: card + billing email",
        "{name_en} — card {card}, billing e-mail {email_en}",
    ),
    (
        "pl.multi.14",
        "ru: salary project SNILS+account",
        "Зарплатный проект: {fio}, СНИЛС {snils}, счёт {account_person}, БИК {bik}",
    ),
    ("pl.multi.15", "en: marking + AWS keys", "{mark_en}: new AWS keys {aws} / {aws_secret}"),
    (
        "pl.multi.16",
        "ru: full requisites block",
        "{co_ru}\nИНН {inn10} КПП {kpp}\nОГРН {ogrn}\n{bank}, БИК {bik}\nр/с {account}\nк/с {corr}",
    ),
    (
        "pl.multi.17",
        "ru: questionnaire passport+SNILS+phone+email",
        "Анкета: {fio}, {passport_kw}, СНИЛС {snils}, тел. {phone}, {email}",
    ),
    (
        "pl.multi.18",
        "en: contractor IBAN+phone",
        "Contractor: {name_en}, IBAN {iban}, phone {phone_intl}",
    ),
    (
        "pl.multi.19",
        "ru: phone + stand password",
        "Если что — звоните {phone}, пароль от стенда {password}",
    ),
    ("pl.multi.20", "ru: sole trader INN + card", "ИП {fio}, ИНН {inn12}, карта для оплаты {card}"),
    (
        "pl.multi.21",
        "mixed: contact + INN + OGRN",
        "Kontakt: {email}, {phone_any}; ИНН {inn}, ОГРН {ogrn}",
    ),
]

HARD_NEGATIVE: list[Template] = [
    (
        "hn.01",
        "invoice number, date and amount",
        "Счёт № {build_small} от {date_full} на сумму {amount_big} оплачен.",
    ),
    (
        "hn.02",
        "order shipped with UPU tracking code",
        "Заказ {order_code} отгружен {date_full}, трек {track_ru}.",
    ),
    (
        "hn.03",
        "contract number and date",
        "Договор № {contract} от {date_full}, срок поставки 45 рабочих дней.",
    ),
    ("hn.04", "ticket id closed", "Ticket {ticket} is closed, the issue was a stale cache."),
    ("hn.05", "release version", "Release {version} is out, changelog is in the repo."),
    ("hn.06", "server IPs", "Сервер {ip} не отвечает с {time}, пингуется только шлюз {ip_2}."),
    ("hn.07", "request UUID", "request id {uuid} — can you grep the logs for it?"),
    ("hn.08", "git commit hash", "Fixed in commit {githash}, will land in the next build."),
    ("hn.09", "meeting date/time/room", "Встреча {date_full} в {time}, переговорка {room}."),
    (
        "hn.10",
        "unit price, quantity, total",
        "Цена за единицу {price}, партия {qty} шт., итого {amount_big}.",
    ),
    ("hn.11", "product SKU in stock", "{sku} снова в наличии, на складе {qty} шт."),
    (
        "hn.12",
        "postal address with postcode",
        "Адрес доставки: {postal}, {city}, ул. {street}, д. {house}, офис {office}.",
    ),
    ("hn.13", "bank BIK alone", "БИК {bik} — это банк получателя, остальное есть в договоре."),
    (
        "hn.14",
        "bank BIK + correspondent account (public bank data)",
        "Наш банк: {bank}, БИК {bik}, к/с {corr}.",
    ),
    ("hn.15", "car plate at gate", "Машина {plate} будет у ворот склада в {time}."),
    (
        "hn.16",
        "warehouse temperature/humidity",
        "Температура на складе держится +4…+6 °C, влажность {pct}.",
    ),
    ("hn.17", "exchange rate", "Курс ЦБ на {date_full}: {rate} руб. за доллар."),
    (
        "hn.18",
        "booking reference (PNR)",
        "Your booking reference is {pnr}, check-in opens 24h before departure.",
    ),
    ("hn.19", "UPS tracking", "Order {order_code} has shipped, UPS tracking {track_int}."),
    (
        "hn.20",
        "Windows error code + KB",
        "Ошибка 0x80070005 при установке обновления KB{kb}, кто сталкивался?",
    ),
    ("hn.21", "build number and coverage", "Build #{build_small} passed, coverage {pct}."),
    (
        "hn.22",
        "ISO timestamp and latency",
        "Timestamp {date_iso}T{time}:22Z, p99 latency {qty} ms.",
    ),
    ("hn.23", "contract limit amounts", "Лимит по договору {amount_big}, остаток {amount_big_2}."),
    (
        "hn.24",
        "statistics codes OKPO/OKVED/OKTMO",
        "ОКПО {okpo}, ОКВЭД {okved}, ОКТМО {oktmo} — для статистики.",
    ),
    ("hn.25", "KPP alone", "КПП {kpp} — у филиала свой, не путайте с головным."),
    (
        "hn.26",
        "laptop inventory number",
        "Инвентарный номер ноутбука {inv_no}, выдан {date_full}, ответственный — {name_ru}.",
    ),
    (
        "hn.27",
        "password rotation reminder",
        "Смена пароля обязательна каждые 90 дней — напоминание от ИТ.",
    ),
    (
        "hn.28",
        "reset your password via link",
        "Reset your password via the link: https://{domain}/reset — it expires in 30 minutes.",
    ),
    ("hn.29", "forgot password", "Forgot my password again 🙈 who can reset it?"),
    (
        "hn.30",
        "password policy",
        "Пароль должен содержать минимум 12 символов, цифры и спецсимволы.",
    ),
    (
        "hn.31",
        "masked password in logs",
        "В логах видно только password=*** — маскирование работает.",
    ),
    (
        "hn.32",
        "where API key goes (no key)",
        "The API key goes in the X-Api-Key header; "
        "generate yours in the dashboard under Settings → Tokens.",
    ),
    ("hn.33", "token expired", "Токен истёк, перелогиньтесь, пожалуйста."),
    (
        "hn.34",
        "placeholder API key",
        "Set OPENAI_API_KEY=<your-key-here> in .env before running the script.",
    ),
    (
        "hn.35",
        "env var reference, not a value",
        "AWS_SECRET_ACCESS_KEY=${{AWS_SECRET}} — берётся из Vault, в репозиторий не коммитим.",
    ),
    (
        "hn.36",
        "privacy policy update",
        "Мы обновили политику конфиденциальности, изменения вступают в силу с {date_full}.",
    ),
    (
        "hn.37",
        "privacy policy and confidentiality clause",
        "Please review our privacy policy and the confidentiality clause in section 7.",
    ),
    (
        "hn.38",
        "NDA as topic: need to sign",
        "We need to sign an NDA first before they share the specs.",
    ),
    (
        "hn.39",
        "NDA template from lawyers",
        "Юристы прислали шаблон NDA, посмотри пункт про срок действия.",
    ),
    (
        "hn.40",
        "trade secret regime as legal topic",
        "Как оформить режим коммерческой тайны по 98-ФЗ? Нужен перечень сведений?",
    ),
    (
        "hn.41",
        "LDSP furniture (chipboard)",
        "Шкаф-купе из ЛДСП 16 мм, задняя стенка ДВП, доставка {date}.",
    ),
    (
        "hn.42",
        "DSP = chipboard sheet",
        "Плита ДСП 2750×1830×16, {qty} листов, цена {price} за лист.",
    ),
    ("hn.43", "confidence interval", "Confidence interval is 95%, sample size {qty}."),
    (
        "hn.44",
        "internal server error",
        "Internal server error 500 on /api/orders after the deploy at {time}.",
    ),
    (
        "hn.45",
        "secret santa",
        "Тайный Санта в этом году: бюджет 1500 руб., жеребьёвка в пятницу 🎁",
    ),
    (
        "hn.46",
        "card last 4 digits only",
        "Платёж по карте, оканчивающейся на {last4}, прошёл успешно.",
    ),
    (
        "hn.47",
        "card ending in, declined",
        "Card ending in {last4} was declined, code 51 (insufficient funds).",
    ),
    (
        "hn.48",
        "masked card number in receipt",
        "В чеке номер карты замаскирован: {masked_card}, так и должно быть.",
    ),
    ("hn.49", "INN field empty", "ИНН в шаблоне не заполнен, впишите свой перед отправкой."),
    ("hn.50", "SNILS field optional", "Поле «СНИЛС» в анкете теперь необязательное."),
    ("hn.51", "foreign passport pickup", "Загранпаспорт будет готов через месяц, забирать в МФЦ."),
    (
        "hn.52",
        "IBAN field validation",
        "The IBAN field accepts up to 34 characters and is validated with mod-97.",
    ),
    ("hn.53", "phone field optional", "Телефон в профиле не обязателен, можно оставить пустым."),
    ("hn.54", "write me on telegram", "Напиши мне в телеграм, почту сегодня не читаю."),
    (
        "hn.55",
        "support alias forwarding",
        "Emails to the support alias get auto-forwarded to Jira.",
    ),
    ("hn.56", "flight number and time", "Рейс {flight}, вылет {time}, терминал B."),
    (
        "hn.57",
        "firmware version and sha256",
        "Версия прошивки {version} (build {build_small}), sha256: {sha}",
    ),
    ("hn.58", "MAC address", "MAC-адрес точки доступа {mac}, она в серверной."),
    ("hn.59", "warehouse coordinates", "Координаты склада: 55.{qty}, 37.{qty_2}."),
    (
        "hn.60",
        "batch size and weight",
        "Размер партии 4 276 шт., вес брутто 3 801 кг, объём 23,45 м³.",
    ),
    ("hn.61", "ISBN of a book", "Книга в библиотеке отдела: ISBN {isbn}."),
    ("hn.62", "SLA numbers", "Support SLA is 2 hours, uptime target 99.9%."),
    ("hn.63", "cadastral number", "Кадастровый номер участка {cadastral}, проверь обременения."),
    ("hn.64", "court case number", "Номер дела {case_no}, заседание {date_full} в {time}."),
    (
        "hn.65",
        "loan rate and term",
        "Ставка {pct} годовых, срок 36 мес., досрочное погашение без комиссии.",
    ),
    ("hn.66", "docker digest", "Docker image tag v{version}, digest sha256:{sha}"),
    (
        "hn.67",
        "phone screen (word only)",
        "Phone screen with the candidate went well — let's schedule the onsite.",
    ),
    ("hn.68", "email as verb", "Please email the team once the report is ready."),
    ("hn.69", "salary dates", "Зарплата приходит 5 и 20 числа, аванс — 40%."),
    (
        "hn.70",
        "wifi password is at reception",
        "Пароль от Wi-Fi висит на ресепшене, спроси у администратора.",
    ),
    ("hn.71", "physical key", "Ключ от переговорки {room} у охраны на первом этаже."),
    (
        "hn.72",
        "token bucket limiter",
        "Token bucket limiter: 100 req/s, burst 200, refill every second.",
    ),
    (
        "hn.73",
        "policy: never send private keys",
        "Приватный ключ никогда не отправляйте в чат — только через Vault.",
    ),
    (
        "hn.74",
        "public certificate PEM (not a private key)",
        "Вот публичный сертификат, его можно светить:\n-----BEGIN CERTIFICATE-----\nMIID{b64line}\n"
        "-----END CERTIFICATE-----",
    ),
    (
        "hn.75",
        "file marked public",
        "The file is marked public, feel free to post it on the website.",
    ),
    (
        "hn.76",
        "send contract number and date",
        "Пришлите номер договора и дату — без них не проведу оплату.",
    ),
    (
        "hn.77",
        "client data confidentiality training",
        "Конфиденциальность данных клиентов — тема следующего тренинга {date}.",
    ),
    (
        "hn.78",
        "idempotency key UUID",
        "Idempotency key {uuid} was reused, so the second request was ignored.",
    ),
    (
        "hn.79",
        "waybill and 14-digit postal tracking",
        "Накладная {order_code}, трек-номер {track_num}, доставка 3–5 дней.",
    ),
    (
        "hn.80",
        "privacy notice",
        "Our privacy notice explains how we handle personal data; no action needed.",
    ),
    (
        "hn.81",
        "non-disclosure agreement as topic (ru)",
        "Соглашение о неразглашении подпишем на встрече {date}.",
    ),
    (
        "hn.82",
        "confidentiality training reminder",
        "Reminder: confidentiality training is mandatory for all new hires.",
    ),
    (
        "hn.83",
        "VAT invoice number and amount",
        "Счёт-фактура {build_small} от {date_full}, НДС 20% — {amount}.",
    ),
    ("hn.84", "amount due", "Сумма к оплате: {amount_big}, в т.ч. НДС."),
    (
        "hn.85",
        "total amount in foreign currency",
        "Can you send me the Q3 numbers? Total was {amount_en}.",
    ),
    (
        "hn.86",
        "TLS handshake failed, IP",
        "Server {ip}:443 handshake failed, cert expires {date_en}.",
    ),
    ("hn.87", "public promo code", "Промокод SPRING25 даёт скидку 15% до конца месяца."),
    (
        "hn.88",
        "SMS code no longer sent (no code)",
        "Код подтверждения больше не приходит по SMS, только пуш.",
    ),
    ("hn.89", "intercom PIN changed (no PIN)", "Пин-код от домофона поменяли, спросите у охраны."),
    ("hn.90", "requisites later", "Реквизиты пришлю позже, сейчас в дороге."),
    ("hn.91", "version fixes VAT bug", "Версия {version}: исправлена ошибка в расчёте НДС."),
    (
        "hn.92",
        "quantity and amount in words",
        "Отгрузили {qty} шт., {product}, на {amount}, остальное до {date}.",
    ),
    ("hn.93", "time range", "Работаем с 09:00 до 18:00, в пятницу до 16:45."),
    ("hn.94", "IP range and port", "Разрешите доступ с {ip}/24 на порт 5432, тикет {ticket}."),
    (
        "hn.95",
        "confidential word in privacy setting UI",
        "In the app settings the privacy toggle moved to Profile → Privacy.",
    ),
    ("hn.96", "passport office hours", "Паспортный стол работает по вторникам и четвергам."),
    (
        "hn.97",
        "bank card delivered (no number)",
        "Новую корпоративную карту привезли, забери у секретаря.",
    ),
    (
        "hn.98",
        "secret as adjective",
        "Секретный ингредиент нашего успеха — планёрки по 15 минут 😄",
    ),
]

# (template id, description, text, trap kinds allowed for {num})
NUMERIC_NEGATIVE: list[tuple[str, str, str, tuple[str, ...]]] = [
    (
        "nn.01",
        "unix timestamp in structured log",
        'ts={num} level=INFO msg="cache warmed"',
        ("ts",),
    ),
    (
        "nn.02",
        "batch id in worker log",
        "[{date_iso} {time}:07] worker-3 processed batch {num} in {qty}ms",
        ("any",),
    ),
    (
        "nn.03",
        "parcel tracking number",
        "Трек-номер посылки {num}, доставка 3–5 дней",
        ("inn12", "ogrn13"),
    ),
    ("nn.04", "CI build id", "build {num} finished OK (2m 14s)", ("inn10", "snils", "inn12")),
    (
        "nn.05",
        "telephony call id",
        "call_id={num} duration=00:03:12 status=completed",
        ("snils", "inn12", "luhn16"),
    ),
    (
        "nn.06",
        "product id in URL",
        "https://shop.example.com/product/{num}?ref=chat",
        ("phone_like", "inn10", "inn12"),
    ),
    (
        "nn.07",
        "issue id in URL",
        "https://tracker.example.org/issues/{num}",
        ("phone_like", "snils"),
    ),
    (
        "nn.08",
        "order id in access log",
        "GET /api/v2/orders/{num} 200 34ms",
        ("inn10", "ogrn13", "luhn16"),
    ),
    (
        "nn.09",
        "barcode unreadable",
        "Штрихкод {num} не читается сканером, ввели вручную.",
        ("ean_ogrn", "ean_luhn"),
    ),
    ("nn.10", "EAN on a box", "EAN {num}, коробка {qty} шт.", ("ean_ogrn", "ean_luhn")),
    (
        "nn.11",
        "order number collected",
        "Заказ {num} собран и передан в доставку.",
        ("inn10", "inn12"),
    ),
    ("nn.12", "job id retried", "job #{num} retried 3 times, giving up", ("any",)),
    ("nn.13", "tracing span id", "span_id={num} trace_flags=01", ("luhn16",)),
    (
        "nn.14",
        "screenshot file name with timestamp",
        "Скрин во вложении: Screenshot_{num}.png",
        ("ts",),
    ),
    ("nn.15", "photo file name", "IMG_{num}.jpg — фото с объекта", ("ts", "inn12")),
    ("nn.16", "build deployed to staging", "Сборка {num} раскатана на стейдж.", ("inn10", "ts")),
    ("nn.17", "kafka offset", "offset={num} partition=7 topic=events", ("any",)),
    ("nn.18", "app version code", "Version code {num} uploaded to the store.", ("inn10",)),
    (
        "nn.19",
        "production lot number",
        "Партия {num}, срок годности до {date_full}.",
        ("inn12", "ogrn13"),
    ),
    (
        "nn.20",
        "device serial number",
        "Серийный номер устройства {num}, гарантия до {date_full}.",
        ("ogrnip15", "inn12", "snils", "luhn"),
    ),
    (
        "nn.21",
        "short link id in URL",
        "https://t.example.net/s/{num}?utm_source=telegram",
        ("phone_like", "any"),
    ),
    ("nn.22", "JSON response id", 'Ответ сервера: {{"id": {num}, "status": "ok"}}', ("any",)),
    ("nn.23", "waybill number", "Номер накладной {num}, склад {city}", ("inn12", "ogrnip15")),
    ("nn.24", "checksum value matches", "checksum {num} matches upstream", ("luhn", "ogrnip15")),
    ("nn.25", "chat message id", "message_id={num} reply_to=none", ("luhn", "snils")),
    (
        "nn.26",
        "support request number",
        "Номер обращения {num}, ответим в течение суток.",
        ("inn10", "snils"),
    ),
    (
        "nn.27",
        "uid query param",
        "https://app.example.com/profile?uid={num}&tab=activity",
        ("any", "phone_like"),
    ),
    (
        "nn.28",
        "call recording file",
        "Запись разговора {num}.mp3 загружена в архив.",
        ("ts", "snils"),
    ),
    (
        "nn.29",
        "sequence number in metrics line",
        "metric=queue_depth value=17 seq={num}",
        ("luhn",),
    ),
    ("nn.30", "pallet label id", "Паллета {num} стоит в зоне отгрузки B-4.", ("ogrn13", "inn10")),
]


class Traps:
    """Numbers for numeric negatives that pass (or deliberately fail) a check."""

    def __init__(self, g: Gen) -> None:
        self.g = g

    @staticmethod
    def phone_shaped(v: str) -> bool:
        return (len(v) == 11 and v[0] in "78") or (len(v) == 10 and v[0] == "9")

    def make(self, kind: str) -> str:
        """A number for ``kind``; only URL ids ("phone_like") may look like a phone number."""
        g = self.g
        if kind == "any":
            kind = g.rng.choices(
                ("inn10", "inn12", "snils", "ogrn13", "ogrnip15", "luhn", "none"),
                (3, 3, 3, 2, 1, 2, 1),
            )[0]
        for _ in range(100_000):
            v = self._draw(kind)
            if self._ok(kind, v) and (kind == "phone_like" or not self.phone_shaped(v)):
                return v
        raise RuntimeError(kind)

    def _draw(self, kind: str) -> str:
        g = self.g
        if kind == "ts":
            return str(g.rng.randint(1_600_000_000, 1_760_000_000))
        if kind in ("ean_ogrn", "ean_luhn"):
            body = g.pick(
                ("460", "461", "462", "463", "464", "465", "466", "467", "469")
            ) + g.digits(9)
            return body + ean13_digit(body)
        if kind == "phone_like":
            return g.pick(("79", "89", "79", "74")) + g.digits(9)
        if kind == "luhn16" or (kind == "luhn" and g.chance(0.5)):
            body = str(g.rng.randint(1, 9)) + g.digits(14)
            return body + luhn_digit(body)
        if kind == "luhn":
            n = g.pick((13, 14, 17, 18, 19))
            body = str(g.rng.randint(1, 9)) + g.digits(n - 2)
            return body + luhn_digit(body)
        n = {"inn10": 10, "inn12": 12, "snils": 11, "ogrn13": 13, "ogrnip15": 15}.get(kind)
        if n is None:
            n = g.pick((10, 11, 12, 13, 16))
        first = g.pick("34") if kind == "ogrnip15" else str(g.rng.randint(1, 9))
        return first + g.digits(n - 1)

    @staticmethod
    def _ok(kind: str, v: str) -> bool:
        passed = checks_passed(v)
        want = {
            "ts": "INN-10",
            "inn10": "INN-10",
            "inn12": "INN-12",
            "snils": "SNILS",
            "ogrn13": "OGRN",
            "ogrnip15": "OGRNIP",
            "luhn16": "Luhn",
            "luhn": "Luhn",
            "ean_ogrn": "OGRN",
            "ean_luhn": "Luhn",
        }.get(kind)
        if kind == "none":
            return not passed
        if kind == "phone_like":
            return True
        if kind == "ogrnip15":
            return want in passed and std_ogrn.is_valid(v)
        return want in passed


# --------------------------------------------------------------------------
# Disguises
# --------------------------------------------------------------------------

RU_DIGIT_WORDS = (
    "ноль",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
)
EN_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
LOOKALIKE = {"0": ("О", "O", "o"), "3": ("З",), "1": ("l", "I"), "6": ("б",)}
SCRIPTS = {
    "fullwidth": 0xFF10,
    "arabic_indic": 0x0660,
    "devanagari": 0x0966,
    "math_bold": 0x1D7CE,
    "bengali": 0x09E6,
}
WORDS_AROUND_RU = (
    "первая часть {a}, вторая {b}",
    "сначала {a}, потом {b}",
    "начало: {a} … конец: {b}",
    "{a} (это начало) и дальше {b}",
    "первые цифры {a}, остальные {b}",
)
WORDS_AROUND_EN = (
    "first part {a} then {b}",
    "starts with {a}, ends with {b}",
    "{a} and after that {b}",
    "the first half is {a}, the second {b}",
)


def map_digits(s: str, fn: Callable[[str], str]) -> str:
    return "".join(fn(c) if c.isdigit() else c for c in s)


def disguise_digits(g: Gen, groups: list[str], method: str) -> str | None:
    """Return ``groups`` disguised by ``method`` (None if not applicable)."""
    compact = "".join(groups)
    seps = {
        "sep_x": "x",
        "sep_dashes": " -- ",
        "sep_slash": "/",
        "sep_dot": ".",
        "sep_underscore": "_",
        "sep_pipe": " | ",
        "newline": "\n",
    }
    if method in seps:
        return seps[method].join(groups)
    if method == "sep_emoji":
        return g.pick(("🔹", "▪️", "⭐", "➖", "🟦")).join(groups)
    if method == "mixed_seps":
        out = groups[0]
        for part in groups[1:]:
            out += g.pick((" - ", ".", " / ", "_", " ", ",")) + part
        return out
    if method == "parens":
        return "".join(f"({p})" for p in groups)
    if method == "spaced_chars":
        return " ".join(compact)
    if method == "zero_width":
        return "".join(
            c + (g.pick(ZW) if i < len(compact) - 1 else "") for i, c in enumerate(compact)
        )
    if method == "soft_hyphen":
        return SHY.join(groups) if g.chance(0.5) else SHY.join(compact)
    if method in SCRIPTS:
        base = SCRIPTS[method]
        return " ".join(map_digits(p, lambda c, b=base: chr(b + int(c))) for p in groups)
    if method == "lookalike":
        if not any(c in LOOKALIKE for c in compact):
            return None
        while True:
            out = [
                g.pick(LOOKALIKE[c]) if c in LOOKALIKE and g.chance(0.7) else c
                for c in " ".join(groups)
            ]
            text = "".join(out)
            if text != " ".join(groups):
                return text
    if method in ("words_around_ru", "words_around_en"):
        if len(groups) < 2:
            return None
        half = max(1, len(groups) // 2)
        a, b = " ".join(groups[:half]), " ".join(groups[half:])
        frames = WORDS_AROUND_RU if method.endswith("ru") else WORDS_AROUND_EN
        return g.pick(frames).format(a=a, b=b)
    if method in ("digit_words_ru", "digit_words_en"):
        if any(c.isalpha() for c in compact):
            return None
        words = RU_DIGIT_WORDS if method.endswith("ru") else EN_DIGIT_WORDS
        plus = "плюс" if method.endswith("ru") else "plus"
        return " ".join(
            " ".join(plus if c == "+" else words[int(c)] for c in p) for p in groups
        ).replace("  ", " ")
    raise ValueError(method)


DIGIT_METHODS = (
    "sep_x",
    "sep_dashes",
    "sep_slash",
    "sep_dot",
    "sep_underscore",
    "sep_pipe",
    "newline",
    "sep_emoji",
    "mixed_seps",
    "parens",
    "spaced_chars",
    "zero_width",
    "soft_hyphen",
    "fullwidth",
    "arabic_indic",
    "devanagari",
    "math_bold",
    "bengali",
    "lookalike",
    "words_around_ru",
    "words_around_en",
    "digit_words_ru",
    "digit_words_en",
)
ENCODINGS = ("base64", "hex", "percent")


def encode(value: str, enc: str) -> str:
    data = value.encode()
    if enc == "base64":
        return base64.b64encode(data).decode()
    if enc == "hex":
        return data.hex()
    return "".join(f"%{b:02X}" for b in data)


ENC_NAMES = {
    "base64": ("base64", "base64"),
    "hex": ("hex", "hex"),
    "percent": ("urlencode", "percent-encoding"),
}
ENC_FRAMES: list[Template] = [
    ("dg.enc.01", "encoded value, ru, keyword named", "{kw} в {enc}, раскодируй сам: {X}"),
    ("dg.enc.02", "encoded value, en, keyword named", "{kw_en} ({enc_en}): {X}"),
    (
        "dg.enc.03",
        "encoded to dodge DLP, ru",
        "закодировал {kw}, чтобы фильтр не спалил — {enc}: {X}",
    ),
    ("dg.enc.04", "encoded value then caret hint", "{X}\n^ {enc}, внутри {kw}"),
    ("dg.enc.05", "decode this, en", "decode this ({enc_en}), it's the {kw_en}: {X}"),
    ("dg.enc.06", "encoded value, no keyword", "глянь: {X} ({enc})"),
]
KW = {
    "card": ("номер карты", "card number"),
    "inn": ("ИНН", "INN"),
    "ogrn": ("ОГРН", "OGRN"),
    "snils": ("СНИЛС", "SNILS"),
    "passport_ru": ("паспорт", "passport number"),
    "bank_account_ru": ("расчётный счёт", "bank account"),
    "phone": ("номер телефона", "phone number"),
    "email": ("почту", "email address"),
    "iban": ("IBAN", "IBAN"),
    "secret": ("пароль", "password"),
}

DISG_FRAMES: dict[str, list[Template]] = {
    "card": [
        (
            "dg.card.01",
            "card, don't be scared by format",
            "номер карты, только не пугайся формата: {X}",
        ),
        ("dg.card.02", "transfer here arrow, no keyword", "перевод сюда → {X} ({fn_ru})"),
        (
            "dg.card.03",
            "en: split so the bot won't eat it",
            "card (split so the bot won't eat it): {X}",
        ),
        ("dg.card.04", "value then 'this is the card' with expiry", "{X}\nэто карта, срок {exp}"),
        ("dg.card.05", "send to card with amount", "кидай на карточку {X}, сумма {amount}"),
        ("dg.card.06", "en: my card digits", "my card, digits only: {X}"),
    ],
    "inn": [
        ("dg.inn.01", "INN written separately", "ИНН, пишу раздельно: {X}"),
        ("dg.inn.02", "our company's INN, don't tell", "инн нашей конторы {X}, только никому"),
        ("dg.inn.03", "en: tax id for invoice", "tax id (INN) for the invoice: {X}"),
        ("dg.inn.04", "check counterparty, this is INN", "проверь контрагента — {X} (это ИНН)"),
        ("dg.inn.05", "find them by INN", "по инн {X} найдёшь их в базе"),
    ],
    "ogrn": [
        ("dg.ogrn.01", "OGRN with dots like old form", "ОГРН как в старой анкете: {X}"),
        ("dg.ogrn.02", "check OGRN against extract", "огрн {X} — сверь с выпиской"),
        ("dg.ogrn.03", "en: OGRN of entity", "OGRN of the entity: {X}"),
        ("dg.ogrn.04", "contractor's registration number", "регистрационный номер подрядчика: {X}"),
    ],
    "snils": [
        ("dg.snils.01", "SNILS so it's not caught", "СНИЛС пишу так, чтобы не палилось: {X}"),
        ("dg.snils.02", "SNILS for HR", "снилс {X} для кадровиков"),
        ("dg.snils.03", "en: SNILS split", "SNILS, split: {X}"),
        ("dg.snils.04", "insurance number", "страховой номер — {X}"),
    ],
    "passport_ru": [
        ("dg.pass.01", "passport, don't forward", "паспорт: {X}, только не пересылай никуда"),
        (
            "dg.pass.02",
            "passport data for building pass",
            "данные паспорта для пропуска {X} ({fio})",
        ),
        ("dg.pass.03", "en: passport series/number", "passport series/number: {X}"),
        ("dg.pass.04", "series and number", "серия и номер {X}"),
    ],
    "bank_account_ru": [
        ("dg.acc.01", "account split into pieces with BIK", "р/с разбил на куски: {X}, БИК {bik}"),
        ("dg.acc.02", "settlement account", "расчётный счёт {X}"),
        (
            "dg.acc.03",
            "en: account for transfer with BIK",
            "account for the transfer: {X} (BIK {bik})",
        ),
        ("dg.acc.04", "account for salary", "счёт для зп: {X}, банк {bank}"),
    ],
    "phone": [
        ("dg.phone.01", "call", "звони {X}"),
        (
            "dg.phone.02",
            "my number, not in group chat",
            "мой номер {X}, только не свети в общем чате",
        ),
        ("dg.phone.03", "en: call/text me", "call/text me: {X}"),
        ("dg.phone.04", "number then signature", "{X} — это мой, {fn_ru}"),
        (
            "dg.phone.05",
            "X asks to call in the evening",
            "{fn_ru} просит набрать вечером, номер {X}",
        ),
    ],
    "iban": [
        (
            "dg.iban.01",
            "IBAN doesn't fit without spaces",
            "IBAN без пробелов не влезает, вот так: {X}",
        ),
        ("dg.iban.02", "transfer to, this is IBAN", "переведи на {X} (это IBAN)"),
        ("dg.iban.03", "en: IBAN split for filter", "IBAN, split for the filter: {X}"),
        ("dg.iban.04", "iban with BIC", "iban {X}, BIC {swift}"),
    ],
    "email": [
        ("dg.email.01", "write to", "пиши на {X}"),
        ("dg.email.02", "mail:", "почта: {X}"),
        ("dg.email.03", "en: mail me at", "mail me at {X}"),
        ("dg.email.04", "my personal mailbox", "{X} — мой личный ящик"),
        ("dg.email.05", "address for the scan", "адрес для скана — {X}"),
    ],
    "marking": [
        (
            "dg.mark.01",
            "marking, dealer price list",
            "{X}. Прайс для дилеров на {quarter} во вложении.",
        ),
        ("dg.mark.02", "marking header, client list", "{X}\nСписок клиентов с условиями отсрочки."),
        ("dg.mark.03", "en: bracketed marking, board deck", "[{X}] board deck v3, do not forward"),
        (
            "dg.mark.04",
            "marking, department budget",
            "{X} — бюджет отдела на {quarter}, никому не пересылай.",
        ),
        ("dg.mark.05", "stamp, network diagram", "Гриф: {X}. Схема сети филиала, {city}."),
        (
            "dg.mark.06",
            "en: marking, pricing exceptions",
            "{X}\n{co_en} pricing exceptions, approved by {name_en}.",
        ),
        ("dg.mark.07", "subject line marking", "тема: {X} / прогноз продаж {quarter}"),
        ("dg.mark.08", "en: memo with marking", "Memo ({X}): {codename} deal terms, v2."),
    ],
}

MARK_BASE = (
    "Коммерческая тайна",
    "Конфиденциально",
    "Строго конфиденциально",
    "Для служебного пользования",
    "Конфиденциальная информация",
    "Strictly confidential",
    "Confidential",
    "Internal use only",
    "For internal use only",
    "Company confidential",
    "Under NDA",
)
MARK_TRANSLIT = {
    "Коммерческая тайна": ("Kommercheskaya tayna", "kommercheskaja tajna", "KOMMERCHESKAYA TAINA"),
    "Конфиденциально": ("Konfidentsialno", "Konfidencialno", "konfidencial'no", "KONFIDENTSIALNO"),
    "Строго конфиденциально": ("Strogo konfidentsialno", "strogo konfidencialno"),
    "Для служебного пользования": ("Dlya sluzhebnogo polzovaniya", "dlja sluzhebnogo pol'zovanija"),
    "Конфиденциальная информация": ("Konfidentsialnaya informatsiya",),
}
MARK_LEET = {
    "Коммерческая тайна": ("К0ммерческая тайна", "Komm3rcheskaya tayna", "К0ММЕРЧЕСКАЯ ТАЙНА"),
    "Конфиденциально": ("К0нфиденциальн0", "K0nfidencialno", "К0НФИДЕНЦИАЛЬН0", "Konf1dencialn0"),
    "Строго конфиденциально": ("Стр0г0 к0нфиденциальн0",),
    "Для служебного пользования": ("Для служ3бного п0льзования",),
    "Strictly confidential": (
        "Str1ctly c0nf1dent1al",
        "$trictly confidentia1",
        "STR1CTLY C0NFIDENTIAL",
    ),
    "Confidential": ("C0NF1D3NT1AL", "Conf!dential", "c0nfidential"),
    "Internal use only": ("1nternal use 0nly", "Int3rnal us3 only"),
    "For internal use only": ("F0r 1nternal use 0nly",),
    "Company confidential": ("C0mpany c0nfidential",),
    "Under NDA": ("Under N.D.A.", "under N-D-A"),
}
CYR_TO_LAT = {
    "а": "a",
    "о": "o",
    "е": "e",
    "с": "c",
    "р": "p",
    "х": "x",
    "К": "K",
    "Т": "T",
    "Н": "H",
    "М": "M",
    "А": "A",
    "О": "O",
    "Е": "E",
    "С": "C",
    "Р": "P",
    "у": "y",
}
LAT_TO_CYR = {v: k for k, v in CYR_TO_LAT.items()}
MARK_METHODS = (
    "letter_spaced",
    "dotted_upper",
    "underscore",
    "hyphen_letters",
    "translit",
    "leet",
    "homoglyph",
    "zero_width",
    "soft_hyphen",
    "concat_lower",
    "alt_case",
    "middot",
)


def disguise_marking(g: Gen, base: str, method: str) -> str | None:
    words = base.split()
    if method == "letter_spaced":
        return "  ".join(" ".join(w) for w in words)
    if method == "dotted_upper":
        return "  ".join(".".join(w.upper()) for w in words)
    if method == "underscore":
        return "_".join(words) if g.chance(0.6) else "_".join(words).upper()
    if method == "hyphen_letters":
        return " ".join("-".join(w.upper()) for w in words)
    if method == "middot":
        return " ".join("·".join(w) for w in words)
    if method == "translit":
        return g.pick(MARK_TRANSLIT[base]) if base in MARK_TRANSLIT else None
    if method == "leet":
        return g.pick(MARK_LEET[base]) if base in MARK_LEET else None
    if method == "homoglyph":
        table = CYR_TO_LAT if re.search("[а-яА-Я]", base) else LAT_TO_CYR
        while True:
            out = "".join(table[c] if c in table and g.chance(0.5) else c for c in base)
            if out != base:
                return out
    if method == "zero_width":
        return "".join(c + (g.pick(ZW) if c != " " and g.chance(0.5) else "") for c in base).rstrip(
            "".join(ZW)
        )
    if method == "soft_hyphen":
        out = []
        for w in words:
            cut = sorted({g.rng.randint(1, max(1, len(w) - 1)) for _ in range(2)})
            parts, prev = [], 0
            for c in cut:
                parts.append(w[prev:c])
                prev = c
            parts.append(w[prev:])
            out.append(SHY.join(p for p in parts if p))
        return " ".join(out)
    if method == "concat_lower":
        return "".join(words).lower()
    if method == "alt_case":
        return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(base))
    raise ValueError(method)


EMAIL_METHODS = (
    "sobaka",
    "at_brackets",
    "at_words",
    "spaced",
    "zero_width",
    "fullwidth_at",
    "html_entity",
    "split_parts",
    "reversed",
    "soft_hyphen",
    "homoglyph",
    "tochka",
)


def disguise_email(g: Gen, email: str, method: str) -> str:
    local, domain = email.split("@")
    if method == "sobaka":
        at = g.pick((" [собака] ", " (собака) ", " собака ", " собачка "))
        dom = domain.replace(".", g.pick((" точка ", "[.]", " . ")))
        return f"{local}{at}{dom}"
    if method == "tochka":
        return f"{local.replace('.', ' точка ')} собака {domain.replace('.', ' точка ')}"
    if method == "at_brackets":
        at, dot = g.pick(
            (("(at)", "."), ("[at]", "[dot]"), ("{at}", "{dot}"), (" [at] ", " [dot] "))
        )
        return f"{local}{at}{domain.replace('.', dot)}"
    if method == "at_words":
        return f"{local.replace('.', ' dot ')} at {domain.replace('.', ' dot ')}"
    if method == "spaced":
        return f"{local} @ {domain.replace('.', ' . ')}"
    if method == "zero_width":
        return "".join(c + (g.pick(ZW) if g.chance(0.3) else "") for c in email[:-1]) + email[-1]
    if method == "fullwidth_at":
        return f"{local}＠{domain.replace('.', '．')}"
    if method == "html_entity":
        return (
            f"{local}&#64;{domain}"
            if g.chance(0.6)
            else f"{local}&#x40;{domain.replace('.', '&#46;')}"
        )
    if method == "split_parts":
        return g.pick(
            (
                f"логин {local}, домен {domain} — собери сам",
                f"user {local}, domain {domain}, you know the format",
                f"имя ящика {local}, сервис {domain}",
            )
        )
    if method == "reversed":
        return f"{email[::-1]} (читать справа налево)"
    if method == "soft_hyphen":
        i = g.rng.randint(1, len(local) - 1)
        return f"{local[:i]}{SHY}{local[i:]}@{SHY}{domain}"
    if method == "homoglyph":
        while True:
            out = "".join(LAT_TO_CYR[c] if c in LAT_TO_CYR and g.chance(0.4) else c for c in email)
            if out != email:
                return out
    raise ValueError(method)


SECRET_METHODS = (
    "pw_spaced",
    "pw_reversed",
    "pw_kw_leet",
    "pw_halves",
    "token_zero_width",
    "token_lines",
    "token_halves",
    "token_spaced_groups",
    "conn_percent",
    "pem_spaced_header",
    "jwt_parts",
    "token_soft_hyphen",
)
TOKEN_KINDS = ("sk", "ghp", "aws", "slack", "tgbot", "gkey", "glpat", "npm")


def disguise_secret(g: Gen, method: str) -> tuple[str, str, str]:
    """Return (template id, note, text) for a disguised secret."""
    if method.startswith("pw_"):
        pw = g.password()
        system = g.pick(("от стенда", "от админки", "от 1С", "от VPN", "от почты", "от архива"))
        if method == "pw_spaced":
            return (
                "dg.sec.01",
                "password spelled letter by letter",
                f"пароль {system} по буквам: {' '.join(pw)}",
            )
        if method == "pw_reversed":
            return (
                "dg.sec.02",
                "password written backwards",
                f"пароль {system} задом наперёд: {pw[::-1]}",
            )
        if method == "pw_kw_leet":
            kw = g.pick(("п@роль", "пар0ль", "pa$$word", "p@ss", "parol", "пассворд", "pwd"))
            return "dg.sec.03", "password keyword obfuscated", f"{kw} {system}: {pw}"
        i = len(pw) // 2
        return (
            "dg.sec.04",
            "password sent in two halves with words around",
            f"пароль {system}: первая половина {pw[:i]}, вторая — {pw[i:]}",
        )
    if method == "conn_percent":
        c = g.conn()
        return (
            "dg.sec.05",
            "connection string percent-encoded",
            f"строка подключения (urlencoded): {urllib.parse.quote(c, safe='')}",
        )
    if method == "pem_spaced_header":
        pem = g.pem()
        lines = pem.split("\n")
        head = lines[0].strip("-")
        spaced = "- - - - - " + "  ".join(" ".join(w) for w in head.split()) + " - - - - -"
        return (
            "dg.sec.06",
            "PEM private key with letter-spaced header",
            f"ключ, шапку разбил пробелами:\n{spaced}\n{lines[1]}\n...",
        )
    if method == "jwt_parts":
        h, p, s = g.api_key("jwt").split(".")
        return (
            "dg.sec.07",
            "JWT split into parts on lines",
            f"токен по частям (склей через точку):\n{h}\n{p}\n{s}",
        )
    tok = g.api_key(g.pick(TOKEN_KINDS))
    if method == "token_zero_width":
        step = g.rng.randint(3, 7)
        text = "".join(c + (g.pick(ZW) if i % step == step - 1 else "") for i, c in enumerate(tok))
        return (
            "dg.sec.08",
            "API token with zero-width chars inside",
            f"ключ для интеграции: {text.rstrip(''.join(ZW))}",
        )
    if method == "token_lines":
        a, b = len(tok) // 3, 2 * len(tok) // 3
        return (
            "dg.sec.09",
            "API token split across three lines",
            f"token, three lines, join them:\n{tok[:a]}\n{tok[a:b]}\n{tok[b:]}",
        )
    if method == "token_halves":
        i = len(tok) // 2
        return (
            "dg.sec.10",
            "API token in halves with words around",
            f"начало токена {tok[:i]}, а хвост такой: {tok[i:]}",
        )
    if method == "token_spaced_groups":
        return (
            "dg.sec.11",
            "API token in space-separated groups of 4",
            "key: " + " ".join(chunk(tok, [4] * 40)),
        )
    if method == "token_soft_hyphen":
        i = g.rng.randint(4, len(tok) - 4)
        return (
            "dg.sec.12",
            "API token with soft hyphen",
            f"токен доступа {tok[:i]}{SHY}{tok[i:]} — не светить",
        )
    raise ValueError(method)


# --------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------

Record = dict[str, object]


def cycle(g: Gen, items: Sequence[object], n: int) -> list[object]:
    """``n`` items, every item used before any repeats (balanced template use)."""
    out: list[object] = []
    while len(out) < n:
        batch = list(items)
        g.rng.shuffle(batch)
        out.extend(batch)
    return out[:n]


def decorate(g: Gen, text: str, labels: set[str]) -> str:
    """Light, label-preserving chat noise: emoji, dropped final period, lowercase start."""
    r = g.rng.random()
    if r < 0.08 and not text.endswith("\n") and not any(e in text for e in EMOJI):
        text = text.rstrip() + " " + g.pick(EMOJI)
    elif r < 0.14 and text.endswith("."):
        text = text[:-1]
    elif r < 0.18 and "secret" not in labels and text[:1].isupper() and text[1:2].islower():
        text = text[:1].lower() + text[1:]
    return text


def record(
    text: str,
    labels: set[str],
    category: str,
    note: str,
    tid: str,
    digits: list[str],
    values: list[tuple[str, str]] | None = None,
) -> Record:
    return {
        "_values": values or [],
        "text": text,
        "labels": [k for k in KINDS if k in labels],
        "category": category,
        "note": f"{note} [{tid}]",
        "_tid": tid,
        "_digits": digits,
    }


def gen_plain(g: Gen, n_multi: int, n_single: dict[str, int]) -> list[Record]:
    out: list[Record] = []
    plan = [(None, t) for t in cycle(g, PLAIN_MULTI, n_multi)]
    for kind in KINDS:
        plan += [(kind, t) for t in cycle(g, PLAIN[kind], n_single[kind])]
    for kind, tpl in plan:
        tid, note, text = tpl  # type: ignore[misc]
        while True:
            rendered, slots = render(g, text)
            assert kind is None or slots.labels == {kind}, (tid, slots.labels)
            rec = record(
                decorate(g, rendered, slots.labels),
                slots.labels,
                "plain",
                note,
                tid,
                slots.sensitive_digits,
                slots.values,
            )
            if accept(rec):
                out.append(rec)
                break
    return out


def gen_hard_negative(g: Gen, n: int) -> list[Record]:
    out: list[Record] = []
    for tpl in cycle(g, HARD_NEGATIVE, n):
        tid, note, text = tpl  # type: ignore[misc]
        while True:
            rendered, slots = render(g, text)
            assert not slots.labels, tid
            rec = record(decorate(g, rendered, set()), set(), "hard_negative", note, tid, [])
            if accept(rec):
                out.append(rec)
                break
    return out


def gen_numeric_negative(g: Gen, n: int) -> list[Record]:
    traps = Traps(g)
    out: list[Record] = []
    for tpl in cycle(g, NUMERIC_NEGATIVE, n):
        tid, note, text, kinds = tpl  # type: ignore[misc]
        kind = g.pick(kinds)
        num = traps.make(kind)
        rendered, slots = render(g, text, {"num": num})
        assert not slots.labels, tid
        passed = checks_passed(num)
        desc = (
            f"{note}; {len(num)}-digit number passes {'/'.join(passed) if passed else 'no check'}"
        )
        if kind == "phone_like":
            desc += " (phone-length id)"
        out.append(record(rendered, set(), "numeric_negative", desc, tid, [num]))
    return out


def digit_value(g: Gen, kind: str, slots: Slots) -> tuple[list[str], str]:
    """A fresh sensitive value of ``kind`` as display groups plus a short description."""
    if kind == "card":
        num, groups = g.card()
        return groups, f"{len(num)}-digit card"
    if kind == "inn":
        if g.chance(0.5):
            v = g.inn10()
            return chunk(v, g.rng.choice(((4, 3, 3), (2, 2, 6), (3, 3, 4)))), "INN-10"
        v = g.inn12()
        return chunk(v, g.rng.choice(((4, 4, 4), (2, 2, 6, 2), (3, 3, 3, 3)))), "INN-12"
    if kind == "ogrn":
        if g.chance(0.65):
            return chunk(
                g.ogrn13(), g.rng.choice(((4, 4, 5), (1, 2, 2, 7, 1), (3, 3, 3, 4)))
            ), "OGRN"
        return chunk(g.ogrnip15(), (5, 5, 5)), "OGRNIP"
    if kind == "snils":
        return chunk(g.snils(), (3, 3, 3, 2)), "SNILS"
    if kind == "passport_ru":
        ser, num = g.passport()
        return ([ser[:2], ser[2:], num] if g.chance(0.5) else [ser, num]), "passport"
    if kind == "bank_account_ru":
        acc = g.account(slots["bik"], g.pick(("org", "org", "ip", "person")))
        return chunk(acc, g.rng.choice(((5, 3, 1, 4, 7), (4, 4, 4, 4, 4)))), "account"
    if kind == "phone":
        pk = g.rng.choices(("ru_mobile", "ru_land", "intl"), (6, 2, 2))[0]
        return g.phone(pk)[1], f"phone {pk}"
    if kind == "iban":
        v = g.iban()
        return chunk(v, [4] * 9), f"IBAN {v[:2]}"
    raise ValueError(kind)


def gen_disguised(g: Gen, per_kind: dict[str, int]) -> list[Record]:
    out: list[Record] = []

    def add(rec: Record) -> int:
        if accept(rec):
            out.append(rec)
            return 1
        return 0

    for kind in KINDS:
        n = per_kind[kind]
        if kind == "marking":
            plan = cycle(g, [(b, m) for b in MARK_BASE for m in MARK_METHODS], n * 3)
            made = 0
            for item in plan:
                if made >= n:
                    break
                base, method = item  # type: ignore[misc]
                value = disguise_marking(g, base, method)  # type: ignore[arg-type]
                if value is None or value.lower() == str(base).lower():
                    continue
                tid, note, frame = g.rng.choice(DISG_FRAMES["marking"])
                text, slots = render(g, frame, {"X": value})
                made += add(
                    record(text, {"marking"}, "disguised", f"{note}; {method} of '{base}'", tid, [])
                )
            continue
        methods: list[str]
        if kind == "email":
            methods = list(EMAIL_METHODS)
        elif kind == "secret":
            methods = list(SECRET_METHODS)
        else:
            methods = list(DIGIT_METHODS)
        plan = cycle(g, methods, n * 3)
        made = 0
        for m in plan:
            if made >= n:
                break
            method = str(m)
            slots = Slots(g)
            encoded = g.chance(0.15)
            digits: list[str] = []
            if kind == "secret":
                if encoded:
                    is_token = g.chance(0.5)
                    raw = g.api_key(g.pick(TOKEN_KINDS)) if is_token else g.password()
                    kw = ("токен", "API token") if is_token else KW["secret"]
                    desc = "API token" if is_token else "password"
                else:
                    tid, note, text = disguise_secret(g, method)
                    made += add(record(text, {"secret"}, "disguised", note, tid, []))
                    continue
            elif kind == "email":
                raw = g.email(g.pick(("ru", "en")))
                kw, desc = KW["email"], "email"
                if not encoded:
                    value = disguise_email(g, raw, method)
                    tid, note, frame = g.rng.choice(DISG_FRAMES["email"])
                    text, _ = render(g, frame, {"X": value})
                    made += add(
                        record(
                            text,
                            {"email"},
                            "disguised",
                            f"{note}; {method}",
                            tid,
                            [],
                            [("email", raw)],
                        )
                    )
                    continue
            else:
                if kind == "bank_account_ru":
                    slots["bik"] = g.bik()
                groups, desc = digit_value(g, kind, slots)
                raw = "".join(groups)
                digits = [re.sub(r"\D", "", raw)]
                kw = KW[kind]
                if not encoded:
                    value = disguise_digits(g, groups, method)
                    plain_forms = {" ".join(groups), raw, "-".join(groups)}
                    if value is None or value in plain_forms:
                        continue
                    tid, note, frame = g.rng.choice(DISG_FRAMES[kind])
                    slots["X"] = value
                    text = frame.format_map(slots)
                    if kind == "bank_account_ru" and "{bik}" in frame:
                        assert account_valid(slots["bik"], digits[0])
                    made += add(
                        record(
                            text,
                            {kind},
                            "disguised",
                            f"{note}; {desc}; {method}",
                            tid,
                            digits,
                            [(kind, raw)],
                        )
                    )
                    continue
            enc = g.pick(ENCODINGS)
            tid, note, frame = g.rng.choice(ENC_FRAMES)
            ru, en = ENC_NAMES[enc]
            text, _ = render(
                g,
                frame,
                {"X": encode(raw, enc), "kw": kw[0], "kw_en": kw[1], "enc": ru, "enc_en": en},
            )
            made += add(
                record(
                    text, {kind}, "disguised", f"{note}; {desc}; {enc}", tid, digits, [(kind, raw)]
                )
            )
        assert made == n, (kind, made)
    return out


# --------------------------------------------------------------------------
# Audit: independent re-checks of every line
# --------------------------------------------------------------------------

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE_RE = re.compile(
    r"\+\d[\d\s().-]{8,}\d|\b8[\s(.-]*\d{3}[\s).-]*\d{3}[\s.-]*\d{2}[\s.-]*\d{2}\b"
)
SECRET_RE = re.compile(
    r"ghp_|gho_|github_pat_|\b(?:AKIA|ASIA)[A-Z2-7]{16}\b|xox[bpa]-|\b[sr]k[-_](?:live|proj|ant)|"
    r"eyJ[A-Za-z0-9_-]{10,}\.|BEGIN [A-Z ]*PRIVATE KEY|glpat-|\bnpm_[A-Za-z0-9]{36}|\bAIza|"
    r"://[^\s:/@]*:[^\s@/]+@|Password=[^;\s]+;|пароль[:\s]+\S*\d"
)
MARKING_RE = re.compile(
    r"коммерческая тайна|коммерческую тайну|\bконфиденциально\b|конфиденциальная информация|"
    r"для служебного пользования|strictly confidential|internal use only|company confidential|"
    r"proprietary and confidential|\bconfidential\b|under nda|nda-protected|под nda|\[nda\]",
    re.IGNORECASE,
)
KEYWORD_RE = re.compile(
    r"инн|снилс|огрн|паспорт|карт|card|счёт|счет|тел\.|phone|iban|пароль|password", re.IGNORECASE
)


CHECK_KIND = {
    "INN-10": "inn",
    "INN-12": "inn",
    "SNILS": "snils",
    "OGRN": "ogrn",
    "OGRNIP": "ogrn",
    "Luhn": "card",
}


def value_valid(kind: str, value: str) -> bool:
    """Independent re-validation of one labelled value (display form)."""
    d = re.sub(r"\D", "", value)
    if kind == "card":
        return 13 <= len(d) <= 19 and luhn.is_valid(d)
    if kind == "inn":
        return len(d) in (10, 12) and std_inn.is_valid(d)
    if kind == "ogrn":
        return bool({"OGRN", "OGRNIP"} & set(checks_passed(d))) and std_ogrn.is_valid(d)
    if kind == "snils":
        return snils_valid(d)
    if kind == "passport_ru":
        return len(d) == 10
    if kind == "bank_account_ru":
        return len(d) == 20 and d[0] == "4"
    if kind == "phone":
        return 10 <= len(d) <= 15
    if kind == "email":
        return bool(EMAIL_RE.fullmatch(value))
    if kind == "iban":
        return iban.is_valid(value)
    return bool(value)


REJECTED: Counter[str] = Counter()


def accept(rec: Record) -> bool:
    """Keep a freshly generated line only if the audit finds nothing ambiguous in it."""
    if audit([rec]):
        REJECTED[str(rec["_tid"])] += 1
        return False
    return True


def audit(records: list[Record]) -> list[str]:
    errors: list[str] = []
    for rec in records:
        text = str(rec["text"])
        labels = set(rec["labels"])  # type: ignore[call-overload]
        cat = rec["category"]
        tid = rec["_tid"]
        allowed: list[str] = rec["_digits"]  # type: ignore[assignment]
        where = f"{tid}: {text[:60]!r}"
        if not 20 <= len(text) <= 400:
            errors.append(f"length {len(text)} {where}")
        if (cat in ("hard_negative", "numeric_negative")) == bool(labels):
            errors.append(f"label/category mismatch {where}")
        if "email" not in labels:
            for m in EMAIL_RE.finditer(text):
                # user:password@host inside a connection string is a secret, not an address
                if not ("secret" in labels and "://" in text):
                    errors.append(f"unlabelled email {m.group()} {where}")
        if "phone" not in labels and cat != "numeric_negative" and PHONE_RE.search(text):
            errors.append(f"unlabelled phone {PHONE_RE.search(text).group()!r} {where}")  # type: ignore[union-attr]
        if "secret" not in labels and SECRET_RE.search(text):
            errors.append(f"unlabelled secret shape {where}")
        if "marking" not in labels and MARKING_RE.search(text):
            errors.append(f"unlabelled marking {MARKING_RE.search(text).group()!r} {where}")  # type: ignore[union-attr]
        if cat == "numeric_negative":
            if KEYWORD_RE.search(text):
                errors.append(f"keyword in numeric negative {where}")
            num = allowed[0]
            if num not in text:
                errors.append(f"number missing {where}")
            continue
        for run in digit_runs(text):
            if not 10 <= len(run) <= 20:
                continue
            kinds = {CHECK_KIND[c] for c in checks_passed(run) if c in CHECK_KIND}
            if kinds - labels or (cat == "hard_negative" and checks_passed(run)):
                errors.append(f"checksum-valid run {run} passes {kinds - labels} {where}")
            elif kinds and not any(run in a for a in allowed):
                errors.append(f"checksum-valid run {run} is not a labelled value {where}")
        for kind, value in rec["_values"]:  # type: ignore[attr-defined]
            if not value_valid(kind, value):
                errors.append(f"invalid {kind} value {value!r} {where}")
    return errors


def validate_values(records: list[Record]) -> list[str]:
    """Kind-specific re-validation of the values we can pull back out of plain lines."""
    errors: list[str] = []
    for rec in records:
        text = str(rec["text"])
        labels = set(rec["labels"])  # type: ignore[call-overload]
        if rec["category"] != "plain":
            continue
        if "bank_account_ru" in labels:
            accs = re.findall(r"(?<!\d)(4\d{19})(?!\d)", re.sub(r"(?<=\d) (?=\d{4}\b)", "", text))
            biks = re.findall(r"БИК:? (\d{9})|BI[KC] (\d{9})", text)
            if not accs:
                errors.append(f"no account found {rec['_tid']}")
            for b in [x or y for x, y in biks]:
                for a in accs:
                    if not account_valid(b, a):
                        errors.append(f"account {a} fails key with BIK {b} {rec['_tid']}")
        if "iban" in labels:
            found = re.findall(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4})+(?: ?[A-Z0-9]{1,4})?", text)
            if not any(iban.is_valid(f) for f in found):
                errors.append(f"no valid IBAN in {rec['_tid']}: {text!r}")
    return errors


def main() -> int:
    g = Gen(SEED)
    singles = {k: 130 for k in KINDS} | {"iban": 140, "card": 134, "snils": 134}
    plain = gen_plain(g, n_multi=170, n_single=singles)
    disguised = gen_disguised(
        g,
        {
            "card": 66,
            "inn": 60,
            "ogrn": 48,
            "snils": 58,
            "passport_ru": 58,
            "bank_account_ru": 58,
            "phone": 66,
            "email": 66,
            "iban": 58,
            "secret": 72,
            "marking": 80,
        },
    )
    hard = gen_hard_negative(g, 900)
    numeric = gen_numeric_negative(g, 360)
    records = plain + disguised + hard + numeric
    errors = audit(records) + validate_values(records)
    if errors:
        print("\n".join(errors[:60]), file=sys.stderr)
        print(f"{len(errors)} audit errors", file=sys.stderr)
        return 1
    g.rng.shuffle(records)
    with OUT.open("w", encoding="utf-8") as fh:
        for i, rec in enumerate(records, 1):
            line = {
                "id": f"ho-{i:04d}",
                **{k: rec[k] for k in ("text", "labels", "category", "note")},
            }
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    report(records)
    print(
        f"regenerated (ambiguous draws rejected): {sum(REJECTED.values())}; "
        f"top: {REJECTED.most_common(6)}"
    )
    return 0


def report(records: list[Record]) -> None:
    cats = Counter(str(r["category"]) for r in records)
    table: Counter[tuple[str, str]] = Counter()
    for r in records:
        for k in r["labels"]:  # type: ignore[attr-defined]
            table[(k, str(r["category"]))] += 1
    print(f"total lines: {len(records)}")
    for c in CATEGORIES:
        print(f"  {c}: {cats[c]} ({cats[c] / len(records):.1%})")
    print("| kind | plain | disguised | total |")
    print("|---|---:|---:|---:|")
    for k in KINDS:
        p, d = table[(k, "plain")], table[(k, "disguised")]
        print(f"| {k} | {p} | {d} | {p + d} |")
    tids = {str(r["_tid"]) for r in records}
    print(f"distinct templates: {len(tids)}")
    multi = sum(1 for r in records if len(r["labels"]) > 1)  # type: ignore[arg-type]
    print(f"multi-label lines: {multi}")


if __name__ == "__main__":
    sys.exit(main())
