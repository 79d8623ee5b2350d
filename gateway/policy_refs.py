"""What policy rules name — links, networks, senders, contacts — checked against what exists.

``links = ["acme-suplier"]`` or ``networks = ["telgram"]`` is a valid rule that never fires: the
message it was written for leaves under the other rules, and nothing tells the admin. So a name
that cannot match is a config error, pointed at the rule's key with the closest real name, the
way :mod:`gateway.config` reports a misspelt option. (Detector kinds are checked when the policy
loads, :func:`gateway.policy.load_policy`: built-in kinds and ``[[policy.detectors]]``.)

What one file can tell differs. A config knows its links (``[[links]]``), the external networks
a link can use (``telegram`` when ``[telegram]`` is configured, every ``[partners.NAME]``) and its
control users. A standalone policy file knows none of them: there those names are reported as
warnings that ``hgw config check`` checks them, and only what the file itself settles is an
error. Links made at runtime (``!hgw link``, ``links.create``) are not in any file: a rule for
one names it in the config's ``[[links]]`` first, as ``[control.users]`` operators already must.

Senders and contacts are ids as the networks report them, not names the config defines, so
their *shape* is checked: a Matrix id ``@name:server`` (or a room ``!id:server`` for contacts),
a Telegram id (digits, ``-100…`` for groups), ``os:USER`` for a sender writing from hgw itself
(the TUI or CLI; USER must be a control user). A Telegram ``@username``, a phone number or a
room alias never equals an id, so a rule naming one could never match.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError

BUILT_IN_NETWORKS = ("telegram",)
"""External networks hgw itself knows; partner networks are named in a config."""
_MATRIX_USER = re.compile(r"@[^:\s]+:\S+")
_MATRIX_ROOM = re.compile(r"![^:\s]+(?::\S+)?")  # v12 room ids have no server
_NUMERIC_ID = re.compile(r"-?\d{1,20}")
_OS_USER = re.compile(r"os:(\S+)")
_IDS = 'a Matrix id "@name:server", a Telegram id (digits)'


@dataclass(frozen=True, slots=True)
class Known:
    """The names a policy may refer to; ``None``: this file cannot tell (a policy file alone)."""

    links: frozenset[str] | None = None
    networks: frozenset[str] | None = None
    os_users: frozenset[str] | None = None
    chats: Mapping[str, str] = field(default_factory=dict)
    """A link's ``external_chat`` as the config writes it → the link's id."""


@dataclass(frozen=True, slots=True)
class _Problem:
    key: str
    reason: str
    hint: str | None = None
    warning: bool = False


def check(rules: Sequence[Any], text: str, path: Path, known: Known) -> list[str]:
    """Raise :class:`ConfigError` for the first rule, in file order, that names something that
    cannot match; return warnings for the names this file cannot settle."""
    lines = RuleLines(text)
    warnings: list[str] = []
    for index, raw in enumerate(rules):
        if not isinstance(raw, Mapping):
            continue  # load_policy refused it already
        name = raw.get("name")
        for problem in _problems(raw, known):
            line = lines.line(index, problem.key)
            reason = f"rule {name!r}: {problem.key}: {problem.reason}"
            if problem.warning:
                where = f"{path}:{line}" if line else str(path)
                hint = f" ({problem.hint})" if problem.hint else ""
                warnings.append(f"{where}: {reason}{hint}")
            else:
                raise ConfigError(reason, file=path, line=line, hint=problem.hint)
    return warnings


def _problems(raw: Mapping[str, Any], known: Known) -> Iterator[_Problem]:
    for value in _strings(raw, "links"):
        yield from _link(value, known)
    for value in _strings(raw, "networks"):
        yield from _network(value, known)
    for value in _strings(raw, "senders"):
        yield from _sender(value, known)
    for key in ("contacts", "except_contacts"):
        for value in _strings(raw, key):
            yield from _contact(key, value, known)


def _strings(raw: Mapping[str, Any], key: str) -> list[str]:
    value = raw.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _link(value: str, known: Known) -> Iterator[_Problem]:
    if known.links is None:
        reason = f"link {value!r} not checked: a policy file has no [[links]]"
        yield _Problem("links", reason, "`hgw config check` checks it", warning=True)
    elif value not in known.links:
        yield _Problem("links", f"no link {value!r}", _closest(value, known.links, "links"))


def _network(value: str, known: Known) -> Iterator[_Problem]:
    if value == "matrix":
        reason = "'matrix' is the internal network; networks are a link's external network"
        names = sorted(known.networks or BUILT_IN_NETWORKS)
        yield _Problem("networks", reason, f"external networks: {', '.join(names)}")
    elif known.networks is None:
        if value not in BUILT_IN_NETWORKS:
            close = difflib.get_close_matches(value, BUILT_IN_NETWORKS, n=1)
            reason = f"network {value!r} is not built in"
            hint = f"did you mean {close[0]!r}?" if close else None
            hint = " ".join(filter(None, (hint, "partner networks: see `hgw config check`")))
            yield _Problem("networks", reason, hint, warning=True)
    elif value not in known.networks:
        reason = f"no network {value!r} is configured"
        if value in BUILT_IN_NETWORKS:
            yield _Problem("networks", reason, f"add a [{value}] section, or leave it out")
        else:
            yield _Problem("networks", reason, _closest(value, known.networks, "networks"))


def _sender(value: str, known: Known) -> Iterator[_Problem]:
    if _MATRIX_USER.fullmatch(value) or _NUMERIC_ID.fullmatch(value):
        return
    os_user = _OS_USER.fullmatch(value)
    if os_user:
        users = known.os_users
        if users is not None and os_user[1] not in users:
            reason = f"no control user {os_user[1]!r} for sender {value!r}"
            yield _Problem("senders", reason, _closest(os_user[1], users, "[control.users]"))
        return
    hint = f'write {_IDS}, or "os:USER" for someone writing from the TUI or CLI'
    yield _Problem("senders", f"{value!r} {_what(value)}", hint)


def _contact(key: str, value: str, known: Known) -> Iterator[_Problem]:
    link = known.chats.get(value)
    shaped = (
        _MATRIX_USER.fullmatch(value)
        or _MATRIX_ROOM.fullmatch(value)
        or _NUMERIC_ID.fullmatch(value)
    )
    if link is not None and not shaped:
        reason = f"{value!r} is how link {link!r} names its chat; rules see the chat's id"
        yield _Problem(key, reason, f'scope the rule with links = ["{link}"]')
    elif not shaped:
        hint = f'write {_IDS} or a Matrix room id "!id:server"'
        yield _Problem(key, f"{value!r} {_what(value)}", hint)


def _what(value: str) -> str:
    """Why ``value`` is no id, in the words an admin would use."""
    if value.startswith("@"):
        return "is a username, not an id: it never matches"
    if value.startswith("+") or value.replace(" ", "").replace("-", "").isdigit():
        return "is a phone number, not an id: it never matches"
    if value.startswith("#"):
        return "is a room alias, not an id: it never matches"
    return "is not an id"


def _closest(value: str, names: frozenset[str] | None, what: str) -> str | None:
    if not names:
        return f"no {what} are configured"
    close = difflib.get_close_matches(value, sorted(names), n=1)
    return f"did you mean {close[0]!r}?" if close else f"{what}: {', '.join(sorted(names))}"


class RuleLines:
    """Where each ``[[policy.rules]]`` table and its keys are in a TOML text.

    tomllib keeps no positions, and a key such as ``links`` occurs in many rules: an error about
    the fifth rule must point at the fifth rule's line, not the first ``links =`` in the file.
    """

    _RULES = re.compile(r"^\s*\[\[\s*(?:policy\s*\.\s*)?rules\s*\]\]")
    _HEADER = re.compile(r"^\s*\[\[?\s*[\w.\"' -]+\]\]?\s*(?:#.*)?$")

    def __init__(self, text: str) -> None:
        self._blocks: list[list[tuple[int, str]]] = []
        current: list[tuple[int, str]] | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if self._RULES.match(line):
                current = [(number, line)]
                self._blocks.append(current)
            elif self._HEADER.match(line):
                current = None
            elif current is not None:
                current.append((number, line))

    def line(self, index: int, key: str | None) -> int | None:
        """The line of ``key`` in the ``index``-th rule table (its header line if the key is not
        written there); ``None`` when the rules are not written as ``[[policy.rules]]`` tables."""
        if index >= len(self._blocks):
            return None
        block = self._blocks[index]
        if key:
            first = re.escape(key.split(".")[0])
            assign = re.compile(rf"^\s*(?:{first}|\"{first}\")\s*=")
            for number, line in block:
                if assign.match(line):
                    return number
        return block[0][0]

    def rule_line(self, rules: Sequence[Any], name: str, key: str | None) -> int | None:
        """:meth:`line` for the rule called ``name`` in the parsed ``rules``."""
        for index, raw in enumerate(rules):
            if isinstance(raw, Mapping) and raw.get("name") == name:
                return self.line(index, key)
        return None


__all__ = ["BUILT_IN_NETWORKS", "Known", "RuleLines", "check"]
