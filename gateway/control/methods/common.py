"""What several method groups need: finding a link the caller may use."""

from __future__ import annotations

from gateway.control.methods.registry import CallContext
from gateway.control.protocol import not_found
from gateway.control.roles import check_link
from gateway.model import Link


def find_link(ctx: CallContext, link_id: str, method: str) -> Link:
    """The active link ``link_id``; operators are refused links not listed for them before
    anything is looked up (so a refusal says nothing about whether the link exists)."""
    check_link(ctx.caller, link_id, method)
    for link in ctx.daemon.active_links():
        if link.id == link_id:
            return link
    raise not_found(f"no link {link_id!r}; conversations.list shows the links you can use")


def visible_links(ctx: CallContext) -> list[Link]:
    return [link for link in ctx.daemon.active_links() if ctx.caller.may_read(link.id)]


__all__ = ["find_link", "visible_links"]
