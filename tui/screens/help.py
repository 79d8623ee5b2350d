"""F1: every key binding — its id (for ``tui.toml`` ``[keys]``), its current keys, what it does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.widgets.table import KeyTable


def _owners() -> list[tuple[str, Any]]:
    from tui.app import HgwApp
    from tui.screens.approvals import ApprovalsScreen
    from tui.screens.audit import AuditScreen
    from tui.screens.inbox import InboxScreen
    from tui.screens.links import LinksScreen
    from tui.screens.policy import PolicyScreen
    from tui.screens.prompt import FormPrompt
    from tui.screens.search import SearchScreen
    from tui.screens.status import StatusScreen
    from tui.widgets.composer import Composer, MessageInput
    from tui.widgets.conversations import ConversationList
    from tui.widgets.timeline import Timeline

    return [
        ("everywhere", HgwApp),
        ("inbox", InboxScreen),
        ("inbox list", ConversationList),
        ("timeline", Timeline),
        ("composer", Composer),
        ("composer text", MessageInput),
        ("approvals", ApprovalsScreen),
        ("policy", PolicyScreen),
        ("audit", AuditScreen),
        ("links", LinksScreen),
        ("status", StatusScreen),
        ("search", SearchScreen),
        ("tables", KeyTable),
        ("dialogs", FormPrompt),
        ("help", HelpScreen),
    ]


def all_bindings(keymap: dict[str, str] | None = None) -> Iterator[tuple[str, str, str, str]]:
    """(id, keys, description, where) of every binding that has an id."""
    keymap = keymap or {}
    for where, owner in _owners():
        for binding in owner.BINDINGS:
            if isinstance(binding, Binding) and binding.id:
                keys = keymap.get(binding.id, binding.key)
                yield binding.id, keys, binding.tooltip or binding.description, where


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", "Close", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90%; height: 90%; border: thick $primary; background: $panel; }
    HelpScreen #help-title { padding: 0 1; text-style: bold; }
    HelpScreen KeyTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(
                    'Keys — remap any binding id in a tui.toml beside your config: [keys] "id" = '
                    '"keys"   ·   Ctrl+P: commands   ·   Esc: close'
                ),
                id="help-title",
            )
            yield KeyTable(
                ("where", "Where"),
                ("keys", "Keys"),
                ("what", "What"),
                ("id", "Binding id"),
                id="help-keys",
            )

    def on_mount(self) -> None:
        table = self.query_one(KeyTable)
        keymap = getattr(self.app, "_keymap", {})
        for binding_id, keys, what, where in all_bindings(keymap):
            table.add_row(where, keys, what, binding_id, key=binding_id)
        table.focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


__all__ = ["HelpScreen", "all_bindings"]
