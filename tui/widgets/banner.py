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
        self.update(Text("" if connected else f"⚠ daemon not running — retrying ({reason})"))


__all__ = ["ConnectionBanner"]
