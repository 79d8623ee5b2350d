"""``!hgw`` commands typed in the management room.

Commands are small functions registered with :func:`command`, each with a one-line summary and
an example that ``!hgw help`` prints. Handlers return the reply text; the daemon posts it as a
notice. Admin-only commands refuse anyone not in ``[matrix] admins`` with a clear message.

This module knows nothing about Matrix: the daemon hands it the sender's id and the text.
"""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.approvals import ApprovalError, ApprovalQueue
from gateway.errors import HgwError
from gateway.model import ChatRef, Link, LinkId, NetworkName
from gateway.store import Store, outbox

PREFIX = "!hgw"


@dataclass(frozen=True, slots=True)
class CommandContext:
    sender: str
    is_admin: bool
    args: Sequence[str]
    services: Services


@dataclass(slots=True)
class Services:
    """What commands may touch; filled in by the daemon."""

    store: Store
    approvals: ApprovalQueue
    links: Callable[[], Sequence[Link]]
    policy_test: Callable[[str], str]
    """Runs the policy on a text and describes the decision (``!hgw policy test``)."""
    status: Callable[[], Awaitable[str]] | None = None
    add_link: Callable[..., Awaitable[None]] | None = None
    """``add_link(link, actor=…)``: persist and activate a runtime link."""
    remove_link: Callable[..., Awaitable[None]] | None = None
    reception: Callable[[], Awaitable[list[dict[str, Any]]]] | None = None
    """Unknown contacts waiting for an admin."""
    assign: Callable[..., Awaitable[Link]] | None = None
    """``assign(network, chat_id, room_or_None, actor=…)``: link a waiting contact."""
    open_pm: Callable[..., Awaitable[Link]] | None = None
    dialogs: Callable[[], Awaitable[list[ChatRef]]] | None = None
    """Recent chats of the external account, to pick one for ``link``/``assign``."""
    """``open_pm(contact, actor=…)``: find an external contact and open a portal."""


Handler = Callable[[CommandContext], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    summary: str
    example: str
    admin: bool
    handler: Handler


COMMANDS: dict[str, Command] = {}


def command(name: str, summary: str, example: str, *, admin: bool) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, summary, example, admin, handler)
        return handler

    return register


def is_command(text: str) -> bool:
    return text.strip().lower().startswith(PREFIX)


async def run_command(text: str, *, sender: str, is_admin: bool, services: Services) -> str:
    """Parse and run one ``!hgw …`` line; always returns a reply, never raises on bad input."""
    try:
        words = shlex.split(text.strip()[len(PREFIX) :])
    except ValueError as err:
        return f'Could not read that command ({err}). Quote arguments with "…".'
    if not words:
        words = ["help"]
    name, *args = words
    # two-word commands: "policy test …"
    if name == "policy" and args[:1] == ["test"]:
        name, args = "policy test", args[1:]
    found = COMMANDS.get(name.lower())
    if found is None:
        return f"Unknown command {name!r}. Type `!hgw help` for the list."
    if found.admin and not is_admin:
        return f"`{found.name}` is for hgw admins only; ask one of them (see [matrix] admins)."
    try:
        return await found.handler(CommandContext(sender, is_admin, args, services))
    except (ApprovalError, HgwError) as err:
        return f"{found.name}: {err}"
    except (ValueError, IndexError):
        return f"Usage: {found.example}"


def _one_int(args: Sequence[str]) -> int:
    if not args:
        raise IndexError
    return int(args[0].lstrip("#"))


@command("help", "list the commands", "!hgw help", admin=False)
async def _help(ctx: CommandContext) -> str:
    lines = ["hgw commands:"]
    for cmd in COMMANDS.values():
        if cmd.admin and not ctx.is_admin:
            continue
        lines.append(f"• {cmd.name} — {cmd.summary}. Example: {cmd.example}")
    return "\n".join(lines)


@command("status", "queues and delivery state", "!hgw status", admin=False)
async def _status(ctx: CommandContext) -> str:
    counts = await outbox.state_counts(ctx.services.store.reader)
    pending = await ctx.services.approvals.pending()
    parts = ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "empty"
    extra = await ctx.services.status() if ctx.services.status else ""
    return f"Outbox: {parts}. Waiting for approval: {len(pending)}.{extra}"


@command("links", "the linked chats", "!hgw links", admin=False)
async def _links(ctx: CommandContext) -> str:
    links = ctx.services.links()
    if not links:
        return "No links yet. Add [[links]] to the config and reload (SIGHUP)."
    return "\n".join(
        f"• {link.id}: {link.internal.chat_id} ⇄ {link.external.network}:"
        f"{link.external.chat_id}{'' if link.enabled else ' (disabled)'}"
        for link in links
    )


@command(
    "link",
    "link an internal room to an external chat",
    "!hgw link acme !room:example.org telegram @acme_supplier",
    admin=True,
)
async def _link(ctx: CommandContext) -> str:
    link_id, room, network, chat = ctx.args[0], ctx.args[1], ctx.args[2], ctx.args[3]
    if not room.startswith("!"):
        return "link: the internal room must be a room id (!…); aliases go in the config file."
    if ctx.services.add_link is None:
        return "link: not available here."
    link = Link(
        LinkId(link_id),
        ChatRef(NetworkName("matrix"), room),
        ChatRef(NetworkName(network), chat),
    )
    await ctx.services.add_link(link, actor=ctx.sender)
    return f"Linked {room} ⇄ {network}:{chat} as {link_id!r}; messages relay from now on."


