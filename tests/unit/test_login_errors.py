"""A login that cannot reach its network ends in one line that says where it knocked.

``hgw telegram login`` without a route to Telegram used to print 64 lines ending in
``IncompleteReadError``; ``hgw run`` said "log in: homeserver unreachable" without saying which
homeserver. No network here: a closed port on 127.0.0.1, and a port that accepts and closes
at once (what a middlebox that drops Telegram looks like).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridges.telegram.session import open_session

TELEGRAM_CONFIG = """
[gateway]
data_dir = "{data}"

[control]
socket = "{data}/control.sock"

[telegram]
api_id = 1
api_hash_env = "HGW_TEST_API_HASH"
phone = "+70000000000"
session = "{session}"
"""

MATRIX_CONFIG = """
[gateway]
data_dir = "{data}"

[control]
socket = "{data}/control.sock"

[matrix]
homeserver = "http://127.0.0.1:{port}"
user_id = "@hgw:internal.test"
password_env = "HGW_TEST_PASSWORD"
management_room = "!admin:internal.test"
admins = ["@security:internal.test"]
"""


def closed_port() -> int:
    """A port nobody listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def slamming_port() -> Iterator[int]:
    """A port that accepts every connection and closes it at once."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def slam() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.close()

    thread = threading.Thread(target=slam, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        listener.close()


def hgw(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *argv],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )


def telegram_login_at(tmp_path: Path, port: int) -> subprocess.CompletedProcess[str]:
    """``hgw telegram login`` with a session that points data centre 2 at 127.0.0.1:port."""
    session_path = tmp_path / "telegram.session"
    session = open_session(session_path)
    session.set_dc(2, "127.0.0.1", port)
    session.save()
    session.close()
    config = tmp_path / "config.toml"
    config.write_text(TELEGRAM_CONFIG.format(data=tmp_path / "data", session=session_path))
    return hgw("telegram", "login", "-c", str(config), HGW_TEST_API_HASH="0" * 32)


def assert_one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_telegram_login_to_a_closed_port_is_one_line_naming_the_address(tmp_path: Path) -> None:
    port = closed_port()
    line = assert_one_line(telegram_login_at(tmp_path, port))
    assert line.startswith("hgw: error: cannot reach Telegram data centre 2 at ")
    assert f"127.0.0.1:{port}" in line
    assert "directly, no proxy" in line
    assert "connection refused" in line
    assert "hgw telegram login again" in line


def test_telegram_login_cut_off_by_a_middlebox_is_one_line(
    tmp_path: Path, slamming_port: int
) -> None:
    line = assert_one_line(telegram_login_at(tmp_path, slamming_port))
    assert f"127.0.0.1:{slamming_port}" in line
    assert "closed before Telegram answered" in line
    assert "IncompleteReadError" not in line


def test_matrix_login_error_names_the_homeserver_url(tmp_path: Path) -> None:
    port = closed_port()
    config = tmp_path / "config.toml"
    config.write_text(MATRIX_CONFIG.format(data=tmp_path / "data", port=port))
    proc = hgw("run", "-c", str(config), "--log-level", "error", HGW_TEST_PASSWORD="x")
    line = assert_one_line(proc)
    assert f"http://127.0.0.1:{port}" in line
    assert "unreachable (Connection refused)" in line
