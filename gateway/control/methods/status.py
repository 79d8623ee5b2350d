"""``hello`` and ``status``: who am I, and how is the gateway doing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from gateway import __version__
from gateway.control.methods.registry import CallContext, method
from gateway.control.protocol import Params
from gateway.control.roles import ALL, Caller
from gateway.model import Link

RECENT_FAILURES = 10


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


@method("hello", roles=ALL)
async def hello(ctx: CallContext, params: Params) -> dict[str, Any]:
    params.finish()
    links = [link.id for link in ctx.daemon.active_links()]
    return {
        "version": __version__,
        "user": ctx.caller.user,
        "role": ctx.caller.role,
        "links": ctx.caller.visible(links),
    }


@method("status", roles=ALL)
async def status(ctx: CallContext, params: Params) -> dict[str, Any]:
    params.finish()
    return for_caller(await gateway_status(ctx.daemon), ctx.caller, ctx.daemon.active_links())


def for_caller(status: dict[str, Any], caller: Caller, links: Iterable[Link]) -> dict[str, Any]:
    """An operator sees the queues and failures of their own links' chats only (a failure's
    text can quote another team's partner); totals and connections stay as they are."""
    if caller.links is None:
        return status
    chats = {
        (chat.network, chat.chat_id)
        for link in links
        if caller.may_read(link.id)
        for chat in (link.internal, link.external)
    }

    def mine(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in entries if (e["network"], e["chat_id"]) in chats]

    return status | {
        "queues": mine(status["queues"]),
        "recent_failures": mine(status["recent_failures"]),
    }


async def gateway_status(daemon: Any) -> dict[str, Any]:
    reader = daemon.store.reader
    async with reader.execute("SELECT state, count(*) FROM outbox GROUP BY state") as cursor:
        counts = {state: count async for state, count in cursor}
    async with reader.execute(
        "SELECT target_network, target_chat, count(*) FROM outbox WHERE state = 'pending'"
        " GROUP BY target_network, target_chat ORDER BY count(*) DESC"
    ) as cursor:
        queues = [{"network": n, "chat_id": c, "pending": p} async for n, c, p in cursor]
    async with reader.execute(
        "SELECT id, target_network, target_chat, last_error, updated_at FROM outbox"
        " WHERE state = 'failed' ORDER BY updated_at DESC, id DESC LIMIT ?",
        (RECENT_FAILURES,),
    ) as cursor:
        failures = [
            {"outbox_id": i, "network": n, "chat_id": c, "error": e, "at": iso(at)}
            async for i, n, c, e, at in cursor
        ]
    return {
        "version": __version__,
        "started_at": daemon.started_at.isoformat(),
        "networks": daemon.network_status(),
        "outbox": {state: counts.get(state, 0) for state in ("pending", "held", "failed", "sent")},
        "queues": queues,
        "recent_failures": failures,
        "last_reload_error": daemon.last_reload_error,
        "audit_problem": guard.problem if (guard := getattr(daemon, "audit_guard", None)) else None,
    }


__all__ = ["for_caller", "gateway_status", "hello", "iso", "status"]
