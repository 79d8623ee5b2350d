"""evaluate(policy, message, route) → Decision. Pure: no I/O, no clock, no event loop.

Every rule in scope whose conditions hold is recorded; the most restrictive *enforced* action
wins (block > hold > redact > notify > allow), ties going to the higher priority. ``simulate``
rules are recorded with what they would have done and change nothing. Any exception inside
evaluation fails closed: the Decision is ``hold`` and names the error (invariant 3).

The only state is :class:`gateway.policy.memory.PolicyState`, passed in the context by the
caller and updated in place; ``now`` is passed in too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple

from gateway.model import Direction, Message, Rendered, Route, Span
from gateway.policy.attachments import AttachmentScan, scan_attachment
from gateway.policy.detectors import scan, scan_normalized
from gateway.policy.findings import AT_OR_ABOVE, LEVELS, Finding
from gateway.policy.memory import PolicyState, rate_exceeded, split_numbers
from gateway.policy.normalize import Normalized, normalize
from gateway.policy.notices import NOTICES, Why, notice, say
from gateway.policy.projection import fields, is_field, redact_fields
from gateway.policy.redact import redact
from gateway.policy.rules import SEVERITY, PolicySet, Rule


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A rule whose scope and conditions held for this message."""

    rule: str
    action: str
    simulated: bool
    reason: str
    """Why it matched, in English (the audit log's language)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one message on one route, and everything that led to it."""

    action: str
    """allow, notify, redact, hold or block."""
    matches: tuple[RuleMatch, ...] = ()
    findings: tuple[Finding, ...] = ()
    text: str | None = None
    """The text to deliver when redaction changed it; ``None`` keeps the original."""
    spans: tuple[Span, ...] | None = None
    """The formatting spans for ``text``, moved with the redaction."""
    redacted: Message | None = None
    """The whole message as it may leave when redaction changed any field (body, link URLs,
    file names …, see :mod:`gateway.policy.projection`); ``None`` keeps it as judged."""
    rule: str | None = None
    """The rule that decided the action."""
    reason: str | None = None
    notice: str | None = None
    """What the sender is told (block, hold, redact), in the deciding rule's language."""
    override_allowed: bool = False
    """Every enforced hold/block rule that matched lets the sender override with a reason."""
    notify_admins: bool = False
    """An enforced ``notify`` rule matched: tell the admins' room, whatever the action."""
    attachments: tuple[AttachmentScan, ...] = ()
    error: str | None = None
    """Set when evaluation failed and the decision is the fail-closed hold."""
    body_range: tuple[int, int] | None = None
    """Where the sender's own text sits in the judged (rendered) text, when a link's format
    put anything around it: finding offsets are in the rendered text."""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data for the audit log: what was found and decided, never content."""
        data: dict[str, Any] = {
            "action": self.action,
            "rule": self.rule,
            "reason": self.reason,
            "notice": self.notice,
            "override_allowed": self.override_allowed,
            "notify_admins": self.notify_admins,
            "redacted": self.text is not None,
            "matches": [
                {"rule": m.rule, "action": m.action, "simulated": m.simulated, "reason": m.reason}
                for m in self.matches
            ],
            "kinds": dict(sorted(Counter(f.kind for f in self.findings).items())),
            "findings": [f.as_dict() for f in self.findings],
            "attachments": [a.as_dict() for a in self.attachments],
        }
        if self.error:
            data["error"] = self.error
        if self.body_range is not None:
            data["body_range"] = list(self.body_range)
        return data


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    """What the engine cannot know from the message: the time, the contact, the memory."""

    now: datetime
    """Aware datetime (a naive one is taken as UTC). The engine never reads a clock."""
    unknown_contact: bool = False
    """The external side is a contact no link or assignment covers yet."""
    state: PolicyState | None = None
    """Memory for split numbers and rates; ``None`` switches both off (one-off checks)."""


def evaluate(
    policy: PolicySet, message: Message, route: Route, *, context: EvaluationContext
) -> Decision:
    """Judge ``message`` about to take ``route``. Never raises: errors become a held Decision."""
    try:
        return _evaluate(policy, message, route, context)
    except Exception as err:  # fail closed, whatever went wrong
        return failed(err)


def failed(error: BaseException, language: str = "en") -> Decision:
    """The fail-closed decision: hold, naming the error."""
    reason = f"policy engine error: {type(error).__name__}: {error}"
    return Decision(
        "hold",
        rule="policy-error",
        reason=reason,
        notice=NOTICES.get(language, NOTICES["en"])["error"],
        error=reason,
    )


class _Facts(NamedTuple):
    """Everything about the message that rules test, computed once, not once per rule.
    (A NamedTuple: built for every message, and a frozen dataclass costs more to build.)"""

    now: datetime
    """``context.now``, made aware (a naive time is UTC), for the memory's arithmetic."""
    local: datetime
    """``now`` in the policy's ``utc_offset``, for ``hours`` and ``days``."""
    contacts: frozenset[str]
    """The external side: the external chat, and for inbound messages the sender too."""
    text_counts: Mapping[tuple[str, str], int]
    """Findings per (kind, level) in the text; ``file_counts`` the same in attachments."""
    file_counts: Mapping[tuple[str, str], int]
    scans: tuple[AttachmentScan, ...]


