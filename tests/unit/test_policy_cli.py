"""`hgw policy scan|test|check` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.test_cli import run

CARD = "4111 1111 1111 1111"


def test_scan_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "scan", f"карта {CARD}, ИНН 7707083893")
    assert code == 0
    assert out.splitlines()[0].startswith("card")
    assert "'7707083893'" in out.splitlines()[1]
    code, out, _ = run(capsys, "policy", "scan", "--json", f"card {CARD}")
    result = json.loads(out)
    assert result["kinds"] == ["card"]
    assert result["findings"] == [{"kind": "card", "start": 5, "end": 24, "confidence": 1.0}]


def test_scan_jsonl_contract(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    lines = [
        {"id": "a", "text": f"pay to {CARD} now"},
        {"id": 7, "text": "nothing here"},
        {"id": "c", "text": "mail ivan@example.ru, ИНН 7707083893"},
    ]
    source.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    code, out, _ = run(capsys, "policy", "scan", "--jsonl", str(source))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["a", 7, "c"]
    assert [r["kinds"] for r in rows] == [["card"], [], ["email", "inn"]]
    first = rows[0]["findings"][0]
    assert lines[0]["text"][first["start"] : first["end"]] == CARD
    assert set(first) == {"kind", "start", "end", "confidence"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": 1, "text": "ok"}\n{broken\n', ":2: not JSON"),
        ('{"id": 1, "body": "no text key"}\n', ':1: expected {"id": …, "text": "…"}'),
    ],
)
def test_scan_jsonl_bad_line_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(content)
    code, _, err = run(capsys, "policy", "scan", "--jsonl", str(source))
    assert code == 2
    assert f"{source}{message}" in err
    assert "Traceback" not in err


def test_scan_needs_text_or_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "policy", "scan")
    assert code == 2
    assert "give either TEXT or --jsonl" in err
    code, _, err = run(capsys, "policy", "scan", "--jsonl", str(tmp_path / "missing.jsonl"))
    assert code == 2
    assert "cannot read" in err


def test_test_shows_the_decision(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "policy", "test", f"card {CARD}")
    assert code == 0
    assert out.startswith("Decision: BLOCK by rule 'no-cards-secrets-markings-out'")
    code, out, _ = run(capsys, "policy", "test", "--json", "ИНН 7707083893")
    decision = json.loads(out)
    assert decision["action"] == "hold"
    assert decision["override_allowed"] is True
    exe = tmp_path / "invoice.pdf"
    exe.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    code, out, _ = run(capsys, "policy", "test", "--attach", str(exe), "see attached")
    assert "Decision: BLOCK by rule 'disguised-files-blocked'" in out
    code, out, _ = run(
        capsys, "policy", "test", "--direction", "inbound", "--unknown-contact", "hi"
    )
    assert "Decision: HOLD by rule 'unknown-contacts-held'" in out


def test_check_names_the_broken_rule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[policy.rules]]\nname = "cards"\nkinds = ["crad"]\naction = "block"\n')
    code, _, err = run(capsys, "policy", "check", "-c", str(config))
    assert code == 2
    assert "rule 'cards': kinds: unknown detector kind 'crad'; did you mean 'card'?" in err
    assert f"{config}:" in err
    config.write_text('[[policy.rules]]\nname = "cards"\nkinds = ["card"]\naction = "block"\n')
    code, out, _ = run(capsys, "policy", "check", "-c", str(config))
    assert code == 0
    assert "1 rules OK" in out


def test_scan_jsonl_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO('{"id": "x", "text": "СНИЛС 112-233-445 95"}\n'))
    code, out, _ = run(capsys, "policy", "scan", "--jsonl", "-")
    assert code == 0
    assert json.loads(out) == {
        "id": "x",
        "kinds": ["snils"],
        "findings": [{"kind": "snils", "start": 6, "end": 20, "confidence": 1.0}],
    }


def test_test_json_and_redaction_in_a_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[policy.rules]]\nname = "mask-mail"\nkinds = ["email"]\naction = "redact"\n'
        'redact = "label"\nlanguage = "ru"\n'
    )
    code, out, _ = run(capsys, "policy", "test", "-c", str(config), "--json", "mail a@b.ru")
    assert code == 0
    decision = json.loads(out)
    assert decision["action"] == "redact"
    assert decision["text"] == "mail [e-mail]"
    assert decision["notice"].startswith("Сообщение отправлено")


def test_check_default_and_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "policy", "check")
    assert code == 0
    assert out.startswith("the default policy: ")
    code, _, err = run(capsys, "policy", "check", "-c", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "Traceback" not in err
    assert "nope.toml" in err


def test_every_policy_parser_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("scan", "test", "check"):
        code, out, _ = run(capsys, "policy", command, "--help")
        assert code == 0
        assert "examples:" in out
        assert f"hgw policy {command}" in out


def test_test_with_a_missing_attachment_is_a_clean_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "policy", "test", "--attach", str(tmp_path / "gone.pdf"), "hi")
    assert code == 2
    assert "gone.pdf: cannot read" in err
    assert "Traceback" not in err


def test_check_a_policy_file_alone(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[rules]]\nname = "acme"\nlinks = ["acme-supplier"]\nkinds = ["card"]\naction = "block"\n'
    )
    code, out, err = run(capsys, "policy", "check", str(policy))
    assert code == 0
    assert "1 rules OK" in out
    assert f"hgw: warning: {policy}:3: rule 'acme': links: link 'acme-supplier' not checked" in err
    policy.write_text('[[rules]]\nname = "acme"\nsenders = ["@anna"]\naction = "block"\n')
    code, _, err = run(capsys, "policy", "check", str(policy))
    assert code == 2
    assert f"{policy}:3: rule 'acme': senders: '@anna' is a username" in err
    code, _, err = run(capsys, "policy", "check", "-c", str(policy), str(policy))
    assert code == 2
    assert "either -c CONFIG or a policy FILE" in err


def test_check_a_config_naming_a_missing_link(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[policy.rules]]\nname = "acme"\nlinks = ["acme"]\naction = "block"\n')
    code, _, err = run(capsys, "policy", "check", "-c", str(config))
    assert code == 2
    assert f"{config}:3: rule 'acme': links: no link 'acme' (no links are configured)" in err
