"""The approval queue: list for everyone (operators: their links), decide for admins."""

from __future__ import annotations

from typing import Any

from gateway.control.methods.registry import CallContext, method
from gateway.control.protocol import Params, not_found
from gateway.control.roles import ADMIN, ALL
from gateway.control.views import iso

STATES = ("pending", "approved", "rejected", "overridden", "all")

_SELECT = (
    "SELECT a.id, a.message_id, a.link_id, a.rule, a.reason, a.state, m.sender_name, m.sender_id,"
    " substr(json_extract(o.payload, '$.text'), 1, 200), a.created_at, a.decided_by,"
    " a.decided_at, a.justification"
    " FROM approvals a JOIN outbox o ON o.id = a.outbox_id"
    " LEFT JOIN messages m ON m.id = a.message_id"
)


def _approval(row: Any) -> dict[str, Any]:
    return {
        "id": row[0],
        "message_id": row[1],
        "link_id": row[2],
        "rule": row[3],
        "reason": row[4],
        "state": row[5],
        "sender_name": row[6] or row[7],
        "preview": row[8] or "",
        "created_at": iso(row[9]),
        "decided_by": row[10],
        "decided_at": iso(row[11]),
        "justification": row[12],
    }


async def approvals_by(
    daemon: Any, *, approval_id: int | None = None, message_id: int | None = None
) -> list[dict[str, Any]]:
    by_id = approval_id is not None
    column, value = ("a.id", approval_id) if by_id else ("a.message_id", message_id)
    async with daemon.store.reader.execute(
        f"{_SELECT} WHERE {column} = ? ORDER BY a.id",
        (value,),
    ) as cursor:
        return [_approval(row) async for row in cursor]


@method("approvals.list", roles=ALL)
async def approvals_list(ctx: CallContext, params: Params) -> list[dict[str, Any]]:
    state = params.choice("state", STATES, "pending")
    limit = params.integer("limit", 200, minimum=1, maximum=1000)
    params.finish()
    where, args = ("", ()) if state == "all" else (" WHERE a.state = ?", (state,))
    async with ctx.daemon.store.reader.execute(
        f"{_SELECT}{where} ORDER BY a.id DESC LIMIT ?",
        (*args, limit),
    ) as cursor:
        rows = [_approval(row) async for row in cursor]
    rows.reverse()
    return [row for row in rows if ctx.caller.may_read(row["link_id"])]


async def _existing(ctx: CallContext, approval_id: int) -> None:
    if not await approvals_by(ctx.daemon, approval_id=approval_id):
        raise not_found(f"no approval #{approval_id}")


async def _decided(ctx: CallContext, approval_id: int) -> dict[str, Any]:
    return (await approvals_by(ctx.daemon, approval_id=approval_id))[0]


@method("approvals.approve", roles=ADMIN, mutating=True)
async def approve(ctx: CallContext, params: Params) -> dict[str, Any]:
    approval_id = params.integer("id", minimum=1)
    params.finish()
    await _existing(ctx, approval_id)
    await ctx.daemon.approvals.approve(approval_id, actor=ctx.caller.actor)
    return await _decided(ctx, approval_id)


@method("approvals.reject", roles=ADMIN, mutating=True)
async def reject(ctx: CallContext, params: Params) -> dict[str, Any]:
    approval_id = params.integer("id", minimum=1)
    reason = params.string("reason", None, max_length=2000)
    params.finish()
    await _existing(ctx, approval_id)
    await ctx.daemon.approvals.reject(approval_id, actor=ctx.caller.actor, reason=reason)
    return await _decided(ctx, approval_id)


@method("approvals.override", roles=ADMIN, mutating=True)
async def override(ctx: CallContext, params: Params) -> dict[str, Any]:
    approval_id = params.integer("id", minimum=1)
    justification = params.string("justification", max_length=2000)
    params.finish()
    await _existing(ctx, approval_id)
    await ctx.daemon.approvals.override(
        approval_id, actor=ctx.caller.actor, justification=justification
    )
    return await _decided(ctx, approval_id)


__all__ = ["approvals_by", "approvals_list", "approve", "override", "reject"]
