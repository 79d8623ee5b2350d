"""Rules and the engine: loading errors, precedence, scope, conditions, memory, fail-closed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.errors import PolicyError
from gateway.model import Attachment, Span, SpanKind
from gateway.policy import (
    Decision,
    EvaluationContext,
    PolicyState,
    default_policy,
    default_policy_table,
    describe,
    evaluate,
    load_policy,
)
from gateway.policy import engine as engine_module
from gateway.policy.redact import MASK
from tests.unit.policy.files import encrypted_zip
from tests.unit.policy.samples import (
    IN,
    INN_10,
    LINK,
    MIR,
    NOON,
    OUT,
    SNILS,
    VISA,
    grouped,
    message,
)

CARD_TEXT = f"карта {grouped(VISA, (4, 4, 4, 4))} до пятницы"


def rules(*raw: dict[str, Any], **top: Any) -> Any:
    return load_policy({"rules": list(raw), **top})


def decide(
    policy: Any,
    text: str = "",
    *,
    inbound: bool = False,
    now: datetime = NOON,
    state: PolicyState | None = None,
    unknown_contact: bool = False,
    **extra: Any,
) -> Decision:
    context = EvaluationContext(now=now, unknown_contact=unknown_contact, state=state)
    return evaluate(
        policy, message(text, inbound=inbound, **extra), IN if inbound else OUT, context=context
    )


# --- loading errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "key", "words"),
    [
        ({"name": "r", "action": "block", "kind": ["card"]}, "kind", ["unknown key", "kinds"]),
        ({"name": "r", "action": "block", "kinds": ["crad"]}, "kinds", ["'crad'", "'card'"]),
        ({"name": "r", "action": "block", "kinds": ["pasport_ru"]}, "kinds", ["'passport_ru'"]),
        ({"name": "r", "action": "deny"}, "action", ["'deny'", "block"]),
        ({"name": "r"}, "action", ["required"]),
        ({"name": "r", "action": "block", "hours": "9-18"}, "hours", ["09:00-18:00"]),
        ({"name": "r", "action": "block", "hours": "09:00-09:00"}, "hours", ["same"]),
        ({"name": "r", "action": "block", "rate": {"max": 5}}, "rate", ["per_seconds"]),
        (
            {"name": "r", "action": "block", "rate": {"max": 0, "per_seconds": 60}},
            "rate.max",
            ["between"],
        ),
        (
            {"name": "r", "action": "block", "rate": {"max": 5, "per_second": 60}},
            "rate.per_second",
            ["per_seconds"],
        ),
        ({"name": "r", "action": "block", "days": ["monday"]}, "days", ["'monday'"]),
        ({"name": "r", "action": "redact"}, "kinds", ["redact"]),
        (
            {"name": "r", "action": "allow", "override": "justification"},
            "override",
            ["hold or block"],
        ),
        (
            {"name": "r", "action": "block", "attachment_kinds": ["exe"]},
            "attachment_kinds",
            ["'exe'"],
        ),
        ({"name": "r", "action": "block", "direction": "out"}, "direction", ["'outbound'"]),
        ({"name": "r", "action": "block", "min_count": "2"}, "min_count", ["integer"]),
        ({"name": "r", "action": "block", "notice": "{sender} did it"}, "notice", ["{rule}"]),
    ],
)
def test_rule_errors_name_rule_key_and_reason(
    rule: dict[str, Any], key: str, words: list[str]
) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy({"rules": [rule]})
    err = caught.value
    assert err.rule == "r"
    assert err.key == key
    for word in words:
        assert word in str(err), str(err)


def test_unknown_rule_key_suggests_the_closest() -> None:
    with pytest.raises(PolicyError, match=r"did you mean 'priority'") as caught:
        load_policy({"rules": [{"name": "r", "action": "block", "priorty": 5}]})
    assert caught.value.key == "priorty"


def test_duplicate_rule_names() -> None:
    with pytest.raises(PolicyError, match="same name") as caught:
        rules({"name": "r", "action": "block"}, {"name": "r", "action": "hold"})
    assert caught.value.rule == "r"


@pytest.mark.parametrize(
    ("detector", "reason"),
    [
        ({"kind": "x", "regex": "(unclosed"}, "not a valid RE2 pattern"),
        ({"kind": "x", "regex": r"(?<=a)b"}, "not a valid RE2 pattern"),  # lookbehind
        ({"kind": "x", "regex": r"a(?!b)"}, "not a valid RE2 pattern"),  # lookahead
        ({"kind": "x", "regex": r"(a)\1"}, "not a valid RE2 pattern"),  # backreference
        ({"kind": "x", "keywords": ["a"], "regex": "b"}, "exactly one"),
        ({"kind": "card", "keywords": ["a"]}, "built-in"),
        ({"kind": "x", "keywords": []}, "keyword"),
        ({"kind": "x", "regex": "a", "confidence": 2}, "confidence"),
    ],
)
def test_detector_errors(detector: dict[str, Any], reason: str) -> None:
    with pytest.raises(PolicyError, match=reason) as caught:
        load_policy({"detectors": [detector]})
    assert caught.value.key is not None
    assert caught.value.key.startswith("detectors[0]")


def test_custom_kind_usable_in_rules_and_misspelling_suggested() -> None:
    table = {"detectors": [{"kind": "project", "keywords": ["Falcon"]}]}
    policy = load_policy(
        {**table, "rules": [{"name": "p", "action": "hold", "kinds": ["project"]}]}
    )
    assert decide(policy, "Project Falcon starts").action == "hold"
    with pytest.raises(PolicyError, match="'project'"):
        load_policy({**table, "rules": [{"name": "p", "action": "hold", "kinds": ["projekt"]}]})


def test_top_level_errors() -> None:
    with pytest.raises(PolicyError, match="did you mean 'rules'"):
        load_policy({"rule": []})
    with pytest.raises(PolicyError, match="utc_offset"):
        load_policy({"utc_offset": "MSK"})
    with pytest.raises(PolicyError, match="split_window_seconds"):
        load_policy({"split_window_seconds": -1})


# --- precedence, recording, simulate, override -------------------------------------------------

ALL_ACTIONS = [
    {"name": f"r-{action}", "action": action, "kinds": ["card"], "priority": priority}
    for priority, action in enumerate(["block", "hold", "redact", "notify", "allow"])
]


@pytest.mark.parametrize("drop", range(5))
def test_most_restrictive_action_wins_and_every_match_is_recorded(drop: int) -> None:
    chosen = ALL_ACTIONS[drop:]
    decision = decide(rules(*chosen), CARD_TEXT)
    assert decision.action == chosen[0]["action"]
    assert decision.rule == chosen[0]["name"]
    assert sorted(m.rule for m in decision.matches) == sorted(r["name"] for r in chosen)
    assert decision.notify_admins == any(r["action"] == "notify" for r in chosen)


def test_rules_that_do_not_match_are_not_recorded() -> None:
    policy = rules(
        {"name": "cards", "action": "block", "kinds": ["card"]},
        {"name": "inns", "action": "hold", "kinds": ["inn"]},
    )
    decision = decide(policy, f"ИНН {INN_10}")
    assert decision.action == "hold"
    assert [m.rule for m in decision.matches] == ["inns"]
    assert decide(policy, "hello").action == "allow"
    assert decide(policy, "hello").matches == ()


def test_simulate_records_without_acting() -> None:
    policy = rules(
        {"name": "try-block", "action": "block", "kinds": ["card"], "mode": "simulate"},
        {"name": "notify", "action": "notify", "kinds": ["card"]},
    )
    decision = decide(policy, CARD_TEXT)
    assert decision.action == "notify"
    assert decision.notice is None
    simulated = {m.rule: m.simulated for m in decision.matches}
    assert simulated == {"try-block": True, "notify": False}
    only_simulated = rules(
        {"name": "try", "action": "block", "kinds": ["card"], "mode": "simulate"}
    )
    decision = decide(only_simulated, CARD_TEXT)
    assert decision.action == "allow"
    assert decision.matches[0].action == "block"
    assert "simulate" in describe(decision)


def test_override_needs_every_blocking_rule_to_allow_it() -> None:
    lenient = {"name": "hold-inn", "action": "hold", "kinds": ["inn"], "override": "justification"}
    strict = {"name": "block-card", "action": "block", "kinds": ["card"]}
    decision = decide(rules(lenient), f"ИНН {INN_10}")
    assert decision.override_allowed
    assert "justification" in (decision.notice or "")
    decision = decide(rules(lenient, strict), f"ИНН {INN_10}, {CARD_TEXT}")
    assert decision.action == "block"
    assert not decision.override_allowed
    assert decide(rules(strict), CARD_TEXT).override_allowed is False


# --- scope ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "outbound", "inbound"),
    [
        ({"direction": "outbound"}, "block", "allow"),
        ({"direction": "inbound"}, "allow", "block"),
        ({"direction": "any"}, "block", "block"),
        ({"networks": ["telegram"]}, "block", "block"),
        ({"networks": ["whatsapp"]}, "allow", "allow"),
        ({"links": [LINK.id]}, "block", "block"),
        ({"links": ["other"]}, "allow", "allow"),
        ({"senders": ["@ivan:corp"]}, "block", "allow"),
        ({"senders": ["42"]}, "allow", "block"),
        ({"contacts": ["-1001"]}, "block", "block"),
        ({"contacts": ["42"]}, "allow", "block"),  # inbound: the sender is the contact too
        ({"except_contacts": ["-1001"]}, "allow", "allow"),
        ({"except_contacts": ["42"]}, "block", "allow"),
    ],
)
def test_scope(scope: dict[str, Any], outbound: str, inbound: str) -> None:
    policy = rules({"name": "r", "action": "block", "kinds": ["card"], **scope})
    assert decide(policy, CARD_TEXT).action == outbound
    assert decide(policy, CARD_TEXT, inbound=True).action == inbound


def test_unknown_contact() -> None:
    policy = rules(
        {"name": "new", "action": "hold", "unknown_contact": True, "direction": "inbound"}
    )
    assert decide(policy, "hi", inbound=True, unknown_contact=True).action == "hold"
    assert decide(policy, "hi", inbound=True, unknown_contact=False).action == "allow"
    known_only = rules({"name": "known", "action": "notify", "unknown_contact": False})
    assert decide(known_only, "hi", unknown_contact=False).action == "notify"
    assert decide(known_only, "hi", unknown_contact=True).action == "allow"


def test_min_count_counts_kinds_together() -> None:
    policy = rules({"name": "bulk", "action": "hold", "kinds": ["phone", "email"], "min_count": 3})
    assert decide(policy, "a@example.com, b@example.com").action == "allow"
    assert decide(policy, "a@example.com, b@example.com, +7 916 123-45-67").action == "hold"


# --- time windows and rates ------------------------------------------------------------------


def at(hour: int, minute: int = 0, day: int = 11) -> datetime:
    """2026-03-``day`` (11th: Wednesday) at ``hour`` Moscow time (UTC+3)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


