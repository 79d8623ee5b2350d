"""The inbox list on its own: 10,000 conversations, filtering, the cursor kept in view."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from tui.widgets.conversations import ConversationList, matches, newest_first


def conversation(i: int) -> dict[str, Any]:
    return {"link_id": f"partner-{i:05d}", "title": f"Partner {i:05d} Ltd", "network": "telegram",
            "last": {"id": i, "sender_name": "Pavel", "preview": f"message {i}",
                     "at": f"2026-11-25T10:{i % 60:02d}:{i % 59:02d}+00:00"},
            "unread": i % 7 == 0, "mentions": 0, "held": 0, "enabled": True}  # fmt: skip


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield ConversationList()


async def test_ten_thousand_rows_render_only_what_is_visible() -> None:
    app = Host()
    async with app.run_test(size=(60, 24)) as pilot:
        listing = app.query_one(ConversationList)
        rendered: list[str] = []
        original = listing.render_row

        def counting(item: dict[str, Any], width: int, selected: bool) -> Any:
            rendered.append(item["link_id"])
            return original(item, width, selected)

        listing.render_row = counting  # type: ignore[method-assign]
        listing.set_items([conversation(i) for i in range(10_000)])
        listing.focus()
        await pilot.pause()
        assert listing.virtual_size.height == 20_000
        assert 0 < len(set(rendered)) <= 12  # a screenful of two-line rows
        rendered.clear()
        await pilot.press("G")
        await pilot.pause()
        assert listing.cursor == 9_999
        assert "partner-09999" in rendered
        assert len(set(rendered)) <= 13
        await pilot.press("pageup", "k")
        assert listing.cursor == 9_999 - 11 - 1  # a page is the rows in view, less one
        assert listing.scroll_offset.y <= listing.cursor * 2 < listing.scroll_offset.y + 24


async def test_replacing_the_rows_keeps_the_cursor_on_the_same_conversation() -> None:
    app = Host()
    async with app.run_test(size=(60, 24)) as pilot:
        listing = app.query_one(ConversationList)
        rows = [conversation(i) for i in range(10_000)]
        listing.set_items(rows)
        listing.move_to(5_000)
        await pilot.pause()
        rows.insert(0, rows.pop(5_000))  # a message arrived: to the top
        listing.set_items(rows, keep="partner-05000")
        await pilot.pause()
        assert listing.current["link_id"] == "partner-05000"
        assert listing.cursor == 0
        assert listing.scroll_offset.y == 0
        listing.set_items(rows[::-1], keep="partner-05000")
        await pilot.pause()
        assert listing.cursor == 9_999
        assert listing.scroll_offset.y == listing.max_scroll_y  # scrolled to it


def test_filter_and_order() -> None:
    rows = [conversation(i) for i in range(100)]
    # every word anywhere in name, id or network: "0004" is in 00004 and in 00040…00049
    assert [r["link_id"] for r in rows if matches(r, "0004 partner")] == [
        f"partner-{i:05d}" for i in (4, *range(40, 50))
    ]
    assert all(matches(r, "") for r in rows)
    assert not any(matches(r, "globex") for r in rows)
    ordered = newest_first(rows)
    stamps = [r["last"]["at"] for r in ordered]
    assert stamps == sorted(stamps, reverse=True)
