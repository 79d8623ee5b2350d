"""``HgwApp``: the Textual TUI of hgw, a client of the daemon's control API and nothing else.

Built by :func:`build_app` (the command and the tests use the same factory). Screens live in
``MODES`` so each keeps its state while you switch; they re-read their data from the daemon on
every (re)connect, and live notifications from ``subscribe`` update them in place.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.screen import Screen

from tui.api import ControlApi, StateCallback, describe, open_api
from tui.messages import ApiEvent, ConnectionChanged, OpenMessage
from tui.screens.approvals import ApprovalsScreen
from tui.screens.audit import AuditScreen
from tui.screens.base import HgwScreen
from tui.screens.help import HelpScreen
from tui.screens.inbox import InboxScreen
from tui.screens.links import LinksScreen
from tui.screens.policy import PolicyScreen
from tui.screens.search import SearchScreen
from tui.screens.status import StatusScreen

ApiFactory = Callable[[StateCallback], ControlApi]
TOPICS = ["messages", "approvals", "status"]

SCREENS_BY_KEY: list[tuple[str, str, str, str]] = [
    ("f2", "inbox", "Inbox", "Unified inbox and conversations"),
    ("f3", "approvals", "Approvals", "Held messages waiting for a decision"),
    ("f4", "policy", "Policy", "Rules and a live policy tester"),
    ("f5", "audit", "Audit", "The audit log: page, verify, export"),
    ("f6", "links", "Links", "Links and unknown contacts"),
    ("f7", "status", "Status", "Connections, queues, flood waits"),
    ("f8", "search", "Search", "Full-text search across all networks"),
]


class HgwApp(App[None]):
    TITLE = "hgw"
    CSS_PATH = "app.tcss"
    MODES: ClassVar[dict[str, Any]] = {
        "inbox": InboxScreen,
        "approvals": ApprovalsScreen,
        "policy": PolicyScreen,
        "audit": AuditScreen,
        "links": LinksScreen,
        "status": StatusScreen,
        "search": SearchScreen,
    }
    DEFAULT_MODE = "inbox"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="app.help", tooltip="All keys and their ids"),
        *(
            Binding(
                key,
                f"show('{mode}')",
                label,
                id=f"app.{mode}",
                tooltip=tip,
                show=mode in ("inbox", "approvals", "search"),
            )
            for key, mode, label, tip in SCREENS_BY_KEY
        ),
        Binding("ctrl+f", "show('search')", "Search", show=False, id="app.search_alt"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave hgw tui"),
    ]

    connection: reactive[tuple[bool, str]] = reactive((False, "connecting"), init=False)
    role: reactive[str | None] = reactive(None, init=False)

    def __init__(self, api_factory: ApiFactory, *, keymap: dict[str, str] | None = None) -> None:
        super().__init__()
        self.api: ControlApi = api_factory(self._on_state)
        self.user: str | None = None
        self.live_screens: weakref.WeakSet[HgwScreen] = weakref.WeakSet()
        self.resyncs = 0
        """How many times the app re-read everything after a (re)connect (tests wait on it)."""
        if keymap:
            self.set_keymap(keymap)

    # -- connection ---------------------------------------------------------------------------

    def _on_state(self, connected: bool, reason: str) -> None:
        self.post_message(ConnectionChanged(connected, reason))

    async def on_mount(self) -> None:
        await self.api.connect()
        self.pump_events()

    async def on_unmount(self) -> None:
        await self.api.close()

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        was = self.connection[0]
        if not message.connected:
            self.connection = (False, message.reason)
            return
        if not was:
            self.resync()

    @work(exclusive=True, group="app-resync")
    async def resync(self) -> None:
        """After a (re)connect: who am I, subscribe, and every screen re-reads its data."""
        try:
            hello = await self.api.call("hello")
            await self.api.call("subscribe", topics=TOPICS)
        except Exception as err:
            self.connection = (False, describe(err))
            return
        self.user, self.role = hello.get("user"), hello.get("role")
        self.sub_title = f"{self.user} ({self.role})"
        self.connection = (True, "connected")
        for screen in list(self.live_screens):
            screen.resync()
            screen.refresh_bindings()
        self.resyncs += 1

    @work(group="app-events")
    async def pump_events(self) -> None:
        """Live notifications, handed to every screen; survives the iterator ending."""
        while True:
            try:
                async for params in self.api.events():
                    self.post_message(ApiEvent(params))
            except Exception as err:  # a broken stream must not kill the app
                self.log.warning(f"event stream: {err}")
            await asyncio.sleep(0.2)

    def on_api_event(self, message: ApiEvent) -> None:
        for screen in list(self.live_screens):
            if not screen.is_attached:
                continue
            try:
                screen.on_api_event(message.params)
            except NoMatches:  # the screen is being taken down (the app is closing)
                self.log.warning(f"event for a closing screen: {message.params.get('topic')}")

    def conversation_title(self, link_id: str | None) -> str:
        """The inbox's name for a link (its id until the inbox has loaded)."""
        for screen in self.live_screens:
            if isinstance(screen, InboxScreen):
                found = next((c for c in screen.conversations if c["link_id"] == link_id), None)
                if found:
                    return str(found.get("title") or link_id)
        return link_id or ""

    # -- navigation ---------------------------------------------------------------------------

    def action_show(self, mode: str) -> None:
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def on_open_message(self, message: OpenMessage) -> None:
        self.switch_mode("inbox")
        inbox = self.screen
        if isinstance(inbox, InboxScreen):
            inbox.open_message(message.link_id, message.message_id)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Commands of the screen you are on first, then the screens, then Textual's own."""
        if isinstance(screen, HgwScreen):
            for title, help_text, action in screen.palette_commands():
                yield SystemCommand(title, help_text, partial(screen.run_action, action))
        for _key, mode, label, tip in SCREENS_BY_KEY:
            if mode != self.current_mode:
                yield SystemCommand(f"Go to {label}", tip, partial(self.action_show, mode))
        yield SystemCommand("Help: keys", "Every key binding and its id", self.action_help)
        yield from super().get_system_commands(screen)


def binding_ids() -> set[str]:
    """Every binding id of the app, its screens and widgets (what a keymap may name)."""
    from tui.screens.help import all_bindings

    return {binding_id for binding_id, *_ in all_bindings()}


DEMO_KEYMAP = {"app.quit": "ctrl+q,ctrl+c"}
"""``hgw demo`` promises that Ctrl-C stops it; elsewhere Ctrl-C stays copy in text fields."""


def build_app(socket: Path, *, keymap: dict[str, str] | None = None) -> HgwApp:
    return HgwApp(partial(open_api, socket), keymap=keymap)


__all__ = ["DEMO_KEYMAP", "HgwApp", "binding_ids", "build_app"]
