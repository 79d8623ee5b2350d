"""Memory across messages: numbers split over consecutive messages, and rates.

Both are conditions no single message shows. The engine stays a pure function of its inputs by
taking this memory as an explicit argument: :class:`PolicyState` is the one mutable object in
:mod:`gateway.policy`, created and owned by the caller (one per daemon, or one per test), and
updated in place by :func:`gateway.policy.evaluate`. Time comes from the caller's ``now``; the
engine never reads a clock. Memory is bounded: old entries are pruned as new ones arrive.

Split numbers: when a message ends in digit groups ("карта 2202 2056", "ИНН 7707 08.",
"DE89 3704"), they are kept for ``split_window_seconds`` under the link, chat and sender (a
sender's halves are joined even when a colleague writes in between; two people's digits are
not). If the next message from that sender in that chat starts with the rest — after punctuation
and at most two short words ("rest 1234 5678", "дальше: …", "and …", "ещё: …") — the halves are
joined and checked as every numeric kind. Joining two unrelated messages must not pass by
chance, so a join is reported only when

- check digits make chance negligible: card (issuer prefix and length, Luhn), SNILS, 12-digit
  INN, IBAN (the country's registered length, mod 97), a 20-digit account whose CBR control key
  checks against a BIK written in either message; or
- the kind's context word stands in either half ("ИНН", "ОГРН", "паспорт"/"серия", "счёт"/"р/с"):
  10-digit INN and OGRN/OGRNIP (one check digit), a 20-digit account without a BIK (no check
  at all then, but a plausible balance account and currency), a passport written 4 + 6 (no
  check digit at all).

A message that is nothing but digit groups extends the kept groups, so a number sent four digits
at a time is caught too; a message with neither letters nor digits (an emoji, "…", a reaction)
leaves them alone; any other message ends the wait.

Retention: only what a join needs is kept, and only from the end of a message — its trailing
digit groups (at most :data:`KEEP_DIGITS` digits) or the start of an IBAN written there (country
code, check digits and the groups after them), the names of the kinds whose context word stood
next to them (never the words), and BIKs written in that message (public bank codes, which
identify a bank, not a person). An entry is dropped when the sender's next message in that chat
arrives, or once ``split_window_seconds`` have passed. The shell persists these entries
(:attr:`PolicyState.changed` lists what one evaluation set or dropped) so a restart between the
halves does not let a number through; see :mod:`gateway.store.split_tails` for how long the
stored copy lives.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from gateway.policy import checksums
from gateway.policy.detectors.digits import Group, Run, candidates, labelled, near, runs
from gateway.policy.detectors.payment import BIK_PREFIX, CARD_CONTEXT, IBAN_LENGTHS
from gateway.policy.detectors.ru_ids import CONTEXT
from gateway.policy.findings import Finding

MAX_KEYS = 50_000
"""Chats/senders remembered at once; beyond this the oldest entries are dropped."""
KEEP_DIGITS = 19
"""Digits kept from the end of a message: the first part of the longest number (20 digits)."""
LONGEST = 20
"""The longest digits-only number a join may make (a bank account)."""
MAX_BIKS = 2
_TRAILING = 4
"""Characters of punctuation (or an emoji) allowed after the last group: "4276 3801.", " …"
(NFKC makes "…" three dots)."""
_FILLER = re.compile(r"[^\w]{0,4}(?:[^\W\d_]{1,12}[^\w]{1,4}){0,2}")
"""What may stand before the rest of a number: punctuation and at most two short words."""
_WORD_BEFORE = re.compile(r"[^\W\d_][^\w]{1,3}\Z")
_IBAN_TAIL = re.compile(r"(?<![\w-])([A-Za-z]{2}\d\d[A-Za-z0-9]*+(?: [A-Za-z0-9]++)*+)\Z")
"""Possessive, so a near miss ("DE89 37-04") fails at once instead of trying every split."""
_IBAN_REST = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")
_IBAN_WIDTH = 48
"""Characters from the end of a message searched for an IBAN's start (34 plus spaces)."""
SPLIT = "split across messages"

