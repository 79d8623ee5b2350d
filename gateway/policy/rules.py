"""Policy rules: the ``[policy]`` TOML table validated into frozen objects.

A rule set with any error is rejected whole, with the rule's name, the key and the reason — an
admin must never run with half of the policy they wrote. Unknown keys are errors with the
closest valid key suggested, because a misspelt ``kinds`` would otherwise silently match
everything or nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time, timedelta, timezone
from typing import Any

from gateway.errors import PolicyError
from gateway.policy.detectors.custom import (
    CustomDetector,
    KeywordDetector,
    compile_regex,
    keywords_pattern,
)
from gateway.policy.findings import KINDS, LEVELS

ACTIONS = ("allow", "notify", "redact", "hold", "block")
SEVERITY = {action: rank for rank, action in enumerate(ACTIONS)}
"""block > hold > redact > notify > allow: the most restrictive matching rule wins."""
ATTACHMENT_KINDS = (
    "executable", "script", "archive", "encrypted_archive", "office", "pdf", "image", "audio",
    "video", "text", "unknown",
)  # fmt: skip
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LANGUAGES = ("en", "ru")

_RULE_KEYS = (
    "name", "description", "priority", "action", "mode", "direction", "networks", "links",
    "senders", "contacts", "except_contacts", "kinds", "min_count", "min_confidence",
    "attachment_kinds",
    "min_attachment_bytes", "unscannable", "name_mismatch", "unknown_contact", "hours", "days",
    "rate", "redact", "override", "language", "notice",
)  # fmt: skip
_POLICY_KEYS = ("rules", "detectors", "split_window_seconds", "language", "utc_offset")
_DETECTOR_KEYS = ("kind", "keywords", "regex", "confidence")


@dataclass(frozen=True, slots=True)
class Rate:
    """More than ``max`` messages in ``per_seconds`` from one sender (or in one chat)."""

    max: int
    per_seconds: int
    by: str
    """``sender`` or ``chat``."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One ``[[policy.rules]]`` entry. Empty scope sets mean "any"; ``None`` means "not asked"."""

    name: str
    action: str
    priority: int = 0
    description: str = ""
    mode: str = "enforce"
    """``simulate`` records what the rule would have done without acting."""
    direction: str = "any"
    networks: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()
    senders: frozenset[str] = frozenset()
    contacts: frozenset[str] = frozenset()
    """Only for these external contacts (chat ids, or for inbound the sender's id)."""
    except_contacts: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    min_count: int = 1
    """Findings of ``kinds`` (together) needed for the rule to match."""
    min_confidence: str = "medium"
    """The weakest finding level the rule counts and redacts (``low``, ``medium``, ``high``).
    Medium by default: a bare checksum-valid number (a timestamp that happens to pass as an
    INN) is ``low`` and would otherwise hold or block everyday messages."""
    attachment_kinds: frozenset[str] = frozenset()
    min_attachment_bytes: int | None = None
    unscannable: bool | None = None
    name_mismatch: bool | None = None
    unknown_contact: bool | None = None
    hours: tuple[time, time] | None = None
    """Local time (the policy's ``utc_offset``) window; may wrap midnight ("22:00-06:00")."""
    days: frozenset[int] = frozenset()
    rate: Rate | None = None
    redact: str = "mask"
    override: bool = False
    """The sender may push a held or blocked message through with a written justification."""
    language: str = "en"
    """Language of the notice; defaults to the policy's ``language``."""
    notice: str | None = None

    @property
    def simulated(self) -> bool:
        return self.mode == "simulate"


@dataclass(frozen=True, slots=True)
class PolicySet:
    """A validated rule set, highest priority first, with its custom detectors."""

    rules: tuple[Rule, ...]
    detectors: tuple[CustomDetector, ...] = ()
    split_window_seconds: int = 120
    """How long the end of a message waits for the rest of a number split across messages."""
    language: str = "en"
    utc_offset: timedelta = timedelta(0)
    """Offset of the local time that ``hours`` and ``days`` are written in."""
    source: str | None = None

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(KINDS) | {d.kind for d in self.detectors}

    @property
    def tz(self) -> timezone:
        return timezone(self.utc_offset)


