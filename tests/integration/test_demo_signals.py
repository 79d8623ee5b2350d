"""``hgw demo`` dies with its terminal: SIGHUP or SIGTERM stop everything within 5 s.

Closing the terminal (``tmux kill-session``) used to leave the demo spinning at 100% CPU with
Synapse still up: SIGHUP reached the daemon's reload handler, Textual's input thread spun on
the dead terminal, and a later SIGTERM waited forever on Textual's blocked writer thread.

The real command runs under a pseudo-terminal with its TUI, Synapse and all; the test hangs the
terminal up (closes the master side) and then sends the signal, as a closing terminal does. Like
``.ci/run``, it looks for a leftover homeserver by its directory in the process list.
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("synapse", reason="the demo runs a real Synapse homeserver")

STOP_SECONDS = 5.0
STARTUP_SECONDS = 180.0


def homeserver_pids(demo_dir: Path) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-f", f"{demo_dir}/homeserver"], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in found.stdout.split()]


class Terminal:
    """The master side of a pty, read continuously so the TUI never blocks on a full buffer."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output += data

    def wait_for(self, text: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                tail = bytes(self.output[-2000:]).decode(errors="replace")
                raise AssertionError(f"{text!r} did not appear; the terminal shows:\n{tail}")
            time.sleep(0.2)

    def hang_up(self) -> None:
        """What closing the window does: the slave side now reads EIO and writes fail."""
        if self.master >= 0:
            os.close(self.master)
            self.master = -1


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_the_demo_with_its_tui_stops_with_its_terminal(tmp_path: Path, signum: int) -> None:
    demo_dir = tmp_path / "hgw-demo"
    terminal = Terminal()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "demo", "--dir", str(demo_dir)],
        stdin=terminal.slave,
        stdout=terminal.slave,
        stderr=terminal.slave,
        env=env,
        start_new_session=True,
    )
    os.close(terminal.slave)
    try:
        terminal.wait_for(b"hgw demo is running", STARTUP_SECONDS)
        time.sleep(3)  # the TUI takes over the terminal and connects
        assert demo.poll() is None, "the demo ended by itself"
        assert homeserver_pids(demo_dir), "no homeserver to check for"

        # The terminal goes first, then the signal: a closing window sends SIGHUP; a SIGTERM
        # from an admin after the ssh session dropped meets the same dead terminal.
        terminal.hang_up()
        started = time.monotonic()
        demo.send_signal(signum)
        try:
            demo.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"hgw demo still runs {STOP_SECONDS:g} s after {signal.Signals(signum).name}"
            )
        took = time.monotonic() - started
        deadline = started + STOP_SECONDS
        while homeserver_pids(demo_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert homeserver_pids(demo_dir) == [], "the homeserver outlived the demo"
        assert took < STOP_SECONDS
        assert demo.returncode == 128 + signum
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for pid in homeserver_pids(demo_dir):  # only this test's own homeserver, by its path
            os.kill(pid, signal.SIGKILL)
        terminal.hang_up()
