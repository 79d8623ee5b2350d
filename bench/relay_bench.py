"""Relay benchmark: internal Synapse → hgw → partner Synapse, on this machine.

Run:  python bench/relay_bench.py [--paced 300] [--rate 100] [--burst 500] [--concurrency 16]

Two real homeservers (tests/integration/synapse.py) and the real daemon in-process, with the
production router, policy (default rules), store and Matrix bridges. Timestamps are taken by
thin wrappers at the daemon's two edges, without touching production code:

  received  — the bridge hands the event to the daemon's sink (right after /sync parsed it)
  issued    — the dispatcher calls the partner bridge's ``deliver`` (the send request starts)

Gateway overhead = issued − received, per message, with messages sent at ``--rate`` per second.
Messages are spread round-robin over ``--rooms`` links (portal room → partner room): hgw relays
each chat strictly in order, one send in flight per chat (invariant 4), so with one room its
throughput is one send request at a time, while the baseline keeps ``--concurrency`` requests
in flight. ``--rooms`` equal to the concurrency is the like-for-like comparison.

Overhead is measured with sends *started* at ``--rate`` per second (not awaited one by one).
"raw" is issued − received; "own" subtracts the time a message waited behind the previous send
to its chat, leaving hgw's own share (store commit, head read, resolution) — with one room at
100/s the raw figure is almost all that queueing.
Throughput: ``--burst`` messages sent with ``--concurrency`` parallel requests into the linked
rooms, timed until the partner homeserver answered hgw's last send; the baseline sends the same
messages with the same concurrency and spread straight into unlinked internal rooms, timed until
the last answer (the homeserver is the ceiling). Its rooms are shaped like the portals (the
sender and one more member, who does not sync), because Synapse's cost per message grows with the
members it computes notifications for; the lone-sender rooms of earlier runs are measured too
("baseline_lone_rooms_per_second") for comparison. A third figure, "both_homeservers", sends the
same messages straight into both homeservers at once, into rooms hgw's bots are not in (hgw
idle): on a machine whose cores the two homeservers share, that is the ceiling any relay between
them could reach. CPU seconds of each homeserver and of this process (hgw + the bench clients)
are recorded per phase. Loss, duplicates and order are checked afterwards from the partner
rooms' timelines.
Results go to bench/results/relay.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import gc
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


from nio import AsyncClient, MessageDirection, RoomMessageText

from bridges.registry import build_bridges
from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.verdicts import judge_for
from tests.integration.synapse import RegisteredUser, SynapseServer

RESULTS = Path(__file__).parent / "results"
TAG = re.compile(r"bench-(\w+)-(\d+)")
TRACING: contextvars.ContextVar[str | None] = contextvars.ContextVar("bench_tag", default=None)


class Stamps:
    def __init__(self) -> None:
        self.received: dict[str, float] = {}
        self.issued: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        """When the target homeserver answered the send: issued→answered is the network's
        share of a delivery, answered→next issued is hgw's (commit, next row, resolve)."""
        self.target: dict[str, str] = {}
        self.answer = asyncio.Event()
        """Set at every answered send."""
        self.phases: dict[str, list[tuple[str, float, float]]] = {}
        """Per message: (step, start, end) of the store writes and outbox reads on its path."""
        self.syncs: dict[str, int] = {}
        """/sync requests the daemon made so far, per network."""

    def phase(self, tag: str | None, step: str, start: float) -> None:
        if tag is not None:
            self.phases.setdefault(tag, []).append((step, start, time.perf_counter()))


