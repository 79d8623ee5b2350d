"""Typed reading of a parsed TOML table, with errors an admin can act on.

tomllib gives plain dicts without positions. :class:`TableReader` walks them key by key, checks
types and ranges, and on :meth:`TableReader.finish` rejects keys nobody asked for, suggesting the
closest valid one — a misspelt option must never be silently ignored. Errors carry the dotted key
and, where the key can be found in the source text, its line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from gateway.errors import ConfigError

T = TypeVar("T")

_MISSING: Any = object()


class SourceText:
    """The config file's text, used only to point errors at a line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self._lines = text.splitlines()

    def line_of(self, dotted_key: str) -> int | None:
        """Best-effort line of ``dotted_key`` (``links[1].external_chat``, ``matrix.homeserver``).

        The key is looked up inside its own table: the second ``[[links]]`` entry, the
        ``[matrix]`` section — a key that every link (or every Matrix section) has must not point
        at the first one. Without a header for its table, the first assignment anywhere.
        """
        parts = dotted_key.split(".")
        for cut in range(len(parts), 0, -1):
            span = self._section(parts[:cut])
            if span is None:
                continue
            start, end = span
            rest = parts[cut:]
            if not rest:
                return start
            found = self._assignment(rest[0], start, end)
            return found if found is not None else start
        return self._assignment(parts[-1], 0, len(self._lines) + 1)

    def _section(self, table: list[str]) -> tuple[int, int] | None:
        """Lines (1-based header, exclusive end) of a table; ``name[i]`` is its i-th entry."""
        *outer, last = table
        if any(_INDEX.search(part) for part in outer):
            return None  # a table inside an array entry: not worth the bookkeeping
        index_match = _INDEX.search(last)
        index = int(index_match[1]) if index_match else 0
        name = r"\s*\.\s*".join(re.escape(p) for p in [*outer, _INDEX.sub("", last)])
        header = re.compile(rf"^\s*\[\[?\s*{name}\s*\]\]?\s*(?:#.*)?$")
        seen = 0
        for number, line in enumerate(self._lines, start=1):
            if header.match(line):
                if seen == index:
                    return number, self._section_end(number)
                seen += 1
        return None

    def _section_end(self, header: int) -> int:
        for number in range(header + 1, len(self._lines) + 1):
            if _ANY_HEADER.match(self._lines[number - 1]):
                return number
        return len(self._lines) + 1

    def _assignment(self, key: str, start: int, end: int) -> int | None:
        """First line in ``(start, end)`` that assigns ``key`` (bare or quoted)."""
        key = _INDEX.sub("", key)
        assign = re.compile(rf"^\s*(?:\"{re.escape(key)}\"|{re.escape(key)})\s*[=.]")
        for number in range(start + 1, end):
            if assign.match(self._lines[number - 1]):
                return number
        return None


_INDEX = re.compile(r"\[(\d+)\]$")
_ANY_HEADER = re.compile(r"^\s*\[\[?\s*[A-Za-z0-9_\"'-]")


