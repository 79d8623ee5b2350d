"""Relay benchmark: internal Synapse → hgw → partner Synapse, on this machine.

Run:  python bench/relay_bench.py [--paced 300] [--rate 100] [--burst 500] [--concurrency 16]

Two real homeservers (tests/integration/synapse.py) and the real daemon in-process, with the
production router, policy (default rules), store and Matrix bridges. Timestamps are taken by
thin wrappers at the daemon's two edges, without touching production code:

  received  — the bridge hands the event to the daemon's sink (right after /sync parsed it)
  issued    — the dispatcher calls the partner bridge's ``deliver`` (the send request starts)

Gateway overhead = issued − received, per message, with messages sent at ``--rate`` per second.
Throughput: ``--burst`` messages sent with ``--concurrency`` parallel requests into the linked
room, timed until the last one is visible in the partner room; the baseline sends the same
messages with the same concurrency straight into an unlinked internal room (the homeserver is
the ceiling). Loss and duplicates are counted from the partner room's timeline.
Results go to bench/results/relay.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from nio import AsyncClient, MessageDirection, RoomMessageText

from bridges.registry import build_bridges
from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.verdicts import judge_for
from tests.integration.synapse import RegisteredUser, SynapseServer

RESULTS = Path(__file__).parent / "results" / "relay.json"
TAG = re.compile(r"bench-(\w+)-(\d+)")


class Stamps:
    def __init__(self) -> None:
        self.received: dict[str, float] = {}
        self.issued: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        """When the target homeserver answered the send: issued→answered is the network's
        share of a delivery, answered→next issued is hgw's (commit, next row, resolve)."""


class TimedSink:
    def __init__(self, sink: Any, stamps: Stamps) -> None:
        self._sink, self._stamps = sink, stamps

    async def message(self, message: Any) -> None:
        if match := TAG.search(message.text):
            self._stamps.received.setdefault(match.group(), time.perf_counter())
        await self._sink.message(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sink, name)


class TimedBridge:
    def __init__(self, bridge: Any, stamps: Stamps) -> None:
        self._bridge, self._stamps = bridge, stamps

    async def start(self, sink: Any) -> None:
        await self._bridge.start(TimedSink(sink, self._stamps))

    async def deliver(self, delivery: Any) -> str:
        match = TAG.search(delivery.text)
        if match:
            self._stamps.issued.setdefault(match.group(), time.perf_counter())
        remote_id = await self._bridge.deliver(delivery)
        if match:
            self._stamps.answered.setdefault(match.group(), time.perf_counter())
        return remote_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bridge, name)


async def client_for(server: SynapseServer, user: RegisteredUser) -> AsyncClient:
    client = AsyncClient(server.url, user.user_id)
    client.access_token, client.user_id, client.device_id = (
        user.access_token,
        user.user_id,
        user.device_id,
    )
    return client


def secret_file(directory: Path, name: str, value: str) -> Path:
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(value)
    return path


