"""The composer: write, reply or edit — with a policy preview before anything is sent.

While you type, a debounced ``policy.test`` tells what the gateway would do with the text in
this conversation ("this will be held by rule X"); the request runs in an exclusive worker so a
newer keystroke cancels the stale one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, TextArea

from gateway.inert import inert
from tui.api import describe

DEBOUNCE_SECONDS = 0.3
PLACEHOLDER = "Write a message — Enter sends, Ctrl+J new line"


def rule_names(rules: Any) -> list[str]:
    return [r if isinstance(r, str) else str(r.get("name") or r.get("rule")) for r in rules or ()]


def rules_by_action(result: dict[str, Any]) -> dict[str, list[str]]:
    """The enforced rules that matched, grouped by what each would do on its own.

    ``rules`` of a ``policy.test`` result lists every matching rule whatever its action; the
    per-rule action is in ``matches`` (simulated rules left out: they enforce nothing).
    """
    grouped: dict[str, list[str]] = {}
    for match in result.get("matches") or ():
        if not match.get("simulated") and match.get("rule"):
            grouped.setdefault(str(match.get("action")), []).append(str(match["rule"]))
    return grouped


def verdict_text(result: dict[str, Any]) -> Text:
    """ "this will be held by rule X" and friends, from a ``policy.test`` result.

    Only the rules whose own action is the decision are named in it: a hold rule listed under
    "will be blocked" reads as if it blocked. The other matches follow, each with its action.
    """
    action = result.get("action", "allow")
    grouped = rules_by_action(result)
    deciding = grouped.pop(action, None) or ([] if grouped else rule_names(result.get("rules")))
    rules = ", ".join(deciding) or "the policy"
    kinds = sorted({f.get("kind", "?") for f in result.get("findings") or ()})
    found = f" (found: {', '.join(kinds)})" if kinds else ""
    if action == "block":
        line = Text(f"⛔ this will be blocked by rule {rules}{found}", "bold red")
    elif action == "hold":
        line = Text(f"⏸ this will be held by rule {rules} for approval{found}", "bold yellow")
    elif action == "redact":
        line = Text(f"✂ parts will be redacted by rule {rules}{found}", "#e0a060")
    elif action == "notify":
        line = Text(f"✓ allowed; admins are notified by rule {rules}{found}", "green")
    else:
        line = Text("✓ policy allows this message", "green")
    others = "; ".join(
        f"{ACTION_WORDS.get(other, other)} by {', '.join(names)}"
        for other, names in grouped.items()
    )
    if others:
        line.append(f"  · also matched: {others}", "dim")
    return line


ACTION_WORDS = {"block": "blocked", "hold": "held", "redact": "redacted", "notify": "notify",
                "allow": "allowed"}  # fmt: skip


class MessageInput(TextArea):
    """Where a message is written: several lines; Enter sends, Ctrl+J or Alt+Enter breaks
    the line (terminals cannot tell Shift+Enter from Enter)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "send", "Send", id="composer.send", priority=True,
                tooltip="Send (or save the edit)"),
        Binding("ctrl+j,alt+enter", "newline", "New line", id="composer.newline",
                tooltip="Start a new line in the message"),
    ]  # fmt: skip
    DEFAULT_CSS = """
    MessageInput { height: auto; min-height: 3; max-height: 8; }
    """

    @dataclass
    class Send(Message):
        text: str

    @property
    def value(self) -> str:
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    def action_send(self) -> None:
        self.post_message(self.Send(self.text))

    def action_newline(self) -> None:
        self.insert("\n")


class Composer(Vertical):
    """Reply bar, preview line and the input. Posts :class:`Composer.Submitted`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel reply/edit", id="composer.cancel"),
    ]
    DEFAULT_CSS = """
    Composer { height: auto; }
    Composer > #context { height: 1; color: $text-muted; display: none; }
    Composer > #context.-shown { display: block; }
    Composer > #preview { height: 1; padding: 0 1; }
    Composer > MessageInput { margin: 0; }
    """

    @dataclass
    class Submitted(Message):
        text: str
        reply_to: int | None
        edit_of: int | None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.link_id: str | None = None
        self.reply_to: dict[str, Any] | None = None
        self.edit_of: dict[str, Any] | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="context")
        yield Static(id="preview")
        yield MessageInput(placeholder=PLACEHOLDER, id="composer-input")

    @property
    def input(self) -> MessageInput:
        return self.query_one(MessageInput)

    def set_link(self, link_id: str | None) -> None:
        if link_id != self.link_id:
            self.link_id = link_id
            self.action_cancel()
            self.input.value = ""

    def start_reply(self, message: dict[str, Any]) -> None:
        self.edit_of, self.reply_to = None, message
        who = inert(message.get("sender_name") or "?")
        quoted = " ".join(inert(message.get("text") or "", keep="\n\t").split())[:60]
        self._show_context(f"↳ replying to {who}: {quoted}")
        self.input.focus()

    def start_edit(self, message: dict[str, Any]) -> None:
        self.reply_to, self.edit_of = None, message
        self._show_context(f"✎ editing #{message['id']} — Esc cancels")
        self.input.value = message.get("text") or ""
        self.input.focus()

    def action_cancel(self) -> None:
        self.reply_to = self.edit_of = None
        self._show_context(None)

    def _show_context(self, text: str | None) -> None:
        context = self.query_one("#context", Static)
        context.update(Text(text or ""))
        context.set_class(bool(text), "-shown")

    @on(TextArea.Changed, "#composer-input")
    def _changed(self, event: TextArea.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        text = event.text_area.text
        if not text.strip():
            self.query_one("#preview", Static).update("")
            return
        self._timer = self.set_timer(DEBOUNCE_SECONDS, lambda: self.preview(text))

    @work(exclusive=True, group="composer-preview")
    async def preview(self, text: str) -> None:
        label = self.query_one("#preview", Static)
        try:
            result = await self.app.api.call(  # type: ignore[attr-defined]
                "policy.test", text=text, link_id=self.link_id, direction="outbound"
            )
        except Exception as err:
            label.update(Text(f"policy preview unavailable: {describe(err)}", "dim"))
            return
        if text == self.input.value:
            label.update(verdict_text(result))

    @on(MessageInput.Send)
    def _submitted(self, event: MessageInput.Send) -> None:
        event.stop()
        text = event.text.strip()
        if not text:
            return
        self.post_message(
            self.Submitted(
                text,
                self.reply_to["id"] if self.reply_to else None,
                self.edit_of["id"] if self.edit_of else None,
            )
        )

    def sent(self) -> None:
        """The daemon accepted the message: clear the input and any reply/edit state."""
        self.input.value = ""
        self.query_one("#preview", Static).update("")
        self.action_cancel()


__all__ = ["Composer", "rule_names", "rules_by_action", "verdict_text"]
