"""One error tree for hgw.

Every error a user can cause ends up as one of these, carrying a message that says what is wrong
and what to do next; the CLI prints it without a traceback. Library exceptions (sqlite3, tomllib,
telethon, nio) are translated at the edge that calls the library, never allowed to leak upwards.

    HgwError                      root; ``str(err)`` is the user-facing text
    ├── ConfigError               a config file or value is wrong (the user's fault)
    │   └── SecretFileError       a secret file is missing or readable by others
    ├── PolicyError               a policy rule set cannot be loaded (the admin's fault)
    ├── StoreError                the store cannot be used
    │   ├── SchemaTooNewError     written by a newer hgw; refuse rather than corrupt it
    │   └── NotADatabaseError     the file is not an SQLite database, or it is damaged
    └── BridgeError               a network adapter failed
        ├── TransientBridgeError  worth retrying (timeouts, 5xx, flood waits)
        └── PermanentBridgeError  retrying cannot help (forbidden, not found, too large)
"""

from __future__ import annotations

from pathlib import Path


class HgwError(Exception):
    """Root of every error hgw raises on purpose."""


class ConfigError(HgwError):
    """A configuration problem, located as precisely as the source allows.

    The message reads ``FILE:LINE:COL: KEY: reason (hint)`` with the parts that are known, so an
    editor can jump to it and the admin knows what to change.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: Path | str | None = None,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = Path(file) if file is not None else None
        self.key = key
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        key = f"{self.key}: " if self.key else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{key}{self.reason}{hint}"


class SecretFileError(ConfigError):
    """A secret file is missing, unreadable, or exposed to other users."""


class PolicyError(HgwError):
    """A policy rule set is invalid; names the rule and the reason."""

    def __init__(self, reason: str, *, rule: str | None = None, key: str | None = None) -> None:
        self.reason = reason
        self.rule = rule
        self.key = key
        parts = []
        if rule:
            parts.append(f"rule {rule!r}")
        if key:
            parts.append(key)
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {reason}" if prefix else reason)


class StoreError(HgwError):
    """The store cannot be opened or used."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer hgw whose schema this version does not know."""


class NotADatabaseError(StoreError):
    """The store file is not an SQLite database or is damaged."""


class BridgeError(HgwError):
    """A network adapter failed to carry out an operation."""


class TransientBridgeError(BridgeError):
    """A failure that may go away: retry with backoff.

    ``retry_after`` is set when the remote side said how long to wait (Telegram FLOOD_WAIT,
    Matrix M_LIMIT_EXCEEDED); the dispatcher honours it instead of its own backoff.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class PermanentBridgeError(BridgeError):
    """A failure that retrying cannot fix: surface it to the sender instead of looping."""


__all__ = [
    "BridgeError",
    "ConfigError",
    "HgwError",
    "NotADatabaseError",
    "PermanentBridgeError",
    "PolicyError",
    "SchemaTooNewError",
    "SecretFileError",
    "StoreError",
    "TransientBridgeError",
]
