"""Loading a [policy] table: what is accepted, and errors that name the rule, key and reason."""

from __future__ import annotations

import tomllib
from datetime import time, timedelta
from typing import Any

import pytest

from gateway.errors import PolicyError
from gateway.policy import default_policy, default_policy_table, load_policy


def rule(**keys: Any) -> dict[str, Any]:
    return {"name": "r", "action": "block", "kinds": ["card"], **keys}


def error(table: dict[str, Any]) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load_policy(table)
    return info.value


def test_default_policy_loads_and_orders_by_priority() -> None:
    policy = default_policy()
    priorities = [r.priority for r in policy.rules]
    assert priorities == sorted(priorities, reverse=True)
    assert {r.name for r in policy.rules} >= {
        "no-cards-secrets-markings-out",
        "personal-data-needs-approval",
        "unscannable-files-held",
        "unknown-contacts-held",
    }
    assert policy.utc_offset == timedelta(hours=3)
    assert load_policy(default_policy_table()) == load_policy(default_policy_table())


def test_full_rule_is_read() -> None:
    text = """
    language = "ru"
    split_window_seconds = 30
    [[detectors]]
    kind = "codenames"
    keywords = ["Проект Альфа"]
    [[rules]]
    name = "night"
    priority = 5
    direction = "outbound"
    networks = ["telegram"]
    links = ["acme"]
    senders = ["@anna:corp"]
    except_contacts = ["tg-friend"]
    kinds = ["codenames", "phone"]
    min_count = 2
    hours = "22:00-06:00"
    days = ["sat", "sun"]
    rate = { max = 5, per_seconds = 60, by = "chat" }
    action = "hold"
    mode = "simulate"
    override = "justification"
    notice = "Правило {rule}: {reason}"
    """
    policy = load_policy(tomllib.loads(text))
    (r,) = policy.rules
    assert r.kinds == {"codenames", "phone"}
    assert r.hours == (time(22), time(6))
    assert r.days == {5, 6}
    assert r.rate is not None
    assert (r.rate.max, r.rate.per_seconds, r.rate.by) == (5, 60, "chat")
    assert r.simulated
    assert r.override
    assert r.language == "ru"  # inherited from the policy
    assert policy.split_window_seconds == 30
    assert [d.kind for d in policy.detectors] == ["codenames"]


@pytest.mark.parametrize(
    ("table", "rule_name", "key", "reason"),
    [
        ({"rules": [rule(kinds=["crad"])]}, "r", "kinds", "did you mean 'card'?"),
        ({"rules": [rule(acton="block")]}, "r", "acton", "did you mean 'action'?"),
        ({"rules": [{"name": "r", "kinds": ["card"]}]}, "r", "action", "is required"),
        ({"rules": [rule(action="deny")]}, "r", "action", "must be one of"),
        ({"rules": [rule(priority="high")]}, "r", "priority", "must be an integer, not a string"),
        ({"rules": [rule(min_count=True)]}, "r", "min_count", "not true or false"),
        ({"rules": [rule(min_count=0)]}, "r", "min_count", "between 1 and"),
        ({"rules": [rule(kinds="card")]}, "r", "kinds", "must be a list"),
        ({"rules": [rule(attachment_kinds=["exe"])]}, "r", "attachment_kinds", "unknown"),
        ({"rules": [rule(days=["monday"])]}, "r", "days", "unknown day 'monday'"),
        ({"rules": [rule(hours="9-18")]}, "r", "hours", 'must look like "09:00-18:00"'),
        ({"rules": [rule(rate={"max": 5})]}, "r", "rate", "needs max and per_seconds"),
        ({"rules": [rule(rate={"max": 5, "per_seconds": 9, "per": 1})]}, "r", "rate.per", ""),
        ({"rules": [rule(override="yes")]}, "r", "override", '"justification"'),
        ({"rules": [rule(action="allow", override=True)]}, "r", "override", "hold or block"),
        ({"rules": [rule(action="redact", kinds=[])]}, "r", "kinds", "must name the kinds"),
        ({"rules": [rule(notice="{who} did it")]}, "r", "notice", "{rule} and {reason}"),
        ({"rules": [rule(language="de")]}, "r", "language", "'en', 'ru'"),
        ({"rules": [rule(), rule()]}, "r", "name", "same name"),
        ({"rules": [{"action": "block"}]}, None, "rules[0].name", "needs a name"),
        ({"rulez": []}, None, "rulez", "did you mean 'rules'?"),
        ({"split_window_seconds": -1}, None, "split_window_seconds", "between 0 and 3600"),
        ({"utc_offset": "MSK"}, None, "utc_offset", '"+03:00"'),
    ],
)
def test_errors_name_rule_key_and_reason(
    table: dict[str, Any], rule_name: str | None, key: str, reason: str
) -> None:
    err = error(table)
    assert err.rule == rule_name
    assert err.key == key
    assert reason in err.reason
    if rule_name:
        assert str(err).startswith(f"rule {rule_name!r}: {key}: ")


