"""evaluate(policy, message, route) → Decision. Pure: no I/O, no clock, no event loop.

Every rule in scope whose conditions hold is recorded; the most restrictive *enforced* action
wins (block > hold > redact > notify > allow); ``simulate`` rules are recorded with what they
would have done. Any exception inside evaluation fails closed: the Decision is ``hold``.

Two conditions need memory across messages — numbers split over consecutive messages of one
chat, and rates — so the caller passes a :class:`PolicyState`. It is the one mutable object
here, owned by the caller (one per daemon), and nothing else keeps state.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.model import Message, Route, Span
from gateway.policy import checksums
from gateway.policy.attachments import AttachmentScan, scan_attachment
from gateway.policy.detectors import scan
from gateway.policy.detectors.numbers import runs
from gateway.policy.findings import Finding, label
from gateway.policy.normalize import normalize
from gateway.policy.redact import redact
from gateway.policy.rules import SEVERITY, PolicySet, Rule

MESSAGES = {
    "en": {
        "block": "Not sent: rule '{rule}' blocks {what}.",
        "hold": "Held for approval: rule '{rule}' found {what}.",
        "redact": "Sent with {what} masked by rule '{rule}'.",
    },
    "ru": {
        "block": "Сообщение не отправлено: правило «{rule}» запрещает {what}.",
        "hold": "Сообщение ждёт одобрения: правило «{rule}» нашло {what}.",
        "redact": "Отправлено, {what} скрыто правилом «{rule}».",
    },
}


@dataclass(frozen=True, slots=True)
class RuleMatch:
    rule: str
    action: str
    simulated: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Decision:
    action: str
    matches: tuple[RuleMatch, ...] = ()
    findings: tuple[Finding, ...] = ()
    text: str | None = None
    """The text to deliver when redaction changed it."""
    spans: tuple[Span, ...] | None = None
    rule: str | None = None
    reason: str | None = None
    notice: str | None = None
    override_allowed: bool = False
    attachments: tuple[AttachmentScan, ...] = ()
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the audit log: what was found and decided, never the content."""
        return {
            "action": self.action,
            "rule": self.rule,
            "reason": self.reason,
            "matches": [
                {"rule": m.rule, "action": m.action, "simulated": m.simulated, "reason": m.reason}
                for m in self.matches
            ],
            "findings": dict(Counter(f.kind for f in self.findings)),
            "attachments": [
                {"kind": a.kind, "scannable": a.scannable, "name_mismatch": a.name_mismatch}
                for a in self.attachments
            ],
            "override_allowed": self.override_allowed,
            **({"error": self.error} if self.error else {}),
        }


