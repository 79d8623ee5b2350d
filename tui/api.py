"""The TUI's one seam to the daemon: the control API client.

The TUI never opens the store or a network; everything it shows comes through this module.
:func:`open_api` returns the daemon's own asyncio client (:mod:`gateway.control.client`) when it
is installed, and the small stand-in in :mod:`tui._socket_client` otherwise — both speak the
contract of ``docs/control-api.md`` and offer the same four calls:

- ``await connect()`` — start; reconnects by itself with backoff after that;
- ``await call(method, **params)`` — one JSON-RPC request, raising :data:`ApiError` on an error
  response and :class:`ConnectionError` when the daemon is not there;
- ``events()`` — an async iterator of notification ``params`` (``{"topic": ..., ...}``);
- ``await close()``.

``on_state(connected, reason)`` is called on every connect and disconnect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

StateCallback = Callable[[bool, str], None]

try:  # the daemon's client, once gateway/control/ is in the tree
    from gateway.control.client import ControlClient as _Client
    from gateway.control.client import ControlError as ApiError
except ImportError:  # pragma: no cover - only before the control package landed
    from tui._socket_client import ApiError  # type: ignore[assignment]
    from tui._socket_client import SocketClient as _Client

FORBIDDEN = -32003
NOT_FOUND = -32004
REFUSED = -32010


class ControlApi(Protocol):
    async def connect(self) -> None: ...
    async def call(self, method: str, **params: Any) -> Any: ...
    def events(self) -> AsyncIterator[dict[str, Any]]: ...
    async def close(self) -> None: ...


def open_api(path: Path, on_state: StateCallback) -> ControlApi:
    """A control API client for the socket at ``path``; nothing happens until ``connect()``."""
    return _Client(path, on_state=on_state)  # type: ignore[return-value]


def describe(err: BaseException) -> str:
    """One line for a human: the server's own refusal message, or what went wrong locally."""
    if isinstance(err, ApiError):
        data = getattr(err, "data", None)
        reason = data.get("reason") if isinstance(data, dict) else None
        message = getattr(err, "message", None) or str(err)
        return f"{message}: {reason}" if reason and reason not in message else message
    if isinstance(err, (ConnectionError, OSError)):
        return "daemon not reachable — retrying"
    return f"{type(err).__name__}: {err}"


__all__ = ["FORBIDDEN", "NOT_FOUND", "REFUSED", "ApiError", "ControlApi", "describe", "open_api"]
