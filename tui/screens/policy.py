"""Policy: the rules in force and a live tester — type text, see findings and the decision."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Input, Select, Static

from tui.widgets.composer import DEBOUNCE_SECONDS, verdict_text
from tui.widgets.table import KeyTable

from .base import HgwScreen

ACTION_STYLE = {
    action: Text.from_markup(markup)
    for action, markup in {
        "block": "[b red]block[/]",
        "hold": "[b yellow]hold[/]",
        "redact": "[#e0a060]redact[/]",
        "notify": "notify",
        "allow": "[green]allow[/]",
    }.items()
}


class PolicyScreen(HgwScreen):
    TITLE = "Policy"
    CSS_PATH = "policy.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "tester", "Test text", id="policy.tester", tooltip="Focus the live tester"),
        Binding(
            "d", "direction", "Direction", id="policy.direction", tooltip="Test outbound or inbound"
        ),
    ]
    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        ("Policy: test a text", "Type text, see findings and the decision", "tester"),
        ("Policy: switch direction", "Outbound ⇄ inbound", "direction"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.direction = "outbound"
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        yield Static("Policy", id="policy-title", classes="screen-title")
        yield KeyTable(
            ("name", "Rule"),
            ("action", "Action"),
            ("priority", "Priority"),
            ("simulate", "Simulate"),
            ("description", "Description"),
            id="rules",
        )
        with Vertical(id="tester"):
            with Horizontal(id="tester-row"):
                yield Input(placeholder="t: type text to test against the policy", id="tester-text")
                yield Select[str]([], prompt="any link", id="tester-link", allow_blank=True)
            yield Static("", id="decision")
            yield KeyTable(
                ("kind", "Finding"),
                ("text", "Text"),
                ("start", "Start"),
                ("end", "End"),
                id="findings",
            )

    def resync(self) -> None:
        self.load()

    @work(exclusive=True, group="policy-load")
    async def load(self) -> None:
        try:
            policy = await self.api.call("policy.get")
            links = await self.api.call("links.list")
        except Exception as err:
            self.failed(err, "Policy")
            return
        rules = self.query_one("#rules", KeyTable)
        rules.replace_rows(
            [
                (
                    r["name"],
                    [
                        r["name"],
                        ACTION_STYLE.get(r["action"], r["action"]),
                        str(r["priority"]),
                        "yes" if r.get("simulate") else "",
                        r.get("description") or "",
                    ],
                )
                for r in policy.get("rules") or ()
            ]
        )
        self.query_one("#policy-title", Static).update(
            f"Policy — {len(policy.get('rules') or ())} rules from {policy.get('source')}"
            f"  ·  tester direction: {self.direction}"
        )
        select = self.query_one("#tester-link", Select)
        select.set_options([(link["id"], link["id"]) for link in links])

    def action_tester(self) -> None:
        self.query_one("#tester-text", Input).focus()

    def action_direction(self) -> None:
        self.direction = "inbound" if self.direction == "outbound" else "outbound"
        self.load()
        self._schedule()

    @on(Input.Changed, "#tester-text")
    @on(Select.Changed, "#tester-link")
    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._run_test)

    @on(Input.Submitted, "#tester-text")
    def _run_test(self) -> None:
        text = self.query_one("#tester-text", Input).value
        link = self.query_one("#tester-link", Select).value
        self.test(text, link if isinstance(link, str) else None)

    @work(exclusive=True, group="policy-test")
    async def test(self, text: str, link_id: str | None) -> None:
        decision = self.query_one("#decision", Static)
        findings = self.query_one("#findings", KeyTable)
        if not text:
            decision.update("")
            findings.clear()
            return
        params: dict[str, Any] = {"text": text, "direction": self.direction}
        if link_id:
            params["link_id"] = link_id
        try:
            result = await self.api.call("policy.test", **params)
        except Exception as err:
            decision.update(Text(f"tester unavailable: {err}", "red"))
            return
        line = Text.assemble(
            ("Decision: ", "bold"),
            (result.get("action", "?").upper(), "bold"),
            "  ",
            verdict_text(result),
        )
        if summary := result.get("summary"):
            line.append(f"\n{summary}", "dim")
        decision.update(line)
        findings.replace_rows(
            [
                (str(i), [f.get("kind"), f.get("text"), str(f.get("start")), str(f.get("end"))])
                for i, f in enumerate(result.get("findings") or ())
            ]
        )


__all__ = ["PolicyScreen"]