@pytest.mark.parametrize(
    ("hours", "moscow_hour", "inside"),
    [
        ("09:00-18:00", 9, True),
        ("09:00-18:00", 17, True),
        ("09:00-18:00", 18, False),
        ("09:00-18:00", 8, False),
        ("22:00-06:00", 23, True),  # overnight
        ("22:00-06:00", 3, True),
        ("22:00-06:00", 6, False),
        ("22:00-06:00", 12, False),
    ],
)
def test_hours_in_the_policy_offset(hours: str, moscow_hour: int, inside: bool) -> None:
    policy = load_policy(
        {"utc_offset": "+03:00", "rules": [{"name": "night", "action": "hold", "hours": hours}]}
    )
    assert (decide(policy, "hi", now=at(moscow_hour)).action == "hold") is inside


def test_days() -> None:
    policy = rules({"name": "weekend", "action": "hold", "days": ["sat", "sun"]})
    assert decide(policy, "hi", now=at(12, day=11)).action == "allow"  # Wednesday
    assert decide(policy, "hi", now=at(12, day=14)).action == "hold"  # Saturday
    assert decide(policy, "hi", now=at(12, day=15)).action == "hold"  # Sunday


def test_naive_now_is_utc() -> None:
    policy = rules({"name": "night", "action": "hold", "hours": "00:00-01:00"})
    assert decide(policy, "hi", now=datetime(2026, 3, 11, 0, 30)).action == "hold"


