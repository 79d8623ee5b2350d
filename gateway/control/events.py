"""From hub events (ids) to subscribers' notifications (full objects), filtered by role.

One task takes the hub's events in order, builds each object once (a MessageView, an approval)
and hands it to every subscribed connection allowed to see its link. Nothing is replayed: a
client that reconnects re-reads what it shows (``docs/control-api.md``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from gateway.control.hub import Event, EventHub

if TYPE_CHECKING:
    from gateway.control.server import Connection

log = logging.getLogger(__name__)

STATUS_EVERY_SECONDS = 1.0
"""Flood waits can produce many retries a second; status events are sent at most this often."""
EVERYONE = object()


class EventFanOut:
    def __init__(self, daemon: Any, connections: Collection[Connection]) -> None:
        self._daemon = daemon
        self._connections = connections
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._unlisten: Callable[[], None] | None = None
        self._last_status = 0.0

    def start(self, hub: EventHub) -> None:
        self._unlisten = hub.listen(self._queue.put_nowait)
        self._task = asyncio.create_task(self._run(), name="control-events")

    def stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            if not any(c.topics for c in self._connections):
                continue  # nobody listens: do not build anything
            try:
                for topic, link_id, params in await self._resolve(event):
                    self._send(topic, link_id, params)
            except Exception:
                log.exception("control: could not publish %s", event.topic)

    def _send(self, topic: str, link_id: object, params: dict[str, Any]) -> None:
        for connection in list(self._connections):
            if topic not in connection.topics:
                continue
            if link_id is EVERYONE or connection.caller.may_read(link_id):  # type: ignore[arg-type]
                payload = params
                if topic == "status":
                    from gateway.control.methods.status import for_caller

                    links = self._daemon.active_links()
                    payload = params | {
                        "status": for_caller(params["status"], connection.caller, links)
                    }
                connection.notify(payload)

    async def _resolve(self, event: Event) -> list[tuple[str, object, dict[str, Any]]]:
        from gateway.control.methods.approvals import approvals_by
        from gateway.control.methods.status import gateway_status
        from gateway.control.views import message_views

        fields = event.fields
        daemon = self._daemon
        found: list[tuple[str, object, dict[str, Any]]] = []
        message_ids: list[int] = []
        if event.topic == "message":
            message_ids.append(int(fields["message_id"]))
        elif event.topic == "approval":
            for approval in await approvals_by(daemon, **fields):
                found.append(
                    ("approvals", approval["link_id"], {"topic": "approval", "approval": approval})
                )
        elif event.topic == "delivery":
            delivery = fields["event"]
            async with daemon.store.reader.execute(
                "SELECT message_id, link_id FROM outbox WHERE id = ?", (delivery.outbox_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None and row[0] is not None and row[1] is not None:
                message_ids.append(int(row[0]))
            if delivery.outcome in ("retry", "failed") and self._status_due():
                status = await gateway_status(daemon)
                found.append(("status", EVERYONE, {"topic": "status", "status": status}))
        elif event.topic == "status" and self._status_due():
            status = await gateway_status(daemon)
            found.append(("status", EVERYONE, {"topic": "status", "status": status}))
        if message_ids:
            links = daemon.active_links()
            for view in await message_views(daemon.store.reader, message_ids, links):
                found.append(("messages", view["link_id"], {"topic": "message", "message": view}))
        return found

    def _status_due(self) -> bool:
        now = time.monotonic()
        if now - self._last_status < STATUS_EVERY_SECONDS:
            return False
        self._last_status = now
        return True


__all__ = ["EVERYONE", "EventFanOut"]
