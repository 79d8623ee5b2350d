"""Role enforcement with real OS users over the real socket — nothing faked.

The test creates three OS users (``useradd``; needs root, otherwise it is skipped and the
faked-lookup tests in ``test_control_api.py`` remain) in a group that may use the socket
(``socket_mode = "0660"``), and runs a small client *as* each of them (``setpriv`` drops to the
user's uid before connecting), so the daemon learns who they are from ``SO_PEERCRED`` alone.
"""

from __future__ import annotations

import asyncio
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_control_support import running, write_config

GROUP = "hgwctl"
USERS = {"hgwctl-op": "Olga Operator", "hgwctl-aud": "Audrey Auditor", "hgwctl-nobody": ""}
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("useradd") and shutil.which("setpriv")),
    reason="creating OS users needs root, useradd and setpriv",
)

CLIENT = """
import asyncio, json, sys
from gateway.control.client import ControlClient, ControlError

async def main():
    client = ControlClient(sys.argv[1])
    await client.connect(reconnect=False)
    out = []
    for method, params in json.loads(sys.argv[2]):
        try:
            out.append({"result": await client.call(method, **params)})
        except ControlError as err:
            out.append({"code": err.code, "message": err.message})
    await client.close()
    print(json.dumps(out))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def os_users() -> Iterator[dict[str, int]]:
    created = []
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        subprocess.run(["groupadd", GROUP], check=True)
    for name, gecos in USERS.items():
        try:
            pwd.getpwnam(name)
        except KeyError:
            subprocess.run(
                ["useradd", "-M", "-N", "-g", GROUP, "-c", gecos, "-s", "/bin/false", name],
                check=True,
            )
            created.append(name)
    yield {name: pwd.getpwnam(name).pw_uid for name in USERS}
    for name in created:
        subprocess.run(["userdel", name], check=False)


async def as_user(user: str, socket: Path, calls: list[tuple[str, dict]]) -> list[dict]:
    process = await asyncio.create_subprocess_exec(
        "setpriv",
        f"--reuid={user}",
        f"--regid={GROUP}",
        "--clear-groups",
        sys.executable,
        "-c",
        CLIENT,
        str(socket),
        json.dumps(calls),
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": os.environ["PATH"], "PYTHONDONTWRITEBYTECODE": "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    return json.loads(out)


async def test_real_os_users_get_their_roles(tmp_path: Path, os_users: dict[str, int]) -> None:
    base = Path(tempfile.mkdtemp(prefix="hgwctl-"))  # tmp_path is not reachable for others
    try:
        os.chmod(base, 0o711)
        socket = base / "run" / "control.sock"
        users = (
            '"hgwctl-op" = { role = "operator", links = ["acme"] }\n'
            '"hgwctl-aud" = { role = "auditor" }\n'
        )
        config = write_config(tmp_path / "config.toml", socket, mode="0660", extra_users=users)
        async with running(config) as env:
            gid = grp.getgrnam(GROUP).gr_gid
            assert oct(os.stat(socket).st_mode & 0o777) == "0o660"
            assert oct(os.stat(socket.parent).st_mode & 0o777) == "0o710"
            os.chown(socket.parent, -1, gid)  # the admin's deployment step for group access
            os.chown(socket, -1, gid)

            op = await as_user(
                "hgwctl-op",
                socket,
                [
                    ("hello", {}),
                    ("approvals.approve", {"id": 1}),
                    ("policy.set", {"toml": "language = 'en'"}),
                    ("history", {"link_id": "globex"}),
                    ("send", {"link_id": "acme", "text": "from a real user"}),
                ],
            )
            assert op[0]["result"]["user"] == "hgwctl-op"
            assert op[0]["result"]["role"] == "operator"
            assert [r.get("code") for r in op[1:4]] == [-32003, -32003, -32003]
            assert "role operator may not call approvals.approve" in op[1]["message"]
            assert op[4]["result"]["action"] == "allow"

            aud = await as_user(
                "hgwctl-aud",
                socket,
                [("send", {"link_id": "acme", "text": "x"}), ("audit.verify", {})],
            )
            assert aud[0]["code"] == -32003
            assert "role auditor may not call send" in aud[0]["message"]
            assert aud[1]["result"]["ok"] is True

            nobody = await as_user("hgwctl-nobody", socket, [("status", {})])
            assert nobody == [
                {
                    "code": -32001,
                    "message": "user hgwctl-nobody is not in [control.users];"
                    " an admin adds them with a role",
                }
            ]

            await env.telegram.wait_for(1)
            await env.matrix.wait_for(1)
            # the mirror names the OS user by the real name in their passwd entry
            assert env.matrix.delivered[0].text == "Olga Operator (via hgw): from a real user"
            admin = await env.client()
            records = (await admin.call("audit.page", limit=500))["records"]
            assert ("os:hgwctl-op", "message.sent") in [(r["actor"], r["action"]) for r in records]
    finally:
        shutil.rmtree(base, ignore_errors=True)