def test_rate_per_sender() -> None:
    policy = rules({"name": "flood", "action": "hold", "rate": {"max": 3, "per_seconds": 60}})
    state = PolicyState()
    actions = [
        decide(policy, "hi", now=NOON + timedelta(seconds=i), state=state).action for i in range(5)
    ]
    assert actions == ["allow", "allow", "allow", "hold", "hold"]
    later = NOON + timedelta(seconds=200)
    assert decide(policy, "hi", now=later, state=state).action == "allow"
    # another sender has their own count
    assert (
        decide(policy, "hi", inbound=True, now=NOON + timedelta(seconds=6), state=state).action
        == "allow"
    )
    # without memory a rate rule cannot match
    assert decide(policy, "hi", now=NOON).action == "allow"


# --- split numbers -------------------------------------------------------------------------


def test_number_split_across_two_messages() -> None:
    policy = rules({"name": "cards", "action": "block", "kinds": ["card"]})
    state = PolicyState()
    first = decide(policy, f"карта {MIR[:4]} {MIR[4:8]}", state=state)
    assert first.action == "allow"
    second = decide(
        policy, f"{MIR[8:12]} {MIR[12:]}", state=state, now=NOON + timedelta(seconds=30)
    )
    assert second.action == "block"
    assert [f.where for f in second.findings] == ["split"]


