"""Reading: ``conversations.list``, ``conversations.mark_read``, ``history``, ``message.get``,
``search``. Operators see only their links; everyone reads through the store's reader."""

from __future__ import annotations

from typing import Any

from gateway.control.methods.common import find_link, visible_links
from gateway.control.methods.registry import CallContext, method
from gateway.control.protocol import Params, not_found
from gateway.control.roles import ALL, check_link
from gateway.control.views import (
    around,
    conversation_views,
    link_chats,
    link_of_chat,
    message_views,
    read_key,
    thread_page,
)
from gateway.store import kv
from gateway.store.connection import WriteConnection


@method("conversations.list", roles=ALL)
async def conversations_list(ctx: CallContext, params: Params) -> list[dict[str, Any]]:
    params.finish()
    return await conversation_views(
        ctx.daemon.store.reader,
        list(visible_links(ctx)),
        ctx.caller.user,
        matrix_user=ctx.caller.matrix_user,
    )


@method("conversations.mark_read", roles=ALL)
async def mark_read(ctx: CallContext, params: Params) -> dict[str, Any]:
    """A per-user read marker (not gateway state, so not audited)."""
    link = find_link(ctx, params.string("link_id"), "conversations.mark_read")
    message_id = params.integer("message_id", minimum=0)
    params.finish()
    key = read_key(ctx.caller.user, link.id)

    async def put(conn: WriteConnection) -> None:
        await kv.put(conn, key, str(message_id))

    await ctx.daemon.store.write(put)
    return {}


@method("history", roles=ALL)
async def history(ctx: CallContext, params: Params) -> dict[str, Any]:
    link = find_link(ctx, params.string("link_id"), "history")
    before = params.integer("before", None, minimum=1)
    limit = params.integer("limit", 50, minimum=1, maximum=200)
    params.finish()
    reader = ctx.daemon.store.reader
    chats = await link_chats(reader, link)
    messages, more = await thread_page(
        reader, chats, ctx.daemon.active_links(), before=before, limit=limit
    )
    return {"messages": messages, "more": more}


@method("message.get", roles=ALL)
async def message_get(ctx: CallContext, params: Params) -> dict[str, Any]:
    message_id = params.integer("id", minimum=1)
    context = params.integer("context", 10, minimum=0, maximum=50)
    params.finish()
    daemon = ctx.daemon
    links = daemon.active_links()
    found = await message_views(daemon.store.reader, [message_id], links)
    if not found:
        raise not_found(f"no message #{message_id}")
    message = found[0]
    check_link(ctx.caller, message["link_id"], "message.get")
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    link = next((x for x in links if x.id == message["link_id"]), None)
    if link is not None and context:
        chats = await link_chats(daemon.store.reader, link)
        reader = daemon.store.reader
        before_ids = await around(reader, chats, message_id, context, after=False)
        after_ids = await around(reader, chats, message_id, context, after=True)
        before = await message_views(reader, before_ids, links)
        after = await message_views(reader, after_ids, links)
    return {"message": message, "before": before, "after": after}


@method("search", roles=ALL)
async def search(ctx: CallContext, params: Params) -> list[dict[str, Any]]:
    query = params.string("query", max_length=1000)
    link_id = params.string("link_id", None)
    limit = params.integer("limit", 50, minimum=1, maximum=200)
    params.finish()
    daemon = ctx.daemon
    reader = daemon.store.reader
    scope: list[int] | None = None
    if link_id is not None:
        scope = list((await link_chats(reader, find_link(ctx, link_id, "search"))).conversation_ids)
    elif ctx.caller.links is not None:
        scope = []
        for link in visible_links(ctx):
            scope += (await link_chats(reader, link)).conversation_ids
    hits = await daemon.store.search(query, limit=limit, conversation_ids=scope)
    links = daemon.active_links()
    views = await message_views(reader, [hit.message_id for hit in hits], links)
    snippets = {hit.message_id: hit.snippet for hit in hits}
    by_chat = link_of_chat(links)
    return [
        view | {"snippet": snippets.get(view["id"], "")}
        for view in views
        if ctx.caller.may_read(by_chat.get((view["network"], view["chat_id"])))
    ]


__all__ = ["conversations_list", "history", "mark_read", "message_get", "search"]
