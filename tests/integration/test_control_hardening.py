"""The control socket under hostile or broken clients: odd JSON, unfinished lines, floods.

Each of these once cost the daemon a connection or all of them: a 5,000-digit integer or a
200k-deep array ended the connection with an unhandled ``ValueError``/``RecursionError``;
1,100 half-sent lines from one auditor, each held open forever, used up the daemon's 1,024
open files (``[Errno 24]``) and locked every other user out.

Timeouts and the per-uid limit are module constants of :mod:`gateway.control.server`; the
tests lower them so they run in seconds. The flood test tells users apart by the connecting
process (``SO_PEERCRED`` pid), since one test process cannot be two OS users.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.control import peer, server
from tests.integration.test_control_support import (  # noqa: F401 - fake_peer is a fixture
    fake_peer,
    running,
    write_config,
)

HELLO = b'{"jsonrpc": "2.0", "id": %d, "method": "hello"}\n'
HALF = b'{"jsonrpc": "2.0", "id": 1, "method": "hel'
CAROL_UID = os.getuid() + 1000
"""The flooding process's uid as the daemon sees it (any uid but the test's own)."""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path / "config.toml", tmp_path / "run" / "hgw" / "control.sock")


async def read_answer(reader: asyncio.StreamReader, timeout: float = 5) -> dict | None:
    """The next line as JSON, ``None`` at end of file."""
    line = await asyncio.wait_for(reader.readline(), timeout)
    return json.loads(line) if line else None


@pytest.mark.usefixtures("fake_peer")
async def test_huge_numbers_and_deep_nesting_are_parse_errors_and_the_line_after_is_answered(
    config_path: Path,
) -> None:
    bad_lines = [
        b'{"jsonrpc": "2.0", "id": 1, "method": "hello", "params": {"n": ' + b"7" * 5000 + b"}}\n",
        b"[" * 200_000 + b"\n",
        b'{"jsonrpc": "2.0", "id": ' + b"9" * 5000 + b', "method": "hello"}\n',
        b'{"a": ' * 100_000 + b"\n",
    ]
    async with running(config_path) as env:
        reader, writer = await asyncio.open_unix_connection(str(env.socket))
        try:
            for number, bad in enumerate(bad_lines, start=10):
                writer.write(bad)
                error = await read_answer(reader)
                assert error is not None, "the daemon hung up instead of answering"
                assert error["id"] is None
                assert error["error"]["code"] == -32700
                writer.write(HELLO % number)  # the SAME connection still serves requests
                answer = await read_answer(reader)
                assert answer is not None
                assert answer["id"] == number
                assert answer["result"]["role"] == "admin"
        finally:
            writer.close()


@pytest.mark.usefixtures("fake_peer")
async def test_unfinished_lines_and_idle_connections_are_closed_but_subscribers_stay(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "FRAME_SECONDS", 0.5)
    monkeypatch.setattr(server, "IDLE_SECONDS", 0.5)
    async with running(config_path) as env:
        path = str(env.socket)
        half_reader, half = await asyncio.open_unix_connection(path)
        half.write(HALF)
        idle_reader, idle = await asyncio.open_unix_connection(path)
        sub_reader, sub = await asyncio.open_unix_connection(path)
        sub.write(b'{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"topics":["status"]}}\n')
        assert (await read_answer(sub_reader))["id"] == 1

        why = await read_answer(half_reader, timeout=5)
        assert why is not None, "closed without saying why"
        assert why["error"]["data"]["reason"] == "frame timeout"
        assert "unfinished" in why["error"]["message"]
        assert await read_answer(half_reader) is None

        why = await read_answer(idle_reader, timeout=5)
        assert why is not None
        assert why["error"]["data"]["reason"] == "idle timeout"
        assert await read_answer(idle_reader) is None

        await asyncio.sleep(1.0)  # twice the idle time: a subscriber is still served
        sub.write(HELLO % 2)
        answer = await read_answer(sub_reader)
        assert answer is not None
        assert answer["id"] == 2
        for writer in (half, idle, sub):
            writer.close()


@pytest.mark.usefixtures("fake_peer")
async def test_one_user_over_the_connection_limit_is_refused_with_a_clear_error(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "MAX_CONNECTIONS_PER_USER", 3)
    async with running(config_path) as env:
        path = str(env.socket)
        held = [await asyncio.open_unix_connection(path) for _ in range(3)]
        for number, (reader, writer) in enumerate(held):
            writer.write(HELLO % number)
            assert (await read_answer(reader))["id"] == number
        reader, writer = await asyncio.open_unix_connection(path)
        refusal = await read_answer(reader)
        assert refusal is not None
        assert refusal["error"]["code"] == -32010
        assert refusal["error"]["data"]["reason"] == "too many connections"
        assert "too many connections from root" in refusal["error"]["message"]
        assert await read_answer(reader) is None
        writer.close()

        held[0][1].close()  # one closes: the next is let in
        await asyncio.sleep(0.2)
        reader, writer = await asyncio.open_unix_connection(path)
        writer.write(HELLO % 7)
        assert (await read_answer(reader))["id"] == 7
        writer.close()
        for _reader, held_writer in held[1:]:
            held_writer.close()


FLOOD = r"""
import resource, socket, sys, time

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
path, wanted, half = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
held = []
deadline = time.monotonic() + 10
while len(held) < wanted and time.monotonic() < deadline:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.connect(path)
    except BlockingIOError:  # the daemon's listen backlog is full
        sock.close()
        time.sleep(0.01)
        continue
    try:
        sock.send(half)
    except OSError:
        pass
    held.append(sock)
print(len(held), flush=True)
sys.stdin.read()
"""


@pytest.fixture
def daemon_file_limit() -> Iterator[int]:
    """The daemon (this process) gets the 1,024 open files of the incident."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # not a skip: a machine that cannot open 2,200 files cannot show the acceptance item, and
    # that must be seen as a failure, not pass by silently (CI's machines allow 20,000)
    assert hard == resource.RLIM_INFINITY or hard >= 2200, (
        f"the flood needs 2,200 open files for its own process (hard limit {hard})"
    )
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 1024), hard))
    try:
        yield 1024
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_two_thousand_half_sent_lines_from_one_user_do_not_lock_out_another(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, daemon_file_limit: int
) -> None:
    flooders: set[int] = set()

    def identify_by_process(sock: socket.socket) -> peer.PeerUser:
        pid, uid, _gid = struct.unpack(
            "3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        )
        if pid in flooders:
            return peer.PeerUser(CAROL_UID, "carol", "Carol")
        return peer.PeerUser(uid, "root", "Root")

    monkeypatch.setattr(peer, "identify", identify_by_process)
    async with running(config_path) as env:
        flood = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            FLOOD,
            str(env.socket),
            "2000",
            HALF.decode(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        flooders.add(flood.pid)
        try:
            assert flood.stdout is not None
            opened = int(await asyncio.wait_for(flood.stdout.readline(), 30))
            assert opened >= 1000, "the flood did not get its connections in"

            async def served() -> dict:
                reader, writer = await asyncio.open_unix_connection(str(env.socket))
                try:
                    writer.write(HELLO % 1)
                    answer = await read_answer(reader, timeout=5)
                    assert answer is not None
                    return answer
                finally:
                    writer.close()

            answer = await asyncio.wait_for(served(), 8)
            assert answer["result"]["role"] == "admin"
            flooding = [c for c in env.daemon.control.connections if c.peer.uid == CAROL_UID]
            assert len(flooding) == server.MAX_CONNECTIONS_PER_USER
        finally:
            flood.kill()
            await flood.wait()
