"""The relay bot's Matrix session: logging in, and the device id + access token on disk.

Reusing the same device across restarts matters for more than tidiness: Synapse deduplicates
``PUT /send/{txnId}`` per device, so a retry after a restart is recognised only if it comes from
the device that made the first attempt (invariant 2). The file holds a live access token, so it
is created 0600 and refused when anyone else can read it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from nio import AsyncClient, LoginResponse, WhoamiResponse

from bridges.matrix.errors import error_from_response, is_unknown_token
from gateway.errors import PermanentBridgeError, SecretFileError
from gateway.secrets import check_private

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Session:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str

    def __repr__(self) -> str:
        return f"Session({self.user_id}, device={self.device_id})"


def session_path(state_dir: Path, network: str) -> Path:
    return state_dir / f"matrix-session-{network}.json"


def load_session(path: Path) -> Session | None:
    """The saved session, ``None`` if there is none; refuses a file others can read."""
    if not path.exists():
        return None
    check_private(path, key="matrix session")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Session(
            homeserver=str(data["homeserver"]),
            user_id=str(data["user_id"]),
            device_id=str(data["device_id"]),
            access_token=str(data["access_token"]),
        )
    except (ValueError, KeyError, TypeError):
        raise SecretFileError(
            "the saved Matrix session is damaged",
            file=path,
            hint="delete it; the bot logs in again with a new device",
        ) from None


def save_session(path: Path, session: Session) -> None:
    """Write atomically (temp file + rename), created 0600 in a 0700 directory."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(session), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


async def log_in(
    client: AsyncClient,
    path: Path,
    *,
    password: str | None,
    access_token: str | None,
    device_name: str,
    token_rejected: bool = False,
) -> Session:
    """Resume the saved session if its token still works, else log in keeping the device.

    ``token_rejected`` says the homeserver just refused the saved token (``M_UNKNOWN_TOKEN``),
    so it is not tried again. A password login passes the saved device id, so the device —
    and Synapse's transaction-id dedupe with it — survives a revoked token. Errors are
    ``BridgeError``; transport exceptions are the caller's to map.
    """
    homeserver, user_id = client.homeserver, client.user
    saved = load_session(path)
    if saved and (saved.user_id, saved.homeserver) != (user_id, homeserver):
        log.warning("saved session %s is for another account; not reused", path)
        saved = None
    if saved and not token_rejected:
        client.restore_login(saved.user_id, saved.device_id, saved.access_token)
        check = await client.whoami()
        if isinstance(check, WhoamiResponse):
            log.info("%s: resumed session of device %s", user_id, saved.device_id)
            return saved
        if not is_unknown_token(check):
            raise error_from_response(check, f"check the saved session on {homeserver}")
        log.warning("%s: saved access token was revoked; logging in again", user_id)
    if password is not None:
        client.device_id = saved.device_id if saved else None
        response = await client.login(password=password, device_name=device_name)
        if not isinstance(response, LoginResponse):
            raise error_from_response(response, f"log in as {user_id} on {homeserver}")
    elif access_token is not None:
        client.access_token = access_token
        response = await client.whoami()
        if not isinstance(response, WhoamiResponse):
            raise error_from_response(
                response, f"check the configured access token on {homeserver}"
            )
        if response.user_id != user_id:
            raise PermanentBridgeError(
                f"the access token belongs to {response.user_id}, not {user_id}"
            )
        client.user_id = response.user_id
        client.device_id = response.device_id
    else:
        raise PermanentBridgeError(f"no password or access token for {user_id}")
    session = Session(homeserver, user_id, client.device_id, client.access_token)
    save_session(path, session)
    log.info("%s: logged in, device %s", user_id, session.device_id)
    return session


__all__ = ["Session", "load_session", "log_in", "save_session", "session_path"]
