"""``policy.get``, ``policy.set`` (admin), ``policy.test``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.control.methods.common import find_link
from gateway.control.methods.registry import CallContext, method
from gateway.control.protocol import Params, bad_params
from gateway.control.roles import ADMIN, ALL
from gateway.errors import PolicyError
from gateway.model import Direction, Message, Route, UserRef
from gateway.policy_source import config_policy_text
from gateway.verdicts import STAND_IN_LINK


def _rules(policy: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": rule.name,
            "action": rule.action,
            "priority": rule.priority,
            "simulate": rule.mode == "simulate",
            "description": rule.description,
        }
        for rule in policy.rules
    ]


@method("policy.get", roles=ALL)
async def policy_get(ctx: CallContext, params: Params) -> dict[str, Any]:
    params.finish()
    daemon = ctx.daemon
    stored = daemon.policy_source.text
    return {
        "source": "store" if stored is not None else "config",
        "toml": stored if stored is not None else config_policy_text(daemon.config),
        "rules": _rules(daemon.config.policy),
    }


@method("policy.set", roles=ADMIN, mutating=True)
async def policy_set(ctx: CallContext, params: Params) -> dict[str, Any]:
    text = params.string("toml", max_length=512 * 1024)
    params.finish()
    daemon = ctx.daemon
    try:
        policy = await daemon.policy_source.save(daemon.store, text, actor=ctx.caller.actor)
    except PolicyError as err:
        raise bad_params(f"toml: {err}") from None
    daemon.apply_policy()
    return {"rules": len(policy.rules)}


@method("policy.test", roles=ALL)
async def policy_test(ctx: CallContext, params: Params) -> dict[str, Any]:
    from gateway.policy import EvaluationContext, describe, evaluate

    text = params.string("text", max_length=65536)
    link_id = params.string("link_id", None)
    direction = Direction(params.choice("direction", ("outbound", "inbound"), "outbound"))
    params.finish()
    if link_id is not None:
        link = find_link(ctx, link_id, "policy.test")
    else:
        links = ctx.daemon.active_links()
        link = links[0] if links else STAND_IN_LINK
    chat = link.internal if direction is Direction.OUTBOUND else link.external
    message = Message(chat, UserRef(chat.network, "policy-test"), "policy-test", direction, text)
    decision = evaluate(
        ctx.daemon.config.policy,
        message,
        Route(link, direction),
        context=EvaluationContext(now=datetime.now(UTC)),
    )
    if not isinstance(text, str):  # pragma: no cover - params.string guarantees it
        raise bad_params("text: must be a string")
    return {
        "action": decision.action,
        "findings": [
            {"kind": f.kind, "text": text[f.start : f.end], "start": f.start, "end": f.end}
            for f in decision.findings
        ],
        "rules": [m.rule for m in decision.matches if not m.simulated],
        "matches": [
            {"rule": m.rule, "action": m.action, "simulated": m.simulated, "reason": m.reason}
            for m in decision.matches
        ],
        "redacted": decision.text,
        "summary": describe(decision),
    }


__all__ = ["policy_get", "policy_set", "policy_test"]
