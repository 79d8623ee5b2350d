"""What every hgw screen shares: the connection banner, the footer, resync and live events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from tui.api import describe
from tui.roles import allowed
from tui.widgets.banner import ConnectionBanner


class HgwScreen(Screen[None]):
    """A screen that (re)loads its data from the control API on :meth:`resync`.

    ``TITLE`` names it in the header line; ``ACTION_METHODS`` maps an action to the control
    method it calls so actions the caller's role cannot do are hidden from footer and palette.
    """

    TITLE: ClassVar[str] = "hgw"
    ACTION_METHODS: ClassVar[dict[str, str]] = {}
    PALETTE: ClassVar[list[tuple[str, str, str]]] = []
    """(title, help, action) commands the palette offers on this screen."""

    def compose_chrome(self) -> ComposeResult:
        yield ConnectionBanner()
        yield Footer()

    @property
    def api(self) -> Any:
        return self.app.api  # type: ignore[attr-defined]

    @property
    def role(self) -> str | None:
        return self.app.role  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.app.live_screens.add(self)  # type: ignore[attr-defined]
        if self.app.connection[0]:  # type: ignore[attr-defined]
            self.resync()

    def resync(self) -> None:
        """Re-read everything shown from the daemon (after start and after every reconnect)."""

    def on_api_event(self, params: dict[str, Any]) -> None:
        """A live notification; screens update in place."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        method = self.ACTION_METHODS.get(action)
        return not (method is not None and not allowed(self.role, method))

    def palette_commands(self) -> Iterable[tuple[str, str, str]]:
        for title, help_text, action in self.PALETTE:
            if self.check_action(action, ()):
                yield title, help_text, action

    def failed(self, err: BaseException, title: str) -> None:
        """Show what went wrong — the server's own refusal message when it refused."""
        self.notify(describe(err), title=title, severity="error", timeout=8, markup=False)


__all__ = ["HgwScreen"]
