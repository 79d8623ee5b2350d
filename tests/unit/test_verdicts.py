"""The router's view of a policy Decision, built by the real engine."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.model import Direction, Message, Route
from gateway.policy import EvaluationContext, evaluate, load_policy
from gateway.verdicts import fail_closed, from_decision
from tests.unit.relay import ALICE, LINK, ROOM

POLICY = load_policy(
    {
        "rules": [
            {"name": "watch-phones", "kinds": ["phone"], "action": "notify"},
            {"name": "inn-hold", "kinds": ["inn"], "action": "hold"},
        ]
    }
)


def verdict_for(text: str):
    message = Message(ROOM, ALICE, "$x", Direction.OUTBOUND, text=text)
    context = EvaluationContext(now=datetime(2026, 11, 25, 12, tzinfo=UTC))
    return from_decision(
        evaluate(POLICY, message, Route(LINK, Direction.OUTBOUND), context=context)
    )


def test_notify_reaches_the_verdict_whatever_the_action() -> None:
    notify_only = verdict_for("call +7 916 123-45-67")
    assert notify_only.action == "notify"
    assert notify_only.notify_admins
    both = verdict_for("call +7 916 123-45-67, ИНН 7707083893")
    assert both.action == "hold"
    assert both.notify_admins  # the stricter action wins, the admins still hear of the phone
    assert not verdict_for("hello").notify_admins


def test_policy_failure_holds() -> None:
    verdict = fail_closed(RuntimeError("boom"))
    assert verdict.action == "hold"
    assert "RuntimeError: boom" in (verdict.reason or "")
