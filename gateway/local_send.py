"""A staff member writing from the TUI is treated exactly like one typing in the portal room.

The message is archived in the link's internal room as an outbound message from ``os:<user>``,
judged by policy and relayed through the outbox by the router — the same path as a message
typed in Element. It is also mirrored into the internal room ("Name (via hgw): text") so
colleagues see what was said on their behalf; the mirror is queued *before* routing, so a
block or hold notice the router posts in that room follows the message it is about.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from gateway.errors import HgwError
from gateway.model import Direction, Link, Message, MessageKind, OperationKind, UserRef
from gateway.store import message_map, outbox
from gateway.store.connection import WriteConnection
from gateway.store.outbox import now_ms


@dataclass(frozen=True, slots=True)
class LocalResult:
    message_id: int
    action: str
    """What policy decided for the external side: allow, notify, redact, hold or block."""
    rules: tuple[str, ...]


async def send_local(
    daemon: Any,
    link: Link,
    *,
    user: str,
    display_name: str,
    text: str,
    reply_to: int | None = None,
    edit_of: int | None = None,
) -> LocalResult:
    """Archive, mirror, route and audit one message from OS user ``user`` on ``link``."""
    if not link.enabled:
        raise HgwError(f"link {link.id} is disabled; nothing is relayed on it")
    reader = daemon.store.reader
    reply_native = edit_native = None
    if reply_to is not None:
        reply_native = await message_map.native_in(reader, reply_to, link.internal)
        if reply_native is None:
            raise HgwError(f"message #{reply_to} is not in this conversation")
    mirrored = None
    if edit_of is not None:
        async with reader.execute(
            "SELECT m.native_id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
            " WHERE m.id = ? AND c.network = ? AND c.chat_id = ?",
            (edit_of, link.internal.network, link.internal.chat_id),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise HgwError(f"message #{edit_of} is not in this conversation")
        edit_native = str(row[0])  # the edit refers to the message as it was archived
        mirrored = await message_map.native_in(reader, edit_of, link.internal)
    sender = UserRef(link.internal.network, f"os:{user}", display_name)
    message = Message(
        link.internal,
        sender,
        f"local:{uuid.uuid4()}",
        Direction.OUTBOUND,
        text=text,
        reply_to_native_id=reply_native,
        edit_of_native_id=edit_native,
    )
    archived = await daemon.store.archive(message)
    # The room's copy of an edited TUI message is edited in place once it has been posted
    # (it then has a Matrix id in the message map); before that the edit is a new line.
    in_place = mirrored is not None and not mirrored.startswith("local:")
    label = "(via hgw, edited)" if edit_of is not None and not in_place else "(via hgw)"
    mirror = {
        "text": f"{display_name} {label}: {text}",
        "kind": MessageKind.TEXT.value,
        "reply_to_message": reply_to,
        "target_message": edit_of if in_place else None,
        "accepted_at": now_ms(),
    }

    async def queue_mirror(conn: WriteConnection) -> None:
        await outbox.add(
            conn,
            target=link.internal,
            operation=OperationKind.EDIT if in_place else OperationKind.SEND,
            payload=mirror,
            message_id=archived.message_id if edit_of is None else edit_of,
        )

    await daemon.store.write(queue_mirror)
    daemon.dispatcher.wake(link.internal)
    routing = await daemon.router.message(message)
    action, rules = "none", ()
    for route, verdict in routing.verdicts:
        if route.link.id == link.id:
            action = verdict.action
            rules = _rules(verdict.record, verdict.rule)
    await daemon.store.audit_append(
        actor=f"os:{user}",
        action="message.edited" if edit_of is not None else "message.sent",
        subject=f"message:{archived.message_id}",
        details={"link": link.id, "action": action, "rules": list(rules), "edit_of": edit_of},
    )
    return LocalResult(archived.message_id, action, rules)


def _rules(record: Any, rule: str | None) -> tuple[str, ...]:
    names = [
        str(m["rule"])
        for m in (record or {}).get("matches", ())
        if m.get("rule") and not m.get("simulated")
    ]
    if not names and rule:
        names = [rule]
    return tuple(names)


__all__ = ["LocalResult", "send_local"]