def test_split_number_outside_the_window_is_not_joined() -> None:
    policy = rules({"name": "cards", "action": "block", "kinds": ["card"]}, split_window_seconds=60)
    state = PolicyState()
    decide(policy, f"карта {MIR[:4]} {MIR[4:8]}", state=state)
    late = decide(policy, f"{MIR[8:12]} {MIR[12:]}", state=state, now=NOON + timedelta(seconds=61))
    assert late.action == "allow"


def test_split_number_sent_four_digits_at_a_time() -> None:
    policy = rules({"name": "cards", "action": "block", "kinds": ["card"]})
    state = PolicyState()
    actions = [
        decide(policy, MIR[i : i + 4], state=state, now=NOON + timedelta(seconds=i)).action
        for i in range(0, 16, 4)
    ]
    assert actions == ["allow", "allow", "allow", "block"]


def test_split_memory_is_per_sender() -> None:
    policy = rules({"name": "cards", "action": "block", "kinds": ["card"]})
    state = PolicyState()
    decide(policy, f"карта {MIR[:8]}", state=state)
    other = decide(policy, MIR[8:], inbound=True, state=state)
    assert other.action == "allow"


# --- fail closed ---------------------------------------------------------------------------


def test_a_detector_that_raises_holds_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> list[object]:
        raise RuntimeError("detector bug")

    monkeypatch.setattr(engine_module, "scan_normalized", broken)
    decision = decide(
        rules({"name": "allow-all", "action": "allow"}), "совершенно безобидный текст"
    )
    assert decision.action == "hold"
    assert decision.error is not None
    assert "detector bug" in decision.error
    assert decision.notice
    json.dumps(decision.as_dict())


def test_a_broken_attachment_parser_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    from gateway.policy import attachments

    def broken(_data: bytes) -> str:
        raise MemoryError("parser blew up")

    monkeypatch.setattr(attachments, "decode_text", broken)
    att = Attachment("notes.txt", "text/plain", 5, b"hello")
    decision = decide(default_policy(), "see file", attachments=(att,))
    assert decision.action == "hold"


# --- redaction -----------------------------------------------------------------------------


def test_mask_keeps_length_and_spans() -> None:
    policy = rules({"name": "mask", "action": "redact", "kinds": ["card"], "redact": "mask"})
    text = f"pay {VISA} **now**"
    bold = Span(text.index("now"), 3, SpanKind.BOLD)
    decision = decide(policy, text, spans=(bold,))
    assert decision.action == "redact"
    assert decision.text == f"pay {MASK * 16} **now**"
    assert decision.spans == (bold,)
    assert decision.notice
    assert "card" in decision.notice


