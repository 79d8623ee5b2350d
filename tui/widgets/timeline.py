"""The timeline of one conversation: a virtual, line-based view that stays fast at 100k messages.

Toolong's ``LogLines`` pattern. Each message is laid out as a header line (time, sender,
policy outcome, delivery state), an optional reply line, its text hard-wrapped to the width and
one line per attachment. Heights are computed with plain arithmetic (no rendering), turned into
prefix sums, and :meth:`render_line` finds a line's message with a bisection; rendered lines sit
in an LRU cache. Older pages are fetched in a worker when the view nears the top and prepended
without moving what the reader sees.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gateway.inert import inert, inert_offsets
from gateway.memory import settle_long_lived
from tui.api import describe
from tui.format import clock, size
from tui.widgets.rowlist import text_strip

MessageView = dict[str, Any]
PAGE = 200
GUTTER = 3
SPAN_STYLES = {
    "bold": "bold",
    "italic": "italic",
    "underline": "underline",
    "strike": "strike",
    "code": "bold #e0a060",
    "pre": "#e0a060",
    "link": "underline #6fa8ff",
    "mention": "bold magenta",
    "spoiler": "reverse dim",
    "blockquote": "italic dim",
}


def policy_marker(message: MessageView) -> Text:
    """The policy outcome as the reader should see it next to the message."""
    policy = message.get("policy") or {}
    action = policy.get("action")
    rules = inert(", ".join(policy.get("rules") or []) or "?")
    if action == "block":
        return Text(f" [blocked by {rules}]", "bold red")
    if action == "hold":
        if policy.get("held"):
            return Text(f" [held by {rules}]", "bold yellow")
        return Text(f" [was held by {rules}]", "yellow")
    if action == "redact":
        return Text(f" [redacted by {rules}]", "#e0a060")
    if action == "notify":
        return Text(f" [admins notified: {rules}]", "dim")
    return Text()


def delivery_marker(message: MessageView) -> Text:
    delivery = message.get("delivery") or {}
    state = delivery.get("state")
    if state == "sent":
        return Text(" ✓", "green")
    if state == "pending":
        return Text(" … sending", "dim")
    if state == "failed":
        return Text(f" ✗ failed: {inert(delivery.get('error') or 'unknown')}", "bold red")
    if state and state != "held":  # a held message already says so in its policy marker
        return Text(f" {state}", "dim")
    return Text()


def wrap_points(text: str, width: int) -> list[int]:
    """Where to break one paragraph so no line is wider than ``width``: at spaces when it can,
    inside a word only when the word alone is too long. Cheap enough for 100k messages."""
    if len(text) <= width:
        return []
    cuts: list[int] = []
    start = 0
    while len(text) - start > width:
        end = start + width
        space = text.rfind(" ", start + 1, end + 1)
        cut = space + 1 if space > start else end
        cuts.append(cut)
        start = cut
    return cuts


def text_rows(text: str, width: int) -> int:
    return sum(len(wrap_points(part, width)) + 1 for part in text.split("\n"))


class Timeline(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"timeline--cursor", "timeline--header"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor(1)", "Next", show=False, id="timeline.down"),
        Binding("k,up", "cursor(-1)", "Previous", show=False, id="timeline.up"),
        Binding("g,home", "first", "Oldest loaded", show=False, id="timeline.first"),
        Binding("G,end", "last", "Newest", show=False, id="timeline.last"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="timeline.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="timeline.page_down"),
    ]
    DEFAULT_CSS = """
    Timeline { background: $surface; overflow-x: hidden; }
    Timeline > .timeline--cursor { background: $accent 25%; }
    Timeline > .timeline--header { color: $text; }
    """

    cursor: reactive[int] = reactive(-1, always_update=True, init=False)
    fetching: reactive[bool] = reactive(False)

    @dataclass
    class Selected(Message):
        """The cursor is on ``message`` (None: the timeline is empty)."""

        timeline: Timeline
        message: MessageView | None

    @dataclass
    class WantLatest(Message):
        """G in a window in the middle of the chat: the screen loads the newest page."""

        timeline: Timeline
        link_id: str

    @dataclass
    class PageLoaded(Message):
        """Older ``messages`` were paged in (the screen looks for redactions in them)."""

        timeline: Timeline
        messages: list[MessageView]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.link_id: str | None = None
        self.messages: list[MessageView] = []
        self.more = False
        self.latest = True
        """The newest message of the chat is loaded (not a window in the middle of it)."""
        self._ids: list[int] = []
        """Ids of ``messages``, ascending (messages are in id order): bisect finds one."""
        self._heights: list[int] = []
        self._starts: list[int] = [0]
        self._width = 0
        self._cache: LRUCache[tuple[int, int, bool], list[Strip]] = LRUCache(512)
        self._findings: dict[int, list[tuple[int, int]]] = {}

    # -- data ---------------------------------------------------------------------------------

    def clear(self, link_id: str | None = None) -> None:
        self.link_id = link_id
        self.messages = []
        self.more = False
        self._relayout()
        self.set_reactive(Timeline.cursor, -1)
        self.refresh()

    def show(
        self,
        link_id: str,
        messages: list[MessageView],
        *,
        more: bool,
        focus_id: int | None = None,
        latest: bool = True,
    ) -> None:
        """Replace the timeline; the cursor goes to ``focus_id`` or to the newest message.

        ``latest=False``: the messages end before the newest (a search result in context);
        new messages are then not appended (there would be a hole) and G fetches the newest.
        """
        self.link_id = link_id
        self.messages = list(messages)
        self.more = more
        self.latest = latest
        self._relayout()
        index = self._position(focus_id) if focus_id else None
        self.set_reactive(Timeline.cursor, len(self.messages) - 1 if index is None else index)
        self.post_message(self.Selected(self, self.current))
        # the new virtual size takes effect with the next layout; scroll after it
        self.call_after_refresh(self._place, index is not None)

    def _place(self, centre: bool) -> None:
        if not self.messages:
            return
        if centre:
            self._center(self.cursor)
        else:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        self._maybe_load_older()

    def prepend(self, older: list[MessageView], *, more: bool) -> None:
        """Add older messages at the top without moving what is on screen."""
        first = self._ids[0] if self._ids else None
        older = [m for m in older if first is None or m["id"] < first]
        self.more = more
        if not older:
            return
        width = self._text_width()
        heights = [self._height(m, width) for m in older]
        added = sum(heights)
        self.messages[:0] = older
        self._ids[:0] = [m["id"] for m in older]
        self._heights[:0] = heights
        self._restack()
        self.set_reactive(Timeline.cursor, self.cursor + len(older))
        self.scroll_to(y=self.scroll_offset.y + added, animate=False, immediate=True)
        settle_long_lived()

    def upsert(self, message: MessageView) -> None:
        """A new message (appended, followed if the view was at the end) or a changed one."""
        index = self._position(message["id"])
        if index is not None:
            self.messages[index] = message
            self._heights[index] = self._height(message, self._text_width())
            self._restack()
            return
        if self.messages and message["id"] < self.messages[-1]["id"]:
            return  # an old message we have not paged in: it shows when its page loads
        if not self.latest:
            return  # we show a window in the middle: G loads the newest, this one included
        at_end = self.scroll_offset.y >= self.max_scroll_y - 1
        follow = self.cursor == len(self.messages) - 1
        self.messages.append(message)
        self._ids.append(message["id"])
        self._heights.append(self._height(message, self._text_width()))
        self._restack()
        if follow:
            self.cursor = len(self.messages) - 1
        if at_end:
            self.scroll_end(animate=False, immediate=True)

    def has(self, message_id: int) -> bool:
        return self._position(message_id) is not None

    def remove(self, message_id: int) -> None:
        """Take a message out (an edit row the daemon published as a message of its own)."""
        index = self._position(message_id)
        if index is None:
            return
        del self.messages[index], self._ids[index], self._heights[index]
        self._restack()
        if self.cursor >= len(self.messages):
            self.set_reactive(Timeline.cursor, len(self.messages) - 1)

    @property
    def current(self) -> MessageView | None:
        return self.messages[self.cursor] if 0 <= self.cursor < len(self.messages) else None

    # -- layout -------------------------------------------------------------------------------

    def _text_width(self) -> int:
        return max(self.scrollable_content_region.width - GUTTER, 8)

    def _height(self, message: MessageView, width: int) -> int:
        text = inert(message.get("text") or "", keep="\n")  # what _body draws, stand-ins and all
        body = 1 if message.get("deleted") else text_rows(text, width)
        return (
            1 + (1 if message.get("reply_to") else 0) + body + len(message.get("attachments") or ())
        )

    def _position(self, message_id: int | None) -> int | None:
        """Index of a loaded message by id (a bisection: ids ascend)."""
        if message_id is None:
            return None
        i = bisect_left(self._ids, message_id)
        return i if i < len(self._ids) and self._ids[i] == message_id else None

    def _relayout(self) -> None:
        """Everything from scratch: after new data or a new width."""
        width = self._text_width()
        self._width = width
        self._ids = [m["id"] for m in self.messages]
        self._heights = [self._height(m, width) for m in self.messages]
        self._restack()

    def _restack(self) -> None:
        """Line offsets from the heights (a prefix sum: milliseconds for 100k messages)."""
        self._starts = [0, *accumulate(self._heights)]
        self._cache.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, self._starts[-1])
        self.refresh()

    def on_resize(self) -> None:
        if self._text_width() != self._width:
            self._relayout()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    # -- rendering ----------------------------------------------------------------------------

    def _line_at(self, y: int) -> int:
        """The timeline line shown on row ``y``; a short chat sits at the bottom, as in chats."""
        gap = max(0, self.scrollable_content_region.height - self._starts[-1])
        return round(self.scroll_offset.y) + y - gap

    def render_line(self, y: int) -> Strip:
        line = self._line_at(y)
        width = self.scrollable_content_region.width
        if not self.messages or not 0 <= line < self._starts[-1]:
            return Strip.blank(width, self.rich_style)
        index = bisect_right(self._starts, line) - 1
        selected = index == self.cursor
        key = (index, width, selected)
        strips = self._cache.get(key)
        if strips is None:
            strips = self._render_message(self.messages[index], width, selected)
            self._cache[key] = strips
        offset = line - self._starts[index]
        return strips[offset] if offset < len(strips) else Strip.blank(width, self.rich_style)

    def _render_message(self, message: MessageView, width: int, selected: bool) -> list[Strip]:
        base = self.rich_style
        if selected:
            base = base + self.get_component_rich_style("timeline--cursor")
        gutter = Text("▌ ", "bold #ffa62b") if selected else Text("  ")
        lines = [self._header(message)]
        if reply_to := message.get("reply_to"):
            target = self._position(reply_to)
            quoted = self.messages[target] if target is not None else None
            who = inert((quoted or {}).get("sender_name") or f"#{reply_to}")
            quoted_text = inert((quoted or {}).get("text") or "", keep="\n\t")
            preview = " ".join(quoted_text.split())[:60]
            lines.append(Text(f"  ↳ {who}: {preview}", "dim italic"))
        if message.get("deleted"):
            lines.append(Text("  (message deleted)", "dim italic"))
        else:
            body = self._body(message)
            text_width = self._text_width()
            for paragraph in body.split("\n"):
                plain = paragraph.plain
                if not plain:
                    lines.append(Text(" "))
                    continue
                cuts = wrap_points(plain, text_width)
                for piece in paragraph.divide(cuts) if cuts else [paragraph]:
                    piece.rstrip()
                    lines.append(Text(" ") + piece)
        for attachment in message.get("attachments") or ():
            lines.append(
                Text(
                    f"  [file] {inert(str(attachment.get('name')))} "
                    f"{inert(attachment.get('mime') or '')} "
                    f"{size(attachment.get('size'))}",
                    "#6fa8ff",
                )
            )
        return [text_strip(gutter + line, width, base) for line in lines]

    def _header(self, message: MessageView) -> Text:
        header = Text()
        header.append(clock(message.get("at")), "dim")
        inbound = message.get("direction") == "inbound"
        header.append(" ← " if inbound else " → ", "dim")
        header.append(
            inert(message.get("sender_name") or message.get("sender_id") or "?"),
            "bold cyan" if inbound else "bold green",
        )
        if message.get("kind") == "notice":
            header.append(" (notice)", "dim")
        if message.get("edited"):
            header.append(" (edited)", "dim")
        header.append_text(policy_marker(message))
        header.append_text(delivery_marker(message))
        header.append(f"  #{message['id']}", "dim")
        return header

    def _body(self, message: MessageView) -> Text:
        # Network text, shown inert (gateway/inert.py) and as Text, never parsed as markup;
        # spans and findings count code points of the original, ``where`` moves them along.
        plain, where = inert_offsets(message.get("text") or "", keep="\n")
        text = Text(plain)
        for offset, length, kind, _extra in message.get("spans") or ():
            if style := SPAN_STYLES.get(kind):
                text.stylize(style, where(offset), where(offset + length))
        for start, end in self._findings.get(message["id"], ()):
            text.stylize(Style(color="black", bgcolor="#e0a060"), where(start), where(end))
        return text

    def mark_findings(self, message_id: int, ranges: list[tuple[int, int]]) -> None:
        """Highlight what policy redacted in a message (ranges found by ``policy.test``)."""
        self._findings[message_id] = ranges
        self._cache.clear()
        self.refresh()

    # -- cursor and scrolling -----------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        # the cache is keyed by selection too: moving the cursor re-renders nothing else
        self.refresh()
        if 0 <= new < len(self.messages):
            self._scroll_visible(new)
        self.post_message(self.Selected(self, self.current))
        if new < 20:
            self._maybe_load_older()

    def _scroll_visible(self, index: int) -> None:
        top, bottom = self._starts[index], self._starts[index + 1]
        height = self.scrollable_content_region.height
        y = self.scroll_offset.y
        if top < y or bottom - top > height:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif bottom > y + height:
            self.scroll_to(y=bottom - height, animate=False, immediate=True)

    def _center(self, index: int) -> None:
        height = self.scrollable_content_region.height
        self.scroll_to(y=max(0, self._starts[index] - height // 3), animate=False, immediate=True)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new < self.scrollable_content_region.height * 3:
            self._maybe_load_older()

    def action_cursor(self, delta: int) -> None:
        if self.messages:
            self.cursor = max(0, min(self.cursor + delta, len(self.messages) - 1))

    def action_first(self) -> None:
        if self.messages:
            self.cursor = 0

    def action_last(self) -> None:
        if not self.latest and self.link_id:
            self.post_message(self.WantLatest(self, self.link_id))
        elif self.messages:
            self.cursor = len(self.messages) - 1

    def action_page(self, direction: int) -> None:
        if not self.messages:
            return
        height = self.scrollable_content_region.height
        y = max(0, min(self.scroll_offset.y + direction * height, self.max_scroll_y))
        self.scroll_to(y=y, animate=False, immediate=True)
        line = y if direction < 0 else min(y + height - 1, self._starts[-1] - 1)
        self.set_reactive(Timeline.cursor, bisect_right(self._starts, line) - 1)
        self.refresh()
        self.post_message(self.Selected(self, self.current))
        if y < self.scrollable_content_region.height * 3:
            self._maybe_load_older()

    async def _on_click(self, event: events.Click) -> None:
        line = self._line_at(event.y)
        if self.messages and 0 <= line < self._starts[-1]:
            self.cursor = bisect_right(self._starts, line) - 1

    # -- loading older pages ------------------------------------------------------------------

    def _maybe_load_older(self) -> None:
        if self.more and not self.fetching and self.link_id and self.messages:
            self.fetching = True
            self.load_older(self.link_id, self.messages[0]["id"])

    @work(exclusive=True, group="timeline-older")
    async def load_older(self, link_id: str, before: int) -> None:
        try:
            page = await self.app.api.call("history", link_id=link_id, before=before, limit=PAGE)  # type: ignore[attr-defined]
        except Exception as err:  # shown, never raised into the UI
            self.notify(describe(err), title="Older messages", severity="warning", markup=False)
            return
        finally:
            self.fetching = False
        if link_id == self.link_id:
            self.prepend(page["messages"], more=page.get("more", False))
            self.post_message(self.PageLoaded(self, page["messages"]))


__all__ = ["Timeline", "delivery_marker", "policy_marker"]
