"""Writing: ``send`` and ``edit`` from the TUI (see :mod:`gateway.local_send`)."""

from __future__ import annotations

from typing import Any

from gateway.control.methods.common import find_link
from gateway.control.methods.registry import CallContext, method
from gateway.control.protocol import FORBIDDEN, Params, RpcError, not_found, refused
from gateway.control.roles import STAFF
from gateway.local_send import LocalResult, send_local

MAX_TEXT = 32_000


def _result(result: LocalResult) -> dict[str, Any]:
    return {"message_id": result.message_id, "action": result.action, "rules": list(result.rules)}


@method("send", roles=STAFF, mutating=True)
async def send(ctx: CallContext, params: Params) -> dict[str, Any]:
    link = find_link(ctx, params.string("link_id"), "send")
    text = params.string("text", max_length=MAX_TEXT)
    reply_to = params.integer("reply_to", None, minimum=1)
    params.finish()
    if not text.strip():
        raise RpcError(-32602, "text: must not be empty")
    result = await send_local(
        ctx.daemon,
        link,
        user=ctx.caller.user,
        display_name=ctx.caller.display_name,
        text=text,
        reply_to=reply_to,
    )
    return _result(result)


@method("edit", roles=STAFF, mutating=True)
async def edit(ctx: CallContext, params: Params) -> dict[str, Any]:
    message_id = params.integer("message_id", minimum=1)
    text = params.string("text", max_length=MAX_TEXT)
    params.finish()
    async with ctx.daemon.store.reader.execute(
        "SELECT m.sender_id, c.network, c.chat_id FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?",
        (message_id,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise not_found(f"no message #{message_id}")
    sender_id, network, chat_id = row
    link = next(
        (
            x
            for x in ctx.daemon.active_links()
            if (x.internal.network, x.internal.chat_id) == (network, chat_id)
        ),
        None,
    )
    if link is None:
        raise refused(f"message #{message_id} is not a staff message of any link")
    find_link(ctx, link.id, "edit")
    if not str(sender_id).startswith("os:"):
        raise refused(f"message #{message_id} was not written through hgw; edit it where it was")
    if sender_id != ctx.caller.actor and ctx.caller.role != "admin":
        raise RpcError(
            FORBIDDEN,
            f"forbidden: {ctx.caller.user} ({ctx.caller.role}) may edit only their own messages",
            {"role": ctx.caller.role, "method": "edit"},
        )
    result = await send_local(
        ctx.daemon,
        link,
        user=ctx.caller.user,
        display_name=ctx.caller.display_name,
        text=text,
        edit_of=message_id,
    )
    return _result(result) | {"message_id": message_id, "edit_id": result.message_id}


__all__ = ["edit", "send"]
