"""Confidence levels: a checksum alone is low, a kind word makes it high, machine context low.

The point of the levels: a Unix timestamp, a tracking number or a build id that happens to pass
INN's one-in-eleven check digit must not hold a message, while "ИНН 7707083893" must.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from gateway.policy import default_policy, describe, evaluate, load_policy, scan
from gateway.policy.confidence import CUE_WORDS, KIND_WORDS, NUMERIC, SUPPORT_WORDS
from gateway.policy.findings import LEVEL_FLOOR, LEVELS, Finding
from tests.unit.policy.helpers import context
from tests.unit.policy.samples import INN_10, INN_12, MIR, OGRN, OUT, SNILS, VISA, message

TS = "1743231948"
"""A Unix timestamp (2025-03-29) whose digits pass INN-10's check."""


def levels(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.level) for f in scan(text)]


def decide(text: str, policy: Any = None) -> Any:
    policy = policy if policy is not None else default_policy()
    return evaluate(policy, message(text), OUT, context=context())


def test_the_timestamp_is_a_valid_inn() -> None:
    assert levels(TS) == [("inn", "low")]


@pytest.mark.parametrize(
    "text",
    [
        f"ts={TS}",
        f"ts: {TS}",
        f"timestamp: {TS}",
        f"unix time {TS}",
        f"{TS} unix",
        f"трек-номер {INN_12}",
        f"tracking number {INN_12}",
        f"build {TS} passed",
        f"сборка {TS} упала",
        f"тикет {TS}",
        f"заявка № {TS}",
        f"call id {TS}",
        f"request id: {TS}",
        f"https://tracker.example.com/issues/{TS}",
        f"see https://example.com/api?ts={TS}&x=1",
        f'{{"build": {TS}}}',
        f"commit a3f9c2e1 {TS}",
        f"Реквизиты: ООО Ромашка, трек {INN_12}",  # the cue is nearer than the support
        f"ИНН клиента в тикете {TS}",  # the ticket is nearer than the INN word
    ],
)
def test_machine_context_makes_a_number_low(text: str) -> None:
    """(Some the detectors already drop, "call id" for one; none may come out above low.)"""
    assert {level for _, level in levels(text)} <= {"low"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"ИНН {INN_10}", "inn"),
        (f"инн: {INN_12}", "inn"),
        (f"taxpayer id {INN_10}", "inn"),
        (f"{INN_10} — это наш ИНН", "inn"),
        (f"И.Н.Н. {INN_10}", "inn"),
        (f"ИHН {INN_10}", "inn"),  # a Latin H
        (f"в тикете ИНН {TS}", "inn"),  # the INN word is nearer than the ticket
        (f"ИНН/ОГРН: {INN_10} / {OGRN}", "ogrn"),  # a finding between does not cut the word off
        (f"ОГРН {OGRN}", "ogrn"),
        (f"СНИЛС {SNILS}", "snils"),
        (f"карта {VISA}", "card"),
        (f"оплата на {MIR}", "card"),
        (f"https://pay.example/checkout?pan={VISA}", "card"),
        (f"inn={INN_10}", "inn"),
        ("паспорт серия 4509 номер 123456", "passport_ru"),
        ("р/с 40702810938000012345 БИК 044525225", "bank_account_ru"),
        ("IBAN DE89370400440532013000", "iban"),
        ("звоните +7 916 123-45-67", "phone"),
    ],
)
def test_a_kind_word_makes_it_high(text: str, kind: str) -> None:
    assert (kind, "high") in levels(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"Реквизиты: ООО Ромашка, {INN_10}", "inn"),
        (f"{INN_10}/770701001", "inn"),  # INN/KPP
        (f"ИП Сидоров, {INN_12}", "inn"),
        ("112-233-445 95", "snils"),
        ("77О7О83893", "inn"),  # look-alike letters: nobody disguises a timestamp
        (VISA, "card"),  # issuer prefix, length and Luhn: medium on their own, as in Purview
        (f"{VISA}.txt", "card"),
        ("4111 1111 1111 1111", "card"),
        ("DE89370400440532013000", "iban"),
        ("8 916 123-45-67", "phone"),
        ("серия 4509 123456", "passport_ru"),
    ],
)
def test_support_or_structure_makes_it_medium(text: str, kind: str) -> None:
    assert (kind, "medium") in levels(text)


@pytest.mark.parametrize(
    "text",
    [f"transaction {VISA}", f"сессия {MIR}", f"номер ticket {INN_10}", f"{INN_10}", f"{OGRN}"],
)
def test_low(text: str) -> None:
    assert {level for _, level in levels(text)} == {"low"}


