"""Where the running policy comes from: the config file's ``[policy]``, or the store.

``policy.set`` (control API) validates a policy and keeps its TOML text in the store
(kv ``policy.active_toml``); from then on it replaces the config file's ``[policy]`` at start-up
and on every reload, so a policy an admin set from the TUI survives restarts and SIGHUP. The
change is audited with the SHA-256 of the old and the new text.

A policy file on its own (``hgw policy check FILE``) is read by :func:`load_file`: everything the
file settles is checked, and what only a config can settle (its links, partner networks) comes
back as warnings (:mod:`gateway.policy_refs`).
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from gateway import policy_refs
from gateway.config import Config, parse_toml, policy_error_line, policy_names
from gateway.errors import ConfigError, PolicyError
from gateway.store import Store, kv
from gateway.store.connection import WriteConnection

log = logging.getLogger(__name__)

KV_KEY = "policy.active_toml"


def parse(text: str, *, source: str = "policy.set") -> Any:
    """A policy from TOML text: the ``[policy]`` table's keys at top level, or wrapped in a
    ``[policy]`` table as in a config file. Raises :class:`PolicyError` naming rule and key."""
    from gateway.policy import load_policy

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"not valid TOML: {err}") from None
    return load_policy(_unwrapped(data), source=source)


def _unwrapped(data: dict[str, Any]) -> dict[str, Any]:
    """The policy's keys: a file may hold them at top level or under ``[policy]``."""
    if set(data) == {"policy"} and isinstance(data["policy"], dict):
        return data["policy"]
    return data


def load_file(path: Path) -> tuple[Any, list[str]]:
    """A standalone policy file, validated as far as it can be without a config: the policy and
    warnings about the names only a config can check. Errors name the file and line."""
    from gateway.policy import load_policy

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("policy file does not exist", file=path) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read policy file: {err}", file=path) from None
    table = _unwrapped(parse_toml(text, path))
    try:
        policy = load_policy(table, source=str(path))
    except PolicyError as err:
        raise ConfigError(str(err), file=path, line=policy_error_line(err, table, text)) from None
    rules = table.get("rules")
    warnings = policy_refs.check(rules, text, path, policy_refs.Known()) if rules else []
    return policy, warnings


def sha256(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text is not None else None


class PolicySource:
    """The stored policy, if an admin set one; ``apply`` puts it into a config."""

    def __init__(self) -> None:
        self.text: str | None = None
        self.policy: Any = None
        self._names = policy_refs.Known()
        """What a policy set through the control API may name: the running config's networks
        and control users. Links are not checked there: links made at runtime count too."""

    async def load(self, store: Store) -> None:
        text = await store.get_value(KV_KEY)
        if text is None:
            return
        try:
            self.policy = parse(text, source="store")
        except PolicyError as err:  # written valid; unreadable only after an engine change
            log.error("the stored policy no longer loads (%s); using the config's [policy]", err)
            return
        self.text = text

    def apply(self, config: Config) -> Config:
        self._names = replace(policy_names(config), links=None)
        return replace(config, policy=self.policy) if self.policy is not None else config

    async def save(self, store: Store, text: str, *, actor: str) -> Any:
        """Validate, store and audit ``text``; it takes effect when the caller applies it."""
        policy = parse(text)
        rules = _unwrapped(tomllib.loads(text)).get("rules")
        try:
            policy_refs.check(rules or [], text, Path("policy.set"), self._names)
        except ConfigError as err:
            raise PolicyError(str(err)) from None
        old = self.text

        async def write(conn: WriteConnection) -> None:
            await kv.put(conn, KV_KEY, text)
            await store.audit.append(
                conn,
                actor=actor,
                action="policy.set",
                subject="policy",
                details={"old_sha256": sha256(old), "new_sha256": sha256(text)},
            )

        await store.write(write)
        self.text, self.policy = text, policy
        return policy


def config_policy_text(config: Config) -> str:
    """The TOML text of the config's policy: its ``[policy…]`` sections, or the default."""
    path = config.source_path
    if path is not None and path.exists():
        section = _policy_sections(path.read_text(encoding="utf-8"))
        if section:
            return section
    return (resources.files("gateway.policy") / "default_policy.toml").read_text("utf-8")


def _policy_sections(text: str) -> str:
    """The lines of every ``[policy]``, ``[policy.x]`` and ``[[policy.x]]`` table."""
    keep, inside = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            name = stripped.strip("[] ").split("]")[0].strip()
            inside = name == "policy" or name.startswith("policy.")
        if inside:
            keep.append(line)
    return "\n".join(keep).strip() + "\n" if keep else ""


__all__ = ["KV_KEY", "PolicySource", "config_policy_text", "parse", "sha256"]
