"""A real Synapse homeserver for tests, on 127.0.0.1 with a free port and SQLite.

Each :class:`SynapseServer` lives in its own directory: generated config, signing key, database,
media store and log. It runs as a child process in its own process group, so :meth:`stop`
leaves nothing behind, and :meth:`restart` keeps port and data (a test may kill the homeserver
mid-burst and bring it back). Several can run at once under different server names, e.g. an
internal and a partner organisation. Users are registered through the shared-secret admin API,
with the standard library only.

Federation is off (no federation listener, empty whitelist, no trusted key servers), so nothing
tries to reach the network; rate limits are raised so bursts in tests measure hgw, not limits.
"""

from __future__ import annotations

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
from typing import Any

STARTUP_TIMEOUT = 90.0
_GENEROUS = {"per_second": 10_000, "burst_count": 10_000}


class SynapseError(RuntimeError):
    """The test homeserver did not start, or refused a harness request."""


@dataclass(frozen=True, slots=True)
class RegisteredUser:
    user_id: str
    password: str
    access_token: str
    device_id: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SynapseServer:
    """One homeserver. ``start()``, use ``url`` and ``register_user``, ``stop()``."""

    def __init__(self, directory: Path, server_name: str = "internal.test") -> None:
        self.directory = directory
        self.server_name = server_name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._shared_secret = secrets.token_hex(16)
        self._process: subprocess.Popen[bytes] | None = None
        self._configured = False

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> SynapseServer:
        if not self._configured:
            self._write_config()
        log = (self.directory / "stdout.log").open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self._config_path)],
            cwd=self.directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_until_ready()
        return self

    def stop(self, timeout: float = 20.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- users ------------------------------------------------------------------------------

    def register_user(
        self, name: str, password: str | None = None, *, admin: bool = False
    ) -> RegisteredUser:
        """Create ``@name:server_name`` with the shared-secret admin API."""
        password = password or secrets.token_urlsafe(12)
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self._shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(
            b"\x00".join(
                [
                    nonce.encode(),
                    name.encode(),
                    password.encode(),
                    b"admin" if admin else b"notadmin",
                ]
            )
        )
        body = {
            "nonce": nonce,
            "username": name,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        reply = self._request("POST", "/_synapse/admin/v1/register", body)
        return RegisteredUser(reply["user_id"], password, reply["access_token"], reply["device_id"])

    # -- internals --------------------------------------------------------------------------

    @property
    def _config_path(self) -> Path:
        return self.directory / "homeserver.yaml"

    def _write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log_config = self.directory / "log.yaml"
        log_config.write_text(
            "version: 1\n"
            "formatters: {plain: {format: '%(asctime)s %(levelname)s %(name)s: %(message)s'}}\n"
            "handlers:\n"
            f"  file: {{class: logging.FileHandler, filename: '{self.directory / 'synapse.log'}',"
            " formatter: plain}\n"
            "root: {level: WARNING, handlers: [file]}\n"
            "disable_existing_loggers: false\n"
        )
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "pid_file": str(self.directory / "homeserver.pid"),
            "public_baseurl": self.url + "/",
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(self.directory / "homeserver.db")},
            },
            "media_store_path": str(self.directory / "media"),
            "max_upload_size": "50M",
            "signing_key_path": str(self.directory / "signing.key"),
            "log_config": str(log_config),
            "registration_shared_secret": self._shared_secret,
            "enable_registration": False,
            "report_stats": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "federation_domain_whitelist": [],
            "use_presence": False,
            "url_preview_enabled": False,
            "enable_metrics": False,
            "rc_message": _GENEROUS,
            "rc_registration": _GENEROUS,
            "rc_login": {"address": _GENEROUS, "account": _GENEROUS, "failed_attempts": _GENEROUS},
            "rc_joins": {"local": _GENEROUS, "remote": _GENEROUS},
            "rc_invites": {"per_room": _GENEROUS, "per_user": _GENEROUS, "per_issuer": _GENEROUS},
            "rc_admin_redaction": _GENEROUS,
            "rc_3pid_validation": _GENEROUS,
            "rc_joins_per_room": _GENEROUS,
        }
        # JSON is YAML: no extra dependency to write the config.
        self._config_path.write_text(json.dumps(config, indent=2))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "-c",
                str(self._config_path),
                "--generate-keys",
            ],
            cwd=self.directory,
            check=True,
            capture_output=True,
            timeout=120,
        )
        self._configured = True

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise SynapseError(
                    f"Synapse exited with {self._process.returncode} during start-up:\n"
                    + self._log_tail()
                )
            try:
                self._request("GET", "/_matrix/client/versions", timeout=2)
                return
            except (OSError, SynapseError):
                time.sleep(0.1)
        self.stop()
        raise SynapseError(
            f"Synapse did not answer within {STARTUP_TIMEOUT:.0f}s:\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 40) -> str:
        text = ""
        for name in ("synapse.log", "stdout.log"):
            path = self.directory / name
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 30
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise SynapseError(f"{method} {path} → {err.code}: {detail}") from None


__all__ = ["RegisteredUser", "SynapseError", "SynapseServer", "free_port"]
