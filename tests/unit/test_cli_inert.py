"""Invariant 6 in the CLI: `hgw search`, `status`, `audit export` and `policy test` never hand a
partner's escape sequences to a terminal; piped JSON stays exactly the data."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.commands.status import render
from gateway.model import ChatRef, Direction, Message, NetworkName, UserRef
from gateway.store import Store
from tests.unit.test_cli import run

OSC52 = "\x1b]52;c;aGd3IHBhc3N3b3Jk\x1b\\"
HOSTILE = f"invoice{OSC52} \x1b[2J\x1b[31mred \u202eevil\x9b"
UNSAFE = ("\x1b", "\x9b", "\u202e", "\x07")
MASK_CARDS = """
[[policy.rules]]
name = "mask-cards"
direction = "any"
kinds = ["card"]
action = "redact"
"""


def clean(text: str) -> bool:
    return not any(c in text for c in UNSAFE)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[gateway]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return path


async def hostile_store(config_file: Path) -> None:
    async with Store.open(config_file.parent / "data" / "hgw.sqlite3") as store:
        chat = ChatRef(NetworkName("telegram"), "100", "ACME\x1b]0;PWNED\x07")
        partner = UserRef(NetworkName("telegram"), "u7", "Pavel\x1b]0;TITLE\x1b\\")
        await store.archive(Message(chat, partner, "1", Direction.INBOUND, text=HOSTILE))
        await store.audit_append(actor="hgw", action="contact.new", details={"name": HOSTILE})


def as_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)


def test_search_lines_are_inert(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    asyncio.run(hostile_store(config_file))
    code, out, _ = run(capsys, "search", "-c", str(config_file), "invoice")
    assert code == 0
    assert clean(out), repr(out)
    assert "ACME␛]0;PWNED␇ ← Pavel␛]0;TITLE␛\\: " in out
    assert "␛]52;c;aGd3IHBhc3N3b3Jk␛\\ ␛[2J␛[31mred ⟨U+202E⟩evil⟨U+009B⟩" in out


def test_search_json_is_exact_when_piped_and_escaped_on_a_terminal(
    capsys: pytest.CaptureFixture[str], config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(hostile_store(config_file))
    _, piped, _ = run(capsys, "search", "-c", str(config_file), "invoice", "--json")
    assert "\u202e" in piped  # the exact JSON, as before
    as_terminal(monkeypatch)
    _, shown, _ = run(capsys, "search", "-c", str(config_file), "invoice", "--json")
    assert clean(shown)
    assert "\\u202e" in shown
    assert json.loads(shown) == json.loads(piped)
    assert "evil\x9b" in json.loads(shown)["snippet"]


def test_audit_export_to_a_terminal_is_inert_and_to_a_pipe_exact(
    capsys: pytest.CaptureFixture[str], config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(hostile_store(config_file))
    _, piped, _ = run(capsys, "audit", "export", "-c", str(config_file))
    [record] = [json.loads(line) for line in piped.splitlines()]
    assert record["details"]["name"] == HOSTILE
    assert "\u202e" in piped
    as_terminal(monkeypatch)
    _, shown, _ = run(capsys, "audit", "export", "-c", str(config_file))
    assert clean(shown)
    assert [json.loads(line) for line in shown.splitlines()] == [record]
    _, table, _ = run(capsys, "audit", "export", "-c", str(config_file), "--format", "csv")
    assert clean(table)
    assert "⟨U+202E⟩evil⟨U+009B⟩" in table  # JSON in a CSV cell already wrote ESC as \u001b


def test_status_shows_network_errors_inert() -> None:
    status = {
        "version": "0.1.0",
        "started_at": "2026-11-25T10:00:00+00:00",
        "networks": [{"network": "telegram", "connected": False, "detail": f"said {OSC52}"}],
        "outbox": {"pending": 0, "held": 0, "failed": 1, "sent": 0},
        "queues": [],
        "recent_failures": [
            {"outbox_id": 7, "network": "telegram", "chat_id": "1", "error": HOSTILE, "at": None}
        ],
        "last_reload_error": "bad \x1b[2J",
    }
    text = render(status, now=datetime(2026, 11, 25, 11, tzinfo=UTC))
    assert clean(text)
    assert "(said ␛]52;c;aGd3IHBhc3N3b3Jk␛\\)" in text
    assert "REFUSED: bad ␛[2J" in text


def test_policy_test_echo_is_inert(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    with config_file.open("a", encoding="utf-8") as config:
        config.write(MASK_CARDS)
    text = f"{HOSTILE} карта 2200 0000 0000 0004"
    code, out, _ = run(capsys, "policy", "test", "-c", str(config_file), text)
    assert code == 0
    assert "Delivered as: invoice" in out  # the text is echoed back…
    assert clean(out), repr(out)
    assert "␛]52;c;aGd3IHBhc3N3b3Jk␛\\ ␛[2J␛[31mred ⟨U+202E⟩evil⟨U+009B⟩" in out  # …inert
