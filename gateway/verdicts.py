"""What the router needs from a policy Decision, and the fail-closed verdict.

The policy engine's Decision is rich (every matched rule, findings, simulate-mode results); the
router needs six facts from it. Keeping them here means the routing code does not change when
the engine grows, and the one place that decides "a broken policy holds" is easy to find.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.model import Span

Action = Literal["allow", "notify", "redact", "hold", "block"]


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    text: str | None = None
    """The redacted text, when policy changed it; ``None`` keeps the original."""
    spans: tuple[Span, ...] | None = None
    rule: str | None = None
    """The rule that decided the action (for approvals and notices)."""
    reason: str | None = None
    notice: str | None = None
    """What the sender is told, in the rule's language."""
    record: Mapping[str, Any] = field(default_factory=dict)
    """The full decision as plain data, for the audit log."""


ALLOW = Verdict("allow", record={"action": "allow"})


def fail_closed(error: BaseException) -> Verdict:
    """Invariant 3: when policy cannot decide, the message is held — never sent."""
    reason = f"policy evaluation failed: {type(error).__name__}: {error}"
    return Verdict(
        "hold",
        rule="policy-error",
        reason=reason,
        notice="Held: the policy engine could not check this message; an admin must review it.",
        record={"action": "hold", "error": reason},
    )


__all__ = ["ALLOW", "Action", "Verdict", "fail_closed"]
