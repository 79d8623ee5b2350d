"""The generated dev corpus for bench/policy_bench.py: seeded chat messages with ground truth.

Every message has a category, as in an external labelled corpus (``--corpus``):

- ``plain``: one piece of sensitive data, written as people write it — with the kind's word
  ("ИНН 7707083893", "card number …") or with supporting words only ("Реквизиты: ООО «…»,
  7707083893/770701001"), inside business chat full of dates, prices and order numbers;
- ``disguised``: the same, typed the way a user hiding it would (zero-width characters,
  fullwidth digits, look-alike letters in the number or in the word, digits spaced out);
- ``hard_negative``: business chat with no personal data — dates, times, prices, invoice and
  contract numbers, tracking codes, UUIDs, hashes, IP addresses, versions, and kind words with
  no valid number ("ИНН пришлю позже", a mistyped INN);
- ``numeric_negative``: numbers that pass a check digit but are not personal data — Unix
  timestamps, tracking numbers, build, ticket, call and request ids, numbers in URLs and logs.

The numbers are built from the published algorithms, independently of gateway.policy. This is
the set to tune on; the held-out set (bench/heldout/) is scored, never read while tuning.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from gateway.policy.findings import KINDS


@dataclass(frozen=True)
class Sample:
    text: str
    kinds: frozenset[str]
    category: str
    note: str = ""

    @property
    def disguised(self) -> bool:
        return self.category == "disguised"


# --- valid numbers (written from the published algorithms, independent of gateway.policy) ---


def luhn_complete(prefix: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return prefix + str((10 - total % 10) % 10)


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn10_check(head: str) -> str:
    return str(_weighted(head, INN10_W) % 11 % 10)


def inn10(rng: random.Random) -> str:
    head = f"{rng.randint(1, 89):02d}" + "".join(rng.choices(string.digits, k=7))
    return head + inn10_check(head)


def inn12_complete(head: str) -> str:
    head += str(_weighted(head, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)
    return head + str(_weighted(head, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)


def inn12(rng: random.Random) -> str:
    return inn12_complete(f"{rng.randint(1, 89):02d}" + "".join(rng.choices(string.digits, k=8)))


def ogrn(rng: random.Random) -> str:
    if rng.random() < 0.7:
        head = rng.choice("15") + f"{rng.choice([2, 3, 5, 8, 12, 15, 19, 21, 24]):02d}"
        head += f"{rng.randint(1, 99):02d}" + "".join(rng.choices(string.digits, k=7))
        return head + str(int(head) % 11 % 10)
    head = "3" + "".join(rng.choices(string.digits, k=13))
    return head + str(int(head) % 13 % 10)


def snils_complete(head: str) -> str:
    total = sum(int(d) * (9 - i) for i, d in enumerate(head))
    return head + f"{total % 101 % 100:02d}"


def snils(rng: random.Random) -> str:
    return snils_complete(f"{rng.randint(1_002_000, 999_999_999):09d}")


def account(rng: random.Random, bik: str) -> str:
    head = rng.choice(["40702810", "40817810", "40802810"])
    tail = "".join(rng.choices(string.digits, k=11))
    for key in string.digits:
        number = head + key + tail
        if _weighted(bik[-3:] + number, (7, 1, 3) * 8) % 10 == 0:
            return number
    raise AssertionError


def iban(rng: random.Random) -> str:
    country, size = rng.choice([("DE", 18), ("FR", 23), ("GB", 18), ("NL", 14), ("ES", 20)])
    letters = "".join(rng.choices(string.ascii_uppercase, k=4))
    if country in ("GB", "NL"):
        bban = letters + "".join(rng.choices(string.digits, k=size - 4))
    else:
        bban = "".join(rng.choices(string.digits, k=size))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


CARD_PREFIXES = [
    "2200", "2201", "2202", "2204", "4", "4276", "51", "55", "2221", "2720", "62", "6759", "5018",
]  # fmt: skip


def card(rng: random.Random) -> str:
    prefix = rng.choice(CARD_PREFIXES)
    length = 19 if prefix in ("62", "6759") and rng.random() < 0.2 else 16
    body = prefix + "".join(rng.choices(string.digits, k=length - 1 - len(prefix)))
    return luhn_complete(body)


def fours(number: str, sep: str = " ") -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def kpp(rng: random.Random) -> str:
    return f"{rng.randint(10, 99)}{rng.randint(1, 99):02d}01001"


# --- disguises -------------------------------------------------------------------------------

LOOK = {"0": "О", "3": "З", "1": "l"}
WORD_LOOK = str.maketrans({"Н": "H", "С": "C", "О": "O", "а": "a", "р": "p", "о": "o", "е": "e"})


def disguise(rng: random.Random, value: str) -> str:
    trick = rng.choice(["zw", "fullwidth", "lookalike", "soft", "spaced"])
    if trick == "zw":
        return "\u200b".join(value)
    if trick == "soft":
        return "".join(c + ("\u00ad" if c.isdigit() and rng.random() < 0.4 else "") for c in value)
    if trick == "fullwidth":
        return "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in value)
    if trick == "spaced":
        return " ".join(c for c in value if c != " ")
    inner = list(value)
    for i in range(1, len(inner) - 1):
        if inner[i] in LOOK and inner[i - 1].isdigit() and rng.random() < 0.5:
            inner[i] = LOOK[inner[i]]
    return "".join(inner)


def disguise_word(rng: random.Random, phrase: str, value: str) -> str:
    """Look-alike letters (or dots) in the words before the value: "ИHН", "С.Н.И.Л.С."."""
    head, _, tail = phrase.partition(value)
    if rng.random() < 0.5:
        head = head.translate(WORD_LOOK)
    else:
        words = head.split(" ")
        head = " ".join(".".join(w) + "." if w.isupper() and len(w) >= 3 else w for w in words)
    return head + value + tail


# --- sensitive snippets per kind -------------------------------------------------------------

EN_NAMES = ["john", "mary", "alex", "olga", "dmitry", "anna", "sergey", "kate"]
DOMAINS = ["example.ru", "corp.example.com", "mail.example.org", "партнёр.рф", "example.co.uk"]
ORGS = ["Ромашка", "Вектор", "СтройИнвест", "Альфа-Трейд", "Северный ветер"]
PEOPLE = ["Иванов И. И.", "Петрова А. С.", "Сидоров П. П."]


def _phone(rng: random.Random) -> str:
    n = "".join(rng.choices(string.digits, k=7))
    code = rng.choice(["916", "903", "926", "985", "495", "812", "999"])
    return rng.choice(
        [
            f"+7 {code} {n[:3]}-{n[3:5]}-{n[5:]}",
            f"8 ({code}) {n[:3]}-{n[3:5]}-{n[5:]}",
            f"+7{code}{n}",
            f"8-{code}-{n[:3]}-{n[3:5]}-{n[5:]}",
            f"+44 20 7946 {rng.randint(1000, 9999)}",
            f"+1 (415) 555-{rng.randint(1000, 9999)}",
        ]
    )


def _secret(rng: random.Random) -> str:
    alnum = string.ascii_letters + string.digits
    upper = string.ascii_uppercase + string.digits
    return rng.choice(
        [
            "AKIA" + "".join(rng.choices(upper, k=16)),
            f"{rng.randint(10**8, 10**10 - 1)}:AA" + "".join(rng.choices(alnum + "_-", k=33)),
            "ghp_" + "".join(rng.choices(alnum, k=36)),
            "xoxb-" + "".join(rng.choices(string.digits, k=12)) + "-"
            + "".join(rng.choices(alnum, k=24)),
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI" + "".join(rng.choices(alnum, k=20)) + "."
            + "".join(rng.choices(alnum, k=43)),
            "password=" + "".join(rng.choices(alnum + "!#%", k=14)),
            "DB_PASSWORD=" + "".join(rng.choices(alnum, k=18)),
        ]
    )  # fmt: skip


MARKINGS = [
    "Коммерческая тайна", "КОНФИДЕНЦИАЛЬНО", "Для служебного пользования", "ДСП",
    "Строго конфиденциально", "CONFIDENTIAL", "Internal use only", "Strictly confidential",
]  # fmt: skip


def snippet(kind: str, rng: random.Random) -> tuple[str, str, str]:
    """(russian phrase, english phrase, the value itself) for one piece of ``kind``."""
    pick = rng.choice
    if kind == "card":
        v = card(rng)
        shown = pick([fours(v), v, fours(v, "-")]) if len(v) == 16 else v
        ru = pick(["номер карты {}", "карта {}", "переведи на карту {}", "оплата картой {}",
                   "Сбер, {}", "{}"])  # fmt: skip
        en = pick(["card number {}", "Visa {}", "pay to card {}", "my card: {}", "{}"])
        return ru.format(shown), en.format(shown), shown
    if kind == "inn":
        v = pick([inn10, inn12])(rng)
        if rng.random() < 0.2 and len(v) == 10:  # requisites: supporting words, no "ИНН"
            shown = f"{v}/{kpp(rng)}"
            return f"Реквизиты: ООО «{pick(ORGS)}», {shown}", f"LLC {pick(ORGS)}, {shown}", v
        ru = pick(["ИНН {}", "ИНН: {}", "инн {}", "ИНН организации — {}", "{} (ИНН)",
                   f"ИП {pick(PEOPLE)}, ИНН {{}}"])  # fmt: skip
        en = pick(["INN {}", "TIN: {}", "Tax ID {}", "taxpayer number {}", "INN: {}"])
        return ru.format(v), en.format(v), v
    if kind == "ogrn":
        v = ogrn(rng)
        word = "ОГРНИП" if len(v) == 15 else "ОГРН"
        ru = pick([f"{word} {{}}", f"{word}: {{}}", f"ООО «{pick(ORGS)}», {word} {{}}"])
        return ru.format(v), pick(["OGRN {}", "PSRN {}"]).format(v), v
    if kind == "snils":
        v = snils(rng)
        shown = pick([v, f"{v[:3]}-{v[3:6]}-{v[6:9]} {v[9:]}"])
        ru = pick(["СНИЛС {}", "СНИЛС: {}", "страховой номер {}", "снилс сотрудника {}"])
        return ru.format(shown), pick(["SNILS {}", "SNILS: {}"]).format(shown), shown
    if kind == "passport_ru":
        s, n = f"{rng.randint(1, 99):02d}{rng.randint(0, 99):02d}", f"{rng.randint(100000, 999999)}"
        ru = pick([f"паспорт серия {s} номер {n}", f"паспорт {s} {n}", f"серия {s} № {n}, выдан"])
        return ru, pick([f"passport {s} {n}", f"passport no. {s} {n}"]), f"{s} {n}"
    if kind == "bank_account_ru":
        bik = pick(["044525225", "044525593", "044030653", "046577674"])
        v = account(rng, bik)
        return f"р/с {v}, БИК {bik}", f"account {v}, BIK {bik}", v
    if kind == "phone":
        v = _phone(rng)
        return f"мой телефон {v}", f"call me at {v}", v
    if kind == "email":
        v = f"{pick(EN_NAMES)}.{pick(EN_NAMES)}{rng.randint(1, 99)}@{pick(DOMAINS)}"
        return f"пишите на {v}", f"write to {v}", v
    if kind == "iban":
        v = iban(rng)
        shown = pick([v, fours(v)])
        return f"IBAN {shown}", pick(["IBAN {}", "pay to {} (SWIFT DEUTDEFF)"]).format(shown), shown
    if kind == "secret":
        v = _secret(rng)
        return f"вот ключ {v} для прода", f"here is the key {v} for prod", v
    if kind == "marking":
        v = pick(MARKINGS)
        return f"{v}. Проект договора", f"{v}. Draft agreement", v
    raise ValueError(kind)


# --- the clean chat around it ----------------------------------------------------------------


def noise(rng: random.Random) -> dict[str, str]:
    """Numbers that are NOT sensitive, for the templates."""
    return {
        "date": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.choice([2025, 2026])}",
        "time": f"{rng.randint(8, 19)}:{rng.choice(['00', '15', '30', '45'])}",
        "price": rng.choice(
            [f"{rng.randint(1, 999)} {rng.randint(0, 999):03d}", f"{rng.randint(1, 99_999)}"]
        )
        + rng.choice([",00", ""]),
        "invoice": rng.choice(
            [
                f"{rng.randint(1, 99_999):05d}",
                f"INV-2026-{rng.randint(1, 999_999):06d}",
                f"{rng.randint(10**9, 10**10 - 1)}/26",
            ]
        ),
        "track": rng.choice(
            [
                f"RA{rng.randint(10**8, 10**9 - 1)}RU",
                f"1Z{rng.randint(10**15, 10**16 - 1)}",
                f"{rng.randint(10**13, 10**14 - 1)}",
            ]
        ),
        "uuid": "-".join("".join(rng.choices("0123456789abcdef", k=n)) for n in (8, 4, 4, 4, 12)),
        "ip": ".".join(str(rng.randint(1, 254)) for _ in range(4)),
        "version": f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}",
        "qty": str(rng.randint(2, 500)),
        "hash": "".join(rng.choices("0123456789abcdef", k=40)),
    }


RU = [
    "Добрый день! Счёт № {invoice} от {date} на сумму {price} руб. отправил в бухгалтерию, "
    "оплата до {date2}. {sensitive}. Если будут вопросы — пишите, созвонимся в {time}.",
    "Коллеги, встреча переносится на {date} в {time}, переговорная 3. {sensitive}. Повестка: "
    "поставка {qty} шт., трек-номер {track}, договор {invoice}.",
    "Привет! Обновили сервер {ip} до версии {version}, сборка {hash}. {sensitive}. Проверь, "
    "пожалуйста, до {time}, потом выкатываем на прод.",
    "Здравствуйте, по заказу {invoice}: {qty} позиций, итого {price} руб. с НДС. {sensitive}. "
    "Доставка {date}, отслеживание {track}.",
    "Напоминаю про отчёт за квартал: выручка {price} руб., рост {qty}%. {sensitive}. Файл в "
    "папке, идентификатор {uuid}.",
]
EN = [
    "Hi team, invoice {invoice} dated {date} for {price} USD has been sent to accounts, due "
    "{date2}. {sensitive}. Ping me if anything is unclear, call at {time}.",
    "Folks, the sync moves to {date} at {time}, room 3. {sensitive}. Agenda: shipment of {qty} "
    "units, tracking {track}, contract {invoice}.",
    "Hey, upgraded host {ip} to v{version}, commit {hash}. {sensitive}. Please check before "
    "{time}, then we roll out.",
    "Hello, re order {invoice}: {qty} items, total {price} EUR incl. VAT. {sensitive}. "
    "Delivery {date}, tracking {track}.",
    "Reminder about the quarterly report: revenue {price}, growth {qty}%. {sensitive}. File is "
    "in the folder, id {uuid}.",
]
FILLER_RU = ["Спасибо заранее", "Хорошего дня", "Жду ответа", "Всё по плану"]
FILLER_EN = ["Thanks in advance", "Have a good day", "Waiting for your reply", "All on track"]
KIND_WORDS_NO_NUMBER = [
    "ИНН пришлю позже", "СНИЛС уточню у кадровиков", "паспорт готов, заберите",
    "карта заблокирована", "TIN will follow tomorrow", "card ends with 4432", "ИНН {bad}",
    "СНИЛС {bad_snils}",
]  # fmt: skip


# --- checksum-valid numbers that are not personal data ---------------------------------------


def _timestamp(rng: random.Random) -> str:
    while True:  # a Unix time (2020–2027) that passes INN-10's check, as one in eleven do
        n = str(rng.randint(1_580_000_000, 1_800_000_000))
        if inn10_check(n[:9]) == n[9]:
            return n


def _millis(rng: random.Random) -> str:
    head = str(rng.randint(158_000_000_000, 180_000_000_000))  # passes OGRN-13's check
    return head + str(int(head) % 11 % 10)


def _card_like(rng: random.Random) -> str:
    """A 16-digit id that passes Luhn with a card network's prefix (transaction ids)."""
    prefix = rng.choice(["4", "5", "2200"])
    return luhn_complete(prefix + "".join(rng.choices(string.digits, k=15 - len(prefix))))