class GcPauses:
    """Collector pauses of this process (hgw's event loop runs in it): a p99 suspect."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], (time.perf_counter() - self._started) * 1000))

    def report(self) -> dict[str, Any]:
        by_generation: dict[str, Any] = {}
        for generation in (0, 1, 2):
            ms = [pause for gen, pause in self.pauses if gen == generation]
            by_generation[f"gen{generation}"] = {
                "collections": len(ms),
                "total_ms": sum(ms),
                "max_ms": max(ms, default=0.0),
            }
        return by_generation


def trace_steps(stamps: Stamps) -> None:
    """Time the daemon's steps from the outside: the store's writes, the head read, the wake."""
    from gateway.dispatch import Dispatcher
    from gateway.store import Store, outbox

    def timed_write(original: Any, step: str) -> Any:
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            tag, start = TRACING.get(), time.perf_counter()
            try:
                return await original(self, *args, **kwargs)
            finally:
                stamps.phase(tag, step, start)

        return wrapper

    from gateway.store.messages import MessageArchive

    for cls, name in ((Store, "archive"), (Store, "write"), (MessageArchive, "archive_then")):
        if hasattr(cls, name):
            setattr(cls, name, timed_write(getattr(cls, name), name))
    head = outbox.head

    async def timed_head(reader: Any, target: Any) -> Any:
        start = time.perf_counter()
        row = await head(reader, target)
        match = TAG.search(row.payload.get("text", "")) if row is not None else None
        stamps.phase(match.group() if match else None, "head", start)
        return row

    outbox.head = timed_head  # type: ignore[assignment]
    wake = Dispatcher.wake

    def timed_wake(self: Any, target: Any) -> None:
        stamps.phase(TRACING.get(), "wake", time.perf_counter())
        wake(self, target)

    Dispatcher.wake = timed_wake  # type: ignore[method-assign]
    from bridges.matrix.receive import Receiver

    sync_once = Receiver.sync_once

    async def counted_sync_once(self: Any, **kwargs: Any) -> None:
        stamps.syncs[self.network] = stamps.syncs.get(self.network, 0) + 1
        await sync_once(self, **kwargs)

    Receiver.sync_once = counted_sync_once  # type: ignore[method-assign]


class TimedSink:
    def __init__(self, sink: Any, stamps: Stamps) -> None:
        self._sink, self._stamps = sink, stamps

    async def message(self, message: Any) -> None:
        match = TAG.search(message.text)
        if match:
            self._stamps.received.setdefault(match.group(), time.perf_counter())
        token = TRACING.set(match.group() if match else None)
        try:
            await self._sink.message(message)
        finally:
            TRACING.reset(token)

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
            self._stamps.target[match.group()] = delivery.target.chat_id
        remote_id = await self._bridge.deliver(delivery)
        if match:
            self._stamps.answered.setdefault(match.group(), time.perf_counter())
            self._stamps.answer.set()
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


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) a process used so far; ``None`` is this process."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds per process over a phase: on a 2-core machine two homeservers and hgw
    compete for the same cores, and this shows who used them."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self._pids = pids
        self._start = {name: cpu_seconds(pid) for name, pid in pids.items()}
        self._began = time.perf_counter()

    def stop(self, messages: int) -> dict[str, Any]:
        wall = time.perf_counter() - self._began
        used = {name: cpu_seconds(pid) - self._start[name] for name, pid in self._pids.items()}
        return {
            "wall_seconds": wall,
            "cpu_seconds": used,
            "cores_busy": sum(used.values()) / wall,
            "cpu_ms_per_message": {name: 1000 * sec / messages for name, sec in used.items()},
        }


def room_of(text: str, rooms: list[str]) -> str:
    """Message ``bench-x-i`` goes to room ``i mod len(rooms)``: the same spread in every phase."""
    return rooms[int(text.rsplit("-", 1)[1]) % len(rooms)]


async def send_one(client: AsyncClient, room: str, text: str) -> None:
    response = await client.room_send(room, "m.room.message", {"msgtype": "m.text", "body": text})
    if not hasattr(response, "event_id"):
        raise RuntimeError(f"send failed: {response}")


async def send_all(
    client: AsyncClient, rooms: list[str], texts: list[str], concurrency: int
) -> float:
    """``concurrency`` requests in flight at any time, each message into its ``room_of``."""
    queue = iter(texts)
    began = time.perf_counter()

    async def worker() -> None:
        for text in queue:
            await send_one(client, room_of(text, rooms), text)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began


async def send_paced(
    client: AsyncClient, rooms: list[str], texts: list[str], rate: float
) -> tuple[float, float]:
    """Start one send every ``1/rate`` s without waiting for the previous one to be answered
    (one request takes ~30 ms here, so awaiting each would cap the rate near 30/s).
    Returns (start rate achieved, seconds until every send was answered)."""
    began = time.perf_counter()
    sends = []
    for i, text in enumerate(texts):
        sends.append(asyncio.create_task(send_one(client, room_of(text, rooms), text)))
        await asyncio.sleep(max(0.0, began + (i + 1) / rate - time.perf_counter()))
    started = time.perf_counter() - began
    await asyncio.gather(*sends)
    return len(texts) / started, time.perf_counter() - began


SYNC_FILTER = {"room": {"timeline": {"limit": 1000}}}
"""Without it Synapse returns 10 events per sync and marks the rest 'limited': a burst would
look lost when it was only not fetched."""


async def collect(
    client: AsyncClient, rooms: list[str], prefix: str, expected: int, wait_seconds: float
) -> dict[str, list[str]]:
    """Tags seen in each of ``rooms`` starting with ``prefix``, in timeline order."""
    seen: dict[str, list[str]] = {room: [] for room in rooms}
    deadline = time.monotonic() + wait_seconds
    while sum(map(len, seen.values())) < expected and time.monotonic() < deadline:
        response = await client.sync(timeout=1000, sync_filter=SYNC_FILTER)
        joined = getattr(response, "rooms", None)
        for room in rooms:
            room_info = joined.join.get(room) if joined else None
            for event in room_info.timeline.events if room_info else []:
                match = TAG.search(event.body) if isinstance(event, RoomMessageText) else None
                if match and match.group().startswith(prefix):
                    seen[room].append(match.group())
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


async def orders(client: AsyncClient, rooms: list[str], since: str, prefix: str) -> list[list[str]]:
    return [await room_order(client, room, since, prefix) for room in rooms]


def delivery_report(
    internal: list[list[str]], partner: list[list[str]], sent: int
) -> dict[str, Any]:
    """Loss, duplicates and order, room by room (internal room i is linked to partner room i)."""
    arrived = [tag for room in partner for tag in room]
    first_difference = None
    for index, (ours, theirs) in enumerate(zip(internal, partner, strict=True)):
        for i, (a, b) in enumerate(zip(ours, theirs, strict=False)):
            if a != b:
                first_difference = {"room": index, "index": i, "internal": a, "partner": b}
                break
        if first_difference:
            break
    return {
        "sent": sent,
        "arrived": len(set(arrived)),
        "duplicates": len(arrived) - len(set(arrived)),
        "in_order": internal == partner,
        "first_difference": first_difference,
    }


def percentile(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else None


def overhead_report(stamps: Stamps, prefix: str) -> dict[str, Any]:
    """issued − received per message; and hgw's own share of it: issued − max(received, the
    moment the previous send to the same chat was answered). With one chat and arrivals faster
    than a send request, messages queue behind each other (invariant 4) and the raw figure is
    mostly that wait; the own figure is what hgw adds (store commits, head read, resolution)."""
    keys = [k for k in stamps.received if k.startswith(prefix) and k in stamps.issued]
    raw = [(stamps.issued[k] - stamps.received[k]) * 1000 for k in keys]
    own_of: dict[str, tuple[float, float]] = {}
    previous: dict[str, float] = {}
    for key in sorted(keys, key=lambda k: stamps.issued[k]):
        chat = stamps.target[key]
        ready = max(stamps.received[key], previous.get(chat, 0.0))
        own_of[key] = ((stamps.issued[key] - ready) * 1000, ready)
        previous[chat] = stamps.answered.get(key, stamps.issued[key])
    own = [ms for ms, _ready in own_of.values()]

    def summary(values: list[float]) -> dict[str, Any]:
        return {
            "messages": len(values),
            "p50": statistics.median(values) if values else None,
            "p99": percentile(values, 0.99),
            "max": max(values) if values else None,
        }

    steps: dict[str, list[float]] = {}
    for key in keys:
        phases = stamps.phases.get(key, [])
        cursor = stamps.received[key]
        for step, start, end in sorted(phases, key=lambda p: p[1]):
            steps.setdefault(f"gap before {step}", []).append((start - cursor) * 1000)
            steps.setdefault(step, []).append((end - start) * 1000)
            cursor = max(cursor, end)
        steps.setdefault("gap before issued", []).append((stamps.issued[key] - cursor) * 1000)
    slowest = []
    for key in sorted(own_of, key=lambda k: own_of[k][0], reverse=True)[:3]:
        ms, ready = own_of[key]
        slowest.append(
            {
                "own_ms": ms,
                "waited_behind_previous_send": ready > stamps.received[key],
                "steps_after_ready_ms": [
                    (step, round((start - ready) * 1000, 3), round((end - start) * 1000, 3))
                    for step, start, end in sorted(stamps.phases.get(key, []))
                    if end > ready
                ],
            }
        )
    return {
        "raw": summary(raw),
        "own": summary(own),
        "steps_p50": {step: statistics.median(v) for step, v in steps.items()},
        "slowest_own": slowest,
    }


async def until_answered(stamps: Stamps, prefix: str, count: int, wait_seconds: float) -> None:
    """Until the partner homeserver answered ``count`` relayed sends tagged ``prefix``."""

    async def until() -> None:
        while count > sum(key.startswith(prefix) for key in stamps.answered):
            stamps.answer.clear()
            await stamps.answer.wait()

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(until(), wait_seconds)


async def make_rooms(
    count: int, creator: AsyncClient, bot: RegisteredUser, bot_client: AsyncClient
) -> list[str]:
    rooms = []
    for _ in range(count):
        room = (await creator.room_create(invite=[bot.user_id])).room_id
        await bot_client.join(room)
        rooms.append(room)
    return rooms


async def main(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="hgw-relay-bench-"))
    internal = SynapseServer(tmp / "internal", "internal.test").start()
    partner = SynapseServer(tmp / "partner", "partner.test").start()
    for server in (internal, partner) if args.nice_homeservers else ():
        # homeserver threads too: Synapse runs a few (its DB pool); each has its own niceness
        for task in os.listdir(f"/proc/{server.pid}/task"):
            os.setpriority(os.PRIO_PROCESS, int(task), args.nice_homeservers)
    daemon_task = None
    stamps = Stamps()
    trace_steps(stamps)
    try:
        staff_user = internal.register_user("alice")
        bot_in = internal.register_user("hgw")
        pavel_user = partner.register_user("pavel")
        bot_out = partner.register_user("hgw")
        alice = await client_for(internal, staff_user)
        pavel = await client_for(partner, pavel_user)
        bot_in_c, bot_out_c = await client_for(internal, bot_in), await client_for(partner, bot_out)
        portals = await make_rooms(args.rooms, alice, bot_in, bot_in_c)
        lone = [(await alice.room_create()).room_id for _ in range(args.rooms)]
        peer_in, peer_out = internal.register_user("bob"), partner.register_user("olga")
        peer_in_c = await client_for(internal, peer_in)
        peer_out_c = await client_for(partner, peer_out)
        unlinked = await make_rooms(args.rooms, alice, peer_in, peer_in_c)
        partner_unlinked = await make_rooms(args.rooms, pavel, peer_out, peer_out_c)
        await peer_in_c.close()
        await peer_out_c.close()
        partner_rooms = await make_rooms(args.rooms, pavel, bot_out, bot_out_c)
        await bot_in_c.close()
        await bot_out_c.close()
        await pavel.sync(timeout=0, sync_filter=SYNC_FILTER)

        config_dir = tmp / "hgw"
        config_dir.mkdir()
        secret_file(config_dir, "in.pw", bot_in.password)
        secret_file(config_dir, "out.pw", bot_out.password)
        links = "".join(
            f'[[links]]\nid = "bench{i}"\ninternal_room = "{portal}"\n'
            f'external_network = "partner"\nexternal_chat = "{partner_room}"\n'
            for i, (portal, partner_room) in enumerate(zip(portals, partner_rooms, strict=True))
        )
        (config_dir / "config.toml").write_text(
            f'[gateway]\ndata_dir = "data"\nlog_level = "warning"\n'
            f'[store]\nsynchronous = "{args.synchronous}"\n'
            f'[matrix]\nhomeserver = "{internal.url}"\nuser_id = "{bot_in.user_id}"\n'
            f'password_file = "in.pw"\nadmins = ["{staff_user.user_id}"]\n'
            f'[partners.partner]\nhomeserver = "{partner.url}"\nuser_id = "{bot_out.user_id}"\n'
            f'password_file = "out.pw"\nadmins = ["{pavel_user.user_id}"]\n' + links
        )
        config = load_config(config_dir / "config.toml")

        def make_bridges(cfg: Any) -> dict[Any, Any]:
            return {name: TimedBridge(b, stamps) for name, b in build_bridges(cfg).items()}

        daemon = Daemon(config, make_bridges=make_bridges, make_judge=judge_for)
        daemon_task = asyncio.create_task(daemon.run())
        await asyncio.wait_for(daemon.ready.wait(), 60)

        # warm-up: the first messages pay for connection set-up
        warm = max(10, args.rooms)
        await send_all(alice, portals, [f"bench-warm-{i}" for i in range(warm)], 1)
        await collect(pavel, partner_rooms, "bench-warm", warm, 60)

        # 1. overhead at a paced rate
        before_paced = (await pavel.sync(timeout=0, sync_filter=SYNC_FILTER)).next_batch
        before_paced_in = (await alice.sync(timeout=0, sync_filter=SYNC_FILTER)).next_batch
        texts = [f"bench-paced-{i}" for i in range(args.paced)]
        with GcPauses() as gc_pauses:
            paced_rate, paced_seconds = await send_paced(alice, portals, texts, args.rate)
            await until_answered(stamps, "bench-paced", args.paced, 300)
        # paginate rather than sync: /sync returns at most 100 events per room and response
        paced_out = await orders(pavel, partner_rooms, before_paced, "bench-paced")
        paced_in = await orders(alice, portals, before_paced_in, "bench-paced")

        # 2. throughput: baseline straight into the homeserver, then through the relay
        pids = {"internal": internal.pid, "partner": partner.pid, "hgw+bench": None}
        texts = [f"bench-lone-{i}" for i in range(args.burst)]
        lone_seconds = await send_all(alice, lone, texts, args.concurrency)
        texts = [f"bench-base-{i}" for i in range(args.burst)]
        meter = CpuMeter(pids)
        baseline_seconds = await send_all(alice, unlinked, texts, args.concurrency)
        baseline_cpu = meter.stop(args.burst)
        texts = [f"bench-both-{i}" for i in range(args.burst)]
        meter = CpuMeter(pids)
        both_seconds = max(
            await asyncio.gather(
                send_all(alice, unlinked, texts, args.concurrency),
                send_all(pavel, partner_unlinked, texts, args.concurrency),
            )
        )
        both_cpu = meter.stop(args.burst)
        texts = [f"bench-burst-{i}" for i in range(args.burst)]
        before_burst = (await alice.sync(timeout=0, sync_filter=SYNC_FILTER)).next_batch
        before_burst_out = (await pavel.sync(timeout=0, sync_filter=SYNC_FILTER)).next_batch
        began = time.perf_counter()
        meter = CpuMeter(pids)
        syncs_before = dict(stamps.syncs)
        with GcPauses() as burst_gc:
            await send_all(alice, portals, texts, args.concurrency)
            # Relayed = the partner homeserver answered hgw's send (the event is in its room),
            # as the baseline counts a message done when the internal homeserver answered. Nobody
            # watches the partner room meanwhile: a client syncing there for every event cost
            # the partner homeserver as much CPU as the sends themselves (bench, not relay, load).
            await until_answered(stamps, "bench-burst", args.burst, 300)
            burst_answered = [v for k, v in stamps.answered.items() if k.startswith("bench-burst")]
            relay_seconds = max(burst_answered) - began
            relay_cpu = meter.stop(args.burst)
        relay_cpu["gc_pauses"] = burst_gc.report()
        relay_cpu["daemon_syncs"] = {
            network: count - syncs_before.get(network, 0) for network, count in stamps.syncs.items()
        }
        # concurrent senders race, so "in order" means: in the order the internal room has
        burst_in = await orders(alice, portals, before_burst, "bench-burst")
        burst_out = await orders(pavel, partner_rooms, before_burst_out, "bench-burst")
        await alice.close()
        await pavel.close()
    finally:
        if daemon_task is not None:
            daemon.stop()
            await asyncio.wait_for(daemon_task, 60)
        internal.stop()
        partner.stop()

    burst = sorted(
        (k for k in stamps.issued if k.startswith("bench-burst") and k in stamps.answered),
        key=lambda k: stamps.issued[k],
    )
    network_ms = [(stamps.answered[k] - stamps.issued[k]) * 1000 for k in burst]
    last_answer: dict[str, float] = {}
    hgw_ms = []
    for key in burst:
        chat = stamps.target[key]
        if chat in last_answer:
            hgw_ms.append((stamps.issued[key] - last_answer[chat]) * 1000)
        last_answer[chat] = stamps.answered[key]
    relayed = len(burst_answered)
    return {
        "benchmark": "relay",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "store_synchronous": args.synchronous,
        "homeserver_niceness": args.nice_homeservers,
        "rooms": args.rooms,
        "overhead_ms": {
            "rate_per_second": args.rate,
            "send_starts_per_second": paced_rate,
            "sends_answered_within_s": paced_seconds,
            "gc_pauses": gc_pauses.report(),
            **overhead_report(stamps, "bench-paced"),
        },
        "paced": delivery_report(paced_in, paced_out, args.paced),
        "serial_delivery_ms": {
            "send_request_p50": statistics.median(network_ms) if network_ms else None,
            "between_sends_p50": statistics.median(hgw_ms) if hgw_ms else None,
        },
        "throughput": {
            "messages": args.burst,
            "concurrency": args.concurrency,
            "baseline_per_second": args.burst / baseline_seconds,
            "relay_per_second": relayed / relay_seconds,
            "ratio": (relayed / relay_seconds) / (args.burst / baseline_seconds),
            "baseline_lone_rooms_per_second": args.burst / lone_seconds,
            "both_homeservers_per_second": args.burst / both_seconds,
            "ratio_to_both_homeservers": (relayed / relay_seconds) / (args.burst / both_seconds),
            "baseline_cpu": baseline_cpu,
            "both_homeservers_cpu": both_cpu,
            "relay_cpu": relay_cpu,
            **delivery_report(burst_in, burst_out, args.burst),
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paced", type=int, default=300)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--rooms",
        type=int,
        default=1,
        help="links (portal room → partner room); messages are spread over them round-robin,"
        " the baseline over as many unlinked rooms",
    )
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full")
    parser.add_argument(
        "--nice-homeservers",
        type=int,
        default=0,
        help="run both homeservers at this niceness (e.g. 10): separates what hgw's code path"
        " costs from its waits for cores the homeservers hold; 0 (default) = equal priority",
    )
    parser.add_argument("--out", type=Path, help="result file (default bench/results/relay.json)")
    args = parser.parse_args()
    result = asyncio.run(main(args))
    out = args.out or RESULTS / "relay.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    o, t = result["overhead_ms"], result["throughput"]
    print(
        f"{args.rooms} room(s); overhead at {o['rate_per_second']:.0f} msg/s (sends started at"
        f" {o['send_starts_per_second']:.0f}/s, {o['raw']['messages']} messages):"
        f" raw p50 {o['raw']['p50']:.2f} ms p99 {o['raw']['p99']:.2f} ms;"
        f" own p50 {o['own']['p50']:.2f} ms p99 {o['own']['p99']:.2f} ms"
    )
    print("steps p50 (ms):", {k: round(v, 3) for k, v in o["steps_p50"].items()})
    print("collector pauses while paced:", o["gc_pauses"])
    print("slowest own overheads:", o["slowest_own"])
    print(
        f"throughput, {t['messages']} messages x{t['concurrency']}: baseline"
        f" {t['baseline_per_second']:.0f}/s, relay {t['relay_per_second']:.0f}/s"
        f" ({t['ratio']:.0%}); arrived {t['arrived']}, duplicates {t['duplicates']},"
        f" in order: {t['in_order']}"
    )
    print(
        f"  baseline into lone-sender rooms {t['baseline_lone_rooms_per_second']:.0f}/s;"
        f" both homeservers at once, hgw idle, {t['both_homeservers_per_second']:.0f}/s"
        f" (relay {t['ratio_to_both_homeservers']:.0%} of that)"
    )
    for phase in ("baseline_cpu", "both_homeservers_cpu", "relay_cpu"):
        cpu = t[phase]
        per = {k: round(v, 2) for k, v in cpu["cpu_ms_per_message"].items()}
        print(f"{phase}: {cpu['cores_busy']:.2f} cores busy; CPU ms per message {per}")
    print(f"daemon /sync requests during the relay burst: {t['relay_cpu']['daemon_syncs']}")
    print(f"paced: {result['paced']}")
    print(f"serial delivery during the burst: {result['serial_delivery_ms']}")
    print(f"results: {out}")
