"""Full-text search across all networks; Enter opens a result in its conversation."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from gateway.inert import inert
from tui.format import stamp
from tui.messages import OpenMessage
from tui.widgets.table import KeyTable

from .base import HgwScreen

DEBOUNCE_SECONDS = 0.4


def snippet(hit: dict[str, Any]) -> Text:
    """The daemon's snippet with its ``[matched words]`` shown highlighted, on one line; the
    message's own text made inert first (gateway/inert.py)."""
    text = inert(hit.get("snippet") or hit.get("text") or "", keep="\n\t")
    text = " ".join(text.split())[:120]
    out = Text()
    for n, part in enumerate(re.split(r"\[([^\]]*)\]", text)):
        out.append(part, "bold reverse" if n % 2 else "")
    return out


class SearchScreen(HgwScreen):
    TITLE = "Search"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_query", "Query", id="search.query", tooltip="Type a new search"),
        Binding("enter", "open", "Open in chat", id="search.open", show=False),
    ]
    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        ("Search: new query", "Search every network's archive", "focus_query"),
        ("Search: open result", "Show the message in its conversation", "open"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[str, dict[str, Any]] = {}
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        yield Input(placeholder="Search all networks — words match as prefixes", id="query")
        yield Static("", id="search-summary", classes="screen-title")
        yield KeyTable(
            ("at", "When"),
            ("network", "Net"),
            ("link", "Conversation"),
            ("sender", "Sender"),
            ("snippet", "Snippet"),
            id="results",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#query", Input).focus()

    def resync(self) -> None:
        if query := self.query_one("#query", Input).value.strip():
            self.search(query)

    @on(Input.Changed, "#query")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, lambda: self.search(event.value.strip()))

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.search(event.value.strip())
        self.query_one("#results", KeyTable).focus()

    @work(exclusive=True, group="search")
    async def search(self, query: str) -> None:
        summary = self.query_one("#search-summary", Static)
        table = self.query_one("#results", KeyTable)
        if not query:
            table.clear()
            summary.update("")
            return
        try:
            hits = await self.api.call("search", query=query, limit=200)
        except Exception as err:
            summary.update(Text(str(err), "red"))
            return
        self.results = {str(h["id"]): h for h in hits}
        table.replace_rows(
            [
                (
                    str(h["id"]),
                    [
                        stamp(h.get("at")),
                        h.get("network") or "",
                        self.app.conversation_title(h.get("link_id")),
                        h.get("sender_name") or "",
                        snippet(h),
                    ],
                )
                for h in hits
            ]
        )
        found = "1 message matches" if len(hits) == 1 else f"{len(hits)} messages match"
        summary.update(Text(f"{found} {query!r} — Enter opens one in its chat"))

    @on(DataTable.RowSelected, "#results")
    def _row_selected(self) -> None:
        self.action_open()

    def action_focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    def action_open(self) -> None:
        key = self.query_one("#results", KeyTable).current_key
        hit = self.results.get(key or "")
        if hit and hit.get("link_id"):
            self.app.post_message(OpenMessage(hit["link_id"], hit["id"]))
        elif hit:
            self.notify("This message belongs to no link you can open", severity="warning")


__all__ = ["SearchScreen"]