def test_label_moves_spans() -> None:
    policy = rules(
        {"name": "label", "action": "redact", "kinds": ["card", "email"], "redact": "label"}
    )
    text = f"card {grouped(VISA, (4, 4, 4, 4))} and mail ivan@example.ru please"
    after = Span(text.index("please"), 6, SpanKind.ITALIC)
    around = Span(0, len(text), SpanKind.BOLD)
    inside = Span(text.index("1111"), 4, SpanKind.CODE)
    decision = decide(policy, text, spans=(after, around, inside))
    assert decision.text == "card [card number] and mail [e-mail] please"
    assert decision.spans is not None
    by_kind = {s.kind: s for s in decision.spans}
    new = decision.text
    italic = by_kind[SpanKind.ITALIC]
    assert new[italic.offset : italic.offset + italic.length] == "please"
    assert by_kind[SpanKind.BOLD].offset == 0
    assert by_kind[SpanKind.BOLD].length == len(new)
    code = by_kind[SpanKind.CODE]
    assert new[code.offset : code.offset + code.length] in "[card number]"


def test_mask_of_a_disguised_number_uses_original_offsets() -> None:
    policy = rules({"name": "mask", "action": "redact", "kinds": ["snils"]})
    text = "СНИЛС 112\u200b-233-445 95."
    decision = decide(policy, text)
    assert decision.text == f"СНИЛС {MASK * 3}-{MASK * 3}-{MASK * 3} {MASK * 2}."


# --- notices -------------------------------------------------------------------------------


def test_notices_in_english_and_russian_and_custom() -> None:
    en = decide(rules({"name": "cards", "action": "block", "kinds": ["card"]}), CARD_TEXT)
    assert en.notice is not None
    assert "cards" in en.notice
    assert "card number" in en.notice
    assert "not sent" in en.notice
    ru = decide(
        rules({"name": "карты", "action": "block", "kinds": ["card"], "language": "ru"}), CARD_TEXT
    )
    assert ru.notice is not None
    assert "карты" in ru.notice
    assert "номер карты" in ru.notice
    assert "не отправлено" in ru.notice
    policy_ru = load_policy(
        {"language": "ru", "rules": [{"name": "h", "action": "hold", "kinds": ["inn"]}]}
    )
    held = decide(policy_ru, f"ИНН {INN_10}")
    assert held.notice is not None
    assert "ИНН" in held.notice
    assert "одобрения" in held.notice
    custom = rules(
        {"name": "c", "action": "block", "kinds": ["card"], "notice": "Нельзя: {rule} ({reason})"}
    )
    assert decide(custom, CARD_TEXT).notice == "Нельзя: c (card number ×1)"


# --- the decision as audit data --------------------------------------------------------------


def test_as_dict_is_json_and_holds_no_content() -> None:
    text = f"ИНН {INN_10}, карта {VISA}, СНИЛС {SNILS}, секретное слово абракадабра"
    policy = default_policy()
    decision = decide(policy, text)
    data = decision.as_dict()
    dumped = json.dumps(data, ensure_ascii=False)
    assert json.loads(dumped) == data
    for secret in (INN_10, VISA, SNILS, "абракадабра", VISA[-4:]):
        assert secret not in dumped
    assert data["kinds"] == {"card": 1, "inn": 1, "snils": 1}
    assert data["action"] == "block"


# --- the shipped default ---------------------------------------------------------------------

PDF_AS_EXE = Attachment("invoice.pdf", "application/pdf", 64, b"MZ\x90\x00" + b"\x00" * 60)


