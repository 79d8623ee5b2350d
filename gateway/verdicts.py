"""What the router needs from a policy Decision, and the fail-closed verdict.

The policy engine's Decision is rich (every matched rule, findings, simulate-mode results); the
router needs six facts from it. Keeping them here means the routing code does not change when
the engine grows, and the one place that decides "a broken policy holds" is easy to find.

The policy's memory (split numbers, rates) also lives here, in the shell: one
:class:`~gateway.policy.PolicyState` per daemon, shared by every judge a reload builds, its
split-number tails loaded from the store at start-up (:func:`remembering`) and written back in
each message's routing transaction (:func:`remember`).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from gateway.model import (
    ChatRef,
    Direction,
    Link,
    LinkId,
    Message,
    NetworkName,
    Route,
    Span,
    UserRef,
)
from gateway.policy import Decision, EvaluationContext, PolicyState, describe, evaluate
from gateway.policy.memory import Tail
from gateway.reception import is_automatic
from gateway.store import split_tails

if TYPE_CHECKING:
    from gateway.config import Config
    from gateway.store import Store
    from gateway.store.connection import WriteConnection

log = logging.getLogger(__name__)

Action = Literal["allow", "notify", "redact", "hold", "block"]
Judge = Callable[[Message, Route], "Verdict"]


@dataclass(frozen=True, slots=True)
class Remembered:
    """What judging one message changed in the split-number memory, as store rows: the router
    writes them in the transaction that archives and routes that message."""

    rows: tuple[tuple[str, int, str | None], ...]
    """``(key, at_ms, tail_json)``; ``None`` deletes the key's row."""
    expired_before_ms: int
    """Rows older than this are past the split window: the same write deletes them."""


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    text: str | None = None
    """The redacted text, when policy changed it; ``None`` keeps the original."""
    spans: tuple[Span, ...] | None = None
    redacted: Message | None = None
    """The whole judged message with every field redacted, when redaction changed any field;
    ``None`` keeps the message as judged (see :func:`gateway.outbound.leaving`)."""
    rule: str | None = None
    """The rule that decided the action (for approvals and notices)."""
    reason: str | None = None
    notice: str | None = None
    """What the sender is told, in the rule's language."""
    record: Mapping[str, Any] = field(default_factory=dict)
    """The full decision as plain data, for the audit log."""
    notify_admins: bool = False
    """An enforced ``notify`` rule matched: the admins' room hears of it, whatever the action."""
    memory: Remembered | None = None
    """Split-number tails this judgement set or dropped (see :func:`remember`)."""


ALLOW = Verdict("allow", record={"action": "allow"})


def fail_closed(error: BaseException) -> Verdict:
    """Invariant 3: when policy cannot decide, the message is held — never sent."""
    reason = f"policy evaluation failed: {type(error).__name__}: {error}"
    return Verdict(
        "hold",
        rule="policy-error",
        reason=reason,
        notice="Held: the policy engine could not check this message; an admin must review it.",
        record={"action": "hold", "error": reason},
    )


def from_decision(decision: Decision) -> Verdict:
    return Verdict(
        decision.action,  # type: ignore[arg-type]
        text=decision.text,
        spans=decision.spans,
        redacted=decision.redacted,
        rule=decision.rule,
        reason=decision.reason,
        notice=decision.notice,
        record=decision.as_dict(),
        notify_admins=decision.notify_admins,
    )


def judge_for(config: Config, state: PolicyState | None = None) -> Judge:
    """The router's judge for this config: its policy, the memory, the wall clock.

    The clock and the state live here, in the shell, so the engine itself stays pure. Pass the
    daemon's ``state`` so a reload keeps what the policy remembers (see :func:`remembering`);
    without one the judge starts with an empty memory of its own.
    """
    policy = config.policy
    memory = state if state is not None else PolicyState()
    window_ms = policy.split_window_seconds * 1000

    def judge(message: Message, route: Route) -> Verdict:
        # Chats no link covers never reach the judge (they wait in reception); a portal hgw
        # opened on its own for an unknown contact is the one case policy must decide on.
        unknown = is_automatic(route.link)
        now = datetime.now(UTC)
        recorder = memory.recorder()  # this message's changes only, even judged on a thread
        context = EvaluationContext(now=now, unknown_contact=unknown, state=recorder)
        verdict = from_decision(evaluate(policy, message, route, context=context))
        if not recorder.changed:
            return verdict
        at = _ms(now)
        rows = tuple(
            (key, _ms(tail.at) if tail else at, _encode(tail))
            for key, tail in recorder.changed.items()
        )
        return replace(verdict, memory=Remembered(rows, at - window_ms))

    return judge


async def remember(conn: WriteConnection, judged: Iterable[Verdict]) -> None:
    """Store the split-number tails these verdicts changed, in the caller's transaction — the
    one that archives and routes their message, so a crash keeps both or neither."""
    for verdict in judged:
        if verdict.memory is not None:
            await split_tails.save(
                conn, verdict.memory.rows, expired_before_ms=verdict.memory.expired_before_ms
            )


async def remembering(
    make_judge: Callable[[Config], Judge], store: Store, config: Config
) -> Callable[[Config], Judge]:
    """The daemon's judge factory with one memory for all its judges, loaded from ``store``.

    Tails older than the policy's split window are deleted, the rest loaded, so the second half
    of a number is caught after a restart too. Only :func:`judge_for` has a memory to share:
    any other factory (a test's fixed judge) is returned as it is.
    """
    if make_judge is not judge_for:
        return make_judge
    state = await load_memory(store, config.policy.split_window_seconds)
    return functools.partial(judge_for, state=state)


async def load_memory(
    store: Store, window_seconds: int, now: datetime | None = None
) -> PolicyState:
    """A memory holding the stored split-number tails still inside the window."""
    cutoff = _ms(now or datetime.now(UTC)) - window_seconds * 1000

    async def prune(conn: WriteConnection) -> int:
        return await split_tails.prune(conn, cutoff)

    await store.write(prune)
    state = PolicyState()
    for key, at, text in await split_tails.load(store.reader, since_ms=cutoff):
        try:
            tail = Tail.from_dict(datetime.fromtimestamp(at / 1000, UTC), json.loads(text))
        except (ValueError, TypeError, AttributeError):
            log.warning("a stored split-number tail could not be read; skipped")
            continue
        state.restore([(key, tail)])
    return state


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _encode(tail: Tail | None) -> str | None:
    return None if tail is None else json.dumps(tail.as_dict(), separators=(",", ":"))


def describe_test(config: Config, text: str, direction: Direction = Direction.OUTBOUND) -> str:
    """What the policy would do with ``text`` on the first link (or a stand-in one)."""
    link = config.links[0] if config.links else STAND_IN_LINK
    sender = UserRef(link.internal.network, "policy-test")
    message = Message(link.internal, sender, "policy-test", direction, text=text)
    context = EvaluationContext(now=datetime.now(UTC))
    return describe(evaluate(config.policy, message, Route(link, direction), context=context))


STAND_IN_LINK = Link(
    LinkId("test"),
    ChatRef(NetworkName("matrix"), "!test:localhost"),
    ChatRef(NetworkName("telegram"), "test"),
)
"""The link a policy test runs on when the config has none: rules scoped to links skip it."""


__all__ = [
    "ALLOW",
    "STAND_IN_LINK",
    "Action",
    "Judge",
    "Remembered",
    "Verdict",
    "describe_test",
    "fail_closed",
    "from_decision",
    "judge_for",
    "load_memory",
    "remember",
    "remembering",
]
