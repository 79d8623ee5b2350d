"""evaluate(): precedence, simulate, override, scope, stateful conditions, fail-closed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from gateway.model import Direction, Span, SpanKind
from gateway.policy import PolicyState, default_policy, describe, evaluate, load_policy
from gateway.policy.rules import PolicySet
from tests.unit.policy.helpers import NOON, attachment, context, message, route

CARD = "4111 1111 1111 1111"


def policy(*rules: dict[str, Any], **top: Any) -> PolicySet:
    return load_policy({"rules": list(rules), **top})


def decide(p: PolicySet, text: str, **kw: Any) -> Any:
    direction = kw.pop("direction", Direction.OUTBOUND)
    ctx = kw.pop("ctx", None) or context()
    return evaluate(p, message(text, direction=direction, **kw), route(direction), context=ctx)


def test_most_restrictive_wins_and_every_match_is_recorded() -> None:
    p = policy(
        {"name": "log-cards", "kinds": ["card"], "action": "allow", "priority": 100},
        {"name": "redact-cards", "kinds": ["card"], "action": "redact"},
        {"name": "hold-cards", "kinds": ["card"], "action": "hold", "priority": -5},
        {"name": "tell-admins", "kinds": ["card"], "action": "notify"},
        {"name": "phones", "kinds": ["phone"], "action": "block"},
    )
    decision = decide(p, f"card {CARD}")
    assert decision.action == "hold"
    assert decision.rule == "hold-cards"
    assert [m.rule for m in decision.matches] == [
        "log-cards",
        "redact-cards",
        "tell-admins",
        "hold-cards",
    ]
    assert decision.notify_admins
    assert decision.text is None  # held, not redacted


@pytest.mark.parametrize(
    ("actions", "winner"),
    [
        (["allow", "notify"], "notify"),
        (["notify", "redact"], "redact"),
        (["redact", "hold"], "hold"),
        (["hold", "block"], "block"),
        (["block", "allow"], "block"),
    ],
)
def test_precedence(actions: list[str], winner: str) -> None:
    rules = [{"name": a, "kinds": ["card"], "action": a} for a in actions]
    assert decide(policy(*rules), f"card {CARD}").action == winner


def test_equal_severity_goes_to_higher_priority() -> None:
    p = policy(
        {"name": "low", "kinds": ["card"], "action": "block", "priority": 1},
        {"name": "high", "kinds": ["card"], "action": "block", "priority": 9},
    )
    assert decide(p, CARD).rule == "high"


def test_simulate_records_without_acting() -> None:
    p = policy({"name": "trial", "kinds": ["card"], "action": "block", "mode": "simulate"})
    decision = decide(p, f"card {CARD}")
    assert decision.action == "allow"
    (match,) = decision.matches
    assert match.simulated
    assert match.action == "block"
    assert decision.as_dict()["matches"][0]["simulated"] is True
    assert "simulate" in describe(decision)


def test_redact_masks_and_moves_spans() -> None:
    p = policy({"name": "mask", "kinds": ["card", "email"], "action": "redact", "redact": "label"})
    text = f"card {CARD} to a@b.ru ok"
    spans = (Span(5, 19, SpanKind.BOLD), Span(35, 2, SpanKind.ITALIC))
    decision = decide(p, text, spans=spans)
    assert decision.action == "redact"
    assert decision.text == "card [card number] to [e-mail] ok"
    assert [decision.text[s.offset : s.end] for s in decision.spans] == ["[card number]", "ok"]
    assert "hidden" in decision.notice


def test_redact_of_data_in_an_attachment_holds() -> None:
    p = policy({"name": "mask", "kinds": ["card"], "action": "redact"})
    file = attachment("cards.txt", f"card {CARD}".encode())
    decision = decide(p, "see file", attachments=(file,))
    assert decision.action == "hold"
    assert "cannot be masked" in decision.reason


def test_override_only_when_every_blocking_rule_allows_it() -> None:
    lenient = {"name": "hold-inn", "kinds": ["inn"], "action": "hold", "override": "justification"}
    strict = {"name": "block-cards", "kinds": ["card"], "action": "block"}
    assert decide(policy(lenient, strict), "ИНН 7707083893").override_allowed
    both = decide(policy(lenient, strict), f"ИНН 7707083893, {CARD}")
    assert both.action == "block"
    assert not both.override_allowed
    assert "justification" in decide(policy(lenient), "ИНН 7707083893").notice


def test_notice_names_rule_and_reason_in_the_rules_language() -> None:
    en = decide(policy({"name": "cards", "kinds": ["card"], "action": "block"}), CARD)
    assert en.notice == "Your message was not sent: rule “cards” found card number ×1."
    ru = decide(
        policy({"name": "карты", "kinds": ["card"], "action": "block", "language": "ru"}), CARD
    )
    assert ru.notice == "Сообщение не отправлено: правило «карты» обнаружило номер карты ×1."
    custom = decide(
        policy(
            {"name": "c", "kinds": ["card"], "action": "block", "notice": "No: {rule} ({reason})"}
        ),
        CARD,
    )
    assert custom.notice == "No: c (card number ×1)"


def test_min_count_counts_the_listed_kinds_together() -> None:
    p = policy({"name": "bulk", "kinds": ["phone", "email"], "min_count": 3, "action": "hold"})
    assert decide(p, "a@b.ru, +7 916 123-45-67").action == "allow"
    assert decide(p, "a@b.ru, c@d.ru, +7 916 123-45-67").action == "hold"


def test_scope() -> None:
    base = {"name": "r", "kinds": ["card"], "action": "block"}
    assert decide(policy({**base, "direction": "inbound"}), CARD).action == "allow"
    assert (
        decide(policy({**base, "direction": "inbound"}), CARD, direction=Direction.INBOUND).action
        == "block"
    )
    assert decide(policy({**base, "networks": ["whatsapp"]}), CARD).action == "allow"
    assert decide(policy({**base, "networks": ["telegram"]}), CARD).action == "block"
    assert decide(policy({**base, "links": ["other"]}), CARD).action == "allow"
    assert decide(policy({**base, "senders": ["@boss:corp"]}), CARD).action == "allow"
    assert (
        decide(policy({**base, "senders": ["@boss:corp"]}), CARD, sender="@boss:corp").action
        == "block"
    )
    assert decide(policy({**base, "contacts": ["tg-acme"]}), CARD).action == "block"
    assert decide(policy({**base, "except_contacts": ["tg-acme"]}), CARD).action == "allow"


def test_unknown_contact() -> None:
    p = default_policy()
    inbound = {"direction": Direction.INBOUND}
    assert decide(p, "hello", ctx=context(unknown=True), **inbound).rule == "unknown-contacts-held"
    assert decide(p, "hello", ctx=context(unknown=False), **inbound).action == "allow"


def test_hours_and_days_in_the_policy_offset() -> None:
    # NOON is 09:00 UTC = 12:00 at +03:00, a Wednesday
    night = {"name": "night", "kinds": ["card"], "action": "block", "hours": "22:00-06:00"}
    p = policy(night, utc_offset="+03:00")
    assert decide(p, CARD).action == "allow"
    assert decide(p, CARD, ctx=context(NOON + timedelta(hours=11))).action == "block"  # 23:00
    weekend = policy({"name": "wk", "kinds": ["card"], "action": "block", "days": ["sat", "sun"]})
    assert decide(weekend, CARD).action == "allow"
    assert decide(weekend, CARD, ctx=context(NOON + timedelta(days=3))).action == "block"


def test_rate_per_sender() -> None:
    p = policy({"name": "flood", "action": "hold", "rate": {"max": 3, "per_seconds": 60}})
    state = PolicyState()
    actions = [
        decide(p, f"msg {i}", ctx=context(NOON + timedelta(seconds=i), state=state)).action
        for i in range(5)
    ]
    assert actions == ["allow", "allow", "allow", "hold", "hold"]
    later = context(NOON + timedelta(seconds=200), state=state)
    assert decide(p, "calm again", ctx=later).action == "allow"
    other = decide(
        p,
        "another sender",
        sender="@bob:corp",
        ctx=context(NOON + timedelta(seconds=6), state=state),
    )
    assert other.action == "allow"


def test_rate_without_state_never_matches() -> None:
    p = policy({"name": "flood", "action": "hold", "rate": {"max": 1, "per_seconds": 60}})
    assert [decide(p, "x").action for _ in range(3)] == ["allow"] * 3


@pytest.mark.parametrize(
    "parts",
    [
        ["карта 2200 0000", "0000 0004"],
        ["4111 1111", "1111", "1111 1111"],
        ["4111", "1111", "1111", "1111"],
    ],
)
def test_number_split_across_messages(parts: list[str]) -> None:
    state = PolicyState()
    p = default_policy()
    decisions = [
        decide(p, part, ctx=context(NOON + timedelta(seconds=i), state=state))
        for i, part in enumerate(parts)
    ]
    assert [d.action for d in decisions[:-1]] == ["allow"] * (len(parts) - 1)
    last = decisions[-1]
    assert last.action == "block"
    assert any(f.where == "split" and f.kind == "card" for f in last.findings)


def test_split_window_expires_and_is_per_sender() -> None:
    p = default_policy()
    state = PolicyState()
    decide(p, "4111 1111", ctx=context(state=state))
    late = context(NOON + timedelta(seconds=p.split_window_seconds + 1), state=state)
    assert decide(p, "1111 1111", ctx=late).action == "allow"
    decide(p, "4111 1111", ctx=context(state=state))
    assert decide(p, "1111 1111", sender="@bob:corp", ctx=context(state=state)).action == "allow"


def test_fail_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.policy import engine

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("detector exploded")

    monkeypatch.setattr(engine, "scan_normalized", broken)
    decision = decide(default_policy(), "anything")
    assert decision.action == "hold"
    assert decision.rule == "policy-error"
    assert "RuntimeError: detector exploded" in decision.reason
    assert decision.as_dict()["error"] == decision.error


def test_attachment_rules() -> None:
    p = default_policy()
    exe = attachment("invoice.pdf", b"MZ\x90\x00" + bytes(200))
    assert decide(p, "see attached", attachments=(exe,)).rule == "disguised-files-blocked"
    script = attachment("setup.sh", b"#!/bin/sh\nrm -rf /\n")
    inbound = decide(p, "run this", attachments=(script,), direction=Direction.INBOUND)
    assert inbound.action == "block"
    assert inbound.rule == "no-executables-in"
    missing = attachment("big.bin", None)
    assert decide(p, "file", attachments=(missing,)).rule == "unscannable-files-held"
    secret_file = attachment("notes.txt", "Коммерческая тайна".encode())
    blocked = decide(p, "notes", attachments=(secret_file,))
    assert blocked.action == "block"
    assert blocked.findings[0].where == "attachment:0"


def test_decision_is_plain_json_without_content() -> None:
    decision = decide(default_policy(), f"card {CARD}, mail a@b.ru")
    data = decision.as_dict()
    encoded = json.dumps(data, ensure_ascii=False)
    assert "4111" not in encoded
    assert "a@b.ru" not in encoded
    assert data["action"] == "block"
    assert data["kinds"] == {"card": 1, "email": 1}
    assert {m["rule"] for m in data["matches"]} == {
        "no-cards-secrets-markings-out",
        "contacts-recorded",
    }


def test_evaluate_is_deterministic_without_state() -> None:
    p = default_policy()
    assert decide(p, f"ИНН 7707083893 {CARD}") == decide(p, f"ИНН 7707083893 {CARD}")


def test_attachment_findings_name_the_attachment_by_its_position() -> None:
    files = (attachment("later.bin", None), attachment("cards.txt", f"card {CARD}".encode()))
    decision = decide(default_policy(), "two files", attachments=files)
    assert [f.where for f in decision.findings] == ["attachment:1"]


def test_naive_and_aware_times_share_one_memory() -> None:
    p = policy({"name": "flood", "action": "hold", "rate": {"max": 1, "per_seconds": 60}})
    state = PolicyState()
    naive = NOON.replace(tzinfo=None)
    assert decide(p, "a", ctx=context(NOON, state=state)).action == "allow"
    second = decide(p, "b", ctx=context(naive + timedelta(seconds=1), state=state))
    assert second.action == "hold"
    assert second.error is None
