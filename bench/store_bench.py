"""Store benchmark: durable archive inserts vs raw sqlite3, and FTS latency at 1M messages.

Run:  python bench/store_bench.py [--messages 50000] [--fts-size 1000000] [--repeats 5]

Side by side in one run, on the same schema (created by hgw's own migrations), the same pragmas
(WAL, synchronous=FULL) and the same generated messages:
  * hgw:      ``Store.archive`` called by C concurrent producers (64 and 512); each call returns
              only after its data is committed (group commit, so about C messages per commit).
  * baseline: raw ``sqlite3`` ``executemany`` of the same rows, committed every C rows — a
              hand-written batch loader with the same durability and the same number of fsyncs,
              but no dedupe, no per-caller acknowledgement and no event loop.
Then an archive of ``--fts-size`` messages is built and queried through ``Store.search``.
Figures are medians of ``--repeats`` runs; results go to bench/results/store.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.model import ChatRef, Direction, Message, NetworkName, UserRef
from gateway.store import Store

RESULTS = Path(__file__).parent / "results" / "store.json"

RU = (
    "добрый день коллеги направляем счёт на оплату поставки по договору просим подтвердить "
    "получение платёжного поручения сроки отгрузки переносятся на следующую неделю спецификация "
    "во вложении уточните пожалуйста количество позиций акт сверки подписан накладная курьер "
    "доставка склад бухгалтерия согласование скидка предоплата остаток задолженности встреча "
    "созвон завтра в десять утра коммерческое предложение цена за единицу товара"
).split()
EN = (
    "hello team please find attached the invoice for the last shipment could you confirm the "
    "payment date the contract draft needs legal review delivery schedule updated warehouse "
    "quantity discount purchase order tracking meeting tomorrow quote pricing forecast budget "
    "approval signed copy follow up regarding our call thanks regards"
).split()


def generate(count: int, *, seed: int, first_native: int = 0) -> list[Message]:
    rng = random.Random(seed)
    chats = [
        ChatRef(NetworkName(rng.choice(["telegram", "matrix"])), f"chat{i}", f"Partner {i}")
        for i in range(200)
    ]
    people = [UserRef(NetworkName("telegram"), f"u{i}", f"Person {i}") for i in range(400)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    messages = []
    for n in range(count):
        words = rng.choice((RU, EN))
        text = " ".join(rng.choices(words, k=rng.randint(6, 40)))
        if rng.random() < 0.05:
            text += f" invoice INV-{rng.randint(1000, 99999)}"
        chat = rng.choice(chats)
        messages.append(
            Message(
                chat=chat,
                sender=rng.choice(people),
                native_id=str(first_native + n),
                direction=rng.choice((Direction.INBOUND, Direction.OUTBOUND)),
                text=text,
                sent_at=start + timedelta(seconds=n),
            )
        )
    return messages


async def hgw_insert(path: Path, messages: list[Message], concurrency: int) -> dict[str, float]:
    async with Store.open(path) as store:
        queue = iter(messages)

        async def producer() -> None:
            for message in queue:
                await store.archive(message)

        began = time.perf_counter()
        await asyncio.gather(*(producer() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        return {
            "seconds": elapsed,
            "per_second": len(messages) / elapsed,
            "commits": store.writer.batches,
            "avg_batch": len(messages) / max(store.writer.batches, 1),
        }


def raw_insert(path: Path, messages: list[Message], batch: int) -> dict[str, float]:
    asyncio.run(_create_schema(path))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    now = int(time.time() * 1000)
    chat_ids: dict[tuple[str, str], int] = {}
    began = time.perf_counter()
    rows = []
    for message in messages:
        key = (message.chat.network, message.chat.chat_id)
        if key not in chat_ids:
            conn.execute(
                "INSERT INTO conversations (network, chat_id, title, created_at) VALUES (?,?,?,?)",
                (*key, message.chat.title, now),
            )
            chat_ids[key] = len(chat_ids) + 1
        rows.append(
            (
                chat_ids[key],
                message.native_id,
                message.sender.user_id,
                message.sender.display_name,
                message.direction.value,
                message.kind.value,
                message.text,
                int(message.sent_at.timestamp() * 1000),
                now,
            )
        )
    for start in range(0, len(rows), batch):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO messages (conversation_id, native_id, sender_id, sender_name, direction,"
            " kind, body, sent_at, received_at) VALUES (?,?,?,?,?,?,?,?,?)",
            rows[start : start + batch],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return {"seconds": elapsed, "per_second": len(messages) / elapsed}


async def _create_schema(path: Path) -> None:
    async with Store.open(path):
        pass


def build_archive(path: Path, size: int) -> float:
    """Fill an archive quickly (raw, one big transaction per 50k) — only the queries are timed."""
    began = time.perf_counter()
    asyncio.run(_create_schema(path))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    chunk = 50_000
    for start in range(0, size, chunk):
        messages = generate(min(chunk, size - start), seed=start, first_native=start)
        conn.execute("BEGIN")
        for i in range(200):
            conn.execute(
                "INSERT OR IGNORE INTO conversations (id, network, chat_id, title, created_at)"
                " VALUES (?, 'telegram', ?, ?, 0)",
                (i + 1, f"chat{i}", f"Partner {i}"),
            )
        conn.executemany(
            "INSERT INTO messages (conversation_id, native_id, sender_id, sender_name, direction,"
            " kind, body, sent_at, received_at) VALUES (?,?,?,?,?,'text',?,?,0)",
            [
                (
                    int(m.chat.chat_id[4:]) + 1,
                    m.native_id,
                    m.sender.user_id,
                    m.sender.display_name,
                    m.direction.value,
                    m.text,
                    int(m.sent_at.timestamp() * 1000),
                )
                for m in messages
            ],
        )
        conn.execute("COMMIT")
        print(f"  archive: {start + len(messages):>9,} messages", end="\r", flush=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    print()
    return time.perf_counter() - began


QUERIES = [
    "счет", "платеж", "договор поставки", "накладная", "invoice", "payment date", "warehouse",
    "скидка предоплата", "INV-4242", "contract legal", "акт сверки", "tracking", "курьер",
    "спецификация вложении", "budget approval", "отгрузки", "meeting tomorrow", "quote",
    "бухгалтерия", "zzzz-not-there",
]  # fmt: skip


async def fts_latency(path: Path, rounds: int) -> dict[str, float]:
    timings = []
    async with Store.open(path) as store:
        for query in QUERIES:  # warm the page cache as a running daemon would have it
            await store.search(query, limit=50)
        for _ in range(rounds):
            for query in QUERIES:
                began = time.perf_counter()
                await store.search(query, limit=50)
                timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {
        "queries": len(timings),
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[int(len(timings) * 0.95) - 1],
        "max_ms": timings[-1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64, 512])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fts-size", type=int, default=1_000_000)
    parser.add_argument("--fts-rounds", type=int, default=10)
    args = parser.parse_args()

    messages = generate(args.messages, seed=1)
    inserts = []
    with tempfile.TemporaryDirectory(prefix="hgw-bench-") as tmp:
        for concurrency in args.concurrency:
            hgw_runs, raw_runs = [], []
            for repeat in range(args.repeats):
                # alternate the order so neither side always gets the warmer disk cache
                pair = [
                    ("hgw", lambda p, c=concurrency: asyncio.run(hgw_insert(p, messages, c))),
                    ("raw", lambda p, c=concurrency: raw_insert(p, messages, c)),
                ]
                for name, run in pair if repeat % 2 == 0 else reversed(pair):
                    result = run(Path(tmp) / f"{name}-{concurrency}-{repeat}.sqlite3")
                    (hgw_runs if name == "hgw" else raw_runs).append(result)
                    print(
                        f"  c={concurrency} run {repeat + 1} {name}:"
                        f" {result['per_second']:>9,.0f}/s"
                    )
            hgw_rate = statistics.median(r["per_second"] for r in hgw_runs)
            raw_rate = statistics.median(r["per_second"] for r in raw_runs)
            avg_batch = statistics.median(r["avg_batch"] for r in hgw_runs)
            inserts.append(
                {
                    "concurrency": concurrency,
                    "hgw_per_second_median": hgw_rate,
                    "raw_per_second_median": raw_rate,
                    "ratio": hgw_rate / raw_rate,
                    "hgw_median_commit_batch": avg_batch,
                    "hgw_runs": hgw_runs,
                    "raw_runs": raw_runs,
                }
            )
        print(f"archive insert, durable (synchronous=FULL), {args.messages:,} messages, medians:")
        for row in inserts:
            print(
                f"  {row['concurrency']:>4} producers: hgw {row['hgw_per_second_median']:>8,.0f}/s"
                f"  raw executemany/{row['concurrency']} {row['raw_per_second_median']:>8,.0f}/s"
                f"  ratio {row['ratio']:.0%}"
                f"  (hgw commit batch {row['hgw_median_commit_batch']:.0f})"
            )

        fts = None
        if args.fts_size:
            archive = Path(tmp) / "fts.sqlite3"
            print(f"building an archive of {args.fts_size:,} messages…")
            build_seconds = build_archive(archive, args.fts_size)
            fts = asyncio.run(fts_latency(archive, args.fts_rounds))
            fts["archive_messages"] = args.fts_size
            fts["build_seconds"] = build_seconds
            fts["archive_bytes"] = archive.stat().st_size
            print(
                f"FTS search at {args.fts_size:,} messages ({fts['queries']} queries, limit 50):"
                f" p50 {fts['p50_ms']:.2f} ms, p95 {fts['p95_ms']:.2f} ms,"
                f" max {fts['max_ms']:.2f} ms"
            )

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "store",
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "python": sys.version.split()[0],
                    "sqlite": sqlite3.sqlite_version,
                    "platform": platform.platform(),
                },
                "insert": {
                    "messages": args.messages,
                    "repeats": args.repeats,
                    "by_concurrency": inserts,
                },
                "fts": fts,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
