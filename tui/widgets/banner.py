"""A one-line banner on every screen while the daemon is unreachable."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class ConnectionBanner(Static):
    DEFAULT_CSS = """
    ConnectionBanner { dock: top; height: 1; background: $error; color: $text; padding: 0 1;
                       display: none; text-style: bold; }
    ConnectionBanner.-down { display: block; }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "connection", self._show, init=True)

    def _show(self, state: tuple[bool, str]) -> None:
        connected, reason = state
        self.set_class(not connected, "-down")
        if connected:
            self.update("")
        elif getattr(self.app.api, "refusal", None) is not None:  # running, but says no to us
            self.update(Text(f"⚠ the daemon refused this user: {reason} — retrying"))
        else:
            self.update(Text(f"⚠ daemon not running — retrying · {reason}"))


__all__ = ["ConnectionBanner"]