def _evaluate(
    policy: PolicySet, message: Message, route: Route, context: EvaluationContext
) -> Decision:
    now = context.now if context.now.tzinfo else context.now.replace(tzinfo=UTC)
    findings = _text_findings(policy, message, route, context.state, now)
    findings += tuple(
        Finding(f.kind, f.start, f.end, f.confidence, f.detail, name)
        for name, value in fields(message)
        for f in scan(value, detectors=policy.detectors)
    )
    indexed = [
        (index, scan_attachment(a.name, a.data, a.declared_mime))
        for index, a in enumerate(message.attachments)
        if a.data is not None  # not downloaded: counts as unscannable, see _attachment_conditions
    ]
    scans = tuple(s for _, s in indexed)
    file_findings = tuple(
        Finding(f.kind, f.start, f.end, f.confidence, f.detail, f"attachment:{index}")
        for index, s in indexed
        if s.text
        for f in scan(s.text, detectors=policy.detectors)
    )
    contacts = {route.link.external.chat_id}
    if route.direction is Direction.INBOUND:
        contacts.add(message.sender.user_id)
    facts = _Facts(
        now,
        now.astimezone(policy.tz),
        frozenset(contacts),
        _count(findings),
        _count(file_findings),
        scans,
    )
    matched: list[tuple[Rule, list[Why]]] = []
    for rule in policy.rules:
        whys = _match(rule, message, route, context, facts)
        if whys is not None:
            matched.append((rule, whys))
    matches = tuple(RuleMatch(r.name, r.action, r.simulated, say(w)) for r, w in matched)
    everything = findings + file_findings
    enforced = [(r, w) for r, w in matched if not r.simulated]
    if not enforced:
        return Decision(
            "allow", matches, everything, attachments=scans, body_range=_body_range(message)
        )
    action = max(SEVERITY[r.action] for r, _ in enforced)
    rule, whys = next((r, w) for r, w in enforced if SEVERITY[r.action] == action)
    action_name = rule.action
    text = spans = redacted = None
    if action_name == "redact":
        redactors = [r for r, _ in enforced if r.action == "redact"]
        unmaskable = [
            f
            for f in file_findings
            if any(f.kind in r.kinds and f.at_least(r.min_confidence) for r in redactors)
        ]
        if unmaskable:
            action_name = "hold"  # a file cannot be masked: hold it rather than let it out
            kinds = Counter(f.kind for f in unmaskable)
            whys = [Why("unredactable", tuple(sorted(kinds.items())))]
        else:
            redacted = _redacted(message, findings, redactors)
            text, spans = redacted.text, redacted.spans
    blocking = [r for r, _ in enforced if r.action in ("hold", "block")]
    override = action_name in ("hold", "block") and all(r.override for r in blocking or [rule])
    told = action_name in ("block", "hold", "redact")
    return Decision(
        action_name,
        matches,
        everything,
        text,
        spans,
        redacted,
        rule=rule.name,
        reason=say(whys),
        notice=notice(
            action_name,
            rule.name,
            whys,
            language=rule.language,
            custom=rule.notice,
            override=override,
        )
        if told
        else None,
        override_allowed=override,
        notify_admins=any(r.action == "notify" for r, _ in enforced),
        attachments=scans,
        body_range=_body_range(message),
    )


_NOTHING: Mapping[tuple[str, str], int] = MappingProxyType({})


