"""The approval queue: held messages wait here for an admin's approve, reject or override.

Every decision is one transaction: the approval row, the outbox row's state and the audit
record change together, so an approval is never half-applied and always attributable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import aiosqlite

from gateway.dispatch import Dispatcher
from gateway.errors import HgwError
from gateway.model import ChatRef, MessageKind, NetworkName, OperationKind
from gateway.store import Store, outbox
from gateway.store.connection import WriteConnection
from gateway.store.outbox import OutboxState, now_ms


class ApprovalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    OVERRIDDEN = "overridden"


@dataclass(frozen=True, slots=True)
class Approval:
    id: int
    outbox_id: int
    message_id: int | None
    link_id: str | None
    rule: str
    reason: str
    state: ApprovalState
    created_at: int
    preview: str
    """The first 200 characters of what would be sent."""


class ApprovalError(HgwError):
    """An approval cannot be acted on (unknown id, already decided, no justification)."""


_SELECT = (
    "SELECT a.id, a.outbox_id, a.message_id, a.link_id, a.rule, a.reason, a.state, a.created_at,"
    " substr(json_extract(o.payload, '$.text'), 1, 200)"
    " FROM approvals a JOIN outbox o ON o.id = a.outbox_id"
)


class ApprovalQueue:
    def __init__(self, store: Store, dispatcher: Dispatcher) -> None:
        self._store = store
        self._dispatcher = dispatcher
        self.events: Callable[..., None] = lambda topic, **ids: None
        """Where live events go (the control API's hub); set by the daemon."""

    async def pending(self, limit: int = 100) -> list[Approval]:
        async with self._store.reader.execute(
            f"{_SELECT} WHERE a.state = 'pending' ORDER BY a.id LIMIT ?",
            (limit,),
        ) as cursor:
            return [_approval(row) async for row in cursor]

    async def get(self, approval_id: int) -> Approval:
        async with self._store.reader.execute(
            f"{_SELECT} WHERE a.id = ?",
            (approval_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise ApprovalError(f"no approval #{approval_id}; list them with `!hgw approvals`")
        return _approval(row)

    async def approve(self, approval_id: int, *, actor: str) -> Approval:
        return await self._decide(approval_id, actor, ApprovalState.APPROVED, justification=None)

    async def override(self, approval_id: int, *, actor: str, justification: str) -> Approval:
        if len(justification.strip()) < 10:
            raise ApprovalError("an override needs a written justification (10 characters or more)")
        return await self._decide(approval_id, actor, ApprovalState.OVERRIDDEN, justification)

    async def reject(self, approval_id: int, *, actor: str, reason: str | None = None) -> Approval:
        return await self._decide(approval_id, actor, ApprovalState.REJECTED, reason)

    async def _decide(
        self, approval_id: int, actor: str, state: ApprovalState, justification: str | None
    ) -> Approval:
        approval = await self.get(approval_id)
        release = state is not ApprovalState.REJECTED

        async def write(conn: WriteConnection) -> tuple[ChatRef, ChatRef | None]:
            cursor = await conn.execute(
                "UPDATE approvals SET state = ?, decided_by = ?, decided_at = ?, justification = ?"
                " WHERE id = ? AND state = 'pending'",
                (state.value, actor, now_ms(), justification, approval_id),
            )
            if cursor.rowcount != 1:
                raise ApprovalError(f"approval #{approval_id} was already decided")
            row = await outbox.get(conn, approval.outbox_id)
            assert row is not None
            new_state = OutboxState.PENDING if release else OutboxState.CANCELLED
            await outbox.set_state(conn, row.id, new_state)
            await self._store.audit.append(
                conn,
                actor=actor,
                action=f"approval.{state.value}",
                subject=f"approval:{approval_id}",
                details={
                    "outbox": row.id,
                    "message": approval.message_id,
                    "rule": approval.rule,
                    "justification": justification,
                },
            )
            source = row.payload.get("source_chat")
            told = None
            if source is not None:
                told = ChatRef(NetworkName(source[0]), source[1])
                verb = "rejected" if not release else "approved"
                why = f": {justification}" if justification and not release else ""
                await outbox.add(
                    conn,
                    target=told,
                    operation=OperationKind.NOTICE,
                    payload={
                        "text": f"Held message (approval #{approval_id}) was {verb}{why}.",
                        "kind": MessageKind.NOTICE.value,
                        "reply_to_message": approval.message_id,
                        "accepted_at": now_ms(),
                    },
                    message_id=approval.message_id,
                )
            return row.target, told

        target, told = await self._store.write(write)
        if release:
            self._dispatcher.wake(target)
        if told is not None:
            self._dispatcher.wake(told)
        self.events("approval", approval_id=approval_id)
        return await self.get(approval_id)


def _approval(row: aiosqlite.Row | tuple[object, ...]) -> Approval:
    return Approval(
        id=int(row[0]),  # type: ignore[arg-type]
        outbox_id=int(row[1]),  # type: ignore[arg-type]
        message_id=row[2],  # type: ignore[arg-type]
        link_id=row[3],  # type: ignore[arg-type]
        rule=str(row[4]),
        reason=str(row[5]),
        state=ApprovalState(row[6]),
        created_at=int(row[7]),  # type: ignore[arg-type]
        preview=str(row[8] or ""),
    )


__all__ = ["Approval", "ApprovalError", "ApprovalQueue", "ApprovalState"]
