"""Links and contacts: list for everyone (operators: theirs), change for admins.

The daemon does the work (``add_link``, ``remove_link``, ``reception``, ``assign_contact``) and
audits it with the caller as actor, exactly as the ``!hgw`` commands do.
"""

from __future__ import annotations

from typing import Any

from gateway.control.methods.common import visible_links
from gateway.control.methods.registry import CallContext, method
from gateway.control.protocol import Params, bad_params, not_found
from gateway.control.roles import ADMIN, ALL, OVERSIGHT
from gateway.model import ChatRef, Link, LinkId, NetworkName


def link_view(link: Link, config_ids: set[str]) -> dict[str, Any]:
    return {
        "id": link.id,
        "name": link.external.title or link.internal.title or link.id,
        "internal": {
            "network": link.internal.network,
            "chat_id": link.internal.chat_id,
            "title": link.internal.title,
        },
        "external": {
            "network": link.external.network,
            "chat_id": link.external.chat_id,
            "title": link.external.title,
        },
        "format": link.outbound_format,
        "enabled": link.enabled,
        "source": "config" if link.id in config_ids else "runtime",
    }


def _config_ids(ctx: CallContext) -> set[str]:
    return {link.id for link in ctx.daemon.config.links}


@method("links.list", roles=ALL)
async def links_list(ctx: CallContext, params: Params) -> list[dict[str, Any]]:
    params.finish()
    ids = _config_ids(ctx)
    return [link_view(link, ids) for link in visible_links(ctx)]


@method("links.create", roles=ADMIN, mutating=True)
async def links_create(ctx: CallContext, params: Params) -> dict[str, Any]:
    link_id = params.string("id", max_length=200)
    internal = params.string("internal_room", max_length=500)
    network = params.string("external_network", max_length=100)
    external = params.string("external_chat", max_length=500)
    fmt = params.string("format", None, max_length=500)
    params.finish()
    if not link_id.strip() or any(c.isspace() for c in link_id):
        raise bad_params("id: must be a non-empty name without spaces")
    if fmt is not None and "{body}" not in fmt:
        raise bad_params('format: must contain {body}, e.g. "{sender_name}: {body}"')
    link = Link(
        LinkId(link_id),
        ChatRef(NetworkName("matrix"), internal),
        ChatRef(NetworkName(network), external),
        fmt,
    )
    await ctx.daemon.add_link(link, actor=ctx.caller.actor)
    return link_view(link, _config_ids(ctx))


@method("links.remove", roles=ADMIN, mutating=True)
async def links_remove(ctx: CallContext, params: Params) -> dict[str, Any]:
    link_id = params.string("id")
    params.finish()
    if link_id not in {link.id for link in ctx.daemon.all_links()}:
        raise not_found(f"no link {link_id!r}")
    await ctx.daemon.remove_link(link_id, actor=ctx.caller.actor)
    return {}


@method("contacts.reception", roles=OVERSIGHT)
async def reception(ctx: CallContext, params: Params) -> list[dict[str, Any]]:
    params.finish()
    return list(await ctx.daemon.reception())


@method("contacts.assign", roles=ADMIN, mutating=True)
async def assign(ctx: CallContext, params: Params) -> dict[str, Any]:
    network = params.string("network", max_length=100)
    chat_id = params.string("chat_id", max_length=500)
    room = params.string("internal_room", None, max_length=500)
    params.finish()
    link = await ctx.daemon.assign_contact(network, chat_id, room, actor=ctx.caller.actor)
    return link_view(link, _config_ids(ctx))


__all__ = ["assign", "link_view", "links_create", "links_list", "links_remove", "reception"]
