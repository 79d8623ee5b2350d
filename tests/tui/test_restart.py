"""The daemon restarts under an open TUI: the outage is shown, and it recovers by itself."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.tui.daemon_env import DaemonEnv
from tests.tui.helpers import wait_for
from tests.unit.relay import TELEGRAM, partner
from tui.app import build_app
from tui.screens.inbox import InboxScreen
from tui.widgets.banner import ConnectionBanner

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def preview(screen: InboxScreen, link_id: str) -> str | None:
    conversation = next(c for c in screen.conversations if c["link_id"] == link_id)
    return (conversation.get("last") or {}).get("preview")


async def test_daemon_restart_is_shown_and_recovered_from(daemon_env: DaemonEnv) -> None:
    await daemon_env.inject(TELEGRAM, partner("1", "before the restart", sent_at=T0))
    app = build_app(daemon_env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.resyncs == 1)
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        banner = screen.query_one(ConnectionBanner)
        await wait_for(pilot, lambda: preview(screen, "acme") == "before the restart")
        assert not banner.has_class("-down")

        await daemon_env.stop()
        await wait_for(pilot, lambda: banner.has_class("-down"))
        assert "daemon not running — retrying" in str(banner.render())
        assert not app.connection[0]

        await daemon_env.start()
        await daemon_env.inject(TELEGRAM, partner("2", "after the restart", sent_at=T0))
        await wait_for(pilot, lambda: app.resyncs == 2, timeout=15)
        await wait_for(pilot, lambda: not banner.has_class("-down"))
        # fresh data: re-read on reconnect (or pushed by the re-made subscription)
        await wait_for(pilot, lambda: preview(screen, "acme") == "after the restart")
        # and live events flow again
        await daemon_env.inject(TELEGRAM, partner("3", "live again", sent_at=T0))
        await wait_for(pilot, lambda: preview(screen, "acme") == "live again")


async def test_tui_starts_without_a_daemon_and_connects_when_it_appears(short_dir) -> None:
    env = DaemonEnv(short_dir)
    env.write_config()
    app = build_app(env.socket)
    async with app.run_test(size=(120, 40)) as pilot:
        banner = app.screen.query_one(ConnectionBanner)
        await wait_for(pilot, lambda: banner.has_class("-down"))
        assert "daemon not running — retrying" in str(banner.render())
        await env.start()
        try:
            await wait_for(pilot, lambda: app.resyncs == 1, timeout=15)
            assert not banner.has_class("-down")
            assert app.role == "admin"
        finally:
            await env.stop()
