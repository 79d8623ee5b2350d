"""The `hgw` commands as a user runs them: exit codes, output, and no tracebacks for mistakes."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gateway import __version__
from gateway.cli import build_parser, main
from gateway.model import ChatRef, Direction, Message, NetworkName, UserRef
from gateway.store import Store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse's own usage errors and --help/--version
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[gateway]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return path


async def fill_store(config_file: Path) -> Path:
    path = config_file.parent / "data" / "hgw.sqlite3"
    async with Store.open(path) as store:
        chat = ChatRef(NetworkName("telegram"), "100", "ACME Supplies")
        partner = UserRef(NetworkName("telegram"), "u7", "Pavel")
        for i, text in enumerate(["Счёт на оплату №17", "Invoice attached", "Спасибо"]):
            await store.archive(Message(chat, partner, str(i), Direction.INBOUND, text=text))
        for i in range(4):
            await store.audit_append(actor="hgw", action="message.relayed", details={"n": i})
    return path


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"hgw {__version__}"


def test_every_command_has_help_with_an_example() -> None:
    parser = build_parser()
    seen = []

    def walk(p, path):
        for action in p._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, sub in action.choices.items():
                    if any(a.__class__.__name__ == "_SubParsersAction" for a in sub._actions):
                        walk(sub, [*path, name])
                    else:
                        seen.append(([*path, name], sub.format_help()))

    walk(parser, [])
    names = {" ".join(path) for path, _ in seen}
    assert {"init", "config check", "search", "audit verify", "audit export"} <= names
    for path, text in seen:
        assert "example" in text, f"`hgw {' '.join(path)} --help` has no example"


def test_init_writes_a_private_config_that_checks(
    capsys: pytest.CaptureFixture[str], isolated_dirs: Path
) -> None:
    code, out, _ = run(capsys, "init")
    assert code == 0
    path = isolated_dirs / ".config" / "hgw" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in out
    data_dir = isolated_dirs / ".local" / "share" / "hgw"
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    code, out, err = run(capsys, "config", "check")
    assert code == 0, err
    assert "OK" in out
    code, _, err = run(capsys, "init")  # never overwrites silently
    assert code == 2
    assert "already exists" in err
    assert "--force" in err


def test_config_check_reports_bad_toml_on_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[gateway\n")
    code, _out, err = run(capsys, "config", "check", "-c", str(bad))
    assert code == 2
    assert err.startswith(f"hgw: error: {bad}:1:")
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_search_finds_across_the_archive(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    import asyncio

    asyncio.run(fill_store(config_file))
    code, out, _ = run(capsys, "search", "-c", str(config_file), "счет")
    assert code == 0
    assert "ACME Supplies ← Pavel: [Счёт] на оплату №17" in out
    code, out, _ = run(capsys, "search", "-c", str(config_file), "invoice", "--json")
    assert json.loads(out)["snippet"] == "[Invoice] attached"
    code, out, _ = run(capsys, "search", "-c", str(config_file), "nothing-like-this")
    assert code == 1
    assert "no messages match" in out


def test_search_without_a_store_says_so(
    capsys: pytest.CaptureFixture[str], config_file: Path
) -> None:
    code, _, err = run(capsys, "search", "-c", str(config_file), "x")
    assert code == 2
    assert "no store here" in err


def test_audit_verify_and_export(
    capsys: pytest.CaptureFixture[str], config_file: Path, tmp_path: Path
) -> None:
    import asyncio

    db = asyncio.run(fill_store(config_file))
    code, out, _ = run(capsys, "audit", "verify", "-c", str(config_file))
    assert code == 0
    assert "audit chain OK: 4 records" in out

    code, out, _ = run(capsys, "audit", "export", "-c", str(config_file), "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert rows[1]["prev_hash"] == rows[0]["hash"]

    target = tmp_path / "audit.csv"
    target.write_text("an older export, readable by all\n")
    target.chmod(0o644)  # O_CREAT's mode would not change an existing file
    code, _, err = run(
        capsys, "audit", "export", "-c", str(config_file), "--format", "csv", "-o", str(target)
    )
    assert code == 0
    assert "exported 4 audit records" in err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert (
        target.read_text().splitlines()[0] == "seq,at,actor,action,subject,details,prev_hash,hash"
    )

    code, out, err = run(capsys, "audit", "export", "-c", str(config_file), "--since", "2999-01-01")
    assert out == ""
    assert "exported 0" in err
    code, _, err = run(capsys, "audit", "export", "-c", str(config_file), "--since", "yesterday")
    assert code == 2
    assert "is not a date" in err

    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE audit SET details = '{\"n\":99}' WHERE seq = 2")
    code, _, err = run(capsys, "audit", "verify", "-c", str(config_file))
    assert code == 1
    assert "BROKEN at record 2" in err


@pytest.mark.parametrize(
    "garbage", [b"not sqlite at all\n" * 64, b"SQLite format 3\x00" + b"\x00" * 4000]
)
def test_damaged_store_is_a_clear_error_from_the_real_command(
    config_file: Path, garbage: bytes
) -> None:
    db = config_file.parent / "data" / "hgw.sqlite3"
    db.parent.mkdir()
    db.write_bytes(garbage)
    proc = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "audit", "verify", "-c", str(config_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{db}: not a usable hgw store" in proc.stderr
