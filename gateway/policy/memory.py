"""Memory across messages: numbers split over consecutive messages, and rates.

Both are conditions no single message shows. The engine stays a pure function of its inputs by
taking this memory as an explicit argument: :class:`PolicyState` is the one mutable object in
:mod:`gateway.policy`, created and owned by the caller (one per daemon, or one per test), and
updated in place by :func:`gateway.policy.evaluate`. Time comes from the caller's ``now``; the
engine never reads a clock. Memory is bounded: old entries are pruned as new ones arrive.

Split numbers: when a message ends in digits ("карта 2202 2056"), its trailing digit groups are
kept for ``split_window_seconds`` under the link, chat and sender (a sender's halves are joined
even when a colleague writes in between; two people's digits are not). If the next message from that
sender in that chat starts with digits ("1234 5678 9012"), the groups are joined and checked as
card, SNILS and 12-digit INN — the kinds whose check digits are strong enough that joining two
unrelated messages will not pass by chance. A message that is nothing but digit groups extends
the kept groups, so a number sent four digits at a time is caught too.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from gateway.policy import checksums
from gateway.policy.detectors.digits import Run, runs
from gateway.policy.findings import Finding

MAX_KEYS = 50_000
"""Chats/senders remembered at once; beyond this the oldest entries are dropped."""
KEEP_GROUPS = 6
_EDGE = 3
"""Characters of punctuation or space allowed before the first / after the last digit group."""


@dataclass(frozen=True, slots=True)
class Tail:
    at: datetime
    groups: tuple[str, ...]


@dataclass(slots=True)
class PolicyState:
    """What the engine remembers between messages. Mutable; owned by the caller."""

    tails: dict[str, Tail] = field(default_factory=dict)
    rates: dict[tuple[str, str], deque[datetime]] = field(default_factory=dict)

    def prune(self, now: datetime, horizon_seconds: float) -> None:
        """Forget what is older than ``horizon_seconds`` once memory is over its bound."""
        if len(self.tails) > MAX_KEYS:
            old = [
                k for k, t in self.tails.items() if (now - t.at).total_seconds() > horizon_seconds
            ]
            for key in old or list(self.tails)[: len(self.tails) // 2]:
                del self.tails[key]
        if len(self.rates) > MAX_KEYS:
            stale = [
                k
                for k, w in self.rates.items()
                if not w or (now - w[-1]).total_seconds() > horizon_seconds
            ]
            for key in stale or list(self.rates)[: len(self.rates) // 2]:
                del self.rates[key]


def split_numbers(
    state: PolicyState, key: str, text: str, now: datetime, window: int
) -> list[Finding]:
    """Findings (offsets in the normalised ``text``) for numbers this message completes."""
    stripped = text.strip()
    starts = stripped[:1].isdigit() or stripped[:1] in "+("
    ends = stripped[-1:].isdigit()
    previous = state.tails.get(key)
    if previous is not None and (now - previous.at).total_seconds() > window:
        previous = None
    if not (ends or (starts and previous is not None)):
        state.tails.pop(key, None)
        return []
    digit_runs = runs(text, min_digits=1)
    if not digit_runs:
        state.tails.pop(key, None)
        return []
    found: list[Finding] = []
    first = digit_runs[0]
    if previous is not None and len(text[: first.start].strip(" \t\n.,:;-+()")) == 0:
        found = _join(previous.groups, first)
    last = digit_runs[-1]
    if len(text) - last.end <= _EDGE and not text[last.end :].strip(" \t\n.,;-)"):
        groups = tuple(g.digits for g in last.groups)
        only_digits = len(digit_runs) == 1 and first.start <= _EDGE
        if only_digits and previous is not None:
            groups = previous.groups + groups
        state.tails[key] = Tail(now, groups[-KEEP_GROUPS:])
    else:
        state.tails.pop(key, None)
    state.prune(now, window)
    return found


def _join(kept: tuple[str, ...], head: Run) -> list[Finding]:
    """The longest valid number made of the last kept groups and the first groups of ``head``."""
    best: Finding | None = None
    for take in range(1, len(head.groups) + 1):
        tail_digits = "".join(g.digits for g in head.groups[:take])
        for back in range(1, len(kept) + 1):
            digits = "".join(kept[-back:]) + tail_digits
            kind = _kind(digits)
            if kind is not None:
                end = head.groups[take - 1].end
                if best is None or end > best.end:
                    best = Finding(kind, head.start, end, 0.9, "split across messages", "split")
    return [best] if best is not None else []


def _kind(digits: str) -> str | None:
    n = len(digits)
    if 13 <= n <= 19 and checksums.is_card(digits):
        return "card"
    if n == 11 and checksums.is_snils(digits):
        return "snils"
    if n == 12 and checksums.is_inn(digits):
        return "inn"
    return None


def rate_exceeded(
    state: PolicyState, key: tuple[str, str], now: datetime, limit: int, per_seconds: int
) -> bool:
    """Count this message; true when more than ``limit`` fell within ``per_seconds``."""
    window = state.rates.get(key)
    if window is None:
        window = state.rates[key] = deque()
    while window and (now - window[0]).total_seconds() >= per_seconds:
        window.popleft()
    window.append(now)
    if len(window) > limit + 1:  # only the newest limit + 1 matter for the answer
        window.popleft()
    state.prune(now, per_seconds)
    return len(window) > limit


__all__ = ["PolicyState", "Tail", "rate_exceeded", "split_numbers"]
