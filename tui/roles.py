"""Which role may call which control method (docs/control-api.md, "Methods").

The server decides; this table only lets the TUI hide what would certainly be refused. A refusal
that happens anyway (a config change the TUI has not seen) is shown with the server's message.
"""

from __future__ import annotations

ADMIN_ONLY = frozenset(
    {
        "approvals.approve",
        "approvals.reject",
        "approvals.override",
        "links.create",
        "links.remove",
        "contacts.assign",
        "policy.set",
    }
)
WRITERS = frozenset({"send", "edit"})
"""admin and operator (operators only in their own links — the server checks that)."""
AUDIT = frozenset({"audit.page", "audit.verify", "contacts.reception"})
"""admin and auditor."""


def allowed(role: str | None, method: str) -> bool:
    """Whether ``role`` may call ``method``; an unknown role (not connected yet) may not write."""
    if method in ADMIN_ONLY:
        return role == "admin"
    if method in WRITERS:
        return role in ("admin", "operator")
    if method in AUDIT:
        return role in ("admin", "auditor")
    return role is not None


__all__ = ["allowed"]