def test_a_short_cue_does_not_let_a_card_out() -> None:
    """A card number in a URL, a MIME parameter, a file name or next to hex stays acted on."""
    for text in (f"https://x.example/p/{VISA}", f"name={VISA}", f"a3f9c2e1 ok {VISA}"):
        assert levels(text) == [("card", "medium")], text


def test_levels_survive_the_way_back_to_the_original_text() -> None:
    hidden = "\u200b".join(INN_10)
    (finding,) = scan(f"ts={hidden}")
    assert finding.level == "low"
    (finding,) = scan(f"ИНН {hidden}")
    assert finding.level == "high"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Реквизиты: ООО «Вектор», 3843217789/604301001", ("inn", "medium")),  # not a phone
        ("Стpaхoвoй нoмep 847-502-819 24", ("snils", "high")),  # Latin p, a, o, e: not a phone
        ("ИНН 7 92874227647", ("inn", "high")),  # not the SNILS inside it
    ],
)
def test_levels_decide_overlaps(text: str, expected: tuple[str, str]) -> None:
    """Levels are given before overlapping readings are resolved: the surer one is kept."""
    assert levels(text) == [expected]


def test_an_encoded_number_keeps_the_level_of_its_decoded_text() -> None:
    """Base64 is no place for words: the level comes from the decoded text."""
    for raw, level in ((f"ИНН {INN_10}", "high"), (f"ts={TS}", "low")):
        encoded = base64.b64encode(raw.encode()).decode()
        assert levels(f"смотри {encoded} ок") == [("inn", level)], raw


def test_other_kinds_keep_their_detectors_level() -> None:
    found = {f.kind: f.level for f in scan("пишите ivan@example.ru, КОММЕРЧЕСКАЯ ТАЙНА")}
    assert found == {"email": "high", "marking": "high"}
    assert levels("ключ AKIAIOSFODNN7EXAMPLE") == [("secret", "high")]
    assert levels("password = Xk9#mQ2vLp7w") == [("secret", "medium")]


def test_level_bands() -> None:
    for confidence, level in [(0.0, "low"), (0.49, "low"), (0.5, "medium"), (0.89, "medium")]:
        assert Finding("inn", 0, 1, confidence).level == level
    assert Finding("inn", 0, 1, 0.9).level == "high"
    for level in LEVELS:
        assert Finding("x", 0, 1, LEVEL_FLOOR[level]).level == level


def test_as_dict_records_the_level() -> None:
    data = decide(f"ИНН {INN_10}, ts={TS}").as_dict()
    assert json.loads(json.dumps(data)) == data
    assert [(f["kind"], f["level"]) for f in data["findings"]] == [("inn", "high"), ("inn", "low")]


# --- what the default policy does with them ---------------------------------------------------


def test_a_timestamp_that_passes_as_an_inn_is_not_held() -> None:
    decision = decide(f"ts={TS}")
    assert decision.action == "allow", describe(decision)
    assert [f.level for f in decision.findings] == ["low"]


def test_an_inn_with_its_word_is_held() -> None:
    decision = decide(f"ИНН {INN_10}")
    assert (decision.action, decision.rule) == ("hold", "personal-data-needs-approval")
    assert [f.level for f in decision.findings] == ["high"]


def test_a_low_rule_catches_the_bare_number() -> None:
    catch_all = load_policy(
        {
            "rules": [
                {"name": "all", "kinds": ["inn"], "min_confidence": "low", "action": "hold"},
                {"name": "sure", "kinds": ["inn"], "min_confidence": "high", "action": "notify"},
            ]
        }
    )
    decision = decide(f"ts={TS}", catch_all)
    assert (decision.action, decision.rule) == ("hold", "all")
    assert [m.rule for m in decision.matches] == ["all"]


def test_a_custom_detectors_confidence_is_its_level() -> None:
    policy = load_policy(
        {
            "detectors": [
                {"kind": "weak", "regex": "W-\\d+", "confidence": 0.3},
                {"kind": "usual", "regex": "U-\\d+"},
            ],
            "rules": [{"name": "r", "kinds": ["weak", "usual"], "action": "block"}],
        }
    )
    assert decide("W-1", policy).action == "allow"
    assert decide("U-1", policy).action == "block"


def test_describe_shows_the_level() -> None:
    text = describe(decide(f"ИНН {INN_10}, ts={TS}"))
    assert "Findings: inn ×1 (low), inn ×1 (high)" in text


def test_keyword_lists_cover_every_numeric_kind() -> None:
    assert set(KIND_WORDS) == NUMERIC
    assert set(SUPPORT_WORDS) <= NUMERIC
    for words in (*KIND_WORDS.values(), *SUPPORT_WORDS.values(), CUE_WORDS):
        assert all(word.strip() == word and word for word in words)
