"""The TUI's one seam to the daemon: the control API client.

The TUI never opens the store or a network; everything it shows comes through this module.
:func:`open_api` returns the daemon's own asyncio client (:mod:`gateway.control.client`), which
speaks the contract of ``docs/control-api.md``. The TUI uses four of its calls (tests may hand
the app anything else that offers them):

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

from gateway.control.client import ControlClient
from gateway.control.client import ControlError as ApiError
from gateway.inert import inert

StateCallback = Callable[[bool, str], None]


class ControlApi(Protocol):
    async def connect(self) -> None: ...
    async def call(self, method: str, **params: Any) -> Any: ...
    def events(self) -> AsyncIterator[dict[str, Any]]: ...
    async def close(self) -> None: ...


def open_api(path: Path, on_state: StateCallback) -> ControlApi:
    """A control API client for the socket at ``path``; nothing happens until ``connect()``."""
    return ControlClient(path, on_state=on_state)


def describe(err: BaseException) -> str:
    """One line for a human: the server's own refusal message, or what went wrong locally.

    Made inert (gateway/inert.py): a refusal may quote a network's own error text."""
    return inert(_describe(err))


def _describe(err: BaseException) -> str:
    if isinstance(err, ApiError):
        data = getattr(err, "data", None)
        reason = data.get("reason") if isinstance(data, dict) else None
        message = getattr(err, "message", None) or str(err)
        return f"{message}: {reason}" if reason and reason not in message else message
    if isinstance(err, (ConnectionError, OSError)):
        return "daemon not reachable — retrying"
    return f"{type(err).__name__}: {err}"


__all__ = ["ApiError", "ControlApi", "describe", "open_api"]
