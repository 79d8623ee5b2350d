"""Live events inside the daemon: the router, approvals and dispatcher say what changed.

Publishing is synchronous and cheap — a topic and a few ids — so the router can publish right
after its commit without awaiting anyone. Listeners (the control server, metrics) turn the ids
into full objects on their own time; a slow subscriber never slows relaying down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.dispatch import DeliveryEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    """``message`` (``message_id``), ``approval`` (``approval_id`` or ``message_id``),
    ``delivery`` (a :class:`DeliveryEvent` as ``event``), ``status`` (free fields)."""
    fields: Mapping[str, Any] = field(default_factory=dict)


Listener = Callable[[Event], None]


class EventHub:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Add ``listener``; returns the function that removes it again."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, topic: str, **fields: Any) -> None:
        event = Event(topic, fields)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed on %s", topic)

    def delivery(self, event: DeliveryEvent) -> None:
        """A :meth:`gateway.dispatch.Dispatcher.subscribe` observer."""
        self.publish("delivery", event=event)


__all__ = ["Event", "EventHub", "Listener"]