ACCOUNT_CONTEXT = re.compile(
    r"(?i)сч[её]т|р/с|р\.\s?с\.|расч[её]тн|\bбанк|\bбик\b|account|\bacct\b|\bbank|\bbic\b|\bbik\b"
)
CONTEXTS: Mapping[str, re.Pattern[str]] = {
    "card": CARD_CONTEXT,
    "inn": CONTEXT["inn"],
    "ogrn": CONTEXT["ogrn"],
    "snils": CONTEXT["snils"],
    "passport_ru": CONTEXT["passport_ru"],
    "bank_account_ru": ACCOUNT_CONTEXT,
}
"""Context words per kind, looked for next to either half."""
CURRENCIES = frozenset(
    {"810", "643", "840", "978", "156", "826", "756", "398", "933", "980", "392", "949", "417"}
)
"""ISO 4217 codes in digits 6–8 of an account: the shape check for an account with no BIK."""
_ORDER = ("passport_ru", "ogrn", "inn", "card", "snils", "bank_account_ru", "iban")
"""Between joins that end at the same place, the one with the more specific evidence wins."""


@dataclass(frozen=True, slots=True)
class Tail:
    """The end of one message, waiting for the rest of a number. Never the whole message."""

    at: datetime
    groups: tuple[str, ...]
    """Trailing digit groups, oldest first, at most :data:`KEEP_DIGITS` digits together."""
    iban: str = ""
    """The start of an IBAN the message ended with (compact, upper case), or ``""``."""
    context: frozenset[str] = frozenset()
    """Kinds whose context word stood next to the groups: the names, not the words."""
    biks: tuple[str, ...] = ()
    """BIKs in the same message, to check the control key of an account completed later."""
    worded: bool = False
    """A word stood right before the groups ("Номер 000122", "burst 137"): see :func:`_listed`."""

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the store (the shell adds the time)."""
        data: dict[str, Any] = {"groups": list(self.groups)}
        if self.iban:
            data["iban"] = self.iban
        if self.context:
            data["context"] = sorted(self.context)
        if self.biks:
            data["biks"] = list(self.biks)
        if self.worded:
            data["worded"] = True
        return data

    @classmethod
    def from_dict(cls, at: datetime, data: Mapping[str, Any]) -> Tail:
        """The inverse of :meth:`as_dict`; ``ValueError`` for anything it did not write."""
        groups = tuple(data.get("groups", ()))
        iban = str(data.get("iban", ""))
        context = frozenset(data.get("context", ()))
        biks = tuple(data.get("biks", ()))
        worded = data.get("worded", False)
        if (
            not isinstance(worded, bool)
            or not all(isinstance(g, str) and g.isdigit() for g in groups)
            or sum(map(len, groups)) > KEEP_DIGITS
            or not (iban == "" or (iban.isalnum() and iban.isascii() and len(iban) < 34))
            or not context <= set(CONTEXTS)
            or not all(isinstance(b, str) and b.isdigit() and len(b) == 9 for b in biks)
        ):
            raise ValueError("not a split-number tail")
        return cls(at, groups, iban, context, biks[:MAX_BIKS], worded)


@dataclass(slots=True)
class PolicyState:
    """What the engine remembers between messages. Mutable; owned by the caller."""

    tails: dict[str, Tail] = field(default_factory=dict)
    rates: dict[tuple[str, str], deque[datetime]] = field(default_factory=dict)
    changed: dict[str, Tail | None] | None = None
    """When not ``None``: every tail set (or dropped: ``None``) since it was created — what a
    shell that persists the memory must write. See :meth:`recorder`."""

    def recorder(self) -> PolicyState:
        """The same memory with a change log of its own: evaluate one message with it and
        :attr:`changed` holds exactly that message's changes, even when other messages are
        evaluated at the same time on other threads."""
        return PolicyState(self.tails, self.rates, {})

    def restore(self, tails: Iterable[tuple[str, Tail]]) -> None:
        """Put tails back (loaded from a store at start-up)."""
        self.tails.update(tails)

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

    def keep(self, key: str, tail: Tail) -> None:
        """Keep ``tail`` under ``key`` (logged when this is a recorder)."""
        self.tails[key] = tail
        if self.changed is not None:
            self.changed[key] = tail

    def forget(self, key: str) -> None:
        """Drop the tail under ``key``, if any (logged when this is a recorder)."""
        if self.tails.pop(key, None) is not None and self.changed is not None:
            self.changed[key] = None


class _Head(NamedTuple):
    """The start of a message that may complete a kept tail."""

    groups: tuple[Group, ...]
    lead: int
    """Where the text starts after leading punctuation (an IBAN's rest may start with letters)."""
    whole: bool
    """The message is nothing but these groups (after at most two words)."""
    context: frozenset[str]
    biks: tuple[str, ...]
    labelled: bool
    """A word before the groups says they are a document number ("заказ", "№")."""
    worded: bool
    """Filler words stand before the groups ("rest 2345 6787")."""


def split_numbers(
    state: PolicyState, key: str, text: str, now: datetime, window: int
) -> list[Finding]:
    """Findings (offsets in the normalised ``text``) for numbers this message completes."""
    previous = state.tails.get(key)
    if previous is not None and (now - previous.at).total_seconds() > window:
        state.forget(key)
        previous = None
    core = len(text.rstrip())
    end = _core_end(text, core)
    ends = end is not None
    if previous is None and not ends:
        return []  # the common case: nothing kept, nothing to keep
    if previous is not None and not ends and not any(c.isalnum() for c in text):
        return []  # an emoji or "…" between the halves changes nothing
    digit_runs = runs(text, min_digits=1)
    head = _head(text, digit_runs, end) if previous is not None else None
    found: list[Finding] = []
    if previous is not None and head is not None and not _listed(previous, head):
        found = _join(previous, head, text)
    tail = _tail(text, digit_runs, now, end) if ends else None
    # a message that is only the next groups grows the kept number ("4276" "3801" "2345" …,
    # "and 2345"); in a list ("burst 137", "burst 138") each keeps its own groups alone, or
    # the series would pile up into a "number" that passes some check by chance
    grows = head is not None and head.whole and not found
    if tail is not None and previous is not None and grows and not _listed(previous, head):
        tail = _extend(previous, tail)
    if tail is not None:
        state.keep(key, tail)
    else:
        state.forget(key)
    state.prune(now, window)
    return found


def _listed(kept: Tail, head: _Head) -> bool:
    """Both messages put a word before their number and no context word names a kind: a list
    ("Номер 000122", "Номер 000123"; "burst 137", "burst 138"), not one number in two halves.
    A real split puts its first half at the end of a sentence ("…: 4276 3801") or names the
    kind ("карта 4276 3801"); measured on 2,000-message numbered series: 19 false joins → 0."""
    return kept.worded and head.worded and not (kept.context | head.context)


def _core_end(text: str, core: int) -> int | None:
    """Where the last digit ends when only a little punctuation follows it, else ``None``."""
    index = core
    while index > 0 and core - index <= _TRAILING:
        char = text[index - 1]
        if char.isdigit():
            return index
        if char.isalnum():
            return None
        index -= 1
    return None


def _tail(text: str, digit_runs: Sequence[Run], now: datetime, end: int | None) -> Tail | None:
    if not digit_runs or digit_runs[-1].end != end:
        return None
    last = digit_runs[-1]
    groups: list[str] = []
    size = 0
    for group in reversed(last.groups):
        size += len(group.digits)
        if size > KEEP_DIGITS:
            break
        groups.insert(0, group.digits)
    iban = _iban_start(text, last.end)
    if not groups and not iban:
        return None
    context = _context(text, last.start, last.end, after=False)
    worded = _WORD_BEFORE.search(text, max(0, last.start - 4), last.start) is not None
    return Tail(now, tuple(groups), iban, context, _biks(digit_runs[:-1]), worded)


def _iban_start(text: str, end: int) -> str:
    """The compact start of an IBAN ending at ``end``, when it is shorter than the whole."""
    match = _IBAN_TAIL.search(text, max(0, end - _IBAN_WIDTH), end)
    if match is None:
        return ""
    compact = match.group(1).replace(" ", "").upper()
    length = IBAN_LENGTHS.get(compact[:2])
    return compact if length is not None and len(compact) < length else ""


def _head(text: str, digit_runs: Sequence[Run], end: int | None) -> _Head | None:
    if not digit_runs:
        return None
    first = digit_runs[0]
    if _FILLER.fullmatch(text, 0, first.start) is None:
        return None
    lead = len(text) - len(text.lstrip(" \t\n.,:;-–—…!?()[]«»\"'"))
    whole = len(digit_runs) == 1 and first.end == end
    return _Head(
        first.groups,
        lead,
        whole,
        _context(text, first.start, first.end, after=True),
        _biks(digit_runs[1:]),
        labelled(text, first.start),
        any(char.isalpha() for char in text[: first.start]),
    )


def _context(text: str, start: int, end: int, *, after: bool) -> frozenset[str]:
    return frozenset(
        kind for kind, words in CONTEXTS.items() if near(words, text, start, end, 48, after=after)
    )


def _biks(digit_runs: Sequence[Run]) -> tuple[str, ...]:
    found = [
        c.digits
        for run in digit_runs
        if run.size >= 9
        for c in candidates(run, frozenset({9}), frozenset())
        if c.digits.startswith(BIK_PREFIX)
    ]
    return tuple(dict.fromkeys(found))[:MAX_BIKS]


def _extend(previous: Tail, tail: Tail) -> Tail:
    """A message of digit groups only continues the kept ones instead of replacing them."""
    groups = list(previous.groups + tail.groups)
    while sum(map(len, groups)) > KEEP_DIGITS:
        groups.pop(0)
    iban = previous.iban + "".join(tail.groups) if previous.iban else tail.iban
    if iban and len(iban) >= IBAN_LENGTHS.get(iban[:2], 0):
        iban = ""
    biks = tuple(dict.fromkeys(previous.biks + tail.biks))[:MAX_BIKS]
    return Tail(tail.at, tuple(groups), iban, previous.context | tail.context, biks)


def _join(kept: Tail, head: _Head, text: str) -> list[Finding]:
    """The longest valid number made of the last kept groups and the first groups of ``head``."""
    context = kept.context | head.context
    biks = kept.biks + head.biks
    best: tuple[int, int, Finding] | None = None
    for take in range(1, len(head.groups) + 1):
        rest = head.groups[:take]
        rest_digits = "".join(g.digits for g in rest)
        if len(rest_digits) >= LONGEST:
            break
        for back in range(1, len(kept.groups) + 1):
            first = kept.groups[-back:]
            digits = "".join(first) + rest_digits
            if len(digits) > LONGEST:
                break
            hit = _kind(digits, first, rest, context, biks)
            if hit is None or (head.labelled and hit[0] not in context):
                continue  # "заказ № 2345 6787": a document number, unless a context word says not
            kind, detail = hit
            finding = Finding(kind, rest[0].start, rest[-1].end, 0.9, detail, "split")
            candidate = (finding.end, -_ORDER.index(kind), finding)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    if kept.iban:
        iban = _join_iban(kept.iban, head, text)
        if iban is not None and (best is None or iban.end > best[0]):
            best = (iban.end, 0, iban)
    return [best[2]] if best is not None else []


def _kind(
    digits: str,
    first: Sequence[str],
    rest: Sequence[Group],
    context: frozenset[str],
    biks: Sequence[str],
) -> tuple[str, str] | None:
    """The kind ``digits`` is, with the detail for the finding; ``None`` if none is sure."""
    n = len(digits)
    if (
        n == 10
        and "passport_ru" in context
        and tuple(map(len, first)) in ((4,), (2, 2))
        and len(rest) == 1
        and digits[:2] != "00"
    ):
        return "passport_ru", f"series and number {SPLIT}"
    if n in (13, 15) and "ogrn" in context and checksums.is_ogrn(digits):
        return "ogrn", SPLIT
    if n == 10 and "inn" in context and checksums.is_inn(digits):
        return "inn", SPLIT
    if 13 <= n <= 19 and checksums.is_card(digits):
        return "card", f"{checksums.card_brand(digits)}, {SPLIT}"
    if n == 11 and checksums.is_snils(digits):
        return "snils", SPLIT
    if n == 12 and checksums.is_inn(digits):
        return "inn", SPLIT
    if n == LONGEST:
        if any(checksums.is_bank_account(digits, bik) for bik in biks):
            return "bank_account_ru", f"control key checked against the BIK, {SPLIT}"
        if "bank_account_ru" in context and digits[0] != "0" and digits[5:8] in CURRENCIES:
            return "bank_account_ru", f"no BIK to check against, {SPLIT}"
    return None


def _join_iban(start: str, head: _Head, text: str) -> Finding | None:
    """An IBAN whose first part was kept: the rest right at the start of this message (it may
    begin with letters, "NWBK 6016 …"), or after the filler words, at its registered length."""
    need = IBAN_LENGTHS.get(start[:2], 0) - len(start)
    for at in dict.fromkeys((head.lead, head.groups[0].start)):
        match = _IBAN_REST.match(text, at)
        end = _after(match.group(), need) if match is not None else None
        if end is None:
            continue
        rest = text[at : at + end].replace(" ", "").upper()
        if checksums.iban_valid(start + rest):
            detail = f"{start[:2]}, {SPLIT}"
            return Finding("iban", at, at + end, 0.9, detail, "split")
    return None


def _after(raw: str, need: int) -> int | None:
    """Where the first ``need`` letters and digits of ``raw`` end — ``None`` if it is shorter,
    or if that is inside a group (then the registered length does not fit what was written)."""
    kept = 0
    for index, char in enumerate(raw):
        if char.isalnum():
            kept += 1
            if kept == need:
                return None if raw[index + 1 : index + 2].isalnum() else index + 1
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


__all__ = ["KEEP_DIGITS", "PolicyState", "Tail", "rate_exceeded", "split_numbers"]
