"""``subscribe``: live events on this connection, filtered by what the caller may read."""

from __future__ import annotations

from typing import Any

from gateway.control.methods.registry import CallContext, method
from gateway.control.protocol import Params, bad_params
from gateway.control.roles import ALL

TOPICS = ("messages", "approvals", "status")


@method("subscribe", roles=ALL)
async def subscribe(ctx: CallContext, params: Params) -> dict[str, Any]:
    topics = params.string_list("topics", list(TOPICS))
    params.finish()
    unknown = sorted(set(topics) - set(TOPICS))
    if unknown:
        raise bad_params(f"topics: unknown topic {unknown[0]!r} (known: {', '.join(TOPICS)})")
    ctx.session.subscribe(topics)
    return {}


__all__ = ["TOPICS", "subscribe"]
