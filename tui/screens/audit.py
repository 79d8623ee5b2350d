"""The audit log: paged from the daemon, chain verification, export to JSON lines."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, ClassVar

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import DataTable, Static

from gateway.secrets import open_private_for_writing
from tui.format import stamp
from tui.screens.prompt import text_prompt
from tui.widgets.table import KeyTable

from .base import HgwScreen

PAGE = 100
TAIL_DEBOUNCE = 0.5
"""Seconds of quiet after a live event before the newest records are read."""


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """Owner-only, like ``hgw audit export`` output should be: the log names people and chats."""
    with open_private_for_writing(path) as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


class AuditScreen(HgwScreen):
    TITLE = "Audit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "v",
            "verify",
            "Verify chain",
            id="audit.verify",
            tooltip="Check every record's hash link",
        ),
        Binding("m", "more", "More", id="audit.more", tooltip="Load the next page"),
        Binding("x", "export", "Export", id="audit.export", tooltip="Write JSON lines to a file"),
        Binding("r", "refresh", "Refresh", id="audit.refresh", tooltip="Read the log again"),
    ]
    ACTION_METHODS: ClassVar[dict[str, str]] = {
        "verify": "audit.verify",
        "more": "audit.page",
        "export": "audit.page",
        "refresh": "audit.page",
    }
    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        ("Audit: verify the chain", "Detect edited, removed or reordered records", "verify"),
        ("Audit: refresh", "Read the log again from the first record", "refresh"),
        ("Audit: load more", "Next page of records", "more"),
        ("Audit: export", "Write the whole log as JSON lines", "export"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.last_seq: int | None = None
        self.more = False
        self.count = 0
        self.verdict = ""
        self._tail_timer: Timer | None = None
        self._loaded = False
        """A first page arrived: from then on newer records are read as a tail."""

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        yield Static("Audit log", id="audit-title", classes="screen-title")
        yield KeyTable(
            ("seq", "Seq"),
            ("at", "At"),
            ("actor", "Actor"),
            ("action", "Action"),
            ("subject", "Subject"),
            ("details", "Details"),
            id="audit",
        )

    @property
    def table(self) -> KeyTable:
        return self.query_one(KeyTable)

    def resync(self) -> None:
        if not self.check_action("more", ()):
            self._title(f"the audit log is for admins and auditors (you are {self.role})")
            return
        self.table.clear()
        self.last_seq, self.more, self.count = None, False, 0
        self._loaded = False
        self.load_page()

    def _title(self, extra: str = "") -> None:
        more = " · m: more" if self.more else ""
        text = f"Audit log — {self.count} records shown{more}"
        self.query_one("#audit-title", Static).update(
            "  ·  ".join(x for x in (text, self.verdict, extra) if x)
        )

    @work(exclusive=True, group="audit-page")
    async def load_page(self) -> None:
        params: dict[str, Any] = {"limit": PAGE}
        if self.last_seq is not None:
            params["after_seq"] = self.last_seq
        try:
            page = await self.api.call("audit.page", **params)
        except Exception as err:
            self.failed(err, "Audit")
            return
        for record in page["records"]:
            details = record.get("details")
            self.table.upsert(
                str(record["seq"]),
                [
                    str(record["seq"]),
                    stamp(record.get("at")),
                    record.get("actor") or "",
                    record.get("action") or "",
                    record.get("subject") or "",
                    json.dumps(details, ensure_ascii=False, sort_keys=True)[:80] if details else "",
                ],
            )
            self.last_seq = record["seq"]
        self.count = self.table.row_count
        self.more = bool(page.get("more"))
        self._loaded = True
        self._title()

    def action_refresh(self) -> None:
        self.resync()

    def on_screen_resume(self) -> None:
        """Back on this screen: what was logged meanwhile is added at the end."""
        self.load_tail()

    def on_api_event(self, params: dict[str, Any]) -> None:
        """The daemon has no audit topic (control-API gap), but routed messages and approval
        decisions are what it logs: each such event asks for the records after the last one
        shown, debounced so a burst of messages is one call."""
        if params.get("topic") not in ("message", "approval"):
            return
        if self._tail_timer is not None:
            self._tail_timer.stop()
        self._tail_timer = self.set_timer(TAIL_DEBOUNCE, self.load_tail)

    def load_tail(self) -> None:
        """Records newer than the last one shown — only when the end of the log is loaded
        (otherwise paging down reaches them anyway)."""
        if self._loaded and not self.more and self.check_action("more", ()):
            self.load_page()

    @on(DataTable.RowHighlighted, "#audit")
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if self.more and event.cursor_row >= self.table.row_count - 1:
            self.load_page()

    def action_more(self) -> None:
        if self.more:
            self.load_page()

    @work(exclusive=True, group="audit-verify")
    async def action_verify(self) -> None:
        self.verdict = "verifying…"
        self._title()
        try:
            result = await self.api.call("audit.verify")
        except Exception as err:
            self.failed(err, "Audit verify")
            self.verdict = ""
            return
        if (result.get("records") or 0) > self.count:
            self.load_tail()  # verify counted records this view has not read yet
        if result.get("ok"):
            self.verdict = f"[green]✓ chain intact ({result.get('records')} records)[/]"
        else:
            bad = result.get("first_bad") or {}
            reason = escape(str(bad.get("reason")))
            self.verdict = f"[b red]✗ chain broken at #{bad.get('seq')}: {reason}[/]"
        self._title()

    def action_export(self) -> None:
        def done(values: dict[str, str] | None) -> None:
            if values:
                self.export(Path(values["text"]).expanduser())

        self.app.push_screen(
            text_prompt("Export the audit log", "File (JSON lines)", value="hgw-audit.jsonl"), done
        )

    @work(exclusive=True, group="audit-export")
    async def export(self, path: Path) -> None:
        records: list[dict[str, Any]] = []
        after: int | None = None
        try:
            while True:
                params: dict[str, Any] = {"limit": 500}
                if after is not None:
                    params["after_seq"] = after
                page = await self.api.call("audit.export", **params)
                records += page["records"]
                if not page["records"] or not page.get("more"):
                    break
                after = page["records"][-1]["seq"]
            await asyncio.to_thread(_write_jsonl, path, records)
        except Exception as err:
            self.failed(err, "Audit export")
            return
        self.notify(f"Exported {len(records)} records to {path}", timeout=5, markup=False)


__all__ = ["AuditScreen"]
