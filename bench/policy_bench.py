"""Policy detector benchmark: speed and accuracy of ``gateway.policy.scan``, next to Presidio.

Run:  python bench/policy_bench.py [--messages 10000] [--seed 7] [--no-presidio]

The corpus is generated here, seeded, so every run judges the same messages: Russian and English
business chat of about 200 characters. About 15 % of messages carry one piece of sensitive data,
the kind chosen evenly from the eleven built-in kinds; a fifth of those are typed the way a
user hiding them would (zero-width characters, fullwidth digits, look-alike letters, odd
separators). The clean 85 % are full of what must NOT be reported: dates, times, prices,
invoice and contract numbers, tracking codes, UUIDs, hashes, IP addresses, versions. Each
message carries its ground truth: the set of kinds in it.

Scored per message and kind: a kind reported in a message labelled with it is a true positive,
reported but not labelled a false positive, labelled but not reported a false negative.

Speed: ``scan`` (the full default detector set) on one core in this process, after a warm-up
pass; messages/s = messages / summed scan time; p50/p99 of per-message latency.

Presidio (``presidio-analyzer``, installed only for this benchmark, not a project dependency)
runs on the same messages with the kinds both have — card↔CREDIT_CARD, email↔EMAIL_ADDRESS,
phone↔PHONE_NUMBER, iban↔IBAN_CODE — as shipped: its predefined pattern recognizers for those
four entities, language "en" for every message (its recognizers are English-only; their
regexes do not depend on the language), a blank spaCy pipeline (tokenizer only; no model is
downloaded) and tldextract's bundled suffix list (no network). Results go to
bench/results/policy.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import string
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.policy import scan
from gateway.policy.findings import KINDS

SHARED = {
    "card": "CREDIT_CARD",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "iban": "IBAN_CODE",
}
RESULTS = Path(__file__).resolve().parent / "results" / "policy.json"


# --- valid numbers (written from the published algorithms, independent of gateway.policy) ---


def luhn_complete(prefix: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return prefix + str((10 - total % 10) % 10)


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


def inn10(rng: random.Random) -> str:
    head = f"{rng.randint(1, 89):02d}" + "".join(rng.choices(string.digits, k=7))
    return head + str(_weighted(head, (2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)


def inn12(rng: random.Random) -> str:
    head = f"{rng.randint(1, 89):02d}" + "".join(rng.choices(string.digits, k=8))
    head += str(_weighted(head, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)
    return head + str(_weighted(head, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11 % 10)


def ogrn(rng: random.Random) -> str:
    if rng.random() < 0.7:
        head = rng.choice("15") + "".join(rng.choices(string.digits, k=11))
        return head + str(int(head) % 11 % 10)
    head = "3" + "".join(rng.choices(string.digits, k=13))
    return head + str(int(head) % 13 % 10)


def snils(rng: random.Random) -> str:
    head = f"{rng.randint(1_002_000, 999_999_999):09d}"
    total = sum(int(d) * (9 - i) for i, d in enumerate(head))
    return head + f"{total % 101 % 100:02d}"


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
    if country == "GB":
        bban = "".join(rng.choices(string.ascii_uppercase, k=4)) + "".join(
            rng.choices(string.digits, k=14)
        )
    elif country == "NL":
        bban = "".join(rng.choices(string.ascii_uppercase, k=4)) + "".join(
            rng.choices(string.digits, k=10)
        )
    else:
        bban = "".join(rng.choices(string.digits, k=size))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


CARD_PREFIXES = [
    "2200",
    "2201",
    "2202",
    "2204",
    "4",
    "4276",
    "51",
    "55",
    "2221",
    "2720",
    "62",
    "6759",
    "5018",
]


def card(rng: random.Random) -> str:
    prefix = rng.choice(CARD_PREFIXES)
    length = 19 if prefix in ("62", "6759") and rng.random() < 0.2 else 16
    body = prefix + "".join(rng.choices(string.digits, k=length - 1 - len(prefix)))
    return luhn_complete(body)


def fours(number: str, sep: str = " ") -> str:
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


# --- disguises -------------------------------------------------------------------------------

LOOK = {"0": "О", "3": "З", "1": "l"}


def disguise(rng: random.Random, value: str) -> str:
    trick = rng.choice(["zw", "fullwidth", "lookalike", "soft"])
    if trick == "zw":
        return "\u200b".join(value)
    if trick == "soft":
        return "".join(c + ("\u00ad" if c.isdigit() and rng.random() < 0.4 else "") for c in value)
    if trick == "fullwidth":
        return "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in value)
    inner = list(value)
    for i in range(1, len(inner) - 1):
        if inner[i] in LOOK and inner[i - 1].isdigit() and rng.random() < 0.5:
            inner[i] = LOOK[inner[i]]
    return "".join(inner)


# --- sensitive snippets per kind -------------------------------------------------------------

RU_NAMES = ["Иван", "Мария", "Алексей", "Ольга", "Дмитрий", "Анна", "Сергей", "Елена"]
EN_NAMES = ["john", "mary", "alex", "olga", "dmitry", "anna", "sergey", "kate"]
DOMAINS = ["example.ru", "corp.example.com", "mail.example.org", "партнёр.рф", "example.co.uk"]


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
            "xoxb-"
            + "".join(rng.choices(string.digits, k=12))
            + "-"
            + "".join(rng.choices(alnum, k=24)),
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI"
            + "".join(rng.choices(alnum, k=20))
            + "."
            + "".join(rng.choices(alnum, k=43)),
            "password=" + "".join(rng.choices(alnum + "!#%", k=14)),
            "DB_PASSWORD=" + "".join(rng.choices(alnum, k=18)),
        ]
    )


MARKINGS = [
    "Коммерческая тайна", "КОНФИДЕНЦИАЛЬНО", "Для служебного пользования", "ДСП",
    "Строго конфиденциально", "CONFIDENTIAL", "Internal use only", "Strictly confidential",
]  # fmt: skip


@dataclass(frozen=True)
class Snippet:
    ru: str
    en: str
    disguisable: bool = True


def snippet(kind: str, rng: random.Random) -> tuple[str, str, str]:
    """(russian phrase, english phrase, the value itself) for one piece of ``kind``."""
    if kind == "card":
        v = card(rng)
        shown = rng.choice([fours(v), v, fours(v, "-")]) if len(v) == 16 else v
        return f"номер карты {shown}", f"card number {shown}", shown
    if kind == "inn":
        v = rng.choice([inn10, inn12])(rng)
        return f"ИНН {v}", f"INN {v}", v
    if kind == "ogrn":
        v = ogrn(rng)
        return f"ОГРН {v}", f"OGRN {v}", v
    if kind == "snils":
        v = snils(rng)
        shown = rng.choice([v, f"{v[:3]}-{v[3:6]}-{v[6:9]} {v[9:]}"])
        return f"СНИЛС {shown}", f"SNILS {shown}", shown
    if kind == "passport_ru":
        s, n = f"{rng.randint(1, 99):02d}{rng.randint(0, 99):02d}", f"{rng.randint(100000, 999999)}"
        return f"паспорт серия {s} номер {n}", f"passport {s} {n}", f"{s} {n}"
    if kind == "bank_account_ru":
        bik = rng.choice(["044525225", "044525593", "044030653", "046577674"])
        v = account(rng, bik)
        return f"р/с {v}, БИК {bik}", f"account {v}, BIK {bik}", v
    if kind == "phone":
        v = _phone(rng)
        return f"мой телефон {v}", f"call me at {v}", v
    if kind == "email":
        name = f"{rng.choice(EN_NAMES)}.{rng.choice(EN_NAMES)}{rng.randint(1, 99)}"
        v = f"{name}@{rng.choice(DOMAINS)}"
        return f"пишите на {v}", f"write to {v}", v
    if kind == "iban":
        v = iban(rng)
        shown = rng.choice([v, fours(v)])
        return f"IBAN {shown}", f"IBAN {shown}", shown
    if kind == "secret":
        v = _secret(rng)
        return f"вот ключ {v} для прода", f"here is the key {v} for prod", v
    if kind == "marking":
        v = rng.choice(MARKINGS)
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
    (
        "Добрый день! Счёт № {invoice} от {date} на сумму {price} руб. отправил в бухгалтерию, "
        "оплата до {date2}. {sensitive}. Если будут вопросы — пишите, созвонимся в {time}."
    ),
    (
        "Коллеги, встреча переносится на {date} в {time}, переговорная 3. {sensitive}. Повестка: "
        "поставка {qty} шт., трек-номер {track}, договор {invoice}."
    ),
    (
        "Привет! Обновили сервер {ip} до версии {version}, сборка {hash}. {sensitive}. Проверь, "
        "пожалуйста, до {time}, потом выкатываем на прод."
    ),
    (
        "Здравствуйте, по заказу {invoice}: {qty} позиций, итого {price} руб. с НДС. {sensitive}. "
        "Доставка {date}, отслеживание {track}."
    ),
    (
        "Напоминаю про отчёт за квартал: выручка {price} руб., рост {qty}%. {sensitive}. Файл в "
        "папке, идентификатор {uuid}."
    ),
]
EN = [
    (
        "Hi team, invoice {invoice} dated {date} for {price} USD has been sent to accounts, due "
        "{date2}. {sensitive}. Ping me if anything is unclear, call at {time}."
    ),
    (
        "Folks, the sync moves to {date} at {time}, room 3. {sensitive}. Agenda: shipment of {qty} "
        "units, tracking {track}, contract {invoice}."
    ),
    (
        "Hey, upgraded host {ip} to v{version}, commit {hash}. {sensitive}. Please check before "
        "{time}, then we roll out."
    ),
    (
        "Hello, re order {invoice}: {qty} items, total {price} EUR incl. VAT. {sensitive}. "
        "Delivery {date}, tracking {track}."
    ),
    (
        "Reminder about the quarterly report: revenue {price}, growth {qty}%. {sensitive}. File is "
        "in the folder, id {uuid}."
    ),
]
FILLER_RU = ["Спасибо заранее", "Хорошего дня", "Жду ответа", "Всё по плану"]
FILLER_EN = ["Thanks in advance", "Have a good day", "Waiting for your reply", "All on track"]


@dataclass(frozen=True)
class Sample:
    text: str
    kinds: frozenset[str]
    disguised: bool


def corpus(n: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    samples = []
    for _ in range(n):
        russian = rng.random() < 0.6
        values = noise(rng)
        values["date2"] = noise(rng)["date"]
        kinds: frozenset[str] = frozenset()
        disguised = False
        if rng.random() < 0.15:
            kind = rng.choice(KINDS)
            ru, en, value = snippet(kind, rng)
            phrase = ru if russian else en
            if kind in ("card", "inn", "snils", "phone") and rng.random() < 0.2:
                phrase = phrase.replace(value, disguise(rng, value))
                disguised = True
            values["sensitive"] = phrase[0].upper() + phrase[1:]
            kinds = frozenset({kind})
        else:
            values["sensitive"] = rng.choice(FILLER_RU if russian else FILLER_EN)
        template = rng.choice(RU if russian else EN)
        samples.append(Sample(template.format(**values), kinds, disguised))
    return samples


# --- scoring ---------------------------------------------------------------------------------


def score(
    samples: list[Sample], reported: list[frozenset[str]], kinds: tuple[str, ...]
) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for kind in kinds:
        tp = fp = fn = 0
        tp_plain = fn_plain = 0
        for sample, found in zip(samples, reported, strict=True):
            labelled, hit = kind in sample.kinds, kind in found
            tp += labelled and hit
            fp += hit and not labelled
            fn += labelled and not hit
            if not sample.disguised:
                tp_plain += labelled and hit
                fn_plain += labelled and not hit
        table[kind] = {
            "support": tp + fn,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
            "recall_plain": tp_plain / (tp_plain + fn_plain) if tp_plain + fn_plain else None,
        }
    return table


def timed(
    samples: list[Sample], run: Callable[[str], frozenset[str]]
) -> tuple[list[frozenset[str]], dict[str, float]]:
    for sample in samples[: min(500, len(samples))]:
        run(sample.text)  # warm-up: caches, lazy imports
    reported = []
    latencies = []
    clock = time.perf_counter_ns
    for sample in samples:
        start = clock()
        found = run(sample.text)
        latencies.append(clock() - start)
        reported.append(found)
    total = sum(latencies) / 1e9
    latencies.sort()
    speed = {
        "messages": len(samples),
        "seconds": total,
        "messages_per_second": len(samples) / total,
        "p50_ms": statistics.median(latencies) / 1e6,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] / 1e6,
        "max_ms": latencies[-1] / 1e6,
    }
    return reported, speed


def ours(text: str) -> frozenset[str]:
    return frozenset(f.kind for f in scan(text))


def presidio() -> tuple[Callable[[str], frozenset[str]] | None, str]:
    """Presidio's analyzer for the four shared entities, built offline; or why it cannot be."""
    try:
        import spacy
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            PhoneRecognizer,
        )
    except ImportError as err:
        return None, f"presidio-analyzer is not installed ({err}); pip install presidio-analyzer"
    from importlib.metadata import version as package_version

    version = package_version("presidio-analyzer")
    # the e-mail recognizer checks the TLD with tldextract, which would fetch the public suffix
    # list from the network: use the snapshot bundled with tldextract instead
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class BlankSpacy(SpacyNlpEngine):  # type: ignore[misc]
        """spaCy with a tokenizer only: nothing to download; pattern recognizers need no more."""

        def __init__(self) -> None:
            super().__init__(models=[{"lang_code": "en", "model_name": "blank:en"}])

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

    try:
        nlp = BlankSpacy()
        nlp.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        for recognizer in (
            CreditCardRecognizer(),
            EmailRecognizer(),
            PhoneRecognizer(),
            IbanRecognizer(),
        ):
            registry.add_recognizer(recognizer)
        analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
        entities = list(SHARED.values())
        back = {v: k for k, v in SHARED.items()}
        analyzer.analyze("warm up 4111 1111 1111 1111", language="en", entities=entities)
    except Exception as err:  # report why, still run ours
        return None, f"Presidio could not be built offline: {type(err).__name__}: {err}"

    def run(text: str) -> frozenset[str]:
        return frozenset(
            back[r.entity_type] for r in analyzer.analyze(text, language="en", entities=entities)
        )

    return run, f"presidio-analyzer {version}, spaCy {spacy.__version__} blank('en')"


