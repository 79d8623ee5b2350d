"""What the router needs from a policy Decision, and the fail-closed verdict.

The policy engine's Decision is rich (every matched rule, findings, simulate-mode results); the
router needs six facts from it. Keeping them here means the routing code does not change when
the engine grows, and the one place that decides "a broken policy holds" is easy to find.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from gateway.model import (
    ChatRef,
    Direction,
    Link,
    LinkId,
    Message,
    NetworkName,
    Route,
    Span,
    UserRef,
)
from gateway.policy import Decision, EvaluationContext, PolicyState, describe, evaluate
from gateway.reception import is_automatic

if TYPE_CHECKING:
    from gateway.config import Config

Action = Literal["allow", "notify", "redact", "hold", "block"]


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    text: str | None = None
    """The redacted text, when policy changed it; ``None`` keeps the original."""
    spans: tuple[Span, ...] | None = None
    redacted: Message | None = None
    """The whole judged message with every field redacted, when redaction changed any field;
    ``None`` keeps the message as judged (see :func:`gateway.outbound.leaving`)."""
    rule: str | None = None
    """The rule that decided the action (for approvals and notices)."""
    reason: str | None = None
    notice: str | None = None
    """What the sender is told, in the rule's language."""
    record: Mapping[str, Any] = field(default_factory=dict)
    """The full decision as plain data, for the audit log."""
    notify_admins: bool = False
    """An enforced ``notify`` rule matched: the admins' room hears of it, whatever the action."""


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


def from_decision(decision: Decision) -> Verdict:
    return Verdict(
        decision.action,  # type: ignore[arg-type]
        text=decision.text,
        spans=decision.spans,
        redacted=decision.redacted,
        rule=decision.rule,
        reason=decision.reason,
        notice=decision.notice,
        record=decision.as_dict(),
        notify_admins=decision.notify_admins,
    )


def judge_for(config: Config) -> Callable[[Message, Route], Verdict]:
    """The router's judge for this config: its policy, one shared state, the wall clock.

    The clock and the state live here, in the shell, so the engine itself stays pure.
    """
    policy = config.policy
    state = PolicyState()

    def judge(message: Message, route: Route) -> Verdict:
        # Chats no link covers never reach the judge (they wait in reception); a portal hgw
        # opened on its own for an unknown contact is the one case policy must decide on.
        unknown = is_automatic(route.link)
        context = EvaluationContext(now=datetime.now(UTC), unknown_contact=unknown, state=state)
        return from_decision(evaluate(policy, message, route, context=context))

    return judge


def describe_test(config: Config, text: str, direction: Direction = Direction.OUTBOUND) -> str:
    """What the policy would do with ``text`` on the first link (or a stand-in one)."""
    link = config.links[0] if config.links else STAND_IN_LINK
    sender = UserRef(link.internal.network, "policy-test")
    message = Message(link.internal, sender, "policy-test", direction, text=text)
    context = EvaluationContext(now=datetime.now(UTC))
    return describe(evaluate(config.policy, message, Route(link, direction), context=context))


STAND_IN_LINK = Link(
    LinkId("test"),
    ChatRef(NetworkName("matrix"), "!test:localhost"),
    ChatRef(NetworkName("telegram"), "test"),
)
"""The link a policy test runs on when the config has none: rules scoped to links skip it."""


__all__ = [
    "ALLOW",
    "STAND_IN_LINK",
    "Action",
    "Verdict",
    "describe_test",
    "fail_closed",
    "from_decision",
    "judge_for",
]
