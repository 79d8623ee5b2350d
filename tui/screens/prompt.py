"""Small modal dialogs: one line of text (reason, justification, file name) or a form."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from gateway.inert import inert


class FormPrompt(ModalScreen[dict[str, str] | None]):
    """Fields by name → label; Enter on the last field submits, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]
    DEFAULT_CSS = """
    FormPrompt { align: center middle; }
    FormPrompt > Vertical { width: 70; height: auto; border: thick $primary; padding: 1 2;
                            background: $panel; }
    FormPrompt Label.title { text-style: bold; margin-bottom: 1; }
    FormPrompt Label.error { color: $error; }
    """

    def __init__(
        self,
        title: str,
        fields: dict[str, str],
        *,
        required: set[str] | None = None,
        values: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.required = required if required is not None else set(fields)
        self.values = values or {}

    def compose(self) -> ComposeResult:
        with Vertical():
            # the title may quote a chat id or a rule name: plain inert text, not markup
            yield Label(Text(inert(self.title_text)), classes="title")
            for name, label in self.fields.items():
                yield Label(label)
                yield Input(self.values.get(name, ""), id=f"field-{name}")
            yield Label("", id="error", classes="error")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is not inputs[-1]:
            inputs[inputs.index(event.input) + 1].focus()
            return
        values = {
            name: self.query_one(f"#field-{name}", Input).value.strip() for name in self.fields
        }
        missing = [self.fields[n] for n in self.required if not values[n]]
        if missing:
            self.query_one("#error", Label).update(f"required: {', '.join(missing)}")
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


def text_prompt(title: str, label: str, *, required: bool = True, value: str = "") -> FormPrompt:
    return FormPrompt(
        title, {"text": label}, required={"text"} if required else set(), values={"text": value}
    )


__all__ = ["FormPrompt", "text_prompt"]