def fmt(value: float | None) -> str:
    return "   –  " if value is None else f"{value:6.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-presidio", action="store_true")
    args = parser.parse_args()

    samples = corpus(args.messages, args.seed)
    lengths = [len(s.text) for s in samples]
    labelled = Counter(k for s in samples for k in s.kinds)
    print(
        f"corpus: {len(samples)} messages, seed {args.seed}, "
        f"mean {statistics.mean(lengths):.0f} chars, "
        f"{sum(1 for s in samples if s.kinds) / len(samples):.1%} with sensitive data "
        f"({sum(s.disguised for s in samples)} disguised)"
    )
    reported, speed = timed(samples, ours)
    accuracy = score(samples, reported, KINDS)
    result: dict[str, Any] = {
        "benchmark": "policy",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "corpus": {
            "messages": len(samples),
            "seed": args.seed,
            "mean_chars": statistics.mean(lengths),
            "with_sensitive": sum(1 for s in samples if s.kinds),
            "disguised": sum(s.disguised for s in samples),
            "per_kind": dict(sorted(labelled.items())),
        },
        "hgw": {"speed": speed, "accuracy": accuracy},
    }
    print(
        f"\nhgw scan (all {len(KINDS)} kinds): {speed['messages_per_second']:,.0f} msg/s, "
        f"p50 {speed['p50_ms']:.3f} ms, p99 {speed['p99_ms']:.3f} ms, max {speed['max_ms']:.2f} ms"
    )
    print(f"\n{'kind':16} {'n':>5} {'prec':>6} {'recall':>6} {'plain':>6} {'fp':>4} {'fn':>4}")
    for kind, row in accuracy.items():
        print(
            f"{kind:16} {row['support']:5d} {fmt(row['precision'])} {fmt(row['recall'])} "
            f"{fmt(row['recall_plain'])} {row['fp']:4d} {row['fn']:4d}"
        )

    run, about = (None, "skipped (--no-presidio)") if args.no_presidio else presidio()
    result["presidio"] = {"about": about}
    if run is None:
        print(f"\nPresidio: {about}")
    else:
        p_reported, p_speed = timed(samples, run)
        p_accuracy = score(samples, p_reported, tuple(SHARED))
        result["presidio"].update({"speed": p_speed, "accuracy": p_accuracy})
        ratio = speed["messages_per_second"] / p_speed["messages_per_second"]
        result["comparison"] = {
            "throughput_ratio": ratio,
            "note": "hgw runs all eleven kinds; Presidio only the four shared ones",
            "recall_at_least_presidio": {
                k: (accuracy[k]["recall"] or 0) >= (p_accuracy[k]["recall"] or 0) for k in SHARED
            },
        }
        print(f"\nPresidio ({about}), shared kinds only:")
        print(
            f"  {p_speed['messages_per_second']:,.0f} msg/s, p50 {p_speed['p50_ms']:.3f} ms, "
            f"p99 {p_speed['p99_ms']:.3f} ms  →  hgw is {ratio:.1f}× faster (with all kinds)"
        )
        print(
            f"\n{'kind':8} {'hgw P':>6} {'hgw R':>6} {'pres P':>6} {'pres R':>6} "
            f"{'pres R plain':>12}"
        )
        for kind in SHARED:
            ours_row, theirs = accuracy[kind], p_accuracy[kind]
            print(
                f"{kind:8} {fmt(ours_row['precision'])} {fmt(ours_row['recall'])} "
                f"{fmt(theirs['precision'])} {fmt(theirs['recall'])} "
                f"{fmt(theirs['recall_plain']):>12}"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {RESULTS}")


if __name__ == "__main__":
    main()
