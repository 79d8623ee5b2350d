"""``hgw … | head -1``: a reader that stops early is not an error, and prints no traceback.

Real pipes into a real ``head -1``: the failure (``BrokenPipeError`` while writing, then again
when the interpreter flushes stdout at exit) only exists with a pipe whose reader has gone.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.store import Store


def through_head(*argv: str, stdin: Path | None = None) -> tuple[int, str, str]:
    """Run ``hgw ARGV | head -1``; return hgw's exit status, head's output and hgw's stderr."""
    with open(stdin or "/dev/null", "rb") as source:
        hgw = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", *argv],
            stdin=source,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        head = subprocess.Popen(["head", "-1"], stdin=hgw.stdout, stdout=subprocess.PIPE)
        assert hgw.stdout is not None
        hgw.stdout.close()  # only head holds the read end: when it exits, the pipe is widowed
        out, _ = head.communicate(timeout=120)
        _, err = hgw.communicate(timeout=120)
    return hgw.returncode, out.decode(), err.decode()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[gateway]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return path


async def fill_audit(config_file: Path, records: int) -> None:
    async with Store.open(config_file.parent / "data" / "hgw.sqlite3") as store:
        for n in range(records):
            # Far more than a pipe holds (64 KiB), so hgw is still writing when head exits.
            await store.audit_append(actor="hgw", action="test", details={"n": n, "pad": "x" * 500})


def assert_quiet(code: int, out: str, err: str) -> None:
    assert "Traceback" not in err
    assert "BrokenPipeError" not in err
    assert "Exception ignored" not in err
    assert code == 0, err
    assert len(out.splitlines()) == 1


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_audit_export_into_head_closes_quietly(config_file: Path, fmt: str) -> None:
    asyncio.run(fill_audit(config_file, 400))
    code, out, err = through_head("audit", "export", "-c", str(config_file), "--format", fmt)
    assert_quiet(code, out, err)


def test_policy_scan_jsonl_into_head_closes_quietly(tmp_path: Path) -> None:
    messages = tmp_path / "messages.jsonl"
    lines = (
        json.dumps({"id": n, "text": f"call +7 999 123-45-{n % 100:02d}"}) for n in range(3000)
    )
    messages.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_quiet(*through_head("policy", "scan", "--jsonl", str(messages)))
    assert_quiet(*through_head("policy", "scan", "--jsonl", "-", stdin=messages))


def test_a_small_output_flushed_only_at_exit_closes_quietly() -> None:
    """A reader gone before hgw writes: a short answer sits in stdout's buffer until the
    interpreter flushes it at exit, where it used to print "Exception ignored … BrokenPipeError"
    and exit 120."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        hgw = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "policy", "scan", "карта 2200 0000 0000 0004"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in hgw.stderr
    assert "Exception ignored" not in hgw.stderr
    assert hgw.returncode == 0, hgw.stderr
