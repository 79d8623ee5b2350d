"""Secrets referenced by the config: read from a file or an environment variable, never inline.

A :class:`Secret` knows where its value lives but does not hold it until :meth:`Secret.reveal`
is called, and its ``repr`` never shows it — a config object can be logged or printed in a
traceback without leaking a password. Secret files must be private to the daemon's user: a file
readable by group or others is refused with the ``chmod`` that fixes it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gateway.errors import SecretFileError

MAX_SECRET_BYTES = 64 * 1024
"""No password or token is this long; a bigger file is a wrong path, not a secret."""


@dataclass(frozen=True, slots=True)
class Secret:
    """Where a secret lives: exactly one of ``file`` or ``env`` is set."""

    key: str
    """The config key that named it, for error messages."""
    file: Path | None = None
    env: str | None = None

    def __repr__(self) -> str:
        where = f"file={str(self.file)!r}" if self.file else f"env={self.env!r}"
        return f"Secret({self.key}, {where})"

    def check(self) -> None:
        """Fail if the secret cannot be read safely; does not keep the value."""
        self.reveal()

    def reveal(self) -> str:
        """The secret's value, stripped of surrounding whitespace."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None or not value.strip():
                raise SecretFileError(
                    f"environment variable {self.env} is not set or empty",
                    key=self.key,
                    hint=f"export {self.env}=… in the daemon's environment",
                )
            return value.strip()
        assert self.file is not None
        return read_private_file(self.file, key=self.key).strip()


def open_private_for_writing(path: Path, *, newline: str | None = None) -> TextIO:
    """``path`` truncated and opened for text, owner-only (0600) — also when it existed with
    looser bits: ``O_CREAT``'s mode applies only to a file it creates."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "w", encoding="utf-8", newline=newline)
    except BaseException:
        os.close(fd)
        raise


def check_private(path: Path, *, key: str | None = None) -> os.stat_result:
    """Refuse a file that other users could read; return its stat."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SecretFileError(
            "secret file does not exist", file=path, key=key, hint=_create_hint(path)
        ) from None
    except NotADirectoryError:
        raise SecretFileError(
            "secret file cannot exist: a part of its path is a file, not a directory",
            file=path,
            key=key,
            hint="check the path",
        ) from None
    except PermissionError:
        raise SecretFileError(
            "secret file cannot be read by this user", file=path, key=key, hint="check its owner"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise SecretFileError("secret path is not a regular file", file=path, key=key)
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode = stat.S_IMODE(info.st_mode)
        raise SecretFileError(
            f"secret file is accessible by group or others (mode {mode:04o})",
            file=path,
            key=key,
            hint=f"run: chmod 600 {path}",
        )
    return info


def _create_hint(path: Path) -> str:
    """The commands that create a missing secret file — with its directory when that is
    missing too: ``install -m 600 /dev/null DIR/file`` alone fails on a fresh machine."""
    create = f"install -m 600 /dev/null {path}"
    directory = path.parent
    if not directory.exists():
        create = f"install -d -m 700 {directory} && {create}"
    return f"create it with: {create} and write the secret into it"


def read_private_file(path: Path, *, key: str | None = None) -> str:
    """Read a small private file, refusing exposed, oversized or empty ones."""
    info = check_private(path, key=key)
    if info.st_size > MAX_SECRET_BYTES:
        raise SecretFileError(
            f"secret file is {info.st_size} bytes; a secret is at most {MAX_SECRET_BYTES}",
            file=path,
            key=key,
            hint="check that the path points at the secret and not at another file",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SecretFileError("secret file is not UTF-8 text", file=path, key=key) from None
    if not text.strip():
        raise SecretFileError("secret file is empty", file=path, key=key)
    return text


__all__ = ["MAX_SECRET_BYTES", "Secret", "check_private", "read_private_file"]
