"""The policy engine: detectors, rules and decisions. Pure — no I/O, no asyncio.

Frozen data in, a :class:`Decision` out, so it can be tested and benchmarked without a loop or
a database, and the router can call it inside its transaction without waiting on anything::

    policy = load_policy(config_table["policy"], source="config.toml")   # or default_policy()
    state = PolicyState()                                                # one per daemon
    decision = evaluate(policy, message, route,
                        context=EvaluationContext(now=now, unknown_contact=False, state=state))
    audit_record = decision.as_dict()

:func:`scan` runs the detectors alone; offsets are code points in the text as given.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from gateway.policy.attachments import AttachmentScan, scan_attachment
from gateway.policy.detectors import scan
from gateway.policy.engine import (
    Decision,
    EvaluationContext,
    RuleMatch,
    describe,
    evaluate,
)
from gateway.policy.findings import KINDS, Finding
from gateway.policy.memory import PolicyState
from gateway.policy.rules import PolicySet, Rule, load_policy

DEFAULT_POLICY_FILE = "default_policy.toml"


@cache
def default_policy() -> PolicySet:
    """The shipped default: ``default_policy.toml``, the same text as in config.example.toml."""
    return load_policy(default_policy_table(), source=DEFAULT_POLICY_FILE)


def default_policy_table() -> Mapping[str, Any]:
    """The default policy as the parsed TOML table (what goes under ``[policy]``)."""
    text = (resources.files("gateway.policy") / DEFAULT_POLICY_FILE).read_text("utf-8")
    return tomllib.loads(text)


__all__ = [
    "KINDS",
    "AttachmentScan",
    "Decision",
    "EvaluationContext",
    "Finding",
    "PolicySet",
    "PolicyState",
    "Rule",
    "RuleMatch",
    "default_policy",
    "default_policy_table",
    "describe",
    "evaluate",
    "load_policy",
    "scan",
    "scan_attachment",
]
