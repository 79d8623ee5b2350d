"""TUI benchmark: start to first paint and keypress-to-render latency on a big archive.

Run:  python bench/tui_bench.py [--conversations 10000] [--messages 1000000] [--big 100000]

Setup (not timed as TUI work): a store with N linked conversations (runtime links, saved with
the store's own link module in one transaction) and M messages archived through
``Store.archive`` (the daemon's own insert path, 512 concurrent producers, group commit), one
chat holding ``--big`` of them; text generated as in bench/store_bench.py. Then a REAL daemon
(store, router, dispatcher, policy, control server; bridges that only record) runs on it, and the
TUI runs headless in the same process via ``App.run_test()`` talking to the control socket.

Measured:
  * first paint — from creating the app to the first frame written (app ready), and to the
    first frame that shows the inbox filled with conversations;
  * keypress → render — from sending a key to the driver writing the updated frame, while
    scrolling the inbox (j, pagedown) and the big timeline (k, pageup; older pages load in
    the background while you scroll). p50/p95/max.
Results go to bench/results/tui.json.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App

from bench.store_bench import EN, RU
from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.model import ChatRef, Direction, Link, LinkId, Message, NetworkName, UserRef
from gateway.store import Store
from gateway.store import links as links_store
from gateway.verdicts import judge_for
from tui.app import build_app

RESULTS = Path(__file__).parent / "results" / "tui.json"
MATRIX, TELEGRAM = NetworkName("matrix"), NetworkName("telegram")
START = datetime(2026, 1, 1, tzinfo=UTC)

CONFIG = """
[gateway]
data_dir = "data"
log_level = "warning"
[store]
path = "{store}"
synchronous = "normal"
[control]
socket = "{socket}"
[control.users]
{user} = {{ role = "admin" }}
[matrix]
homeserver = "http://127.0.0.1:1"
user_id = "@hgw:internal.test"
password_env = "UNUSED"
[telegram]
api_id = 1
api_hash_env = "UNUSED"
phone = "+70000000000"
"""


# -- setup ----------------------------------------------------------------------------------------


def link(i: int) -> Link:
    return Link(
        LinkId(f"partner-{i:05d}"),
        ChatRef(MATRIX, f"!room{i}:internal.test", f"Portal {i}"),
        ChatRef(TELEGRAM, str(100_000 + i), f"Partner {i:05d} Ltd"),
    )


def messages_for(
    count: int, conversations: int, big: int, total: int, offset: int
) -> list[Message]:
    """``count`` messages from ``offset``; the last ``big`` of the run go to conversation 0,
    so the big chat is the most recent one and tops the inbox."""
    rng = random.Random(offset)
    out = []
    for n in range(offset, offset + count):
        i = 0 if n >= total - big else rng.randrange(1, conversations)
        inbound = rng.random() < 0.6
        the_link = link(i)
        chat = the_link.external if inbound else the_link.internal
        sender = (
            UserRef(TELEGRAM, f"u{i}", f"Contact {i}")
            if inbound
            else UserRef(MATRIX, f"@staff{n % 50}:internal.test", f"Staff {n % 50}")
        )
        words = rng.choice((RU, EN))
        text = " ".join(rng.choices(words, k=rng.randint(4, 40)))
        at = START + timedelta(seconds=n)
        out.append(
            Message(
                chat,
                sender,
                str(n),
                Direction.INBOUND if inbound else Direction.OUTBOUND,
                text=text,
                sent_at=at,
            )
        )
    return out


async def build_store(path: Path, conversations: int, total: int, big: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    began = time.perf_counter()
    async with Store.open(path, synchronous="normal") as store:

        async def save_links(conn: Any) -> None:
            for i in range(conversations):
                await links_store.save(conn, link(i))

        await store.write(save_links)
        timings["links_seconds"] = time.perf_counter() - began
        began = time.perf_counter()
        chunk = 50_000
        for offset in range(0, total, chunk):
            batch = messages_for(min(chunk, total - offset), conversations, big, total, offset)
            queue = iter(batch)

            async def producer(queue: Any = queue) -> None:
                for message in queue:
                    await store.archive(message)

            await asyncio.gather(*(producer() for _ in range(512)))
            rate = (offset + len(batch)) / (time.perf_counter() - began)
            print(
                f"  archived {offset + len(batch):>9,} messages ({rate:,.0f}/s)",
                end="\r",
                flush=True,
            )
        print()
        timings["archive_seconds"] = time.perf_counter() - began
    # Setup only: mark everything routed so the daemon does not route a million old messages
    # at start (a real archive got there one message at a time).
    conn = sqlite3.connect(path)
    conn.execute("UPDATE messages SET routed_at = received_at WHERE routed_at IS NULL")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return timings


class NullBridge:
    def __init__(self, network: str) -> None:
        self.network = network

    async def start(self, sink: object) -> None:
        self.sink = sink

    async def stop(self) -> None:
        pass

    async def deliver(self, delivery: object) -> str:
        return "remote"


# -- measuring ------------------------------------------------------------------------------------

WRITES: list[float] = []
"""When each frame was rendered: headless Textual still renders every update (the compositor
asks widgets for their lines) and hands it to ``App._display``, which then skips the terminal."""
_display = App._display


def _recording_display(self: App[Any], screen: Any, renderable: Any) -> None:
    if renderable is not None:
        WRITES.append(time.perf_counter())
    _display(self, screen, renderable)


App._display = _recording_display  # type: ignore[method-assign]


async def frame_after(t0: float, limit: float = 5.0) -> float:
    """Seconds from ``t0`` to the first frame written after it."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        later = [at for at in WRITES[-50:] if at >= t0]
        if later:
            return later[0] - t0
        await asyncio.sleep(0.0005)
    raise TimeoutError("no frame written")


