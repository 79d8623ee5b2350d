"""The real ``hgw run`` process finds a cut audit log at start-up (issue 16, item 2).

No homeserver is needed: the daemon runs without networks. The store is seeded as an earlier
daemon would have left it (records appended with the anchor key), then cut the way an
attacker with the database but not the key file would: the last two records deleted and the
record before them written into both heads. The daemon must keep running, say so in its log
and in ``hgw status``, record the gap, and ``hgw audit verify`` must fail afterwards.
"""

from __future__ import annotations

import getpass
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from gateway.store import Store
from gateway.store.anchor import load_or_create_key, reconcile
from tests.integration.relay_env import REPO, DaemonProcess


async def seed(data: Path, records: int) -> None:
    key, _ = load_or_create_key(data / "audit.key")
    async with Store.open(data / "hgw.sqlite3") as store:
        store.audit.use_key(key)
        await store.write(lambda conn: reconcile(conn, store.audit, adopt=True))
        for i in range(records):
            await store.audit_append(actor="os:security", action="policy.set", details={"i": i})


def hgw(config: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *argv, "-c", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def wait_for(daemon: DaemonProcess, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in daemon.text():
        assert daemon.alive, daemon.text()
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{daemon.text()}"
        time.sleep(0.1)


async def test_hgw_run_finds_a_cut_tail_with_the_old_head_written_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[gateway]\ndata_dir = "{data}"\n'
        f'[control]\nsocket = "{tmp_path / "control.sock"}"\n'
        f'[control.users]\n{getpass.getuser()} = {{ role = "admin" }}\n'
    )
    await seed(data, records=6)
    assert hgw(config, "audit", "verify").returncode == 0
    with sqlite3.connect(data / "hgw.sqlite3") as raw:
        raw.execute("DELETE FROM audit WHERE seq > 4")
        seq, digest = raw.execute("SELECT seq, hash FROM audit WHERE seq = 4").fetchone()
        raw.execute("UPDATE kv SET value = ? WHERE key = 'audit.head'", (f"{seq}:{digest}",))
        mac = raw.execute("SELECT value FROM kv WHERE key = 'audit.anchor'").fetchone()[0][-64:]
        raw.execute(
            "UPDATE kv SET value = ? WHERE key = 'audit.anchor'", (f"{seq}:{digest}:{mac}",)
        )
    assert hgw(config, "audit", "verify").returncode == 1

    daemon = DaemonProcess(config, tmp_path / "daemon.log")
    daemon.start()
    try:
        wait_for(daemon, "hgw is running")
        log = daemon.text()
        assert "audit log tampered with" in log
        assert "MAC does not match the key" in log
        assert "audit checkpoint seq=5" in log  # the gap record, anchored
        status = hgw(config, "status")
        assert status.returncode == 0, status.stderr
        assert "AUDIT LOG TAMPERED WITH" in status.stdout
    finally:
        daemon.stop()

    verify = hgw(config, "audit", "verify")
    assert verify.returncode == 1
    assert "audit gap recorded by the daemon in record 5" in verify.stdout
    accepted = hgw(config, "audit", "verify", "--accept-gaps-through", "5")
    assert accepted.returncode == 0, accepted.stderr
