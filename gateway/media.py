"""The media cache: attachment bytes between the network they came from and the one they go to.

A bridge downloads a file when it reports the message; the dispatcher may deliver it seconds or
days later (a held message, an outage, a restart), to another homeserver that cannot read the
first one's ``mxc://`` URIs. So the router puts the bytes here *before* it writes the outbox row,
named by their SHA-256, and the row carries only that name: the store stays small, a file sent
twice is kept once, and a crash between the two leaves at worst an unreferenced file, never a
row without its bytes (invariant 1).

Files are written to a temporary name, fsynced and renamed, mode 0600 in a 0700 directory —
they are the company's correspondence, like the store.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from pathlib import Path

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class MediaCache:
    """Content-addressed files under ``<data_dir>/media``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def put(self, data: bytes) -> str:
        """Store ``data`` durably; return its SHA-256 (hex), the name the outbox refers to."""
        digest = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._write, digest, data)
        return digest

    async def get(self, digest: str) -> bytes | None:
        """The bytes named ``digest``, or ``None`` when they are not (or no longer) here."""
        if not _DIGEST.match(digest):
            return None
        try:
            return await asyncio.to_thread(self._path(digest).read_bytes)
        except FileNotFoundError:
            return None

    async def prune(self, keep: set[str], *, older_than: float) -> int:
        """Delete files nothing refers to any more (``keep`` holds the digests still in use)
        and last written before ``older_than`` (a Unix time); return how many went.

        The age guard covers the window in which the router has written a file but not yet
        the row that refers to it.
        """
        return await asyncio.to_thread(self._prune, keep, older_than)

    def _prune(self, keep: set[str], older_than: float) -> int:
        removed = 0
        if not self.directory.exists():
            return 0
        for path in self.directory.iterdir():
            if not _DIGEST.match(path.name) or path.name in keep:
                continue
            try:
                if path.stat().st_mtime < older_than:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def _path(self, digest: str) -> Path:
        return self.directory / digest

    def _write(self, digest: str, data: bytes) -> None:
        path = self._path(digest)
        if path.exists():
            return  # content-addressed: the same name means the same bytes
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{digest}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # the rename itself must survive a power cut
            finally:
                os.close(dir_fd)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


__all__ = ["MediaCache"]
