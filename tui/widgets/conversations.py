"""The inbox list: every conversation across networks, two lines each.

Line 1: network badge, partner name, unread / mention / held counts. Line 2: the last message.
Filtering and sorting happen here on plain dicts (``ConversationView`` of the control API).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from gateway.inert import inert
from tui.format import badge, clock
from tui.widgets.rowlist import RowList, list_bindings

Conversation = dict[str, Any]


def matches(conversation: Conversation, needle: str) -> bool:
    """Filter-as-you-type: every word appears in the title, network or partner name."""
    if not needle:
        return True
    haystack = conversation.get("_haystack")
    if haystack is None:  # computed once per conversation: filtering 10k stays one keystroke
        external = conversation.get("external") or {}
        fields = (conversation.get("title"), conversation.get("link_id"),
                  conversation.get("network"), external.get("title"))  # fmt: skip
        haystack = conversation["_haystack"] = " ".join(str(x or "") for x in fields).casefold()
    return all(word in haystack for word in needle.casefold().split())


def newest_first(conversations: Iterable[Conversation]) -> list[Conversation]:
    return sorted(
        conversations,
        key=lambda c: ((c.get("last") or {}).get("at") or "", c["link_id"]),
        reverse=True,
    )


class ConversationList(RowList[Conversation]):
    ROW_HEIGHT = 2
    BINDINGS: ClassVar[list[BindingType]] = [
        *list_bindings("inbox"),
        Binding("enter", "choose", "Open", show=False, id="inbox.open"),
    ]

    def key(self, item: Conversation) -> Any:
        return item["link_id"]

    def index_of(self, link_id: str) -> int | None:
        return next((i for i, c in enumerate(self.items) if c["link_id"] == link_id), None)

    def render_row(self, item: Conversation, width: int, selected: bool) -> list[Text]:
        title = Text()
        title.append_text(badge(item.get("network", "?")))
        title.append(" ")
        name = inert(item.get("title") or item["link_id"])  # a partner's chat title: network text
        counts = Text()
        if unread := item.get("unread"):
            counts.append(f" {unread} new", "bold cyan")
        if mentions := item.get("mentions"):
            counts.append(f" @{mentions}", "bold magenta")
        if held := item.get("held"):
            counts.append(f" {held} held", "bold yellow")
        if not item.get("enabled", True):
            counts.append(" off", "dim")
        room = width - title.cell_len - counts.cell_len
        title.append(name[: max(room, 1)], "bold" if item.get("unread") else "")
        title.pad_right(max(width - title.cell_len - counts.cell_len, 0))
        title.append_text(counts)
        last = item.get("last") or {}
        preview = Text("   ")
        if last:
            preview.append(clock(last.get("at")) + " ", "dim")
            if sender := last.get("sender_name"):
                preview.append(f"{inert(sender)}: ", "dim italic")
            text = inert(str(last.get("preview") or ""), keep="\n\t")
            preview.append(" ".join(text.split()), "dim")
        elif item.get("partial"):
            preview.append("…", "dim")
        else:
            preview.append("no messages yet", "dim italic")
        return [title, preview]


__all__ = ["ConversationList", "matches", "newest_first"]
