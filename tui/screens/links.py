"""Links and contacts: the links in force, and unknown contacts waiting in reception."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.format import stamp
from tui.screens.prompt import FormPrompt, text_prompt
from tui.widgets.table import KeyTable

from .base import HgwScreen


def _chat(chat: Any) -> str:
    if isinstance(chat, dict):
        return f"{chat.get('network')} {chat.get('chat_id')}"
    return str(chat or "")


class LinksScreen(HgwScreen):
    TITLE = "Links"
    CSS_PATH = "links.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "create", "New link", id="links.create", tooltip="Link two chats"),
        Binding(
            "d",
            "remove",
            "Remove link",
            id="links.remove",
            tooltip="Remove the selected runtime link",
        ),
        Binding(
            "a",
            "assign",
            "Assign contact",
            id="links.assign",
            tooltip="Link the selected unknown contact to a room",
        ),
    ]
    ACTION_METHODS: ClassVar[dict[str, str]] = {
        "create": "links.create",
        "remove": "links.remove",
        "assign": "contacts.assign",
    }
    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        ("Links: create a link", "Link an internal room to an external chat", "create"),
        (
            "Links: remove selected link",
            "Only runtime links; config links live in the file",
            "remove",
        ),
        ("Contacts: assign selected contact", "Give an unknown contact a room", "assign"),
    ]

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        yield Static("Links", id="links-title", classes="screen-title")
        yield KeyTable(
            ("id", "Link"),
            ("internal", "Internal"),
            ("external", "External"),
            ("format", "Format"),
            ("enabled", "On"),
            ("source", "Source"),
            id="links",
        )
        yield Static("Unknown contacts (reception)", id="contacts-title", classes="screen-title")
        yield KeyTable(
            ("network", "Net"),
            ("chat_id", "Chat"),
            ("name", "Name"),
            ("messages", "Msgs"),
            ("first", "First"),
            ("last", "Last"),
            id="contacts",
        )

    def resync(self) -> None:
        self.load()

    @work(exclusive=True, group="links-load")
    async def load(self) -> None:
        try:
            links = await self.api.call("links.list")
        except Exception as err:
            self.failed(err, "Links")
            return
        self.query_one("#links", KeyTable).replace_rows(
            [
                (
                    link["id"],
                    [
                        link["id"],
                        _chat(link.get("internal")),
                        _chat(link.get("external")),
                        link.get("format") or "",
                        "yes" if link.get("enabled", True) else "no",
                        link.get("source") or "",
                    ],
                )
                for link in links
            ]
        )
        self.query_one("#links-title", Static).update(f"Links ({len(links)})")
        contacts_title = self.query_one("#contacts-title", Static)
        if self.role not in ("admin", "auditor"):
            contacts_title.update(f"Unknown contacts: for admins and auditors ({self.role})")
            return
        try:
            contacts = await self.api.call("contacts.reception")
        except Exception as err:
            self.failed(err, "Contacts")
            return
        self.query_one("#contacts", KeyTable).replace_rows(
            [
                (
                    f"{c['network']}:{c['chat_id']}",
                    [
                        c["network"],
                        c["chat_id"],
                        c.get("name") or "",
                        str(c.get("messages", "")),
                        stamp(c.get("first_at")),
                        stamp(c.get("last_at")),
                    ],
                )
                for c in contacts
            ]
        )
        contacts_title.update(f"Unknown contacts (reception: {len(contacts)})")

    def action_create(self) -> None:
        def done(values: dict[str, str] | None) -> None:
            if values:
                params = {k: v for k, v in values.items() if v}
                self.call_api("links.create", "Link created", **params)

        self.app.push_screen(
            FormPrompt(
                "New link",
                {
                    "id": "Link id (e.g. acme-supplier)",
                    "internal_room": "Internal Matrix room (!id or #alias)",
                    "external_network": "External network",
                    "external_chat": "External chat id",
                    "format": "Outbound format (optional, e.g. {sender_name}: {body})",
                },
                required={"id", "internal_room", "external_network", "external_chat"},
                values={"external_network": "telegram"},
            ),
            done,
        )

    def action_remove(self) -> None:
        link_id = self.query_one("#links", KeyTable).current_key
        if link_id:
            self.call_api("links.remove", f"Link {link_id} removed", id=link_id)

    def action_assign(self) -> None:
        key = self.query_one("#contacts", KeyTable).current_key
        if not key:
            self.notify("Select a contact in the reception table first", severity="warning")
            return
        network, chat_id = key.split(":", 1)

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                params = {"network": network, "chat_id": chat_id}
                if values["text"]:
                    params["internal_room"] = values["text"]
                self.call_api("contacts.assign", f"{chat_id} assigned", **params)

        self.app.push_screen(
            text_prompt(
                f"Assign {network} {chat_id}",
                "Internal room (empty: a new portal room)",
                required=False,
            ),
            done,
        )

    @work(group="links-change")
    async def call_api(self, method: str, done: str, **params: Any) -> None:
        try:
            await self.api.call(method, **params)
        except Exception as err:
            self.failed(err, done.split()[0])
            return
        self.notify(done, timeout=3, markup=False)
        self.load()


__all__ = ["LinksScreen"]
