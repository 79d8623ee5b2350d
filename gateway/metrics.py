"""An optional Prometheus endpoint on loopback (``[metrics] listen``).

Counted from what the daemon already publishes on its event hub — messages with their policy
actions, delivery outcomes — plus a timer around the policy judge and a gauge pass every few
seconds for queue depths and flood waits. A registry of its own per daemon keeps tests (and two
daemons in one process) apart. prometheus_client serves from its own thread; nothing here
blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from gateway.config import MetricsConfig
from gateway.control.hub import Event
from gateway.errors import HgwError

log = logging.getLogger(__name__)

GAUGE_SECONDS = 5.0


class Metrics:
    def __init__(self, config: MetricsConfig) -> None:
        self.config = config
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "hgw_messages",
            "Messages routed, by source network, direction and the policy action per route",
            ["network", "direction", "action"],
            registry=r,
        )
        self.deliveries = Counter(
            "hgw_deliveries", "Delivery attempts by target network and outcome",
            ["network", "outcome"], registry=r,
        )  # fmt: skip
        self.queue = Gauge(
            "hgw_queue_pending", "Outbox rows waiting, by target network", ["network"], registry=r
        )
        self.held = Gauge("hgw_held", "Messages waiting for an approval", registry=r)
        self.flood_wait = Gauge(
            "hgw_flood_wait_seconds", "Seconds left of a flood wait, by network", ["network"],
            registry=r,
        )  # fmt: skip
        self.connected = Gauge(
            "hgw_network_connected", "1 when the network is connected", ["network"], registry=r
        )
        self.policy_seconds = Histogram(
            "hgw_policy_seconds",
            "Time the policy took to judge one message on one route",
            buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30),
            registry=r,
        )
        self._server: Any = None
        self._task: asyncio.Task[None] | None = None
        self._unlisten: Callable[[], None] | None = None

    def timed(self, make_judge: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Wrap a judge factory so every judge it makes is timed."""

        def make(config: Any) -> Any:
            judge = make_judge(config)

            def timed_judge(message: Any, route: Any) -> Any:
                started = time.perf_counter()
                try:
                    return judge(message, route)
                finally:
                    self.policy_seconds.observe(time.perf_counter() - started)

            return timed_judge

        return make

    def on_event(self, event: Event) -> None:
        fields = event.fields
        if event.topic == "message" and "actions" in fields:
            for action in fields["actions"]:
                self.messages.labels(fields["network"], fields["direction"], action).inc()
        elif event.topic == "delivery":
            delivery = fields["event"]
            self.deliveries.labels(delivery.target.network, delivery.outcome).inc()

    def start(self, daemon: Any) -> None:
        try:
            self._server, _thread = start_http_server(
                self.config.port, addr=self.config.host, registry=self.registry
            )
        except OSError as err:
            where = f"{self.config.host}:{self.config.port}"
            raise HgwError(
                f"metrics: cannot listen on {where}: {err.strerror}; change [metrics] listen"
            ) from None
        self._unlisten = daemon.hub.listen(self.on_event)
        self._task = asyncio.create_task(self._gauges(daemon), name="metrics-gauges")
        log.info("metrics on http://%s:%d/metrics", self.config.host, self.config.port)

    async def stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._server is not None:
            await asyncio.to_thread(self._server.shutdown)
            self._server.server_close()

    async def _gauges(self, daemon: Any) -> None:
        while True:
            try:
                await self.update_gauges(daemon)
            except Exception:
                log.exception("metrics: gauge pass failed")
            await asyncio.sleep(GAUGE_SECONDS)

    async def update_gauges(self, daemon: Any) -> None:
        reader = daemon.store.reader
        pending: dict[str, int] = {}
        async with reader.execute(
            "SELECT target_network, count(*) FROM outbox WHERE state = 'pending'"
            " GROUP BY target_network"
        ) as cursor:
            pending = {network: count async for network, count in cursor}
        for network in set(pending) | set(daemon.bridges):
            self.queue.labels(network).set(pending.get(network, 0))
        async with reader.execute(
            "SELECT count(*) FROM approvals WHERE state = 'pending'"
        ) as cursor:
            row = await cursor.fetchone()
        self.held.set(int(row[0]) if row else 0)
        now = datetime.now(UTC)
        for entry in daemon.network_status():
            network = entry["network"]
            self.connected.labels(network).set(1 if entry.get("connected") is not False else 0)
            self.flood_wait.labels(network).set(_seconds_left(entry.get("flood_wait_until"), now))


def _seconds_left(until: Any, now: datetime) -> float:
    if until is None:
        return 0.0
    if isinstance(until, int | float):
        moment = datetime.fromtimestamp(until, UTC)
    elif isinstance(until, datetime):
        moment = until
    else:
        moment = datetime.fromisoformat(str(until))
    return max((moment - now).total_seconds(), 0.0)


__all__ = ["Metrics"]
