"""Who is on the other end of the socket: ``SO_PEERCRED`` → uid → OS user.

The kernel fills in the peer's credentials at ``connect()``; a client cannot lie about them.
:func:`user_for_uid` is the one seam tests may replace (when they cannot create OS users).
"""

from __future__ import annotations

import pwd
import socket
import struct
from dataclasses import dataclass

_UCRED = struct.Struct("3i")  # struct ucred {pid_t pid; uid_t uid; gid_t gid;}


@dataclass(frozen=True, slots=True)
class PeerUser:
    uid: int
    name: str | None
    """The login name, or ``None`` for a uid without a passwd entry."""
    real_name: str | None = None
    """The GECOS full name, if the account has one."""

    @property
    def label(self) -> str:
        """What a colleague reads: the real name if there is one, else the login name."""
        return self.real_name or self.name or f"uid {self.uid}"


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process that connected ``sock`` (Linux ``SO_PEERCRED``)."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    _pid, uid, _gid = _UCRED.unpack(raw)
    return uid


def user_for_uid(uid: int) -> PeerUser:
    """The OS account behind ``uid``; the seam tests replace."""
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        return PeerUser(uid, None)
    real_name = entry.pw_gecos.split(",", 1)[0].strip() or None
    return PeerUser(uid, entry.pw_name, real_name)


def identify(sock: socket.socket) -> PeerUser:
    return user_for_uid(peer_uid(sock))


__all__ = ["PeerUser", "identify", "peer_uid", "user_for_uid"]