class _Reader:
    """Typed access to one TOML table, failing with the rule's name and the key."""

    def __init__(
        self,
        table: Mapping[str, Any],
        rule: str | None,
        allowed: Sequence[str],
        prefix: str = "",
    ) -> None:
        self.table, self.rule, self.prefix = table, rule, prefix
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise PolicyError(f"unknown key{hint}", rule=rule, key=prefix + key)

    def error(self, key: str, reason: str) -> PolicyError:
        return PolicyError(reason, rule=self.rule, key=self.prefix + key)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.table.get(key, default)
        if value is not None and (
            not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind))
        ):
            expected = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in _tuple(kind))
            got = _TYPE_NAMES.get(type(value), type(value).__name__)
            raise self.error(key, f"must be {expected}, not {got}")
        return value

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(map(repr, choices))}, not {value!r}")
        return str(value)

    def strings(self, key: str) -> frozenset[str]:
        value = self.get(key, list, [])
        if not all(isinstance(item, str) for item in value):
            raise self.error(key, "must be a list of strings")
        return frozenset(value)

    def integer(self, key: str, default: int | None, low: int, high: int) -> int | None:
        value = self.get(key, int, default)
        if value is not None and not low <= value <= high:
            raise self.error(key, f"must be between {low} and {high}, not {value}")
        return value


_TYPE_NAMES: dict[type, str] = {
    str: "a string", int: "an integer", float: "a number", bool: "true or false",
    list: "a list", dict: "a table", time: "a time", type(None): "empty",
}  # fmt: skip


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def load_policy(table: Mapping[str, Any], *, source: str | None = None) -> PolicySet:
    """Validate a ``[policy]`` table; raise :class:`PolicyError` naming rule, key and reason."""
    if not isinstance(table, Mapping):
        raise PolicyError("the policy must be a table ([policy])")
    top = _Reader(table, None, _POLICY_KEYS)
    detectors = tuple(_detector(raw, i) for i, raw in enumerate(top.get("detectors", list, [])))
    kinds = [d.kind for d in detectors]
    if duplicate := next((k for k in kinds if kinds.count(k) > 1), None):
        raise PolicyError(f"two detectors define kind {duplicate!r}", key="detectors")
    known = frozenset(KINDS) | set(kinds)
    language = top.choice("language", LANGUAGES, "en")
    rules: list[Rule] = []
    for index, raw in enumerate(top.get("rules", list, [])):
        if not isinstance(raw, Mapping):
            raise PolicyError("each rule must be a table ([[policy.rules]])", key=f"rules[{index}]")
        rule = _rule(raw, index, known, language)
        if any(r.name == rule.name for r in rules):
            raise PolicyError("another rule has the same name", rule=rule.name, key="name")
        rules.append(rule)
    rules.sort(key=lambda r: -r.priority)  # stable: equal priorities keep file order
    window = top.integer("split_window_seconds", 120, 0, 3600)
    assert window is not None
    return PolicySet(
        tuple(rules),
        detectors,
        window,
        language,
        _offset(top),
        source,
    )


def _offset(top: _Reader) -> timedelta:
    value = top.get("utc_offset", str, "+00:00")
    sign = {"+": 1, "-": -1}.get(value[:1])
    try:
        if sign is None:
            raise ValueError
        hours, minutes = (int(part) for part in value[1:].split(":"))
        if not (0 <= hours <= 14 and 0 <= minutes < 60):
            raise ValueError
    except ValueError:
        raise top.error("utc_offset", f'must look like "+03:00", not {value!r}') from None
    return sign * timedelta(hours=hours, minutes=minutes)


def _detector(raw: Any, index: int) -> CustomDetector:
    where = f"detectors[{index}]"
    if not isinstance(raw, Mapping):
        raise PolicyError("must be a table ([[policy.detectors]])", key=where)
    r = _Reader(raw, None, _DETECTOR_KEYS, prefix=f"{where}.")
    kind = r.get("kind", str)
    if not kind or not kind.replace("_", "").isalnum() or not kind.isascii():
        raise PolicyError("needs a kind: a name of letters, digits and _", key=f"{where}.kind")
    if kind in KINDS:
        raise PolicyError(f"{kind!r} is a built-in kind; pick a new name", key=f"{where}.kind")
    where = f"{where} ({kind})"
    keywords, regex = r.get("keywords", list), r.get("regex", str)
    confidence = float(r.get("confidence", (int, float), 0.8))
    if not 0 < confidence <= 1:
        raise PolicyError("confidence must be in (0, 1]", key=where)
    if (keywords is None) == (regex is None):
        raise PolicyError("set exactly one of keywords or regex (the detector kind)", key=where)
    try:
        if keywords is not None:
            if not all(isinstance(k, str) for k in keywords):
                raise ValueError("keywords must be a list of strings")
            return KeywordDetector(
                kind, keywords_pattern(keywords), confidence, ", ".join(keywords)
            )
        return CustomDetector(kind, compile_regex(regex), confidence, regex)
    except ValueError as err:
        raise PolicyError(str(err), key=where) from None