def _count(findings: tuple[Finding, ...]) -> Mapping[tuple[str, str], int]:
    return Counter((f.kind, f.level) for f in findings) if findings else _NOTHING


def _text_findings(
    policy: PolicySet,
    message: Message,
    route: Route,
    state: PolicyState | None,
    now: datetime,
) -> tuple[Finding, ...]:
    if not message.text:
        return ()
    norm = normalize(message.text)
    found = scan_normalized(norm.text, policy.detectors)
    if state is not None and policy.split_window_seconds:
        key = f"{route.link.id}\x00{message.chat.chat_id}\x00{message.sender.user_id}"
        start, end = _body(message, norm)
        body = norm.text[start:end]
        for extra in split_numbers(state, key, body, now, policy.split_window_seconds):
            extra = replace(extra, start=extra.start + start, end=extra.end + start)
            if all(extra.end <= f.start or extra.start >= f.end for f in found):
                found.append(extra)
    if not norm.changed:
        return tuple(found)
    mapped = []
    for f in found:
        start, end = norm.to_original(f.start, f.end)
        mapped.append(Finding(f.kind, start, end, f.confidence, f.detail, f.where))
    return tuple(mapped)


def _body_range(message: Message) -> tuple[int, int] | None:
    """The body's place in a rendered text, or ``None`` when the text is all body."""
    if not isinstance(message, Rendered):
        return None
    end = len(message.text) if message.body_end is None else message.body_end
    return (
        None if (message.body_start, end) == (0, len(message.text)) else (message.body_start, end)
    )


def _body(message: Message, norm: Normalized) -> tuple[int, int]:
    """Where the sender's own words sit in the normalised text of a rendered message."""
    if not isinstance(message, Rendered):
        return 0, len(norm.text)
    end = len(message.text) if message.body_end is None else message.body_end
    if not norm.changed:
        return message.body_start, end
    return _normalized_offset(norm, message.body_start), _normalized_offset(norm, end)


def _normalized_offset(norm: Normalized, offset: int) -> int:
    """An original offset in the normalised text (inside a changed stretch: its start)."""
    shift = 0
    for n_start, n_end, o_start, o_end in norm.segments:
        if offset < o_start:
            break
        if offset < o_end:
            return n_start
        shift = n_end - o_end
    return offset + shift


def _redacted(message: Message, findings: tuple[Finding, ...], redactors: list[Rule]) -> Message:
    """Mask or label every finding a matching redact rule names (first rule's mode), in the
    body and in every other text field the finding was in (a URL, a file name …)."""
    chosen = []
    for f in findings:
        mode = next(
            (r.redact for r in redactors if f.kind in r.kinds and f.at_least(r.min_confidence)),
            None,
        )
        if mode is not None:
            chosen.append((f, mode))
    spans, files = redact_fields(message, [(f, m) for f, m in chosen if is_field(f.where)])
    text, spans = redact(message.text, spans, [(f, m) for f, m in chosen if not is_field(f.where)])
    attachments = tuple(
        replace(a, name=files[i][0], declared_mime=files[i][1]) if i in files else a
        for i, a in enumerate(message.attachments)
    )
    return replace(message, text=text, spans=spans, attachments=attachments)


def _match(
    rule: Rule, message: Message, route: Route, context: EvaluationContext, facts: _Facts
) -> list[Why] | None:
    """``None`` if the rule does not apply; otherwise the reasons it matched."""
    if not _in_scope(rule, message, route, facts):
        return None
    whys: list[Why] = []
    if rule.kinds:
        text_counts, file_counts = facts.text_counts, facts.file_counts
        if not (text_counts or file_counts):
            return None  # the common case: nothing found, no need to count
        levels = AT_OR_ABOVE[rule.min_confidence]  # weaker findings do not count
        in_text = _counted(text_counts, rule.kinds, levels)
        in_files = _counted(file_counts, rule.kinds, levels)
        if sum(n for _, n in in_text) + sum(n for _, n in in_files) < rule.min_count:
            return None
        if in_text:
            whys.append(Why("kinds", in_text))
        if in_files:
            whys.append(Why("in_attachment", in_files))
    if rule.unknown_contact is not None:
        if context.unknown_contact != rule.unknown_contact:
            return None
        if rule.unknown_contact:
            whys.append(Why("unknown_contact"))
    if not _attachment_conditions(rule, message, facts.scans, whys):
        return None
    if rule.rate is not None:
        if context.state is None:
            return None
        by = message.sender.user_id if rule.rate.by == "sender" else message.chat.chat_id
        key = (rule.name, f"{message.chat.network}\x00{by}")
        if not rate_exceeded(context.state, key, facts.now, rule.rate.max, rule.rate.per_seconds):
            return None
        whys.append(Why("rate", value=f"{rule.rate.max}/{rule.rate.per_seconds}s"))
    return whys