NUMBERS = {"ts": _timestamp, "ms": _millis, "n10": inn10, "n12": inn12, "n11": snils}
NUMBERS["n16"] = _card_like
NUMERIC_CONTEXTS = [
    ("ts", "ts={n}"), ("ts", "timestamp: {n}"), ("ts", "unix time {n}"), ("ts", "{n} (unix)"),
    ("ts", '{{"event": "login", "ts": {n}}}'), ("ts", "created_at={n} updated_at={n}"),
    ("ms", "ts_ms={n}"), ("ms", "время события {n} мс"), ("ms", "epoch millis {n}"),
    ("n12", "трек-номер {n}"), ("n12", "Трек: {n}"), ("n12", "tracking number {n}"),
    ("n12", "номер отправления {n}"), ("n12", "накладная {n}"),
    ("n10", "build {n} passed"), ("n10", "сборка #{n} упала"), ("n10", "билд {n} на стенде"),
    ("n10", "pipeline {n} finished"), ("n10", "тикет {n}"), ("n10", "заявка № {n}"),
    ("n10", "ticket #{n}"), ("n10", "обращение {n} закрыто"), ("n10", "incident {n}"),
    ("n12", "заказ № {n}"), ("n12", "order {n} shipped"), ("n10", "invoice № {n}"),
    ("n11", "call id {n}"), ("n11", "id звонка {n}"), ("n10", "request id: {n}"),
    ("n10", "X-Request-Id: {n}"), ("n11", "session {n}"), ("n11", "trace_id={n}"),
    ("n16", "transaction {n}"), ("n16", "транзакция {n} проведена"),
    ("n10", "https://tracker.example.com/issues/{n}"),
    ("n12", "https://shop.example.ru/orders/{n}?utm=tg"),
    ("n10", "см. https://ci.example.com/job/42/{n}/console"),
    ("n10", "commit {hex} build {n}"), ("n11", "{uuid} {n}"), ("n10", "{hex} {n}"),
    ("n12", "ООО «{org}»: трек {n}"), ("n12", "Реквизиты получателя есть, трек-номер {n}"),
    ("n10", "компания {org}, заявка {n}"), ("ts", "[INFO] job done at ts={n}"),
    ("n10", "лог: событие {n} обработано"), ("ts", "последний вход {n}"),
]  # fmt: skip
WRAPPERS = [
    "{ctx}", "Коллеги, {ctx}. Посмотрите, пожалуйста", "FYI: {ctx}", "Привет! {ctx}, проверь плз",
    "{ctx} — см. выше", "Hi, {ctx}. Thanks", "по вчерашнему: {ctx}",
]  # fmt: skip


