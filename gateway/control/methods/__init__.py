"""The control API's methods, one module per concern; importing this registers them all."""

from __future__ import annotations

from gateway.control.methods import status  # noqa: F401 - registers its methods
from gateway.control.methods.registry import METHODS, CallContext, MethodSpec, method

__all__ = ["METHODS", "CallContext", "MethodSpec", "method"]
