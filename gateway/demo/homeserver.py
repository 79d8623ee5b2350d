"""A real Synapse homeserver on 127.0.0.1 with a free port and SQLite: for ``hgw demo`` and tests.

Each :class:`SynapseServer` lives in its own directory: generated config, signing key, database,
media store and logs. It runs as a child process in its own process group, so :meth:`stop`
leaves nothing behind, and :meth:`restart` keeps port and data (a test may kill the homeserver
mid-burst and bring it back). Several can run at once under different server names, e.g. an
internal and a partner organisation. Users are registered through the shared-secret admin API,
with the standard library only, so the harness needs nothing beyond Synapse itself.

Nothing here reaches the network: only a client listener on 127.0.0.1 (no federation listener),
an empty federation whitelist, no trusted key servers, no stats reporting, no URL previews, no
presence. Rate limits are raised so bursts measure hgw, not Synapse's flood control.

The homeserver also cannot outlive the process that started it (a test run, ``hgw demo``): its
stdin is a pipe whose only write end is held here, and a small guard thread started before
Synapse shuts the homeserver down when that pipe reaches EOF, i.e. when that process is gone
however it died (SIGKILL, ``os._exit`` from a timeout). ``prctl(PR_SET_PDEATHSIG)`` would fire
when the *thread* that spawned it exits, which would kill a homeserver restarted from
``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

STARTUP_TIMEOUT = 60.0
"""Seconds to wait for ``/_matrix/client/versions``; a cold start takes about 2-3 s here."""

STOP_TIMEOUT = 15.0
"""Seconds between SIGTERM and SIGKILL on :meth:`SynapseServer.stop`."""

# The homeserver is on loopback: an http_proxy in the environment must not be asked for it.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

_GENEROUS: dict[str, float] = {"per_second": 10_000, "burst_count": 100_000}

# Every rate limiter Synapse 1.163 reads (synapse/config/ratelimiting.py), raised. Unknown keys
# are ignored by Synapse, so keys that an older or newer release lacks do no harm.
_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _GENEROUS,
    "rc_registration": _GENEROUS,
    "rc_registration_token_validity": _GENEROUS,
    "rc_login": {"address": _GENEROUS, "account": _GENEROUS, "failed_attempts": _GENEROUS},
    "rc_admin_redaction": _GENEROUS,
    "rc_joins": {"local": _GENEROUS, "remote": _GENEROUS},
    "rc_joins_per_room": _GENEROUS,
    "rc_key_requests": _GENEROUS,
    "rc_3pid_validation": _GENEROUS,
    "rc_invites": {"per_room": _GENEROUS, "per_user": _GENEROUS, "per_issuer": _GENEROUS},
    "rc_third_party_invite": _GENEROUS,
    "rc_media_create": _GENEROUS,
    "rc_presence": {"per_user": _GENEROUS},
    "rc_delayed_event_mgmt": _GENEROUS,
    "rc_room_creation": _GENEROUS,  # default burst is 10 rooms, then one a minute
    "rc_reports": _GENEROUS,
    "rc_user_directory": _GENEROUS,
    "rc_profile": _GENEROUS,
}

# The homeserver's entry script, written next to its config: the orphan guard described in the
# module docstring, then exactly what ``python -m synapse.app.homeserver`` does. A file rather
# than ``python -c`` so that ``ps`` shows which server a process is.
_BOOTSTRAP = f"""\
\"\"\"Synapse for hgw; stops itself once the process that started it is gone.\"\"\"
import os, runpy, signal, sys, threading, time

def _orphan_guard():
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep({STOP_TIMEOUT!r})
    os.kill(os.getpid(), signal.SIGKILL)