class TableReader:
    """Reads one TOML table; remembers which keys were consumed."""

    def __init__(self, data: Mapping[str, Any], prefix: str, source: SourceText | None) -> None:
        self._data = data
        self._prefix = prefix
        self._source = source
        self._seen: set[str] = set()

    # -- errors ---------------------------------------------------------------------------------

    def key_path(self, key: str) -> str:
        """The dotted path of ``key`` here; an empty key names this table itself."""
        if not key:
            return self._prefix
        return f"{self._prefix}.{key}" if self._prefix else key

    def error(
        self, key: str, reason: str, hint: str | None = None, *, label: str | None = None
    ) -> ConfigError:
        """An error at ``key``'s line; ``label`` replaces the dotted key in the message."""
        dotted = self.key_path(key)
        line = self._source.line_of(dotted) if self._source else None
        return ConfigError(
            reason,
            file=self._source.path if self._source else None,
            key=label or dotted,
            line=line,
            hint=hint,
        )

    @property
    def label(self) -> str:
        """How an admin sees this table in the file: ``[matrix]``, ``[[links]] #2``."""
        index = _INDEX.search(self._prefix)
        if index:
            return f"[[{_INDEX.sub('', self._prefix)}]] #{int(index[1]) + 1}"
        return f"[{self._prefix}]" if self._prefix else "top level"

    def missing(
        self,
        key: str,
        reason: str = "is required but missing",
        hint: str | None = None,
        *,
        consequence: str | None = None,
        alternatives: Sequence[str] = (),
    ) -> ConfigError:
        """``key`` (or one of ``alternatives``) is required and absent.

        When a key nobody asked for looks like it — a typo — the error names the typo at its own
        line and says what it costs (``consequence``, by default "KEY is required"): "is
        required but missing" at the table header sends the admin looking for a line that is
        not there.
        """
        wanted = (key, *alternatives)
        strangers = [k for k in self._data if k not in self._seen and k not in wanted]
        pairs = [(difflib.SequenceMatcher(None, w, s).ratio(), s, w) for s in strangers
                 for w in wanted]  # fmt: skip
        score, typo, meant = max(pairs, default=(0.0, "", ""))
        if score >= 0.75:
            return self.error(
                typo,
                f"unknown key {typo!r} — did you mean {meant!r}?",
                consequence or f"{meant} is required",
                label=self.label,
            )
        return self.error(key, reason, hint)

    # -- typed getters --------------------------------------------------------------------------

    def has(self, key: str) -> bool:
        return key in self._data

    def _get(self, key: str, default: Any) -> Any:
        self._seen.add(key)
        if key in self._data:
            return self._data[key]
        if default is _MISSING:
            raise self.missing(key)
        return default

    def string(self, key: str, default: Any = _MISSING, *, choices: Sequence[str] = ()) -> Any:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, not {_type_name(value)}")
        if choices and value not in choices:
            close = difflib.get_close_matches(value, choices, n=1)
            hint = f"did you mean {close[0]!r}?" if close else None
            raise self.error(key, f"must be one of {', '.join(map(repr, choices))}", hint)
        return value

    def integer(
        self, key: str, default: Any = _MISSING, *, min: int | None = None, max: int | None = None
    ) -> Any:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be an integer, not {_type_name(value)}")
        if min is not None and value < min:
            raise self.error(key, f"must be at least {min}, got {value}")
        if max is not None and value > max:
            raise self.error(key, f"must be at most {max}, got {value}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {_type_name(value)}")
        return value

    def str_list(self, key: str, default: Any = _MISSING) -> Any:
        value = self._get(key, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.error(key, "must be a list of strings")
        return tuple(value)

    def path(self, key: str, default: Any = _MISSING, *, base: Path | None = None) -> Any:
        """A filesystem path; ``~`` is expanded and relative paths resolve against ``base``."""
        value = self.string(key, default)
        if value is default and default is not _MISSING:
            return value
        if not value:
            raise self.error(key, "must not be empty")
        path = Path(value).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        return path

    def table(self, key: str, *, required: bool = False) -> TableReader | None:
        value = self._get(key, _MISSING if required else None)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(key, f"must be a table, not {_type_name(value)}")
        return TableReader(value, self.key_path(key), self._source)

    def table_list(self, key: str) -> list[TableReader]:
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(key, f"must be an array of tables ([[{self.key_path(key)}]])")
        return [
            TableReader(item, f"{self.key_path(key)}[{index}]", self._source)
            for index, item in enumerate(value)
        ]

    def tables(self) -> list[tuple[str, TableReader]]:
        """Every value of this table as a sub-table keyed by its name (e.g. ``[control.users]``)."""
        result = []
        for key in list(self._data):
            sub = self.table(key, required=True)
            assert sub is not None
            result.append((key, sub))
        return result

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """The untouched value, for sections another module validates (``[policy]``)."""
        return self._get(key, default)

    def reject_unknown(self, valid: Sequence[str], needs: Mapping[str, str] | None = None) -> None:
        """Refuse keys outside ``valid`` before anything is read: a misspelt table (``[matirx]``)
        must be named as the typo, not as the missing table it leaves behind. ``needs`` says
        what depends on a valid key, for the hint when the typo's likely target is absent."""
        for key in self._data:
            if key in valid:
                continue
            close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
            if not close:
                raise self.error(key, "unknown key", f"valid keys here: {', '.join(valid)}")
            hint = f"did you mean {close[0]!r}?"
            if close[0] not in self._data and needs and close[0] in needs:
                hint += f" {needs[close[0]]}"
            raise self.error(key, "unknown key", hint)

    def finish(self) -> None:
        """Reject keys nobody read: a typo must be an error, not a silently ignored option."""
        for key in self._data:
            if key not in self._seen:
                known = sorted(self._seen)
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                if close:
                    hint = f"did you mean {close[0]!r}?"
                elif known:
                    hint = f"valid keys here: {', '.join(known)}"
                else:
                    hint = None
                raise self.error(key, "unknown key", hint)


def _type_name(value: object) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


__all__ = ["SourceText", "TableReader"]
