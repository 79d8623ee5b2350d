"""Approvals: held messages waiting for an admin — approve, reject, override with justification.

A keyed table: each approval is one row keyed by its id; decisions (ours or another admin's,
arriving as live events) update that row in place.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from tui.format import stamp
from tui.screens.prompt import text_prompt
from tui.widgets.table import KeyTable

from .base import HgwScreen

COLUMNS = [
    ("id", "#"),
    ("created", "Held at"),
    ("link", "Link"),
    ("sender", "Sender"),
    ("rule", "Rule"),
    ("reason", "Reason"),
    ("preview", "Message"),
    ("state", "State"),
    ("decided_by", "Decided by"),
]
STATE_STYLE = {
    state: Text.from_markup(markup)
    for state, markup in {
        "pending": "[b yellow]pending[/]",
        "approved": "[green]approved[/]",
        "rejected": "[red]rejected[/]",
        "overridden": "[magenta]overridden[/]",
    }.items()
}


def row(approval: dict[str, Any]) -> list[Any]:
    state = approval.get("state") or "?"
    return [
        str(approval["id"]),
        stamp(approval.get("created_at")),
        approval.get("link_id") or "",
        approval.get("sender_name") or "",
        approval.get("rule") or "",
        (approval.get("reason") or "")[:24],
        " ".join((approval.get("preview") or "").split())[:36],
        STATE_STYLE.get(state, state),
        approval.get("decided_by") or "",
    ]


class ApprovalsScreen(HgwScreen):
    TITLE = "Approvals"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a", "approve", "Approve", id="approvals.approve", tooltip="Deliver the held message"
        ),
        Binding("x", "reject", "Reject", id="approvals.reject", tooltip="Reject with a reason"),
        Binding(
            "o",
            "override",
            "Override",
            id="approvals.override",
            tooltip="Deliver despite the rule, with a written justification",
        ),
        Binding("t", "toggle_all", "Pending/all", id="approvals.toggle_all"),
        Binding("enter", "open", "Open in chat", id="approvals.open", show=False),
    ]
    ACTION_METHODS: ClassVar[dict[str, str]] = {
        "approve": "approvals.approve",
        "reject": "approvals.reject",
        "override": "approvals.override",
    }
    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        ("Approvals: approve selected", "Deliver the held message", "approve"),
        ("Approvals: reject selected", "Reject with a reason", "reject"),
        ("Approvals: override selected", "Deliver with a justification", "override"),
        ("Approvals: show pending / all", "Toggle decided approvals", "toggle_all"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pending_only = True
        self.approvals: dict[str, dict[str, Any]] = {}

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        yield Static("Approvals — pending", id="approvals-title", classes="screen-title")
        yield KeyTable(*COLUMNS, id="approvals")

    @property
    def table(self) -> KeyTable:
        return self.query_one(KeyTable)

    def resync(self) -> None:
        self.load()

    @work(exclusive=True, group="approvals-load")
    async def load(self) -> None:
        try:
            # the daemon's default is "pending": "all" must be asked for by name
            state = "pending" if self.pending_only else "all"
            approvals = await self.api.call("approvals.list", state=state)
        except Exception as err:
            self.failed(err, "Approvals")
            return
        self.approvals = {str(a["id"]): a for a in approvals}
        self.table.replace_rows([(key, row(a)) for key, a in self.approvals.items()])
        self._retitle()

    def _retitle(self) -> None:
        """Counts from the rows shown, so a decision (ours or a live event) updates them: the
        pending view keeps a decided row (with its new state) but no longer counts it."""
        pending = sum(1 for a in self.approvals.values() if a.get("state") == "pending")
        if self.pending_only:
            shown = f"pending ({pending})"
        else:
            shown = f"all ({len(self.approvals)}), {pending} pending"
        keys = "  ·  a approve  x reject  o override" if self.check_action("approve", ()) else ""
        self.query_one("#approvals-title", Static).update(f"Approvals — {shown}{keys}")

    def on_api_event(self, params: dict[str, Any]) -> None:
        if params.get("topic") == "approval" and (approval := params.get("approval")):
            self._show(approval)

    def _show(self, approval: dict[str, Any]) -> None:
        key = str(approval["id"])
        self.approvals[key] = approval
        self.table.upsert(key, row(approval))
        self._retitle()

    def _selected(self) -> dict[str, Any] | None:
        key = self.table.current_key
        return self.approvals.get(key) if key else None

    def action_toggle_all(self) -> None:
        self.pending_only = not self.pending_only
        self.load()

    def action_approve(self) -> None:
        if approval := self._selected():
            self.decide("approvals.approve", id=approval["id"])

    def action_reject(self) -> None:
        if approval := self._selected():

            def done(values: dict[str, str] | None) -> None:
                if values is not None:
                    reason = values["text"]
                    params = {"reason": reason} if reason else {}
                    self.decide("approvals.reject", id=approval["id"], **params)

            self.app.push_screen(
                text_prompt(
                    f"Reject approval #{approval['id']}", "Reason (optional)", required=False
                ),
                done,
            )

    def action_override(self) -> None:
        if approval := self._selected():

            def done(values: dict[str, str] | None) -> None:
                if values is not None:
                    self.decide(
                        "approvals.override", id=approval["id"], justification=values["text"]
                    )

            self.app.push_screen(
                text_prompt(
                    f"Override rule {approval.get('rule')} for #{approval['id']}",
                    "Justification (written to the audit log)",
                ),
                done,
            )

    def action_open(self) -> None:
        if (approval := self._selected()) and approval.get("message_id"):
            from tui.messages import OpenMessage

            self.app.post_message(OpenMessage(approval["link_id"], approval["message_id"]))

    @on(DataTable.RowSelected, "#approvals")
    def _row_selected(self) -> None:
        self.action_open()

    @work(group="approvals-decide")
    async def decide(self, method: str, **params: Any) -> None:
        try:
            approval = await self.api.call(method, **params)
        except Exception as err:
            self.failed(err, "Approval")
            return
        self._show(approval)
        self.notify(f"Approval #{approval['id']}: {approval.get('state')}", timeout=3)


__all__ = ["ApprovalsScreen"]