@dataclass(slots=True)
class PolicyState:
    """Memory across messages: trailing digit groups per chat, and rate windows."""

    tails: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    rates: dict[tuple[str, str], deque[datetime]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    now: datetime
    unknown_contact: bool = False
    state: PolicyState | None = None


def evaluate(
    policy: PolicySet, message: Message, route: Route, *, context: EvaluationContext
) -> Decision:
    try:
        return _evaluate(policy, message, route, context)
    except Exception as err:
        reason = f"policy engine error: {type(err).__name__}: {err}"
        return Decision(
            "hold",
            rule="policy-error",
            reason=reason,
            notice="Held: the policy engine could not check this message; an admin will review it.",
            error=reason,
        )


def _evaluate(
    policy: PolicySet, message: Message, route: Route, context: EvaluationContext
) -> Decision:
    findings = list(scan(message.text, policy.detectors))
    if context.state is not None and policy.split_window_seconds:
        findings += _split_numbers(message, context, policy.split_window_seconds, findings)
    scans = tuple(
        scan_attachment(a.name, a.data) for a in message.attachments if a.data is not None
    )
    for attachment in scans:
        if attachment.text:
            # findings inside files count, but their offsets are not the message's: no redaction
            findings += [
                Finding(f.kind, 0, 0, f.confidence, f"attachment:{f.detail or f.kind}")
                for f in scan(attachment.text, policy.detectors)
            ]
    counts = Counter(f.kind for f in findings)
    matches: list[tuple[Rule, RuleMatch]] = []
    for rule in policy.rules:
        reason = _matches(rule, message, route, context, counts, scans)
        if reason is not None:
            matches.append(
                (rule, RuleMatch(rule.name, rule.action, rule.mode == "simulate", reason))
            )
    enforced = [(rule, m) for rule, m in matches if not m.simulated]
    if not enforced:
        return Decision("allow", tuple(m for _, m in matches), tuple(findings), attachments=scans)
    rule, match = max(enforced, key=lambda pair: (SEVERITY[pair[0].action], pair[0].priority))
    text = spans = None
    if rule.action == "redact":
        in_text = [
            f for f in findings if f.end > f.start and (not rule.kinds or f.kind in rule.kinds)
        ]
        text, spans = redact(message.text, message.spans, in_text, mode=rule.redact)
    return Decision(
        rule.action,
        tuple(m for _, m in matches),
        tuple(findings),
        text,
        spans,
        rule=rule.name,
        reason=match.reason,
        notice=_notice(rule, match.reason) if rule.action in ("block", "hold", "redact") else None,
        override_allowed=rule.override,
        attachments=scans,
    )


def _matches(
    rule: Rule,
    message: Message,
    route: Route,
    context: EvaluationContext,
    counts: Mapping[str, int],
    scans: tuple[AttachmentScan, ...],
) -> str | None:
    """``None`` if the rule does not apply; otherwise a short reason naming what matched."""
    if rule.direction != "any" and rule.direction != route.direction.value:
        return None
    external = route.link.external
    if rule.networks and external.network not in rule.networks:
        return None
    if rule.links and route.link.id not in rule.links:
        return None
    if rule.senders and message.sender.user_id not in rule.senders:
        return None
    if rule.contacts and external.chat_id not in rule.contacts:
        return None
    if external.chat_id in rule.except_contacts:
        return None
    reasons: list[str] = []
    if rule.kinds:
        hits = {kind: counts[kind] for kind in rule.kinds if counts.get(kind, 0) >= rule.min_count}
        if not hits:
            return None
        reasons.append(", ".join(f"{label(k)} ×{n}" for k, n in sorted(hits.items())))
    if rule.unknown_contact is not None:
        if context.unknown_contact != rule.unknown_contact:
            return None
        reasons.append("a message from an unknown contact")
    if not _attachment_conditions(rule, message, scans, reasons):
        return None
    if not _time_conditions(rule, context.now):
        return None
    if rule.rate is not None:
        if not _rate_exceeded(rule, message, context):
            return None
        reasons.append(f"more than {rule.rate.max} messages in {rule.rate.per_seconds}s")
    return "; ".join(reasons) or "every message in scope"


def _attachment_conditions(
    rule: Rule, message: Message, scans: tuple[AttachmentScan, ...], reasons: list[str]
) -> bool:
    if rule.attachment_kinds:
        kinds = {s.kind for s in scans} & rule.attachment_kinds
        if not kinds:
            return False
        reasons.append(f"an attachment of kind {', '.join(sorted(kinds))}")
    if rule.min_attachment_bytes is not None:
        if not any(a.size >= rule.min_attachment_bytes for a in message.attachments):
            return False
        reasons.append(f"an attachment of {rule.min_attachment_bytes} bytes or more")
    if rule.unscannable is not None:
        unscannable = [s for s in scans if not s.scannable]
        unscannable_or_missing = bool(unscannable) or any(
            a.data is None for a in message.attachments
        )
        if unscannable_or_missing != rule.unscannable:
            return False
        if rule.unscannable:
            problem = unscannable[0].problem if unscannable else "not downloaded"
            reasons.append(f"an attachment that could not be scanned ({problem})")
    if rule.name_mismatch is not None:
        if any(s.name_mismatch for s in scans) != rule.name_mismatch:
            return False
        if rule.name_mismatch:
            reasons.append("an attachment whose name disguises its real type")
    return True


def _time_conditions(rule: Rule, now: datetime) -> bool:
    moment = now.astimezone(UTC)
    if rule.days and moment.weekday() not in rule.days:
        return False
    if rule.hours is not None:
        start, end = rule.hours
        current = moment.time().replace(tzinfo=None)
        inside = start <= current < end if start <= end else (current >= start or current < end)
        if not inside:
            return False
    return True


def _rate_exceeded(rule: Rule, message: Message, context: EvaluationContext) -> bool:
    assert rule.rate is not None
    if context.state is None:
        return False
    key = message.sender.user_id if rule.rate.by == "sender" else message.chat.chat_id
    window = context.state.rates.setdefault((rule.name, key), deque())
    while window and (context.now - window[0]).total_seconds() > rule.rate.per_seconds:
        window.popleft()
    window.append(context.now)
    return len(window) > rule.rate.max


def _split_numbers(
    message: Message, context: EvaluationContext, window: int, found: list[Finding]
) -> list[Finding]:
    """A number split across consecutive messages: "2202 2056" then "1234 5678"."""
    assert context.state is not None
    key = f"{message.chat.network}:{message.chat.chat_id}:{message.sender.user_id}"
    norm = normalize(message.text)
    all_runs = list(runs(norm.text))
    extra: list[Finding] = []
    previous = context.state.tails.get(key)
    if previous and all_runs and (context.now - previous[0]).total_seconds() <= window:
        first = all_runs[0]
        head = "".join(g.digits for g in first)
        joined = previous[1] + head
        if first[0].start <= 3 and (checksums.is_card(joined) or checksums.is_inn(joined)):
            start, end = norm.span_in_original(first[0].start, first[-1].end)
            if not any(f.start <= start < f.end for f in found):
                kind = "card" if checksums.is_card(joined) else "inn"
                extra.append(Finding(kind, start, end, 0.9, detail="split across messages"))
    tail = "".join(g.digits for g in all_runs[-1])[-19:] if all_runs else ""
    if tail and norm.text.rstrip()[-1:].isdigit():
        context.state.tails[key] = (context.now, tail)
    else:
        context.state.tails.pop(key, None)
    return extra


def _notice(rule: Rule, reason: str) -> str:
    if rule.notice:
        return rule.notice
    return MESSAGES[rule.language][rule.action].format(rule=rule.name, what=reason)


def describe(decision: Decision) -> str:
    """One paragraph for `hgw policy test` and `!hgw policy test`."""
    lines = [
        f"Decision: {decision.action.upper()}"
        + (f" by rule '{decision.rule}'" if decision.rule else "")
    ]
    if decision.findings:
        kinds = Counter(f.kind for f in decision.findings)
        lines.append("Findings: " + ", ".join(f"{k} ×{n}" for k, n in sorted(kinds.items())))
    for match in decision.matches:
        flag = " (simulate)" if match.simulated else ""
        lines.append(f"Matched: {match.rule} → {match.action}{flag}: {match.reason}")
    if decision.text is not None:
        lines.append(f"Delivered as: {decision.text}")
    if decision.notice:
        lines.append(f"Sender is told: {decision.notice}")
    if decision.override_allowed:
        lines.append("The sender may override with a written justification.")
    return "\n".join(lines)


__all__ = ["Decision", "EvaluationContext", "PolicyState", "RuleMatch", "describe", "evaluate"]
