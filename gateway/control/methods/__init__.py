"""The control API's methods, one module per concern; importing this registers them all."""

from __future__ import annotations

from gateway.control.methods import (  # noqa: F401 - importing registers the methods
    approvals,
    audit,
    conversations,
    links,
    live,
    messages,
    policy,
    status,
)
from gateway.control.methods.registry import METHODS, CallContext, MethodSpec, method

__all__ = ["METHODS", "CallContext", "MethodSpec", "method"]