@command("unlink", "remove a link made with `link`", "!hgw unlink acme", admin=True)
async def _unlink(ctx: CommandContext) -> str:
    if ctx.services.remove_link is None:
        return "unlink: not available here."
    await ctx.services.remove_link(ctx.args[0], actor=ctx.sender)
    return f"Unlinked {ctx.args[0]!r}; its rooms stop relaying now."


@command(
    "pm",
    "open a portal room with an external contact",
    "!hgw pm @acme_supplier   (or a phone number: !hgw pm +7 900 000-00-00)",
    admin=True,
)
async def _pm(ctx: CommandContext) -> str:
    contact = " ".join(ctx.args)
    if not contact:
        raise IndexError
    if ctx.services.open_pm is None:
        return "pm: not available here."
    link = await ctx.services.open_pm(contact, actor=ctx.sender)
    who = link.external.title or link.external.chat_id
    return (
        f"Portal for {who} is {link.internal.chat_id} (link {link.id!r});"
        " you have been invited. Messages relay under policy from now on."
    )


@command(
    "dialogs", "recent Telegram chats, with the ids to link them by", "!hgw dialogs", admin=True
)
async def _dialogs(ctx: CommandContext) -> str:
    if ctx.services.dialogs is None:
        return "dialogs: no Telegram account is configured."
    chats = await ctx.services.dialogs()
    if not chats:
        return "The Telegram account has no chats yet."
    return "\n".join(f"• {c.title or '?'} — {c.network}:{c.chat_id}" for c in chats[:50])


@command("reception", "external contacts no link covers yet", "!hgw reception", admin=True)
async def _reception(ctx: CommandContext) -> str:
    if ctx.services.reception is None:
        return "reception: not available here."
    waiting = await ctx.services.reception()
    if not waiting:
        return "Nobody is waiting in reception."
    return "\n".join(
        f"• {w['network']}:{w['chat_id']} {w['name']!r}: {w['messages']} message(s) since"
        f" {w['first_at'][:16]} — `!hgw assign {w['network']}:{w['chat_id']}`"
        for w in waiting
    )


@command(
    "assign",
    "link a contact waiting in reception (to a new portal, or to a room id)",
    "!hgw assign telegram:7000002   or   !hgw assign telegram:7000002 !room:example.org",
    admin=True,
)
async def _assign(ctx: CommandContext) -> str:
    network, _, chat_id = ctx.args[0].partition(":")
    room = ctx.args[1] if len(ctx.args) > 1 else None
    if not (network and chat_id):
        return "assign: name the contact as network:chat_id, as `!hgw reception` lists them."
    if room is not None and not room.startswith("!"):
        return "assign: the internal room must be a room id (!…)."
    if ctx.services.assign is None:
        return "assign: not available here."
    link = await ctx.services.assign(network, chat_id, room, actor=ctx.sender)
    return (
        f"{network}:{chat_id} is linked to {link.internal.chat_id} as {link.id!r};"
        " the messages waiting in reception are being relayed."
    )


@command("approvals", "held messages waiting for a decision", "!hgw approvals", admin=True)
async def _approvals(ctx: CommandContext) -> str:
    pending = await ctx.services.approvals.pending()
    if not pending:
        return "Nothing is waiting for approval."
    return "\n".join(
        f"• #{a.id} [{a.rule}] link {a.link_id}: {a.preview[:80]!r} — {a.reason}" for a in pending
    )


@command("approve", "release a held message", "!hgw approve 12", admin=True)
async def _approve(ctx: CommandContext) -> str:
    approval = await ctx.services.approvals.approve(_one_int(ctx.args), actor=ctx.sender)
    return f"Approval #{approval.id} approved; the message is on its way."


@command("reject", "drop a held message", "!hgw reject 12 contains client data", admin=True)
async def _reject(ctx: CommandContext) -> str:
    reason = " ".join(ctx.args[1:]) or None
    approval = await ctx.services.approvals.reject(
        _one_int(ctx.args), actor=ctx.sender, reason=reason
    )
    return f"Approval #{approval.id} rejected; the sender was told."


@command(
    "override",
    "send a held message with a written justification",
    '!hgw override 12 "client requested the INN for the contract"',
    admin=True,
)
async def _override(ctx: CommandContext) -> str:
    justification = " ".join(ctx.args[1:])
    approval = await ctx.services.approvals.override(
        _one_int(ctx.args), actor=ctx.sender, justification=justification
    )
    return f"Approval #{approval.id} overridden and released; justification recorded."


@command(
    "policy test", "what the policy would do with a text", "!hgw policy test 4276 1234…", admin=True
)
async def _policy_test(ctx: CommandContext) -> str:
    text = " ".join(ctx.args)
    if not text:
        raise IndexError
    return ctx.services.policy_test(text)


__all__ = ["COMMANDS", "PREFIX", "CommandContext", "Services", "is_command", "run_command"]
