"""The demo's own logic: its directory is its own, and --check knows what the script must show.

The demo itself runs end to end in CI (`.ci/run`: `hgw demo --headless --duration 60 --check`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.demo.run import MARKER, DemoError, Summary, prepare


def test_a_directory_that_is_not_the_demos_is_never_wiped(tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "todo.txt").write_text("keep me")
    with pytest.raises(DemoError, match="not a demo directory"):
        prepare(precious)
    assert (precious / "todo.txt").read_text() == "keep me"


def test_an_earlier_demo_directory_is_started_afresh(tmp_path: Path) -> None:
    directory = prepare(tmp_path / "hgw-demo")
    (directory / "data").mkdir()
    again = prepare(directory)
    assert (again / MARKER).exists()
    assert not (again / "data").exists()
    assert oct(again.stat().st_mode & 0o777) == "0o700"


def test_check_names_each_missing_action() -> None:
    summary = Summary()
    for network, action in [("matrix", "relayed"), ("matrix", "redacted"), ("matrix", "held")]:
        summary.add(network, action)
    summary.add("matrix", "blocked")
    problems = summary.problems()
    assert "matrix: blocked 1 < 2" in problems
    assert "telegram: relayed 0 < 3" in problems
    assert "matrix: notified 0 < 1" in problems
    assert any("reception" in p for p in problems)
    summary.add("matrix", "blocked")
    summary.add("matrix", "notified")
    for _ in range(3):
        summary.add("telegram", "relayed")
    summary.add("telegram", "blocked")
    summary.reception = 1
    assert summary.problems() == []
    assert "waiting in reception: 1" in summary.render()