def _rule(raw: Mapping[str, Any], index: int, known_kinds: frozenset[str], language: str) -> Rule:
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PolicyError("every rule needs a name", key=f"rules[{index}].name")
    r = _Reader(raw, name, _RULE_KEYS)
    if "action" not in raw:
        raise r.error("action", f"is required: one of {', '.join(ACTIONS)}")
    action = r.choice("action", ACTIONS, "allow")
    kinds = r.strings("kinds")
    for kind in sorted(kinds - known_kinds):
        close = difflib.get_close_matches(kind, sorted(known_kinds), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise r.error("kinds", f"unknown detector kind {kind!r}{hint}")
    attachment_kinds = r.strings("attachment_kinds")
    for kind in sorted(attachment_kinds - set(ATTACHMENT_KINDS)):
        close = difflib.get_close_matches(kind, ATTACHMENT_KINDS, n=1)
        hint = (
            f"; did you mean {close[0]!r}?" if close else f"; one of {', '.join(ATTACHMENT_KINDS)}"
        )
        raise r.error("attachment_kinds", f"unknown attachment kind {kind!r}{hint}")
    days = r.strings("days")
    if unknown := days - set(DAYS):
        raise r.error("days", f"unknown day {sorted(unknown)[0]!r}; use {', '.join(DAYS)}")
    if action == "redact" and not kinds:
        raise r.error("kinds", "a redact rule must name the kinds to mask")
    rule = Rule(
        name=name,
        action=action,
        priority=r.integer("priority", 0, -(10**6), 10**6) or 0,
        description=r.get("description", str, ""),
        mode=r.choice("mode", ("enforce", "simulate"), "enforce"),
        direction=r.choice("direction", ("outbound", "inbound", "any"), "any"),
        networks=r.strings("networks"),
        links=r.strings("links"),
        senders=r.strings("senders"),
        contacts=r.strings("contacts"),
        except_contacts=r.strings("except_contacts"),
        kinds=kinds,
        min_count=r.integer("min_count", 1, 1, 10**6) or 1,
        min_confidence=r.choice("min_confidence", LEVELS, "medium"),
        attachment_kinds=attachment_kinds,
        min_attachment_bytes=r.integer("min_attachment_bytes", None, 0, 2**53),
        unscannable=r.get("unscannable", bool),
        name_mismatch=r.get("name_mismatch", bool),
        unknown_contact=r.get("unknown_contact", bool),
        hours=_hours(r),
        days=frozenset(DAYS.index(d) for d in days),
        rate=_rate(r),
        redact=r.choice("redact", ("mask", "label"), "mask"),
        override=_override(r),
        language=r.choice("language", LANGUAGES, language),
        notice=_notice(r),
    )
    if "min_confidence" in raw and not kinds:
        raise r.error("min_confidence", "applies to findings: set kinds, or leave it out")
    if rule.override and action not in ("hold", "block"):
        raise r.error("override", "only a hold or block rule can be overridden")
    return rule


def _override(r: _Reader) -> bool:
    value = r.get("override", (str, bool), False)
    if isinstance(value, bool):
        return value
    if value not in ("justification", "none"):
        raise r.error("override", f'must be "justification" or "none", not {value!r}')
    return value == "justification"


def _notice(r: _Reader) -> str | None:
    value = r.get("notice", str)
    if value is not None:
        try:
            value.format(rule="rule", reason="reason")
        except (KeyError, IndexError, ValueError) as err:
            raise r.error("notice", f"may use only {{rule}} and {{reason}} ({err})") from None
    return value


def _hours(r: _Reader) -> tuple[time, time] | None:
    value = r.get("hours", str)
    if value is None:
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise r.error("hours", f'must look like "09:00-18:00", not {value!r}') from None
    if start == end:
        raise r.error("hours", "start and end are the same: leave hours out to mean all day")
    return start, end


def _rate(r: _Reader) -> Rate | None:
    value = r.get("rate", dict)
    if value is None:
        return None
    sub = _Reader(value, r.rule, ("max", "per_seconds", "by"), prefix="rate.")
    if "max" not in value or "per_seconds" not in value:
        raise r.error("rate", "needs max and per_seconds, e.g. {max = 20, per_seconds = 60}")
    return Rate(
        sub.integer("max", None, 1, 10**6) or 1,
        sub.integer("per_seconds", None, 1, 86400) or 1,
        sub.choice("by", ("sender", "chat"), "sender"),
    )


__all__ = [
    "ACTIONS",
    "ATTACHMENT_KINDS",
    "DAYS",
    "SEVERITY",
    "PolicySet",
    "Rate",
    "Rule",
    "load_policy",
]