async def send_all(client: AsyncClient, room: str, texts: list[str], concurrency: int) -> float:
    queue = iter(texts)
    began = time.perf_counter()

    async def worker() -> None:
        for text in queue:
            response = await client.room_send(
                room, "m.room.message", {"msgtype": "m.text", "body": text}
            )
            if not hasattr(response, "event_id"):
                raise RuntimeError(f"send failed: {response}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began


SYNC_FILTER = {"room": {"timeline": {"limit": 1000}}}
"""Without it Synapse returns 10 events per sync and marks the rest 'limited': a burst would
look lost when it was only not fetched."""


async def collect(
    client: AsyncClient, room: str, prefix: str, expected: int, wait_seconds: float
) -> list[str]:
    """Tags seen in ``room`` starting with ``prefix``, in timeline order, until ``expected``."""
    seen: list[str] = []
    deadline = time.monotonic() + wait_seconds
    while len(seen) < expected and time.monotonic() < deadline:
        response = await client.sync(timeout=1000, sync_filter=SYNC_FILTER)
        joined = getattr(response, "rooms", None)
        room_info = joined.join.get(room) if joined else None
        for event in room_info.timeline.events if room_info else []:
            match = TAG.search(event.body) if isinstance(event, RoomMessageText) else None
            if match and match.group().startswith(prefix):
                seen.append(match.group())
    return seen


async def room_order(client: AsyncClient, room: str, since: str, prefix: str) -> list[str]:
    """The room's own order of tagged messages after ``since``, paginated (sync caps at 100)."""
    order: list[str] = []
    token = since
    while True:
        page = await client.room_messages(room, start=token, direction=MessageDirection.front)
        for event in page.chunk:
            match = TAG.search(event.body) if isinstance(event, RoomMessageText) else None
            if match and match.group().startswith(prefix):
                order.append(match.group())
        if not page.chunk or page.end is None or page.end == token:
            return order
        token = page.end


async def main(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="hgw-relay-bench-"))
    internal = SynapseServer(tmp / "internal", "internal.test").start()
    partner = SynapseServer(tmp / "partner", "partner.test").start()
    daemon_task = None
    try:
        staff_user = internal.register_user("alice")
        bot_in = internal.register_user("hgw")
        pavel_user = partner.register_user("pavel")
        bot_out = partner.register_user("hgw")
        alice = await client_for(internal, staff_user)
        pavel = await client_for(partner, pavel_user)
        bot_in_c, bot_out_c = await client_for(internal, bot_in), await client_for(partner, bot_out)
        portal = (await alice.room_create(invite=[bot_in.user_id])).room_id
        unlinked = (await alice.room_create()).room_id
        partner_room = (await pavel.room_create(invite=[bot_out.user_id])).room_id
        await bot_in_c.join(portal)
        await bot_out_c.join(partner_room)
        await bot_in_c.close()
        await bot_out_c.close()
        await pavel.sync(timeout=0, sync_filter=SYNC_FILTER)

        config_dir = tmp / "hgw"
        config_dir.mkdir()
        secret_file(config_dir, "in.pw", bot_in.password)
        secret_file(config_dir, "out.pw", bot_out.password)
        (config_dir / "config.toml").write_text(
            f'[gateway]\ndata_dir = "data"\nlog_level = "warning"\n'
            f'[store]\nsynchronous = "{args.synchronous}"\n'
            f'[matrix]\nhomeserver = "{internal.url}"\nuser_id = "{bot_in.user_id}"\n'
            f'password_file = "in.pw"\nadmins = ["{staff_user.user_id}"]\n'
            f'[partners.partner]\nhomeserver = "{partner.url}"\nuser_id = "{bot_out.user_id}"\n'
            f'password_file = "out.pw"\nadmins = ["{pavel_user.user_id}"]\n'
            f'[[links]]\nid = "bench"\ninternal_room = "{portal}"\nexternal_network = "partner"\n'
            f'external_chat = "{partner_room}"\n'
        )
        config = load_config(config_dir / "config.toml")
        stamps = Stamps()

        def make_bridges(cfg: Any) -> dict[Any, Any]:
            return {name: TimedBridge(b, stamps) for name, b in build_bridges(cfg).items()}

        daemon = Daemon(config, make_bridges=make_bridges, make_judge=judge_for)
        daemon_task = asyncio.create_task(daemon.run())
        await asyncio.wait_for(daemon.ready.wait(), 60)

        # warm-up: the first messages pay for connection set-up
        await send_all(alice, portal, [f"bench-warm-{i}" for i in range(10)], 1)
        await collect(pavel, partner_room, "bench-warm", 10, 60)

        # 1. overhead at a paced rate
        before_paced = (await pavel.sync(timeout=0, sync_filter=SYNC_FILTER)).next_batch
        interval = 1 / args.rate
        began = time.perf_counter()
        for i in range(args.paced):
            await alice.room_send(
                portal, "m.room.message", {"msgtype": "m.text", "body": f"bench-paced-{i}"}
            )
            await asyncio.sleep(max(0.0, began + (i + 1) * interval - time.perf_counter()))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and args.paced > sum(
            key.startswith("bench-paced") for key in stamps.issued
        ):
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # the last sends complete
        # paginate rather than sync: /sync returns at most 100 events per room and response
        paced_seen = await room_order(pavel, partner_room, before_paced, "bench-paced")
        overhead = sorted(
            (stamps.issued[k] - stamps.received[k]) * 1000
            for k in stamps.received
            if k.startswith("bench-paced") and k in stamps.issued
        )

        # 2. throughput: baseline straight into the homeserver, then through the relay
        texts = [f"bench-base-{i}" for i in range(args.burst)]
        baseline_seconds = await send_all(alice, unlinked, texts, args.concurrency)
        texts = [f"bench-burst-{i}" for i in range(args.burst)]
        before_burst = (await alice.sync(timeout=0, sync_filter=SYNC_FILTER)).next_batch
        began = time.perf_counter()
        sender = asyncio.create_task(send_all(alice, portal, texts, args.concurrency))
        burst_seen = await collect(pavel, partner_room, "bench-burst", args.burst, 300)
        relay_seconds = time.perf_counter() - began
        await sender
        # concurrent senders race, so "in order" means: in the order the internal room has
        internal_order = await room_order(alice, portal, before_burst, "bench-burst")
        await alice.close()
        await pavel.close()
    finally:
        if daemon_task is not None:
            daemon.stop()
            await asyncio.wait_for(daemon_task, 60)
        internal.stop()
        partner.stop()

    def percentile(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")

    burst = [k for k in internal_order if k in stamps.issued and k in stamps.answered]
    network_ms = [(stamps.answered[k] - stamps.issued[k]) * 1000 for k in burst]
    hgw_ms = [(stamps.issued[b] - stamps.answered[a]) * 1000 for a, b in itertools.pairwise(burst)]
    return {
        "benchmark": "relay",
        "serial_delivery_ms": {
            "send_request_p50": statistics.median(network_ms) if network_ms else None,
            "between_sends_p50": statistics.median(hgw_ms) if hgw_ms else None,
        },
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "store_synchronous": args.synchronous,
        "overhead_ms": {
            "rate_per_second": args.rate,
            "messages": len(overhead),
            "p50": statistics.median(overhead) if overhead else None,
            "p99": percentile(overhead, 0.99),
            "max": overhead[-1] if overhead else None,
        },
        "paced": {
            "sent": args.paced,
            "arrived": len(set(paced_seen)),
            "duplicates": len(paced_seen) - len(set(paced_seen)),
            "in_order": paced_seen == sorted(paced_seen, key=lambda t: int(t.rsplit("-", 1)[1])),
        },
        "throughput": {
            "messages": args.burst,
            "concurrency": args.concurrency,
            "baseline_per_second": args.burst / baseline_seconds,
            "relay_per_second": len(set(burst_seen)) / relay_seconds,
            "ratio": (len(set(burst_seen)) / relay_seconds) / (args.burst / baseline_seconds),
            "arrived": len(set(burst_seen)),
            "duplicates": len(burst_seen) - len(set(burst_seen)),
            "in_order": burst_seen == internal_order,
            "first_difference": next(
                (
                    {"index": i, "internal": a, "partner": b}
                    for i, (a, b) in enumerate(zip(internal_order, burst_seen, strict=False))
                    if a != b
                ),
                None,
            ),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paced", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full")
    result = asyncio.run(main(parser.parse_args()))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    o, t = result["overhead_ms"], result["throughput"]
    print(
        f"gateway overhead at {o['rate_per_second']:.0f} msg/s ({o['messages']} messages):"
        f" p50 {o['p50']:.2f} ms, p99 {o['p99']:.2f} ms, max {o['max']:.2f} ms"
    )
    print(
        f"throughput, {t['messages']} messages x{t['concurrency']}: baseline"
        f" {t['baseline_per_second']:.0f}/s, relay {t['relay_per_second']:.0f}/s"
        f" ({t['ratio']:.0%}); arrived {t['arrived']}, duplicates {t['duplicates']},"
        f" in order: {t['in_order']}"
    )
    print(f"paced: {result['paced']}")
    print(f"serial delivery during the burst: {result['serial_delivery_ms']}")
    print(f"results: {RESULTS}")