def numeric_negative(rng: random.Random) -> Sample:
    key, context = rng.choice(NUMERIC_CONTEXTS)
    values = {
        "n": NUMBERS[key](rng),
        "hex": "".join(rng.choices("0123456789abcdef", k=rng.choice([7, 12, 40]))),
        "uuid": noise(rng)["uuid"],
        "org": rng.choice(ORGS),
    }
    text = rng.choice(WRAPPERS).format(ctx=context.format(**values))
    return Sample(text, frozenset(), "numeric_negative", f"{key}: {context}")


def _bad(rng: random.Random, good: str) -> str:
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


def corpus(n: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    samples = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.10:
            samples.append(numeric_negative(rng))
            continue
        russian = rng.random() < 0.6
        values = noise(rng)
        values["date2"] = noise(rng)["date"]
        kinds: frozenset[str] = frozenset()
        category, note = "hard_negative", ""
        if roll < 0.25:
            kind = rng.choice(KINDS)
            ru, en, value = snippet(kind, rng)
            phrase = ru if russian else en
            category, note = "plain", kind
            if kind in ("card", "inn", "snils", "ogrn", "phone") and rng.random() < 0.25:
                hidden = disguise(rng, value)
                phrase = phrase.replace(value, hidden)
                if rng.random() < 0.3:
                    phrase = disguise_word(rng, phrase, hidden)
                category = "disguised"
            values["sensitive"] = phrase[0].upper() + phrase[1:]
            kinds = frozenset({kind})
        elif roll < 0.30:
            values["sensitive"] = rng.choice(KIND_WORDS_NO_NUMBER).format(
                bad=_bad(rng, inn10(rng)), bad_snils=_bad(rng, snils(rng))
            )
            note = "kind word, no valid number"
        else:
            values["sensitive"] = rng.choice(FILLER_RU if russian else FILLER_EN)
        template = rng.choice(RU if russian else EN)
        samples.append(Sample(template.format(**values), kinds, category, note))
    return samples


__all__ = ["Sample", "corpus", "disguise", "luhn_complete", "numeric_negative", "snippet"]
