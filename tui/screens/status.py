"""Status: network connections, flood waits, outbox queues, recent failures, throughput."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.format import stamp
from tui.widgets.table import KeyTable

from .base import HgwScreen

REFRESH_SECONDS = 5.0
CONNECTED = {
    True: Text("yes", "green"),
    False: Text("no", "bold red"),
    None: Text("?", "dim"),  # a bridge that does not report its state
}


class StatusScreen(HgwScreen):
    TITLE = "Status"
    CSS_PATH = "status.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "refresh", "Refresh", id="status.refresh", tooltip="Ask the daemon again"),
    ]
    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        ("Status: refresh", "Ask the daemon for its status now", "refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._last: tuple[float, int] | None = None
        self.throughput: float | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        yield Static("Status", id="status-summary", classes="screen-title")
        yield KeyTable(
            ("network", "Network"),
            ("connected", "Connected"),
            ("flood", "Flood wait until"),
            ("detail", "Detail"),
            id="networks",
        )
        yield Static("Queues", classes="screen-title")
        yield KeyTable(
            ("network", "Network"), ("chat", "Chat"), ("pending", "Pending"), id="queues"
        )
        yield Static("Recent failures", classes="screen-title")
        yield KeyTable(
            ("outbox", "Outbox"),
            ("network", "Network"),
            ("chat", "Chat"),
            ("error", "Error"),
            ("at", "At"),
            id="failures",
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.app.connection[0] and self.is_current:  # type: ignore[attr-defined]
            self.load()

    def resync(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def on_api_event(self, params: dict[str, Any]) -> None:
        if params.get("topic") == "status" and self.is_current:
            self.load()

    @work(exclusive=True, group="status-load")
    async def load(self) -> None:
        try:
            status = await self.api.call("status")
        except Exception as err:
            self.failed(err, "Status")
            return
        self.show(status, time.monotonic())

    def show(self, status: dict[str, Any], now: float) -> None:
        outbox = status.get("outbox") or {}
        sent = int(outbox.get("sent") or 0)
        if self._last is not None and now > self._last[0]:
            self.throughput = (sent - self._last[1]) * 60 / (now - self._last[0])
        self._last = (now, sent)
        rate = "measuring…" if self.throughput is None else f"{self.throughput:.0f} msg/min"
        summary = Text.assemble(
            ("hgw ", "bold"),
            str(status.get("version", "?")),
            "  started ",
            stamp(status.get("started_at")),
            "  ·  outbox: ",
            (f"{outbox.get('pending', 0)} pending", "bold"),
            ", ",
            (f"{outbox.get('held', 0)} held", "yellow"),
            ", ",
            (f"{outbox.get('failed', 0)} failed", "red" if outbox.get("failed") else ""),
            f", {sent} sent  ·  throughput {rate}",
        )
        self.query_one("#status-summary", Static).update(summary)
        self.query_one("#networks", KeyTable).replace_rows(
            [
                (
                    n["network"],
                    [
                        n["network"],
                        CONNECTED[n.get("connected")],
                        stamp(n.get("flood_wait_until")) or "",
                        n.get("detail") or "",
                    ],
                )
                for n in status.get("networks") or ()
            ]
        )
        self.query_one("#queues", KeyTable).replace_rows(
            [
                (f"{q['network']}:{q['chat_id']}", [q["network"], q["chat_id"], str(q["pending"])])
                for q in status.get("queues") or ()
            ]
        )
        self.query_one("#failures", KeyTable).replace_rows(
            [
                (
                    str(f["outbox_id"]),
                    [
                        str(f["outbox_id"]),
                        f.get("network") or "",
                        f.get("chat_id") or "",
                        f.get("error") or "",
                        stamp(f.get("at")),
                    ],
                )
                for f in status.get("recent_failures") or ()
            ]
        )


__all__ = ["StatusScreen"]
