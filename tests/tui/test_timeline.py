"""The timeline widget on its own: virtual rendering, wrapping, paging older history in place.

A tiny app hosts the widget; its ``api`` is an in-memory history (the one seam the widget uses).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from tests.tui.helpers import wait_for
from tui.widgets.timeline import Timeline, wrap_points


def view(mid: int, text: str | None = None) -> dict[str, Any]:
    return {"id": mid, "link_id": "big", "direction": "inbound", "sender_name": "Pavel",
            "text": text if text is not None else f"message {mid} " + "word " * (mid % 25),
            "at": "2026-11-25T10:00:00+00:00", "policy": None, "delivery": None}  # fmt: skip


class History:
    """``history`` over N messages, pages of ≤200 oldest first, as the daemon answers."""

    def __init__(self, count: int) -> None:
        self.messages = [view(i) for i in range(1, count + 1)]
        self.calls: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> Any:
        assert method == "history"
        self.calls.append(params)
        before = params.get("before") or len(self.messages) + 1
        older = self.messages[: before - 1]
        page = older[-params.get("limit", 50) :]
        return {"messages": page, "more": len(older) > len(page)}


class Host(App[None]):
    def __init__(self, api: History) -> None:
        super().__init__()
        self.api = api

    def compose(self) -> ComposeResult:
        yield Timeline()


@given(st.text(alphabet="ab \n", max_size=300), st.integers(min_value=1, max_value=40))
def test_wrap_points_keep_every_line_within_the_width(text: str, width: int) -> None:
    cuts = wrap_points(text, width)
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    assert "".join(pieces) == text
    assert all(len(piece.rstrip(" ")) <= width for piece in pieces)


async def test_only_visible_messages_are_rendered_with_100k_loaded() -> None:
    api = History(100_000)
    app = Host(api)
    async with app.run_test(size=(100, 30)) as pilot:
        timeline = app.query_one(Timeline)
        rendered: list[int] = []
        original = timeline._render_message

        def counting(message: dict[str, Any], width: int, selected: bool) -> Any:
            rendered.append(message["id"])
            return original(message, width, selected)

        timeline._render_message = counting  # type: ignore[method-assign]
        timeline.show("big", api.messages[-100_000:], more=False)
        await pilot.pause()
        assert timeline.virtual_size.height > 100_000
        assert rendered  # the newest messages are on screen…
        assert len(set(rendered)) < 30  # …and nothing else was rendered
        assert max(rendered) == 100_000
        rendered.clear()
        timeline.focus()
        await pilot.press("g")
        await pilot.pause()
        assert timeline.current["id"] == 1
        assert 0 < len(set(rendered)) < 30
        assert min(rendered) == 1


def top_message(timeline: Timeline) -> int:
    """Id of the message on the first line of the view."""
    line = timeline._line_at(0)
    return timeline.messages[bisect_right(timeline._starts, line) - 1]["id"]


async def test_older_pages_load_while_scrolling_up_and_the_view_stays_put() -> None:
    api = History(1_000)
    app = Host(api)
    async with app.run_test(size=(100, 30)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.focus()
        timeline.show("big", api.messages[-100:], more=True)
        await wait_for(pilot, lambda: len(timeline.messages) == 300)  # one page ahead
        assert api.calls[0] == {"link_id": "big", "before": 901, "limit": 200}
        for _ in range(400):
            if not timeline.more and not timeline.fetching:
                break
            await pilot.press("pageup")
            await pilot.pause()
        await wait_for(pilot, lambda: not timeline.more and not timeline.fetching)
        assert [m["id"] for m in timeline.messages] == list(range(1, 1_001))


async def test_prepending_a_page_does_not_move_what_is_on_screen() -> None:
    api = History(1_000)
    app = Host(api)
    async with app.run_test(size=(100, 30)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.show("big", api.messages[-300:], more=False)
        await pilot.pause()
        timeline.scroll_to(y=500, animate=False, immediate=True)
        await pilot.pause()
        before, cursor = top_message(timeline), timeline.current["id"]
        timeline.prepend(api.messages[500:700], more=False)
        await pilot.pause()
        assert top_message(timeline) == before
        assert timeline.current["id"] == cursor
        assert timeline.messages[0]["id"] == 501


async def test_a_changed_message_is_updated_in_place() -> None:
    api = History(10)
    app = Host(api)
    async with app.run_test(size=(100, 30)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.show("big", api.messages, more=False)
        await pilot.pause()
        lines = timeline.virtual_size.height
        changed = view(5, "edited\nover\nthree lines")
        changed["edited"] = True
        timeline.upsert(changed)
        assert len(timeline.messages) == 10
        assert timeline.messages[4]["text"].startswith("edited")
        assert timeline.virtual_size.height != lines
        timeline.upsert(view(11, "new"))
        assert timeline.messages[-1]["id"] == 11
        assert timeline.current["id"] == 11  # following the end
