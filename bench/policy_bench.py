"""Policy detector benchmark: speed and accuracy of ``gateway.policy.scan`` per confidence level.

Run:  python bench/policy_bench.py [--messages 10000] [--seed 7] [--no-presidio] [--show-errors]
      python bench/policy_bench.py --corpus PATH.jsonl [--out NAME.json] [--no-presidio]

Two corpora:

- **generated** (default; bench/policy_corpus.py): seeded Russian and English business chat of
  about 150 characters. 15 % carry one piece of sensitive data (the kind chosen evenly from the
  eleven built-in kinds; a quarter of the numeric ones typed the way a user hiding them would),
  10 % are *numeric negatives* — Unix timestamps, tracking numbers, build, ticket, call and
  request ids, numbers in URLs and logs that pass an INN, SNILS, OGRN or Luhn check — and the
  rest are *hard negatives*: chat full of dates, prices, invoice numbers, UUIDs, hashes, IPs and
  kind words without a valid number. This is the set to tune on.
- **external** (``--corpus``): labelled JSONL, one object per line,
  ``{"id", "text", "labels": [kinds], "category": "plain" | "disguised" | "hard_negative" |
  "numeric_negative", "note"}``. Results go to a file of their own (policy_heldout.json unless
  ``--out``), and no message text is ever printed: a held-out set is scored, never read.

Scored per message and kind: a kind reported in a message labelled with it is a true positive,
reported but not labelled a false positive, labelled but not reported a false negative. Every
figure is given at each **threshold** — findings at ``low`` and up, ``medium`` and up (what the
default policy acts on), ``high`` only. *FP rate* of a negative category = the share of its
messages with any finding at the threshold. *Disguised recall* = labelled (message, kind) pairs
found among category ``disguised``.

Speed: ``scan`` (all detectors and the confidence post-pass) on one core in this process, after a
warm-up pass; messages/s = messages / summed scan time; p50/p99 of per-message latency.

Presidio (``presidio-analyzer``, installed only for this benchmark, not a project dependency)
runs on the same messages with the kinds both have — card↔CREDIT_CARD, email↔EMAIL_ADDRESS,
phone↔PHONE_NUMBER, iban↔IBAN_CODE — as shipped: its predefined pattern recognizers for those
four entities, language "en" for every message (its recognizers are English-only; their
regexes do not depend on the language), a blank spaCy pipeline (tokenizer only; no model is
downloaded) and tldextract's bundled suffix list (no network). It has no levels: it is compared
with hgw at the acting threshold.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from policy_corpus import Sample, corpus

from gateway.policy import scan
from gateway.policy.findings import AT_OR_ABOVE, KINDS, LEVELS

SHARED = {
    "card": "CREDIT_CARD",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "iban": "IBAN_CODE",
}
RESULTS = Path(__file__).resolve().parent / "results"
ACTING = "medium"
"""The threshold the default policy acts on (every shipped rule has min_confidence medium)."""
CATEGORIES = ("plain", "disguised", "hard_negative", "numeric_negative")
NEGATIVE = ("hard_negative", "numeric_negative")

Found = tuple[tuple[str, str], ...]
"""(kind, level) of every finding in one message."""


# --- the external corpus ---------------------------------------------------------------------


def load_corpus(path: Path) -> list[Sample]:
    """Labelled JSONL; a malformed line stops the run with its number (and never its text)."""
    samples = []
    with path.open(encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text, labels = record["text"], record.get("labels", [])
                category = record.get("category") or ("plain" if labels else "hard_negative")
                if not isinstance(text, str) or not isinstance(labels, list):
                    raise TypeError("text must be a string, labels a list")
                if category not in CATEGORIES:
                    raise ValueError(f"category {category!r}")
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
                raise SystemExit(f"{path}:{number}: not a labelled record ({err})") from None
            note = str(record.get("note") or record.get("id") or number)
            samples.append(Sample(text, frozenset(labels), category, note))
    return samples


# --- scoring ---------------------------------------------------------------------------------


def at(found: Found, level: str) -> frozenset[str]:
    """The kinds found at ``level`` and up."""
    counted = AT_OR_ABOVE[level]
    return frozenset(kind for kind, lv in found if lv in counted)


def score(
    samples: Sequence[Sample], reported: Sequence[frozenset[str]], kinds: Sequence[str]
) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for kind in kinds:
        tp = fp = fn = tp_plain = fn_plain = tp_hidden = fn_hidden = 0
        for sample, found in zip(samples, reported, strict=True):
            labelled, hit = kind in sample.kinds, kind in found
            tp += labelled and hit
            fp += hit and not labelled
            fn += labelled and not hit
            if sample.disguised:
                tp_hidden += labelled and hit
                fn_hidden += labelled and not hit
            else:
                tp_plain += labelled and hit
                fn_plain += labelled and not hit
        table[kind] = {
            "support": tp + fn,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
            "recall_plain": _ratio(tp_plain, tp_plain + fn_plain),
            "recall_disguised": _ratio(tp_hidden, tp_hidden + fn_hidden),
        }
    return table


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summary(samples: Sequence[Sample], reported: Sequence[frozenset[str]]) -> dict[str, Any]:
    """Disguised recall and the FP rate of each negative category."""
    pairs = found = 0
    negatives: dict[str, list[int]] = {c: [0, 0] for c in NEGATIVE}
    for sample, kinds in zip(samples, reported, strict=True):
        if sample.disguised:
            pairs += len(sample.kinds)
            found += len(sample.kinds & kinds)
        if sample.category in negatives:
            negatives[sample.category][0] += 1
            negatives[sample.category][1] += bool(kinds)
    return {
        "disguised_recall": _ratio(found, pairs),
        "disguised_pairs": pairs,
        "fp_rate": {c: _ratio(hit, n) for c, (n, hit) in negatives.items()},
        "negatives": {c: n for c, (n, _) in negatives.items()},
    }


def by_threshold(samples: Sequence[Sample], found: Sequence[Found]) -> dict[str, Any]:
    out = {}
    for level in LEVELS:
        reported = [at(f, level) for f in found]
        out[level] = {"accuracy": score(samples, reported, KINDS), **summary(samples, reported)}
    return out


def timed(
    samples: Sequence[Sample], run: Callable[[str], Any]
) -> tuple[list[Any], dict[str, float]]:
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


def ours(text: str) -> Found:
    return tuple((f.kind, f.level) for f in scan(text))


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


# --- report ----------------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    return "   –  " if value is None else f"{value:6.3f}"


def print_levels(levels: dict[str, Any]) -> None:
    head = "".join(f" {'P@' + lv:>7} {'R@' + lv:>7}" for lv in LEVELS)
    print(f"\n{'kind':16} {'n':>5}{head}  {'fp@' + ACTING:>9} {'fn@' + ACTING:>9}")
    for kind in KINDS:
        rows = [levels[lv]["accuracy"][kind] for lv in LEVELS]
        cells = "".join(f"  {fmt(r['precision'])}  {fmt(r['recall'])}" for r in rows)
        acting = levels[ACTING]["accuracy"][kind]
        print(f"{kind:16} {rows[0]['support']:5d}{cells}  {acting['fp']:9d} {acting['fn']:9d}")
    print(f"\n{'threshold':10} {'disguised R':>12} {'FP hard neg':>12} {'FP numeric neg':>15}")
    for lv in LEVELS:
        row = levels[lv]
        rates = row["fp_rate"]
        print(
            f"{lv:10} {fmt(row['disguised_recall']):>12} {_pct(rates['hard_negative']):>12} "
            f"{_pct(rates['numeric_negative']):>15}"
        )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def show_errors(samples: Sequence[Sample], found: Sequence[Found], limit: int = 40) -> None:
    """Misses and false alarms at the acting threshold, with their text: generated corpus only."""
    shown = 0
    for sample, f in zip(samples, found, strict=True):
        kinds = at(f, ACTING)
        if kinds != sample.kinds and shown < limit:
            shown += 1
            print(
                f"  [{sample.category}] want {sorted(sample.kinds)} got {list(f)}: {sample.text!r}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, help="labelled JSONL instead of the generated set")
    parser.add_argument("--out", help="results file name under bench/results/")
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument(
        "--show-errors", action="store_true", help="print misses (generated corpus only)"
    )
    args = parser.parse_args()
    if args.corpus is not None and args.show_errors:
        parser.error("--show-errors prints message texts: not with --corpus (held-out sets)")

    if args.corpus is not None:
        samples = load_corpus(args.corpus)
        source: dict[str, Any] = {"file": args.corpus.name}
        out = RESULTS / (args.out or "policy_heldout.json")
    else:
        samples = corpus(args.messages, args.seed)
        source = {"generated": "bench/policy_corpus.py", "seed": args.seed}
        out = RESULTS / (args.out or "policy.json")
    lengths = [len(s.text) for s in samples]
    categories = Counter(s.category for s in samples)
    labelled = Counter(k for s in samples for k in s.kinds)
    print(
        f"corpus: {len(samples)} messages ({source}), mean {statistics.mean(lengths):.0f} chars; "
        + ", ".join(f"{c} {categories[c]}" for c in CATEGORIES)
    )
    found, speed = timed(samples, ours)
    levels = by_threshold(samples, found)
    result: dict[str, Any] = {
        "benchmark": "policy",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "corpus": {
            **source,
            "messages": len(samples),
            "mean_chars": statistics.mean(lengths),
            "categories": {c: categories[c] for c in CATEGORIES},
            "per_kind": dict(sorted(labelled.items())),
        },
        "acting_threshold": ACTING,
        "hgw": {"speed": speed, "by_threshold": levels},
    }
    print(
        f"\nhgw scan (all {len(KINDS)} kinds + levels): {speed['messages_per_second']:,.0f} msg/s,"
        f" p50 {speed['p50_ms']:.3f} ms, p99 {speed['p99_ms']:.3f} ms, max {speed['max_ms']:.2f} ms"
    )
    print_levels(levels)
    if args.show_errors:
        print(f"\nerrors at {ACTING} (first 40):")
        show_errors(samples, found)

    run, about = (None, "skipped (--no-presidio)") if args.no_presidio else presidio()
    result["presidio"] = {"about": about}
    if run is None:
        print(f"\nPresidio: {about}")
    else:
        p_reported, p_speed = timed(samples, run)
        p_accuracy = score(samples, p_reported, tuple(SHARED))
        result["presidio"].update(
            {"speed": p_speed, "accuracy": p_accuracy, **summary(samples, p_reported)}
        )
        mine = levels[ACTING]["accuracy"]
        ratio = speed["messages_per_second"] / p_speed["messages_per_second"]
        result["comparison"] = {
            "throughput_ratio": ratio,
            "note": f"hgw runs all eleven kinds, scored at {ACTING}; Presidio only the four shared",
            "recall_at_least_presidio": {
                k: (mine[k]["recall"] or 0) >= (p_accuracy[k]["recall"] or 0) for k in SHARED
            },
        }
        print(f"\nPresidio ({about}), shared kinds only:")
        print(
            f"  {p_speed['messages_per_second']:,.0f} msg/s, p50 {p_speed['p50_ms']:.3f} ms, "
            f"p99 {p_speed['p99_ms']:.3f} ms  →  hgw is {ratio:.1f}× faster (with all kinds)"
        )
        print(f"\n{'kind':8} {'hgw P':>6} {'hgw R':>6} {'pres P':>6} {'pres R':>6}")
        for kind in SHARED:
            theirs = p_accuracy[kind]
            print(
                f"{kind:8} {fmt(mine[kind]['precision'])} {fmt(mine[kind]['recall'])} "
                f"{fmt(theirs['precision'])} {fmt(theirs['recall'])}"
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
