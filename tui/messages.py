"""Messages the app posts to its screens. Plain, documented dataclasses (Toolong's habit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class ConnectionChanged(Message):
    """The control socket connected or went away; ``reason`` is for the banner."""

    connected: bool
    reason: str


@dataclass
class ApiEvent(Message):
    """A notification from ``subscribe``: ``params["topic"]`` is message, approval or status."""

    params: dict[str, Any]


@dataclass
class OpenMessage(Message):
    """Show ``message_id`` in its conversation, with context (search results post this)."""

    link_id: str
    message_id: int


__all__ = ["ApiEvent", "ConnectionChanged", "OpenMessage"]
