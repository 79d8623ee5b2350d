"""Roles: who may call which method, and which links an operator may see.

- ``admin``: everything;
- ``operator``: read, search, send/edit, mark read — only in the links listed for them;
- ``auditor``: read everything and the audit log; nothing that changes the gateway.

The method table (:mod:`gateway.control.methods`) names each method's roles; this module turns
the OS user into a :class:`Caller` and answers the two questions every handler asks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from gateway.config import ControlUser, Role
from gateway.control.peer import PeerUser
from gateway.control.protocol import FORBIDDEN, UNKNOWN_USER, RpcError

ALL: frozenset[Role] = frozenset({"admin", "operator", "auditor"})
ADMIN: frozenset[Role] = frozenset({"admin"})
STAFF: frozenset[Role] = frozenset({"admin", "operator"})
"""Who may write messages."""
OVERSIGHT: frozenset[Role] = frozenset({"admin", "auditor"})
"""Who may read the audit log and the reception queue."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The OS user behind one connection, with the role config gives them."""

    user: str
    role: Role
    links: frozenset[str] | None
    """The links an operator may see; ``None`` means every link (admin, auditor)."""
    display_name: str
    matrix_user: str | None = None
    """Their Matrix id from config (for mention counts), if given."""

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        return f"os:{self.user}"

    def may_read(self, link_id: str | None) -> bool:
        if self.links is None:
            return True
        return link_id is not None and link_id in self.links

    def visible(self, link_ids: Iterable[str]) -> list[str]:
        return [link_id for link_id in link_ids if self.may_read(link_id)]


def caller_for(peer: PeerUser, users: Mapping[str, ControlUser]) -> Caller:
    """The caller for ``peer``, or the contract's refusal for someone not in [control.users]."""
    name = peer.name or f"uid {peer.uid}"
    entry = users.get(peer.name) if peer.name else None
    if entry is None:
        raise RpcError(
            UNKNOWN_USER,
            f"user {name} is not in [control.users]; an admin adds them with a role",
            {"user": name, "uid": peer.uid},
        )
    links = frozenset(entry.links) if entry.role == "operator" else None
    return Caller(name, entry.role, links, peer.label, entry.matrix_user)


def check_role(caller: Caller, method: str, roles: Collection[Role]) -> None:
    if caller.role not in roles:
        allowed = ", ".join(sorted(roles))
        raise RpcError(
            FORBIDDEN,
            f"forbidden: role {caller.role} may not call {method} (allowed: {allowed})",
            {"role": caller.role, "method": method},
        )


def check_link(caller: Caller, link_id: str | None, method: str) -> None:
    """An operator touching a link not listed for them is refused like a forbidden method."""
    if not caller.may_read(link_id):
        raise RpcError(
            FORBIDDEN,
            f"forbidden: {caller.user} ({caller.role}) is not assigned to link {link_id}"
            f" and may not call {method} on it",
            {"role": caller.role, "method": method, "link_id": link_id},
        )


__all__ = [
    "ADMIN",
    "ALL",
    "OVERSIGHT",
    "STAFF",
    "Caller",
    "caller_for",
    "check_link",
    "check_role",
]
