"""Key bindings: every binding has an id; a ``tui.toml`` next to the config remaps them.

```toml
# tui.toml, beside config.toml
[keys]
"inbox.next_unread" = "u"
"app.approvals" = "f3,ctrl+a"
```

Unknown ids are reported, not ignored silently: a typo in a keymap should not look like a key
that "does nothing". F1 lists every id with its current keys.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from gateway.errors import ConfigError

KEYMAP_FILE = "tui.toml"


def keymap_path(config_path: Path) -> Path:
    return config_path.with_name(KEYMAP_FILE)


def load_keymap(path: Path, known_ids: set[str]) -> dict[str, str]:
    """``[keys]`` of ``path`` as ``{binding id: "key1,key2"}``; a missing file is an empty map."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"cannot read the TUI keymap: {err}", file=path) from None
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or set(data) - {"keys"}:
        raise ConfigError('expected only a [keys] table of binding id = "keys"', file=path)
    keymap: dict[str, str] = {}
    for binding_id, value in keys.items():
        if binding_id not in known_ids:
            raise ConfigError(
                f"[keys] {binding_id!r} is not a binding id",
                file=path,
                hint="press F1 in `hgw tui` to see the ids",
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f'[keys] {binding_id!r} must be a key string like "ctrl+u"', file=path
            )
        keymap[binding_id] = value
    return keymap


__all__ = ["KEYMAP_FILE", "keymap_path", "load_keymap"]