@pytest.mark.parametrize(
    ("text", "inbound", "extra", "action", "rule"),
    [
        (CARD_TEXT, False, {}, "block", "no-cards-secrets-markings-out"),
        ("ключ AKIAIOSFODNN7EXAMPLE", False, {}, "block", "no-cards-secrets-markings-out"),
        ("КОММЕРЧЕСКАЯ ТАЙНА: план", False, {}, "block", "no-cards-secrets-markings-out"),
        ("Паспорт серия 4509 номер 123456", False, {}, "hold", "personal-data-needs-approval"),
        (f"ИНН {INN_10}", False, {}, "hold", "personal-data-needs-approval"),
        (f"СНИЛС {SNILS}", False, {}, "hold", "personal-data-needs-approval"),
        (
            "р/с 40702810938000012345 БИК 044525225",
            False,
            {},
            "hold",
            "personal-data-needs-approval",
        ),
        (CARD_TEXT, True, {}, "allow", None),  # inbound card: delivered to staff
        ("звоните +7 916 123-45-67, ivan@example.ru", False, {}, "allow", None),
        ("обычное сообщение", False, {}, "allow", None),
        ("", True, {"attachments": (PDF_AS_EXE,)}, "block", None),
        (
            "",
            True,
            {"attachments": (Attachment("run.sh", None, 10, b"#!/bin/sh\nrm -rf /\n"),)},
            "block",
            "no-executables-in",
        ),
    ],
)
def test_default_policy(
    text: str, inbound: bool, extra: dict[str, Any], action: str, rule: str | None
) -> None:
    decision = decide(default_policy(), text, inbound=inbound, **extra)
    assert decision.action == action, describe(decision)
    if rule:
        assert decision.rule == rule


def test_default_policy_records_phones_and_emails() -> None:
    decision = decide(default_policy(), "звоните +7 916 123-45-67, ivan@example.ru")
    assert decision.action == "allow"
    assert {f.kind for f in decision.findings} == {"phone", "email"}
    assert [m.rule for m in decision.matches] == ["contacts-recorded"]


def test_default_policy_holds_unknown_contacts_and_unscannable_files() -> None:
    held = decide(default_policy(), "здравствуйте", inbound=True, unknown_contact=True)
    assert (held.action, held.rule) == ("hold", "unknown-contacts-held")
    not_downloaded = Attachment("report.docx", None, 10_000, None)
    decision = decide(default_policy(), "отчёт", attachments=(not_downloaded,))
    assert (decision.action, decision.rule) == ("hold", "unscannable-files-held")
    locked = Attachment("salaries.zip", "application/zip", 200, encrypted_zip())
    decision = decide(default_policy(), "отчёт", attachments=(locked,))
    assert (decision.action, decision.rule) == ("hold", "unscannable-files-held")
    # a .docx that is not even a readable zip: unscannable, and its name claims what the
    # bytes do not show, so the stricter disguised-file rule decides
    corrupt = Attachment("report.docx", None, 20, b"PK\x03\x04 this is not a zip")
    decision = decide(default_policy(), "отчёт", attachments=(corrupt,))
    assert {"unscannable-files-held", "disguised-files-blocked"} <= {
        m.rule for m in decision.matches
    }


def test_default_policy_blocks_disguised_files_both_ways() -> None:
    for inbound in (False, True):
        decision = decide(default_policy(), "счёт", inbound=inbound, attachments=(PDF_AS_EXE,))
        assert decision.action == "block"
        assert "disguised-files-blocked" in [m.rule for m in decision.matches]


def test_default_policy_matches_its_toml() -> None:
    table = default_policy_table()
    assert [r["name"] for r in table["rules"]] == [r.name for r in default_policy().rules]


# --- confidence levels -----------------------------------------------------------------------


def test_redaction_masks_only_findings_at_the_rules_level() -> None:
    """ts=1743231948 passes INN's check but is low; the INN after its word is high."""
    text = f"ts=1743231948, ИНН {INN_10}"
    policy = rules({"name": "mask", "kinds": ["inn"], "action": "redact"})
    decision = decide(policy, text)
    assert decision.action == "redact"
    assert decision.text == f"ts=1743231948, ИНН {MASK * 10}"
    everything = rules(
        {"name": "mask", "kinds": ["inn"], "min_confidence": "low", "action": "redact"}
    )
    assert decide(everything, text).text == f"ts={MASK * 10}, ИНН {MASK * 10}"


def test_min_count_counts_only_findings_at_the_level() -> None:
    policy = rules({"name": "two", "kinds": ["inn"], "min_count": 2, "action": "hold"})
    assert decide(policy, f"ts=1743231948, ИНН {INN_10}").action == "allow"
    assert decide(policy, f"ИНН {INN_10}, ИНН 500100732259").action == "hold"
    reason = decide(policy, f"ИНН {INN_10}, ИНН 500100732259, ts=1743231948").reason
    assert reason == "INN ×2"
