"""A virtual list with fixed-height rows: the Line API, rendering only the visible lines.

Toolong's ``LogLines`` pattern: ``virtual_size`` is the line count, :meth:`render_line` asks for
one line of one row, and rendered lines sit in an LRU cache until the data or width changes —
so a list of 10,000 conversations costs what a screenful costs. j/k/g/G, arrows, page keys and
the mouse move the cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from gateway.inert import inert

T = TypeVar("T")


def list_bindings(prefix: str) -> list[BindingType]:
    """The movement keys every list shares, with ids ``<prefix>.down`` etc. for remapping."""
    return [
        Binding("j,down", "cursor(1)", "Down", show=False, id=f"{prefix}.down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id=f"{prefix}.up"),
        Binding("g,home", "first", "First", show=False, id=f"{prefix}.first"),
        Binding("G,end", "last", "Last", show=False, id=f"{prefix}.last"),
        Binding("pagedown", "page(1)", "Page down", show=False, id=f"{prefix}.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id=f"{prefix}.page_up"),
    ]


def text_strip(text: Text, width: int, style: Style) -> Strip:
    """One line of rich text cut or padded to ``width`` cells, on ``style``.

    The last door before the terminal for every list and timeline line: whatever a caller
    forgot to make inert (gateway/inert.py) is made so here (a no-op scan for clean text).
    """
    segments = [
        Segment(inert(seg.text), style + seg.style if seg.style else style)
        for seg in text.render(_CONSOLE)
        if seg.text != "\n"
    ]
    return Strip(segments).crop_extend(0, width, style)


_CONSOLE = Console(width=10_000, color_system="truecolor", legacy_windows=False)


class RowList(ScrollView, Generic[T], can_focus=True):
    """Rows of ``ROW_HEIGHT`` lines; subclasses implement :meth:`render_row`."""

    ROW_HEIGHT: ClassVar[int] = 1
    COMPONENT_CLASSES: ClassVar[set[str]] = {"rowlist--cursor", "rowlist--dim"}
    DEFAULT_CSS = """
    RowList { background: $surface; overflow-x: hidden; }
    RowList > .rowlist--cursor { background: $accent 40%; }
    RowList:focus > .rowlist--cursor { background: $accent; }
    RowList > .rowlist--dim { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    @dataclass
    class Highlighted(Message):
        """The cursor moved to ``index`` (``item`` is that row's data)."""

        list: RowList[Any]
        index: int
        item: Any

        @property
        def control(self) -> RowList[Any]:
            return self.list

    @dataclass
    class Chosen(Message):
        """Enter or a click on ``item``."""

        list: RowList[Any]
        index: int
        item: Any

        @property
        def control(self) -> RowList[Any]:
            return self.list

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.items: list[T] = []
        self._cache: LRUCache[tuple[int, int, int, bool], Strip] = LRUCache(2048)

    # -- data ---------------------------------------------------------------------------------

    def set_items(self, items: Sequence[T], *, keep: Any = None) -> None:
        """Replace the rows; the cursor stays on the row whose :meth:`key` is ``keep``."""
        self.items = list(items)
        self._cache.clear()
        index = 0
        if keep is not None:
            index = next((i for i, item in enumerate(self.items) if self.key(item) == keep), 0)
        self.virtual_size = Size(self.size.width, len(self.items) * self.ROW_HEIGHT)
        self.set_reactive(RowList.cursor, min(index, max(len(self.items) - 1, 0)))
        self.refresh()
        # the new virtual size counts from the next layout: scroll after it
        self.call_after_refresh(self._scroll_cursor_visible)

    def update_item(self, index: int, item: T) -> None:
        """Replace one row in place and repaint only its lines."""
        self.items[index] = item
        self._cache.clear()
        self.refresh(self._row_region(index))

    def key(self, item: T) -> Any:
        return item

    @property
    def current(self) -> T | None:
        return self.items[self.cursor] if 0 <= self.cursor < len(self.items) else None

    # -- rendering ----------------------------------------------------------------------------

    def render_row(self, item: T, width: int, selected: bool) -> list[Text]:
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        line = scroll_y + y
        width = self.scrollable_content_region.width
        row, sub = divmod(line, self.ROW_HEIGHT)
        base = self.rich_style
        if row >= len(self.items) or width <= 0:
            return Strip.blank(width, base)
        selected = row == self.cursor
        key = (row, sub, width, selected and self.has_focus)
        cached = self._cache.get(key)
        if cached is None:
            style = base + self.get_component_rich_style("rowlist--cursor") if selected else base
            texts = self.render_row(self.items[row], width, selected)
            text = texts[sub] if sub < len(texts) else Text()
            cached = text_strip(text, width, style)
            self._cache[key] = cached
        return cached

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.items) * self.ROW_HEIGHT)

    def _on_focus(self, event: events.Focus) -> None:
        self._cache.clear()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._cache.clear()
        self.refresh()

    def _row_region(self, index: int) -> Region:
        top = index * self.ROW_HEIGHT - round(self.scroll_offset.y)
        return Region(0, top, self.size.width, self.ROW_HEIGHT)

    # -- cursor -------------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh(self._row_region(old), self._row_region(new))
        self._scroll_cursor_visible()
        if 0 <= new < len(self.items):
            self.post_message(self.Highlighted(self, new, self.items[new]))

    def _scroll_cursor_visible(self) -> None:
        top = self.cursor * self.ROW_HEIGHT
        height = self.scrollable_content_region.height
        if top < self.scroll_offset.y:
            self.scroll_to(y=top, animate=False, immediate=True)
        elif height and top + self.ROW_HEIGHT > self.scroll_offset.y + height:
            self.scroll_to(y=top + self.ROW_HEIGHT - height, animate=False, immediate=True)

    def move_to(self, index: int) -> None:
        if self.items:
            self.cursor = max(0, min(index, len(self.items) - 1))

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(len(self.items) - 1)

    def action_page(self, direction: int) -> None:
        rows = max(1, self.scrollable_content_region.height // self.ROW_HEIGHT - 1)
        self.move_to(self.cursor + direction * rows)

    def action_choose(self) -> None:
        if (item := self.current) is not None:
            self.post_message(self.Chosen(self, self.cursor, item))

    async def _on_click(self, event: events.Click) -> None:
        row = (event.y + round(self.scroll_offset.y)) // self.ROW_HEIGHT
        if 0 <= row < len(self.items):
            self.cursor = row
            self.post_message(self.Chosen(self, row, self.items[row]))


__all__ = ["RowList", "list_bindings", "text_strip"]