def _counted(
    counts: Mapping[tuple[str, str], int], kinds: frozenset[str], levels: tuple[str, ...]
) -> tuple[tuple[str, int], ...]:
    """(kind, findings at ``levels``) for each of ``kinds`` found, sorted by kind."""
    if not counts:
        return ()
    found = ((k, sum(counts.get((k, level), 0) for level in levels)) for k in sorted(kinds))
    return tuple((k, n) for k, n in found if n)


def _in_scope(rule: Rule, message: Message, route: Route, facts: _Facts) -> bool:
    if rule.direction != "any" and rule.direction != route.direction.value:
        return False
    external = route.link.external
    if rule.networks and external.network not in rule.networks:
        return False
    if rule.links and route.link.id not in rule.links:
        return False
    if rule.senders and message.sender.user_id not in rule.senders:
        return False
    if rule.contacts and not facts.contacts & rule.contacts:
        return False
    if rule.except_contacts and facts.contacts & rule.except_contacts:
        return False
    if rule.days and facts.local.weekday() not in rule.days:
        return False
    if rule.hours is not None:
        start, end = rule.hours
        now = facts.local.time().replace(tzinfo=None)
        inside = start <= now < end if start < end else (now >= start or now < end)
        if not inside:
            return False
    return True


def _attachment_conditions(
    rule: Rule, message: Message, scans: tuple[AttachmentScan, ...], whys: list[Why]
) -> bool:
    if rule.attachment_kinds:
        kinds = sorted({kind for s in scans for kind in s.kinds} & rule.attachment_kinds)
        if not kinds:
            return False
        whys.append(Why("attachment_kind", value=", ".join(kinds)))
    if rule.min_attachment_bytes is not None:
        if not any(a.size >= rule.min_attachment_bytes for a in message.attachments):
            return False
        whys.append(Why("big_attachment", value=str(rule.min_attachment_bytes)))
    if rule.unscannable is not None:
        problems = [s.problem or "unreadable" for s in scans if not s.scannable]
        problems += ["not downloaded" for a in message.attachments if a.data is None]
        if bool(problems) != rule.unscannable:
            return False
        if problems:
            whys.append(Why("unscannable", value=problems[0]))
    if rule.name_mismatch is not None:
        if any(s.name_mismatch for s in scans) != rule.name_mismatch:
            return False
        if rule.name_mismatch:
            whys.append(Why("name_mismatch"))
    return True


def describe(decision: Decision) -> str:
    """A few lines for `hgw policy test` and `!hgw policy test`."""
    head = f"Decision: {decision.action.upper()}"
    lines = [head + (f" by rule '{decision.rule}'" if decision.rule else "")]
    if decision.reason:
        lines.append(f"Reason: {decision.reason}")
    if decision.findings:
        kinds = Counter((f.kind, LEVELS.index(f.level)) for f in decision.findings)
        lines.append(
            "Findings: "
            + ", ".join(f"{k} ×{n} ({LEVELS[lv]})" for (k, lv), n in sorted(kinds.items()))
        )
    for scan_ in decision.attachments:
        lines.append(f"Attachment: {scan_.summary()}")
    for match in decision.matches:
        flag = " (simulate: not enforced)" if match.simulated else ""
        lines.append(f"Matched: {match.rule} → {match.action}{flag}: {match.reason}")
    if decision.text is not None:
        lines.append(f"Delivered as: {decision.text}")
    if decision.notice:
        lines.append(f"Sender is told: {decision.notice}")
    if decision.override_allowed:
        lines.append("The sender may override with a written justification.")
    if decision.notify_admins:
        lines.append("Admins are notified.")
    return "\n".join(lines)


__all__ = [
    "Decision",
    "EvaluationContext",
    "PolicyState",
    "RuleMatch",
    "describe",
    "evaluate",
    "failed",
]
