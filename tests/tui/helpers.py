"""Waiting for the app under Pilot: poll a condition while the app keeps running."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def wait_for(pilot: Any, condition: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except (LookupError, AttributeError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {condition}")
        await pilot.pause(0.02)
        await asyncio.sleep(0)


def row(table: Any, index: int) -> list[str]:
    """A table row as plain strings (cells hold rich Text)."""
    return [str(value) for value in table.get_row_at(index)]
