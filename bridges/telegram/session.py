"""The telethon session file: the account's auth key, so it is private like a password.

telethon keeps the auth key, the data centre and the access hashes of known users in a SQLite
file. Anyone who can read it can act as the account, so it is created 0600 in a 0700 directory
before telethon opens it (SQLite gives its journal the same mode) and refused when group or
others may read it. The update state telethon also keeps there is *not* trusted: hgw's own
checkpoint, saved only after events are stored, is written over it before every connect.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from telethon.sessions import SQLiteSession
from telethon.tl import types

from gateway.secrets import check_private


def open_session(path: Path) -> SQLiteSession:
    """The session at ``path`` (``.session`` is added by telethon if missing), made private."""
    if path.suffix != ".session":
        path = path.with_name(path.name + ".session")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        check_private(path, key="telegram session")
    else:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    return SQLiteSession(str(path))


def set_update_state(session: object, state: dict[str, int]) -> None:
    """Make telethon resume from ``state`` (pts/qts/date/seq) on its next connect."""
    set_state = getattr(session, "set_update_state")  # noqa: B009 - every telethon session has it
    set_state(
        0,
        types.updates.State(
            pts=state["pts"],
            qts=state.get("qts", 0),
            date=datetime.fromtimestamp(state.get("date", 0), UTC),
            seq=state.get("seq", 0),
            unread_count=0,
        ),
    )


__all__ = ["open_session", "set_update_state"]
