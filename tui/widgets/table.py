"""A DataTable with vi keys (j/k/g/G) whose binding ids can be remapped, and row helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from gateway.inert import inert


def cell(value: Any) -> Any:
    """User content is never markup: a str becomes plain Text (a snippet's "[word]" stays),
    made inert first (gateway/inert.py) — every table cell that holds network text (senders,
    previews, reasons, errors, audit details) passes here."""
    return Text(inert(value)) if isinstance(value, str) else value


class KeyTable(DataTable[Any]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("g", "scroll_top", "First", show=False, id="table.first"),
        Binding("G", "scroll_bottom", "Last", show=False, id="table.last"),
    ]

    def __init__(self, *columns: tuple[str, str], id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._column_keys = [key for key, _ in columns]
        for key, label in columns:
            self.add_column(label, key=key)

    def upsert(self, row_key: str, values: Sequence[Any]) -> bool:
        """Update a row in place by key (cell by cell), or add it; True if it was new."""
        try:
            self.get_row_index(row_key)
        except RowDoesNotExist:
            self.add_row(*map(cell, values), key=row_key)
            return True
        for column, value in zip(self._column_keys, values, strict=True):
            self.update_cell(row_key, column, cell(value))
        return False

    def replace_rows(self, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Make the table show exactly ``rows``; the cursor stays on the same key if it can."""
        keep = self.current_key
        self.clear()
        for key, values in rows:
            self.add_row(*map(cell, values), key=key)
        if keep is not None:
            with contextlib.suppress(RowDoesNotExist):
                self.move_cursor(row=self.get_row_index(keep))

    @property
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return key.value


__all__ = ["KeyTable"]