threading.Thread(target=_orphan_guard, name="hgw-orphan-guard", daemon=True).start()
sys.argv[0] = "synapse.app.homeserver"
runpy.run_module("synapse.app.homeserver", run_name="__main__", alter_sys=True)
"""


class SynapseError(RuntimeError):
    """The homeserver did not start, or refused a request of this launcher.

    ``status`` and ``errcode`` are set when Synapse answered with a Matrix error, so a test can
    tell "name taken" (``M_USER_IN_USE``) from anything else.
    """

    def __init__(
        self, message: str, *, status: int | None = None, errcode: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.errcode = errcode


@dataclass(frozen=True, slots=True)
class RegisteredUser:
    """A user created through the admin API, already logged in on one device."""

    user_id: str
    password: str
    access_token: str
    device_id: str


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SynapseServer:
    """One homeserver: :meth:`start`, then :attr:`url` and :meth:`register_user`, :meth:`stop`.

    ``directory`` holds everything the server writes and survives :meth:`stop`, so a later
    :meth:`start` comes back with the same users, rooms and port. Also usable as a context
    manager (``with SynapseServer(path) as hs: ...``) outside pytest, e.g. in ``bench/``.
    """

    def __init__(self, directory: Path, server_name: str = "internal.test") -> None:
        self.directory = Path(directory)
        self.server_name = server_name
        self.port = free_port()
        self._shared_secret = secrets.token_hex(32)
        self._macaroon_secret = secrets.token_hex(32)
        self._form_secret = secrets.token_hex(32)
        self._configured = False
        self._process: subprocess.Popen[bytes] | None = None
        self.start_seconds: float | None = None
        """How long the last :meth:`start` took until the client API answered."""

    @property
    def url(self) -> str:
        """Base URL of the client API, e.g. ``http://127.0.0.1:41234``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Synapse's own log (WARNING and above); attach it to a failure report."""
        return self.directory / "synapse.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process is not None else None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self, timeout: float = STARTUP_TIMEOUT) -> SynapseServer:
        """Start the homeserver and return once ``/_matrix/client/versions`` answers.

        The first start of this object writes the config (its port and secrets) and, unless the
        directory already has one, a signing key; data already in the directory is kept. If the
        port picked at construction was taken by someone else in the meantime, the first start
        moves to a new one; later starts keep it (clients and configs already point there) and
        fail clearly instead.
        """
        if self.running:
            raise SynapseError(f"{self.server_name} is already running at {self.url}")
        first = not self._configured
        if first:
            self._write_config()
        for attempt in range(3):
            try:
                self._spawn_and_wait(timeout)
                return self
            except _PortTaken as taken:
                if not first or attempt == 2:
                    raise SynapseError(
                        f"{self.server_name}: port {self.port} is taken by another process:\n"
                        f"{taken}"
                    ) from None
                self.port = free_port()
                self._write_config()
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the process group, SIGKILL it after ``timeout``; return once it is gone."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    _signal_group(process, signal.SIGKILL)
                    process.wait(timeout)
        finally:
            _close_stdin(process)

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no clean shutdown of Synapse."""
        process, self._process = self._process, None
        if process is None:
            return
        _signal_group(process, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)
        _close_stdin(process)

    def restart(self, timeout: float = STARTUP_TIMEOUT) -> SynapseServer:
        """Stop cleanly and start again on the same port with the same data."""
        self.stop()
        return self.start(timeout)

    async def start_async(self, timeout: float = STARTUP_TIMEOUT) -> SynapseServer:  # noqa: ASYNC109
        """:meth:`start` off the event loop, so clients in the same loop keep running."""
        return await asyncio.to_thread(self.start, timeout)

    async def stop_async(self, timeout: float = STOP_TIMEOUT) -> None:  # noqa: ASYNC109
        """:meth:`stop` off the event loop."""
        await asyncio.to_thread(self.stop, timeout)

    def __enter__(self) -> SynapseServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- API --------------------------------------------------------------------------------

    def register_user(
        self, name: str, password: str | None = None, *, admin: bool = False
    ) -> RegisteredUser:
        """Create ``@name:server_name`` with the shared-secret admin API, logged in once.

        Raises :class:`SynapseError` (``errcode == "M_USER_IN_USE"``) if the name is taken:
        tests share one homeserver per session, so a silent reuse would mix their state.
        """
        password = password if password is not None else secrets.token_urlsafe(16)
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        message = b"\x00".join(
            [nonce.encode(), name.encode(), password.encode(), b"admin" if admin else b"notadmin"]
        )
        mac = hmac.new(self._shared_secret.encode(), message, hashlib.sha1).hexdigest()
        body = {"nonce": nonce, "username": name, "password": password, "admin": admin, "mac": mac}
        reply = self.request("POST", "/_synapse/admin/v1/register", body)
        return RegisteredUser(reply["user_id"], password, reply["access_token"], reply["device_id"])

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        access_token: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """One JSON request to this homeserver; a Matrix error becomes :class:`SynapseError`."""
        headers = {"Content-Type": "application/json"}
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data, headers, method=method)  # noqa: S310 - always http://127.0.0.1
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            try:
                errcode = json.loads(detail).get("errcode")
            except (ValueError, AttributeError):
                errcode = None
            raise SynapseError(
                f"{self.server_name}: {method} {path} → {err.code}: {detail}",
                status=err.code,
                errcode=errcode,
            ) from None

    # -- internals --------------------------------------------------------------------------

    @property
    def _config_path(self) -> Path:
        return self.directory / "homeserver.yaml"

    def _write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        signing_key = self.directory / "signing.key"
        if not signing_key.exists():
            # The format signedjson reads: "ed25519 <version> <unpadded base64 of the seed>".
            # Writing it here saves a ~2 s `--generate-keys` run of Synapse per server.
            seed = base64.b64encode(os.urandom(32)).decode().rstrip("=")
            signing_key.write_text(f"ed25519 a_{secrets.token_hex(2)} {seed}\n")
        log_config = self.directory / "log.yaml"
        log_config.write_text(
            json.dumps(
                {
                    "version": 1,
                    "formatters": {
                        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
                    },
                    "handlers": {
                        "file": {
                            "class": "logging.FileHandler",
                            "filename": str(self.log_path),
                            "formatter": "plain",
                        }
                    },
                    "root": {"level": "WARNING", "handlers": ["file"]},
                    "disable_existing_loggers": False,
                }
            )
        )
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": self.url + "/",
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    # "client" also serves the media repository (/_matrix/client/v1/media, …)
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(self.directory / "homeserver.db")},
            },
            "media_store_path": str(self.directory / "media"),
            "max_upload_size": "50M",
            "signing_key_path": str(signing_key),
            "macaroon_secret_key": self._macaroon_secret,
            "form_secret": self._form_secret,
            "log_config": str(log_config),
            "registration_shared_secret": self._shared_secret,
            # bcrypt's minimum cost: the default (12) costs ~0.25 s of CPU per registration/login.
            "bcrypt_rounds": 4,
            "enable_registration": False,
            "report_stats": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "enable_metrics": False,
            # Background updates of a fresh schema: run them without Synapse's pauses.
            "background_updates": {"sleep_enabled": False},
            **_RATE_LIMITS,
        }
        # JSON is YAML: no extra dependency to write the config.
        self._config_path.write_text(json.dumps(config, indent=2))
        self._configured = True

    def _spawn_and_wait(self, timeout: float) -> None:
        began = time.monotonic()
        # Logs are appended across restarts: a failure report shows only this attempt's lines.
        offsets = {path: path.stat().st_size if path.exists() else 0 for path in self._logs}
        script = self.directory / "run_synapse.py"
        script.write_text(_BOOTSTRAP)
        with (self.directory / "stdout.log").open("ab") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
                [sys.executable, str(script), "-c", str(self._config_path)],
                cwd=self.directory,
                stdin=subprocess.PIPE,  # the orphan guard's lifeline; see the module docstring
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._process = process
        deadline = began + timeout
        while True:
            if process.poll() is not None:
                self._process = None
                _close_stdin(process)
                tail = self._log_tail(offsets)
                if "Address already in use" in tail:
                    raise _PortTaken(tail)
                raise SynapseError(
                    f"{self.server_name}: Synapse exited with {process.returncode} during "
                    f"start-up (logs in {self.directory}):\n{tail}"
                )
            try:
                self.request("GET", "/_matrix/client/versions", timeout=2)
            except (OSError, SynapseError):
                if time.monotonic() >= deadline:
                    self.stop()
                    raise SynapseError(
                        f"{self.server_name}: Synapse did not answer within {timeout:.0f}s "
                        f"(logs in {self.directory}):\n{self._log_tail(offsets)}"
                    ) from None
                time.sleep(0.05)
            else:
                self.start_seconds = time.monotonic() - began
                return

    @property
    def _logs(self) -> tuple[Path, Path]:
        """Synapse's log file, and its stdout/stderr (tracebacks before logging is set up)."""
        return self.log_path, self.directory / "stdout.log"

    def _log_tail(self, offsets: dict[Path, int] | None = None, lines: int = 40) -> str:
        parts = []
        for path in self._logs:
            if path.exists():
                with path.open("rb") as log:
                    log.seek((offsets or {}).get(path, 0))
                    tail = log.read().decode(errors="replace").splitlines()[-lines:]
                if tail:
                    parts.append(f"--- {path.name} ---\n" + "\n".join(tail))
        return "\n".join(parts) or "(nothing logged)"


class _PortTaken(Exception):
    """Synapse could not bind its port: someone took it between :func:`free_port` and now."""


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The group id is the child's pid (start_new_session); it may be gone already.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _close_stdin(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()


__all__ = [
    "STARTUP_TIMEOUT",
    "RegisteredUser",
    "SynapseError",
    "SynapseServer",
    "free_port",
]