async def painted(seen: float) -> float:
    """When the frame showing a change seen (by polling) at ``seen`` was rendered: the first
    frame after the poll before it (polls are 1 ms apart), or ``seen`` if it was earlier."""
    try:
        return seen - 0.002 + await frame_after(seen - 0.002, limit=1.0)
    except TimeoutError:
        return seen


async def keypresses(pilot: Any, keys: list[str]) -> list[float]:
    latencies = []
    for key in keys:
        await pilot.pause()
        t0 = time.perf_counter()
        await pilot.press(key)
        latencies.append(await frame_after(t0))
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies)
    return {
        "keys": len(ms),
        "p50_ms": statistics.median(ms),
        "p95_ms": ms[int(len(ms) * 0.95) - 1],
        "max_ms": ms[-1],
    }


async def until(condition: Any, limit: float = 60.0) -> None:
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(str(condition))
        await asyncio.sleep(0.001)


async def measure(directory: Path, args: argparse.Namespace) -> dict[str, Any]:
    config_path = directory / "config.toml"
    socket = directory / "run" / "c.sock"
    config_path.write_text(
        CONFIG.format(store=directory / "hgw.sqlite3", socket=socket, user=getpass.getuser())
    )
    daemon = Daemon(
        load_config(config_path, check_secrets=False),
        make_bridges=lambda _c: {MATRIX: NullBridge(MATRIX), TELEGRAM: NullBridge(TELEGRAM)},
        make_judge=judge_for,
    )
    began = time.perf_counter()
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.ready.wait(), 300)
    results: dict[str, Any] = {"daemon_start_seconds": time.perf_counter() - began}
    try:
        WRITES.clear()
        t0 = time.perf_counter()
        app = build_app(socket)
        async with app.run_test(size=(120, 40)) as pilot:
            ready = time.perf_counter()
            results["first_frame_seconds"] = WRITES[0] - t0 if WRITES else ready - t0
            inbox = app.screen
            await until(lambda: len(inbox.conversation_list.items) >= args.conversations)
            named = time.perf_counter()
            results["first_paint_with_data_seconds"] = await painted(named) - t0
            await until(lambda: inbox.loaded, limit=300)
            full = time.perf_counter()
            results["inbox_complete_seconds"] = await painted(full) - t0
            print(
                f"first frame {results['first_frame_seconds']:.3f} s; inbox of "
                f"{args.conversations:,} conversations painted (names) after "
                f"{results['first_paint_with_data_seconds']:.3f} s, complete (previews, counts) "
                f"after {results['inbox_complete_seconds']:.3f} s"
            )

            inbox.conversation_list.focus()
            keys = ["j"] * args.keys + ["pagedown"] * (args.keys // 4) + ["k"] * (args.keys // 4)
            results["inbox_scroll"] = summary(await keypresses(pilot, keys))
            print("inbox scroll:", results["inbox_scroll"])
            await pilot.press("g")
            await pilot.press("slash")
            typed = await keypresses(pilot, list("partner 0999"))
            results["inbox_filter_typing"] = summary(typed)
            results["inbox_filter_typing"]["matches"] = len(inbox.conversation_list.items)
            print("filter as you type:", results["inbox_filter_typing"])
            await pilot.press(*["backspace"] * len("partner 0999"), "enter")
            await until(lambda: len(inbox.conversation_list.items) == args.conversations)
            inbox.conversation_list.focus()
            await pilot.press("g")

            big = link(0).id
            opened = time.perf_counter()
            await pilot.press("enter")
            timeline = inbox.timeline
            await until(lambda: timeline.link_id == big and len(timeline.messages) > 0)
            loaded = time.perf_counter()
            await pilot.pause()
            frames = [at for at in WRITES if at >= loaded]
            results["open_big_chat_seconds"] = (frames[0] if frames else loaded) - opened
            keys = ["pageup"] * args.keys + ["k"] * (args.keys // 2) + ["G"] + ["pageup"] * 20
            latencies = await keypresses(pilot, keys)
            results["timeline_scroll"] = summary(latencies)
            results["timeline_scroll"]["messages_loaded"] = len(timeline.messages)
            results["timeline_scroll"]["lines"] = timeline.virtual_size.height
            print("timeline scroll:", results["timeline_scroll"])

            # The whole big chat paged in (as after a long scroll), then the same keys again:
            # virtualisation must keep a key as cheap at 100k messages as at 300.
            began = time.perf_counter()
            pages = 0
            while timeline.more:
                timeline._maybe_load_older()
                await until(lambda: not timeline.fetching, limit=60)
                pages += 1
            results["page_in_whole_chat_seconds"] = time.perf_counter() - began
            keys = ["pageup"] * args.keys + ["k"] * (args.keys // 2) + ["g", "G"] * 5
            keys += ["pagedown"] * (args.keys // 2)
            results["timeline_scroll_all_loaded"] = summary(await keypresses(pilot, keys))
            results["timeline_scroll_all_loaded"]["messages_loaded"] = len(timeline.messages)
            results["timeline_scroll_all_loaded"]["lines"] = timeline.virtual_size.height
            results["timeline_scroll_all_loaded"]["pages"] = pages
            print(
                f"paged in {len(timeline.messages):,} messages in {pages} pages, "
                f"{results['page_in_whole_chat_seconds']:.1f} s"
            )
            print("timeline scroll, whole chat loaded:", results["timeline_scroll_all_loaded"])
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 60)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=200, help="keypresses per scroll run")
    parser.add_argument("--store", type=Path, help="reuse (or keep) the store at this path")
    parser.add_argument("--no-write", action="store_true", help="do not write results JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hgw-tui-bench-") as tmp:
        directory = Path(tmp)
        store = directory / "hgw.sqlite3"
        setup: dict[str, Any] = {}
        sidecar = args.store.with_name(args.store.name + ".json") if args.store else None
        if args.store and args.store.exists():
            store.symlink_to(args.store.resolve())
            setup = json.loads(sidecar.read_text()) if sidecar and sidecar.exists() else {}
            setup["reused_store"] = str(args.store)
        else:
            print(
                f"building a store: {args.conversations:,} conversations, "
                f"{args.messages:,} messages ({args.big:,} in one chat)…"
            )
            setup = asyncio.run(build_store(store, args.conversations, args.messages, args.big))
            print(f"  setup: {setup}")
            if args.store:
                import shutil

                shutil.copy(store, args.store)
                assert sidecar is not None
                sidecar.write_text(json.dumps(setup))
        load_before = os.getloadavg()
        results = asyncio.run(measure(directory, args))
        results["load_average_before_after"] = [load_before[0], os.getloadavg()[0]]
    report = {
        "benchmark": "tui",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "store": {
            "conversations": args.conversations,
            "messages": args.messages,
            "big_chat_messages": args.big,
            **setup,
        },
        "targets": {"first_paint_seconds": 1.5, "p95_keypress_ms": 50},
        "notes": (
            "Times are from creating the app. first_paint_with_data: the inbox showing every "
            "conversation's name (from links.list); inbox_complete: previews and counts from "
            "conversations.list (five queries for all links; 12-18 s when it took five per "
            "link). Key latency: key sent to the frame rendered (App._display), headless, "
            "same process as the daemon, 2 CPUs shared with whatever else runs (see the "
            "load average)."
        ),
        **results,
    }
    print(json.dumps(report, indent=2))
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
        print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
