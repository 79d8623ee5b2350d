"""Policy rules: the ``[policy]`` TOML table validated into frozen objects.

A rule set with any error is rejected whole, with the rule's name, the key and the reason — an
admin must never run with half of the policy they wrote.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from gateway.errors import PolicyError
from gateway.policy.detectors.custom import (
    CustomDetector,
    KeywordDetector,
    compile_regex,
    keywords_pattern,
)
from gateway.policy.findings import KINDS

ACTIONS = ("allow", "notify", "redact", "hold", "block")
SEVERITY = {action: rank for rank, action in enumerate(ACTIONS)}
"""block > hold > redact > notify > allow: the most restrictive matching rule wins."""
ATTACHMENT_KINDS = (
    "executable", "script", "archive", "encrypted_archive", "office", "pdf", "image", "audio",
    "video", "text", "unknown",
)  # fmt: skip
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_RULE_KEYS = (
    "name", "description", "priority", "action", "mode", "direction", "networks", "links",
    "senders", "contacts", "except_contacts", "kinds", "min_count", "attachment_kinds",
    "min_attachment_bytes", "unscannable", "name_mismatch", "unknown_contact", "hours", "days",
    "rate", "redact", "override", "language", "notice",
)  # fmt: skip
_POLICY_KEYS = ("rules", "detectors", "split_window_seconds", "language")


@dataclass(frozen=True, slots=True)
class Rate:
    max: int
    per_seconds: int
    by: str
    """``sender`` or ``chat``."""


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    action: str
    priority: int = 0
    description: str = ""
    mode: str = "enforce"
    """``simulate`` records what would have happened without acting."""
    direction: str = "outbound"
    networks: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()
    senders: frozenset[str] = frozenset()
    contacts: frozenset[str] = frozenset()
    except_contacts: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    min_count: int = 1
    attachment_kinds: frozenset[str] = frozenset()
    min_attachment_bytes: int | None = None
    unscannable: bool | None = None
    name_mismatch: bool | None = None
    unknown_contact: bool | None = None
    hours: tuple[time, time] | None = None
    days: frozenset[int] = frozenset()
    rate: Rate | None = None
    redact: str = "mask"
    override: bool = False
    language: str = "en"
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class PolicySet:
    rules: tuple[Rule, ...]
    detectors: tuple[CustomDetector, ...] = ()
    split_window_seconds: int = 120
    """How long a trailing digit group waits for the rest of a number split across messages."""
    language: str = "en"

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(KINDS) | {d.kind for d in self.detectors}


class _Reader:
    def __init__(self, table: Mapping[str, Any], rule: str | None, allowed: Sequence[str]) -> None:
        self.table, self.rule = table, rule
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise PolicyError(f"unknown key{hint}", rule=rule, key=key)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.table.get(key, default)
        if value is not None and (
            not isinstance(value, kind) or (isinstance(value, bool) and kind is int)
        ):
            raise PolicyError(
                f"has the wrong type ({type(value).__name__})", rule=self.rule, key=key
            )
        return value

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise PolicyError(f"must be one of {', '.join(choices)}", rule=self.rule, key=key)
        return str(value)

    def strings(self, key: str) -> frozenset[str]:
        value = self.get(key, list, [])
        if not all(isinstance(item, str) for item in value):
            raise PolicyError("must be a list of strings", rule=self.rule, key=key)
        return frozenset(value)

    def error(self, key: str, reason: str) -> PolicyError:
        return PolicyError(reason, rule=self.rule, key=key)


def load_policy(table: Mapping[str, Any], *, source: str | None = None) -> PolicySet:
    """Validate a ``[policy]`` table; raise :class:`PolicyError` naming rule, key and reason."""
    top = _Reader(table, None, _POLICY_KEYS)
    detectors = tuple(_detector(raw, i) for i, raw in enumerate(top.get("detectors", list, [])))
    known = frozenset(KINDS) | {d.kind for d in detectors}
    rules: list[Rule] = []
    names: set[str] = set()
    for index, raw in enumerate(top.get("rules", list, [])):
        if not isinstance(raw, dict):
            raise PolicyError("each rule must be a table ([[policy.rules]])", key=f"rules[{index}]")
        rule = _rule(raw, index, known)
        if rule.name in names:
            raise PolicyError("another rule has the same name", rule=rule.name, key="name")
        names.add(rule.name)
        rules.append(rule)
    rules.sort(key=lambda r: -r.priority)
    window = top.get("split_window_seconds", int, 120)
    if not 0 <= window <= 3600:
        raise PolicyError("must be between 0 and 3600", key="split_window_seconds")
    return PolicySet(tuple(rules), detectors, window, top.choice("language", ("en", "ru"), "en"))


def _detector(raw: Any, index: int) -> CustomDetector:
    if not isinstance(raw, dict):
        raise PolicyError("must be a table ([[policy.detectors]])", key=f"detectors[{index}]")
    r = _Reader(raw, None, ("kind", "keywords", "regex", "confidence"))
    kind = r.get("kind", str)
    if not kind or not kind.replace("_", "").isalnum() or kind in KINDS:
        raise PolicyError(
            "needs a new kind name (letters, digits, _), not a built-in one",
            key=f"detectors[{index}].kind",
        )
    keywords, regex = r.get("keywords", list), r.get("regex", str)
    confidence = float(r.get("confidence", (int, float), 0.8))
    try:
        if keywords is not None and regex is None:
            return KeywordDetector(kind, keywords_pattern([str(k) for k in keywords]), confidence)
        if regex is not None and keywords is None:
            return CustomDetector(kind, compile_regex(regex), confidence)
    except ValueError as err:
        raise PolicyError(str(err), key=f"detectors[{index}] ({kind})") from None
    raise PolicyError("set exactly one of keywords or regex", key=f"detectors[{index}] ({kind})")


def _rule(raw: Mapping[str, Any], index: int, known_kinds: frozenset[str]) -> Rule:
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise PolicyError("every rule needs a name", key=f"rules[{index}].name")
    r = _Reader(raw, name, _RULE_KEYS)
    kinds = r.strings("kinds")
    for kind in kinds - known_kinds:
        close = difflib.get_close_matches(kind, sorted(known_kinds), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise r.error("kinds", f"unknown detector kind {kind!r}{hint}")
    attachment_kinds = r.strings("attachment_kinds")
    if unknown := attachment_kinds - set(ATTACHMENT_KINDS):
        raise r.error("attachment_kinds", f"unknown attachment kind {sorted(unknown)[0]!r}")
    days = r.strings("days")
    if unknown := days - set(DAYS):
        raise r.error("days", f"unknown day {sorted(unknown)[0]!r}; use mon … sun")
    min_count = r.get("min_count", int, 1)
    if min_count < 1:
        raise r.error("min_count", "must be at least 1")
    return Rule(
        name=name,
        action=r.choice("action", ACTIONS, "allow") if "action" in raw else _missing(r),
        priority=r.get("priority", int, 0),
        description=r.get("description", str, ""),
        mode=r.choice("mode", ("enforce", "simulate"), "enforce"),
        direction=r.choice("direction", ("outbound", "inbound", "any"), "outbound"),
        networks=r.strings("networks"),
        links=r.strings("links"),
        senders=r.strings("senders"),
        contacts=r.strings("contacts"),
        except_contacts=r.strings("except_contacts"),
        kinds=kinds,
        min_count=min_count,
        attachment_kinds=attachment_kinds,
        min_attachment_bytes=r.get("min_attachment_bytes", int),
        unscannable=r.get("unscannable", bool),
        name_mismatch=r.get("name_mismatch", bool),
        unknown_contact=r.get("unknown_contact", bool),
        hours=_hours(r),
        days=frozenset(DAYS.index(d) for d in days),
        rate=_rate(r),
        redact=r.choice("redact", ("mask", "label"), "mask"),
        override=r.get("override", bool, False),
        language=r.choice("language", ("en", "ru"), "en"),
        notice=r.get("notice", str),
    )


def _missing(r: _Reader) -> str:
    raise r.error("action", f"is required: one of {', '.join(ACTIONS)}")


def _hours(r: _Reader) -> tuple[time, time] | None:
    value = r.get("hours", str)
    if value is None:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise r.error("hours", 'must look like "09:00-18:00" (UTC)') from None
    return start, end


def _rate(r: _Reader) -> Rate | None:
    value = r.get("rate", dict)
    if value is None:
        return None
    sub = _Reader(value, r.rule, ("max", "per_seconds", "by"))
    rate = Rate(
        sub.get("max", int),
        sub.get("per_seconds", int),
        sub.choice("by", ("sender", "chat"), "sender"),
    )
    if not rate.max or rate.max < 1 or not rate.per_seconds or rate.per_seconds < 1:
        raise r.error("rate", "needs max ≥ 1 and per_seconds ≥ 1")
    return rate


__all__ = ["ACTIONS", "ATTACHMENT_KINDS", "SEVERITY", "PolicySet", "Rate", "Rule", "load_policy"]