@pytest.mark.parametrize(
    ("detector", "reason"),
    [
        ({"kind": "x", "regex": r"(a)\1"}, "not a valid RE2 pattern"),
        ({"kind": "x", "regex": r"(?<=a)b"}, "not a valid RE2 pattern"),
        ({"kind": "x", "regex": "a", "keywords": ["b"]}, "exactly one of keywords or regex"),
        ({"kind": "x"}, "exactly one of keywords or regex"),
        ({"kind": "card", "regex": "a"}, "built-in kind"),
        ({"kind": "bad kind", "regex": "a"}, "letters, digits and _"),
        ({"kind": "x", "keywords": []}, "at least one"),
        ({"kind": "x", "keywords": [1]}, "list of strings"),
        ({"kind": "x", "regex": "a", "confidence": 2}, "confidence"),
        ({"kind": "x", "kind_": "a"}, "did you mean 'kind'?"),
    ],
)
def test_detector_errors(detector: dict[str, Any], reason: str) -> None:
    assert reason in str(error({"detectors": [detector]}))


def test_a_broken_rule_rejects_the_whole_set() -> None:
    with pytest.raises(PolicyError):
        load_policy({"rules": [rule(name="good"), rule(name="bad", kinds=["nope"])]})


def test_unknown_kind_in_rule_may_be_a_custom_detector() -> None:
    table = {
        "detectors": [{"kind": "codes", "regex": r"CN-\d{6}"}],
        "rules": [rule(kinds=["codes"])],
    }
    assert load_policy(table).rules[0].kinds == {"codes"}
    assert "did you mean 'codes'" in str(error({**table, "rules": [rule(kinds=["code"])]}))


def test_regex_detector_is_linear_time() -> None:
    """(a+)+$ against a long non-matching input: a backtracking engine would never return."""
    policy = load_policy({"detectors": [{"kind": "evil", "regex": "(a+)+$"}]})
    (detector,) = policy.detectors
    assert detector.find("a" * 100_000 + "b") == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("hi", "must be one of 'low', 'medium', 'high', not 'hi'"),
        (0.9, "must be a string, not a number"),
        ("HIGH", "not 'HIGH'"),
    ],
)
def test_min_confidence_errors_name_the_key(value: object, reason: str) -> None:
    err = error({"rules": [rule(min_confidence=value)]})
    assert (err.rule, err.key) == ("r", "min_confidence")
    assert reason in err.reason


def test_min_confidence_defaults_to_medium_and_needs_kinds() -> None:
    policy = load_policy({"rules": [rule(), rule(name="low", min_confidence="low")]})
    assert [r.min_confidence for r in policy.rules] == ["medium", "low"]
    assert all(r.min_confidence == "medium" for r in default_policy().rules)
    err = error({"rules": [{"name": "r", "action": "hold", "min_confidence": "low"}]})
    assert err.key == "min_confidence"
    assert "set kinds" in err.reason
