"""The method table: name → roles, handler. Handlers register with :func:`method`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.config import Role
from gateway.control.protocol import Params
from gateway.control.roles import Caller


class Session(Protocol):
    """What a handler may ask of its connection (``subscribe``)."""

    def subscribe(self, topics: Collection[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class CallContext:
    daemon: Any
    """The running :class:`gateway.daemon.Daemon`."""
    caller: Caller
    session: Session


Handler = Callable[[CallContext, Params], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    roles: frozenset[Role]
    handler: Handler
    mutating: bool
    """Changes the gateway: the handler writes an audit record with the caller as actor."""


METHODS: dict[str, MethodSpec] = {}


def method(
    name: str, *, roles: Collection[Role], mutating: bool = False
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name] = MethodSpec(name, frozenset(roles), handler, mutating)
        return handler

    return register


__all__ = ["METHODS", "CallContext", "Handler", "MethodSpec", "Session", "method"]
