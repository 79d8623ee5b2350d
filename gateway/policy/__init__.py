"""The policy engine: detectors, rules and decisions. Pure — no I/O, no asyncio.

Frozen data in, a :class:`Decision` out, so it can be tested and benchmarked without a loop or
a database, and the router can call it inside its transaction without waiting on anything.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from gateway.policy.detectors import scan
from gateway.policy.engine import Decision, EvaluationContext, PolicyState, describe, evaluate
from gateway.policy.findings import KINDS, Finding
from gateway.policy.rules import PolicySet, Rule, load_policy


@cache
def default_policy() -> PolicySet:
    """The shipped default: ``default_policy.toml``, the same text as in config.example.toml."""
    return load_policy(default_policy_table(), source="default_policy.toml")


def default_policy_table() -> Mapping[str, Any]:
    text = (resources.files("gateway.policy") / "default_policy.toml").read_text("utf-8")
    return tomllib.loads(text)


__all__ = [
    "KINDS",
    "Decision",
    "EvaluationContext",
    "Finding",
    "PolicySet",
    "PolicyState",
    "Rule",
    "default_policy",
    "describe",
    "evaluate",
    "load_policy",
    "scan",
]
