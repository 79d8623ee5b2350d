"""Tampering with a daemon's audit log, with the store's own tools: each way is found by
``hgw audit verify`` before the next start, by the daemon at that start (an ``audit.gap``
record, an error, ``status``, a notice in the management room), and by ``verify`` again after
the restarted daemon has appended more records (issue 16, item 2).

Only interfaces that existed before the anchor are used here (the CLI, ``Daemon``, raw SQL),
so the same file run against the old code shows which of these went unnoticed there.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.config import load_config
from gateway.control.methods.status import gateway_status
from gateway.daemon import Daemon
from tests.unit.relay import MATRIX, TELEGRAM, RecordingBridge, judge_by_text, staff
from tests.unit.test_daemon import CONFIG


def _drop_last(raw: sqlite3.Connection) -> None:
    raw.execute("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")


def _copy_previous_head(raw: sqlite3.Connection) -> None:
    """Cut the last record and write the one before it into both heads, reusing the MAC that
    is there (a new one cannot be made without the key)."""
    _drop_last(raw)
    seq, digest = raw.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    raw.execute("UPDATE kv SET value = ? WHERE key = 'audit.head'", (f"{seq}:{digest}",))
    row = raw.execute("SELECT value FROM kv WHERE key = 'audit.anchor'").fetchone()
    mac = row[0].rsplit(":", 1)[-1] if row else "0" * 64
    raw.execute(
        "INSERT OR REPLACE INTO kv (key, value, updated_at) VALUES ('audit.anchor', ?, 0)",
        (f"{seq}:{digest}:{mac}",),
    )


def _copy_previous_head_drop_anchor(raw: sqlite3.Connection) -> None:
    _copy_previous_head(raw)
    raw.execute("DELETE FROM kv WHERE key = 'audit.anchor'")


TAMPERINGS = {
    "edit a record": lambda raw: raw.execute("UPDATE audit SET actor = 'os:mallory' WHERE seq = 2"),
    "delete a middle record": lambda raw: raw.execute("DELETE FROM audit WHERE seq = 2"),
    "delete the last record": _drop_last,
    "truncate (delete all)": lambda raw: raw.execute("DELETE FROM audit"),
    "copy the previous head into kv": _copy_previous_head,
    "copy the previous head, drop the anchor": _copy_previous_head_drop_anchor,
}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


async def verify(capsys: pytest.CaptureFixture[str], config_path: Path) -> tuple[int, str]:
    """``hgw audit verify`` as a user runs it (on a thread: it runs its own event loop)."""
    code = await asyncio.to_thread(main, ["audit", "verify", "-c", str(config_path)])
    out, err = capsys.readouterr()
    return code, out + err


async def run_daemon(config_path: Path, texts: list[str]) -> tuple[Daemon, dict]:
    """Start, relay ``texts`` (one audit record each), let the background check finish, stop."""
    bridges = {MATRIX: RecordingBridge(MATRIX), TELEGRAM: RecordingBridge(TELEGRAM)}
    daemon = Daemon(
        load_config(config_path, check_secrets=False),
        make_bridges=lambda _config: bridges,
        make_judge=lambda _config: judge_by_text,
    )
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(daemon.ready.wait(), 10)
    for i, text in enumerate(texts):
        await bridges[MATRIX].sink.message(staff(f"${text}-{i}", text))
    await bridges[TELEGRAM].wait_for(len(texts))
    guard = getattr(daemon, "audit_guard", None)
    if guard is not None and guard._task is not None:
        await asyncio.wait_for(asyncio.shield(guard._task), 10)
        if guard.problems:  # the notices go out through the outbox, like any other
            await bridges[MATRIX].wait_for(len(guard.problems))
    daemon.status = await gateway_status(daemon)  # type: ignore[attr-defined]
    daemon.stop()
    await asyncio.wait_for(task, 15)
    return daemon, bridges


def gap_records(config_path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(config_path.parent / "data" / "hgw.sqlite3") as raw:
        return raw.execute("SELECT seq, details FROM audit WHERE action = 'audit.gap'").fetchall()


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
async def test_tampering_is_found_before_and_after_a_restart(
    tamper, config_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    await run_daemon(config_path, ["one", "two", "three", "four", "five"])
    assert (await verify(capsys, config_path))[0] == 0
    with sqlite3.connect(config_path.parent / "data" / "hgw.sqlite3") as raw:
        tamper(raw)

    code, said = await verify(capsys, config_path)
    assert code == 1, said

    caplog.set_level(logging.ERROR, logger="gateway")
    daemon, bridges = await run_daemon(config_path, ["after the break"])
    assert "audit log tampered with" in caplog.text
    assert gap_records(config_path), "the break is recorded in the audit log itself"
    assert daemon.status.get("audit_problem"), "hgw status shows it"  # type: ignore[attr-defined]
    notices = [d.text for d in bridges[MATRIX].delivered if "Audit log" in d.text]
    assert notices, "the management room is told"

    code, said = await verify(capsys, config_path)
    assert code == 1, said
    assert "gap" in said or "BROKEN" in said


async def test_untouched_log_raises_no_alarm_across_restarts(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for texts in (["one", "two"], ["three"], []):
        daemon, bridges = await run_daemon(config_path, texts)
        assert daemon.status["audit_problem"] is None  # type: ignore[attr-defined]
        assert not [d for d in bridges[MATRIX].delivered if "Audit log" in d.text]
    code, said = await verify(capsys, config_path)
    assert code == 0, said
    assert "matches the authenticated head" in said
    assert not gap_records(config_path)
