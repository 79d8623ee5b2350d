"""The main screen: the unified inbox on the left, the open conversation on the right."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from gateway.inert import inert
from gateway.memory import settle_long_lived
from tui.format import badge
from tui.widgets.composer import PLACEHOLDER, Composer, rule_names
from tui.widgets.conversations import ConversationList, matches, newest_first
from tui.widgets.timeline import Timeline

from .base import HgwScreen

HISTORY_PAGE = 100
SKELETON_AFTER = 0.3
"""Seconds to wait for the full conversation list before showing names from ``links.list``."""
CONTEXT = 50


def chat_name(chat: dict[str, Any]) -> str:
    """What a person calls one side of a link: its title (the link's ``name`` for the room, the
    chat's own title for the partner), else the id it was linked by — an alias or @username as
    often as not; a raw ``!AbCd:server`` only when nothing else is known."""
    return str(chat.get("title") or chat.get("chat_id") or "?")


class InboxScreen(HgwScreen):
    TITLE = "Inbox"
    CSS_PATH = "inbox.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "n",
            "next_unread",
            "Next unread",
            id="inbox.next_unread",
            tooltip="Open the next conversation with unread messages",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="inbox.filter",
            tooltip="Filter conversations as you type",
        ),
        Binding(
            "r", "reply", "Reply", id="timeline.reply", tooltip="Reply to the selected message"
        ),
        Binding("e", "edit", "Edit", id="timeline.edit", tooltip="Edit the selected message"),
        Binding("c", "compose", "Compose", id="inbox.compose", tooltip="Write in this chat"),
        Binding("escape", "focus_list", "Back to list", show=False, id="inbox.focus_list"),
    ]
    ACTION_METHODS: ClassVar[dict[str, str]] = {
        "reply": "send",
        "edit": "edit",
        "compose": "send",
    }
    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        (
            "Inbox: next unread conversation",
            "Open the next conversation with unread messages",
            "next_unread",
        ),
        ("Inbox: filter conversations", "Type to narrow the list", "filter"),
        ("Conversation: reply to selected message", "Reply in the open conversation", "reply"),
        ("Conversation: edit selected message", "Edit one of your messages", "edit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conversations: list[dict[str, Any]] = []
        self.loaded = False
        """The full conversation list arrived (not only the names)."""
        self._title = Text("Select a conversation (Enter)")
        self.open_link: str | None = None
        self._pending_focus: tuple[str, int] | None = None
        self._edit_rows: set[int] = set()
        """Archive ids of edits. The daemon publishes an edit as a message of its own while
        ``history`` folds it into the edited message (control-API gap): skip those ids."""
        self._arrivals: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def compose(self) -> ComposeResult:
        yield from self.compose_chrome()
        with Horizontal(id="inbox"):
            with Vertical(id="sidebar"):
                yield Input(placeholder="/ filter conversations", id="filter")
                yield ConversationList(id="conversations")
            with Vertical(id="chat"):
                yield Static("Select a conversation (Enter)", id="chat-title")
                yield Timeline(id="timeline")
                yield Composer(id="composer")

    @property
    def conversation_list(self) -> ConversationList:
        return self.query_one(ConversationList)

    @property
    def timeline(self) -> Timeline:
        return self.query_one(Timeline)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    def on_mount(self) -> None:
        super().on_mount()
        self.conversation_list.focus()
        self.confirm_arrivals()
        self.watch(self.timeline, "fetching", self._fetching, init=False)

    def _fetching(self, fetching: bool) -> None:
        title = self._title.copy()
        if fetching:
            title.append("  · loading older messages…", "italic dim")
        self.query_one("#chat-title", Static).update(title)

    @work(group="inbox-arrivals")
    async def confirm_arrivals(self) -> None:
        """New messages of the open chat, in order. The daemon publishes an edit as a message
        event of its own (control-API gap); ``history`` folds edits into the edited message, so
        asking it for "the newest message up to this id" tells an edit from a new message."""
        while True:
            message = await self._arrivals.get()
            link_id = message.get("link_id")
            try:
                page = await self.api.call("history", link_id=link_id,
                                           before=message["id"] + 1, limit=1)  # fmt: skip
                newest = page["messages"][-1] if page["messages"] else None
            except Exception:
                newest = message
            if newest is None or newest["id"] != message["id"]:
                self._edit_rows.add(message["id"])
                continue
            if link_id == self.timeline.link_id:
                self.timeline.upsert(newest)
                self._find_redactions([newest])

    # -- loading ------------------------------------------------------------------------------

    def resync(self) -> None:
        self.load_conversations()
        self._writable()

    def _writable(self) -> None:
        writable = self.check_action("compose", ()) is True
        field = self.composer.input
        field.disabled = not writable
        field.placeholder = PLACEHOLDER if writable else f"read-only ({self.role or '…'})"

    @work(exclusive=True, group="inbox-list")
    async def load_conversations(self) -> None:
        full = asyncio.ensure_future(self.api.call("conversations.list"))
        try:
            await asyncio.wait({full}, timeout=SKELETON_AFTER)
            if not full.done():
                await self._skeleton()
            conversations = await full
        except Exception as err:
            self.failed(err, "Conversations")
            return
        finally:
            full.cancel()
        self.conversations = newest_first(conversations)
        self.loaded = True
        settle_long_lived()
        self._apply_filter()
        if self._pending_focus:
            link_id, message_id = self._pending_focus
            self._pending_focus = None
            self.open_message(link_id, message_id)
        elif self.open_link:
            self.open_conversation(self.open_link)

    async def _skeleton(self) -> None:
        """Names first: ``conversations.list`` computes previews and counts for every link and
        takes seconds with thousands of them, ``links.list`` does not (control-API gap: no
        paging). The inbox shows the names at once; previews and counts follow."""
        links = await self.api.call("links.list")
        if self.loaded:
            return
        self.conversations = [
            {"link_id": link["id"], "title": link.get("name") or link["id"],
             "network": (link.get("external") or {}).get("network", "?"),
             "internal": link.get("internal"), "external": link.get("external"),
             "last": None, "unread": 0, "mentions": 0, "held": 0,
             "enabled": link.get("enabled", True), "partial": True}
            for link in links
        ]  # fmt: skip
        self._apply_filter()

    def _apply_filter(self) -> None:
        needle = self.query_one("#filter", Input).value
        listing = self.conversation_list
        keep = listing.current["link_id"] if listing.current else None
        listing.set_items([c for c in self.conversations if matches(c, needle)], keep=keep)

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._apply_filter()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        """Enter opens the highlighted match (one Enter, as in a search box); with nothing to
        open — no match, or it is open already — it only goes back to the list."""
        current = self.conversation_list.current
        if current is None or current["link_id"] == self.open_link:
            self.conversation_list.focus()
            return
        self.open_conversation(current["link_id"])
        self.timeline.focus()

    @on(ConversationList.Chosen)
    def _chosen(self, event: ConversationList.Chosen) -> None:
        self.open_conversation(event.item["link_id"])
        self.timeline.focus()

    def _conversation(self, link_id: str) -> dict[str, Any] | None:
        return next((c for c in self.conversations if c["link_id"] == link_id), None)

    def _set_title(self, link_id: str) -> None:
        conversation = self._conversation(link_id) or {"link_id": link_id}
        title = Text()
        title.append_text(badge(conversation.get("network", "?")))
        name = conversation.get("title") or link_id
        title.append(f" {inert(name)}", "bold")
        external = conversation.get("external") or {}
        internal = conversation.get("internal") or {}
        if external:
            partner = chat_name(external)
            partner = "" if partner == name else f" {inert(partner)}"  # said once is enough
            title.append(
                f"  {external.get('network')}{partner} ⇄ "
                f"{internal.get('network')} {inert(chat_name(internal))}",
                "dim",
            )
        self._title = title
        self.query_one("#chat-title", Static).update(title)

    @work(exclusive=True, group="inbox-open")
    async def open_conversation(self, link_id: str, focus_id: int | None = None) -> None:
        self.open_link = link_id
        self._set_title(link_id)
        self.composer.set_link(link_id)
        try:
            latest = True
            if focus_id is None:
                page = await self.api.call("history", link_id=link_id, limit=HISTORY_PAGE)
                messages, more = page["messages"], page.get("more", False)
            else:
                # control-API gap: history pages only backwards (no ``after``), so a result
                # opens as a window (message.get's context); G then loads the newest page
                found = await self.api.call("message.get", id=focus_id, context=CONTEXT)
                messages = [*found["before"], found["message"], *found["after"]]
                more = True
                latest = len(found["after"]) < CONTEXT
        except Exception as err:
            self.failed(err, "Conversation")
            return
        self.timeline.show(link_id, messages, more=more, focus_id=focus_id, latest=latest)
        self._find_redactions(messages)
        await self._mark_read(link_id, messages)

    async def _mark_read(self, link_id: str, messages: list[dict[str, Any]]) -> None:
        conversation = self._conversation(link_id)
        if not messages or not conversation or not conversation.get("unread"):
            return
        try:
            await self.api.call(
                "conversations.mark_read", link_id=link_id, message_id=messages[-1]["id"]
            )
        except Exception as err:
            self.failed(err, "Mark read")
            return
        conversation["unread"] = conversation["mentions"] = 0
        self._refresh_row(link_id)

    @work(exclusive=True, group="inbox-read")
    async def read_up_to(self, link_id: str, message_id: int) -> None:
        await asyncio.sleep(0.5)  # a burst of messages is one call (exclusive: the last wins)
        try:
            await self.api.call("conversations.mark_read", link_id=link_id, message_id=message_id)
        except Exception as err:
            self.failed(err, "Mark read")

    def _find_redactions(self, messages: list[dict[str, Any]]) -> None:
        """Highlight what was redacted, as the daemon recorded it when it decided."""
        for message in messages:
            ranges = (message.get("policy") or {}).get("redacted")
            if ranges:
                self.timeline.mark_findings(message["id"], [(a, b) for a, b in ranges])

    @on(Timeline.WantLatest)
    def _want_latest(self, event: Timeline.WantLatest) -> None:
        self.open_conversation(event.link_id)

    @on(Timeline.PageLoaded)
    def _page_loaded(self, event: Timeline.PageLoaded) -> None:
        self._find_redactions(event.messages)

    def open_message(self, link_id: str, message_id: int) -> None:
        """Show a message in its conversation, with context (from search)."""
        if not self.conversations:
            self._pending_focus = (link_id, message_id)
            return
        index = self.conversation_list.index_of(link_id)
        if index is None:
            self.query_one("#filter", Input).value = ""
            self._apply_filter()
            index = self.conversation_list.index_of(link_id)
        if index is not None:
            self.conversation_list.move_to(index)
        self.open_conversation(link_id, message_id)
        self.timeline.focus()

    # -- actions ------------------------------------------------------------------------------

    def action_next_unread(self) -> None:
        listing = self.conversation_list
        count = len(listing.items)
        for step in range(1, count + 1):
            index = (listing.cursor + step) % count
            if listing.items[index].get("unread"):
                listing.move_to(index)
                self.open_conversation(listing.items[index]["link_id"])
                return
        self.notify("No unread conversations", timeout=2)

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_list(self) -> None:
        self.conversation_list.focus()

    def action_compose(self) -> None:
        if self.open_link:
            self.composer.input.focus()

    def action_reply(self) -> None:
        if (message := self.timeline.current) is not None:
            self.composer.start_reply(message)

    def action_edit(self) -> None:
        message = self.timeline.current
        if message is None:
            return
        if not self._own(message):
            self.notify("Only your own messages can be edited", severity="warning")
            return
        self.composer.start_edit(message)

    def _own(self, message: dict[str, Any]) -> bool:
        """Written by this user through hgw (``os:USER``, as the daemon records it): a partner's
        message, or a colleague's sent from Element, is outbound or not — never editable here."""
        user = self.app.user  # type: ignore[attr-defined]
        return user is not None and message.get("sender_id") == f"os:{user}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``e`` is offered only on one's own message (the footer follows the cursor)."""
        if action == "edit":
            message = self.timeline.current if self.is_mounted else None
            if message is None or not self._own(message):
                return False
        return super().check_action(action, parameters)

    @on(Timeline.Selected)
    def _message_selected(self) -> None:
        self.refresh_bindings()

    @on(Composer.Submitted)
    def _submit(self, event: Composer.Submitted) -> None:
        if self.open_link:
            self.send(self.open_link, event.text, event.reply_to, event.edit_of)

    @work(exclusive=True, group="inbox-send")
    async def send(
        self, link_id: str, text: str, reply_to: int | None, edit_of: int | None
    ) -> None:
        try:
            if edit_of is not None:
                result = await self.api.call("edit", message_id=edit_of, text=text)
            elif reply_to is not None:
                result = await self.api.call("send", link_id=link_id, text=text, reply_to=reply_to)
            else:
                result = await self.api.call("send", link_id=link_id, text=text)
        except Exception as err:
            self.failed(err, "Not sent")
            return
        self.composer.sent()
        if edit_id := result.get("edit_id"):
            self._edit_rows.add(edit_id)
            self.timeline.remove(edit_id)
        action = result.get("action", "allow")
        if action in ("hold", "block", "redact"):
            rules = ", ".join(rule_names(result.get("rules"))) or "policy"
            verb = {"hold": "held for approval", "block": "blocked", "redact": "redacted"}[action]
            self.notify(f"Message {verb} by rule {rules}", severity="warning")
        try:
            found = await self.api.call("message.get", id=result["message_id"], context=0)
        except Exception:
            return  # the live event brings it
        if self.open_link == link_id:
            self.timeline.upsert(found["message"])

    # -- live events --------------------------------------------------------------------------

    def on_api_event(self, params: dict[str, Any]) -> None:
        topic = params.get("topic")
        if topic == "message" and (message := params.get("message")):
            self._message_event(message)
        elif topic == "approval" and (approval := params.get("approval")):
            conversation = self._conversation(approval.get("link_id", ""))
            if conversation is not None:
                delta = 1 if approval.get("state") == "pending" else -1
                conversation["held"] = max(0, (conversation.get("held") or 0) + delta)
                self._refresh_row(conversation["link_id"])

    def _message_event(self, message: dict[str, Any]) -> None:
        if message["id"] in self._edit_rows:
            return
        link_id = message.get("link_id")
        if link_id and link_id == self.open_link and link_id == self.timeline.link_id:
            if self.timeline.has(message["id"]):
                self.timeline.upsert(message)  # a change: edit, delivery state, deletion
            else:
                self._arrivals.put_nowait(message)  # new — or an edit row, see confirm_arrivals
            if message.get("direction") == "inbound":
                self.read_up_to(link_id, message["id"])  # you are looking at it
        if not link_id:
            return  # an unknown contact waiting in reception: not a conversation yet
        conversation = self._conversation(link_id)
        if conversation is None:
            if self.loaded:
                self.load_conversations()  # a link made since: fetch the list again
            return
        last = conversation.get("last") or {}
        if message["id"] >= (last.get("id") or 0):
            preview = " ".join((message.get("text") or "").split())[:120]
            is_new = message["id"] > (last.get("id") or 0)
            conversation["last"] = {
                "id": message["id"],
                "sender_name": message.get("sender_name"),
                "preview": preview,
                "at": message.get("at"),
            }
            if is_new and link_id != self.open_link and message.get("direction") == "inbound":
                conversation["unread"] = (conversation.get("unread") or 0) + 1
            if is_new:
                self.conversations.remove(conversation)
                self.conversations.insert(0, conversation)
                self._apply_filter()
                return
        self._refresh_row(conversation["link_id"])

    def _refresh_row(self, link_id: str) -> None:
        listing = self.conversation_list
        index = listing.index_of(link_id)
        if index is not None:
            listing.update_item(index, listing.items[index])


__all__ = ["InboxScreen"]
