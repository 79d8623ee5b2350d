"""``hgw demo``: start everything, run the scenario, show the TUI (or a summary), stop everything.

Order of starting: the homeserver (a child process in its own process group that stops itself
if this process dies), the organisation on it, the Telegram sandbox, the daemon in this process
(the sandbox lives here, below the daemon's real telethon client), then the scenario and the
TUI. Stopping runs the other way, in ``finally`` blocks, so Ctrl-C, quitting the TUI or an error
leave nothing running.

SIGHUP (its terminal closed: ``tmux kill-session``), SIGTERM and SIGINT end the demo within
5 s, homeserver included — see :class:`_StopOnSignal` for why that takes a watchdog thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import os
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.config import load_config
from gateway.demo import organisation
from gateway.demo.homeserver import STOP_TIMEOUT, SynapseServer
from gateway.demo.scenario import Scenario
from gateway.errors import HgwError

log = logging.getLogger(__name__)

MARKER = ".hgw-demo"
"""Marks a directory as the demo's own, so a rerun may wipe it and nothing else."""
ACTIONS = ("relayed", "notified", "redacted", "held", "blocked")
_SHOWN = {
    "allow": "relayed",
    "notify": "notified",
    "redact": "redacted",
    "hold": "held",
    "block": "blocked",
}


STOP_SIGNALS = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)
"""Each ends the demo. The daemon alone would *reload* on SIGHUP; a demo whose terminal closed
must end instead."""
TUI_EXIT_SECONDS = 1.0
"""After a stop signal: how long the TUI may take to give the terminal back before it is left."""
DAEMON_STOP_SECONDS = 1.5
"""After a stop signal: the daemon's drain is cut short (the demo's data is thrown away anyway)."""
HOMESERVER_STOP_SECONDS = 1.0
"""After a stop signal: SIGTERM to SIGKILL for Synapse (a normal stop allows it 15 s)."""
WATCHDOG_SECONDS = 3.5
"""After a stop signal the process ends by then, however stuck: the orderly stop above takes
at most ~3.5 s, and the promise is 5 s."""


class DemoError(HgwError):
    """The demo cannot start; the message says what to install or change."""


class DemoStopped(Exception):
    """A stop signal ended the demo (everything is stopped); ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


class _StopOnSignal:
    """Ends the demo on :data:`STOP_SIGNALS`, even when its event loop is stuck.

    The orderly way first: the demo's task is cancelled and its ``finally`` blocks stop the
    TUI, the daemon and the homeserver, each with a short deadline. But a closed terminal can
    block the event loop itself: Textual's writer thread dies on the first EIO, and the next
    screen update waits forever on its full queue in the loop's own thread — which is why a
    SIGTERM used to be ignored. So these are plain ``signal.signal`` handlers (they run even
    while the main thread waits on a lock, where ``loop.add_signal_handler`` callbacks would
    not) and they start a watchdog thread: :data:`WATCHDOG_SECONDS` later it kills the
    homeserver's process group and ends the process, if the orderly way has not by then.
    """

    def __init__(self, task: asyncio.Task[Any], homeserver: SynapseServer) -> None:
        self.signum: int | None = None
        self._loop = task.get_loop()
        self._task = task
        self._homeserver = homeserver

    def install(self) -> None:
        """Take the stop signals over (again: the daemon installs its own when it starts)."""
        for signum in STOP_SIGNALS:
            # Drop the loop's registration too, or it would still run the daemon's handler
            # (a reload on SIGHUP) when the signal wakes it.
            with contextlib.suppress(RuntimeError, ValueError):
                self._loop.remove_signal_handler(signum)
            signal.signal(signum, self._on_signal)

    def uninstall(self) -> None:
        for signum in STOP_SIGNALS:
            handler = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
            signal.signal(signum, handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.signum is not None:
            return
        self.signum = signum
        log.warning("demo: %s; stopping everything", signal.Signals(signum).name)
        group = self._homeserver.pid  # its process group id (it runs in a session of its own)
        threading.Thread(
            target=self._watchdog, args=(signum, group), name="demo-stop-watchdog", daemon=True
        ).start()
        self._loop.call_soon_threadsafe(self._task.cancel)

    def _watchdog(self, signum: int, group: int | None) -> None:
        time.sleep(WATCHDOG_SECONDS)
        if group is not None:
            with contextlib.suppress(OSError):
                os.killpg(group, signal.SIGKILL)
        os._exit(128 + signum)


@dataclass
class Summary:
    """Policy outcomes per source network, and who waits in reception."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    reception: int = 0

    def add(self, network: str, action: str) -> None:
        self.counts.setdefault(network, dict.fromkeys(ACTIONS, 0))[action] += 1

    def render(self) -> str:
        lines = [f"{'from':<10}" + "".join(f"{a:>10}" for a in ACTIONS)]
        for network, counts in sorted(self.counts.items()):
            lines.append(f"{network:<10}" + "".join(f"{counts[a]:>10}" for a in ACTIONS))
        lines.append(f"waiting in reception: {self.reception} contact(s)")
        return "\n".join(lines)

    def problems(self) -> list[str]:
        """What the scripted first pass must have produced, per network; empty when all did."""
        expected = {
            "matrix": {"relayed": 1, "notified": 1, "redacted": 1, "held": 1, "blocked": 2},
            "telegram": {"relayed": 3, "blocked": 1},
        }
        found = []
        for network, minimums in expected.items():
            have = self.counts.get(network, dict.fromkeys(ACTIONS, 0))
            found += [
                f"{network}: {action} {have[action]} < {least}"
                for action, least in minimums.items()
                if have[action] < least
            ]
        if self.reception < 1:
            found.append("reception: nobody waiting (expected the unknown contact)")
        return found

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "reception": self.reception}


def summarize(store: Path) -> Summary:
    """Read the outcomes from the store's audit log (read-only; the daemon has stopped)."""
    summary = Summary()
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        for actor, details in db.execute(
            "SELECT actor, details FROM audit WHERE action = 'policy.decision'"
        ):
            shown = _SHOWN.get(json.loads(details)["action"])
            if shown is not None:
                summary.add(actor.split(":", 1)[0], shown)
        summary.reception = db.execute(
            "SELECT COUNT(DISTINCT conversation_id) FROM messages"
            " WHERE routed_at IS NULL AND direction = 'inbound'"
        ).fetchone()[0]
    return summary


def prepare(directory: Path) -> Path:
    """A fresh demo directory (0700); an earlier demo's is wiped, anything else refused."""
    if directory.exists() and any(directory.iterdir()):
        if not (directory / MARKER).exists():
            raise DemoError(
                f"{directory} exists and is not a demo directory; choose another with --dir"
            )
        shutil.rmtree(directory)
    directory.mkdir(mode=0o700, parents=True)
    (directory / MARKER).write_text("created by hgw demo; rerunning the demo wipes it\n")
    return directory


def default_policy_toml() -> str:
    """The shipped default policy, under ``[policy]`` as a config file carries it."""
    text = (Path(__file__).parents[1] / "policy" / "default_policy.toml").read_text("utf-8")
    return "[policy]\n" + text.replace("[[rules]]", "[[policy.rules]]").replace(
        "[[detectors]]", "[[policy.detectors]]"
    )


async def run_demo(
    directory: Path,
    *,
    headless: bool,
    duration: float,
    say: Callable[[str], None] = print,
) -> Summary:
    """Run the demo until ``duration`` passes (headless) or the TUI quits; return the summary."""
    if importlib.util.find_spec("synapse") is None:
        raise DemoError(
            "the demo runs a local Matrix homeserver (Synapse), which is not installed;"
            " install it with: pip install -e '.[demo]'"
        )
    directory = await asyncio.to_thread(lambda: prepare(directory.resolve()))
    _log_to_file(directory / "hgw.log", also_stderr=headless)
    homeserver = SynapseServer(directory / "homeserver", "demo.test")
    task = asyncio.current_task()
    assert task is not None
    stopper = _StopOnSignal(task, homeserver)
    stopper.install()
    say(f"Starting a local Matrix homeserver in {homeserver.directory} …")
    try:  # a Ctrl-C while it starts must stop it too, not leave it to its orphan guard
        await homeserver.start_async()
        org = await organisation.create(homeserver)
        config_path = organisation.write_config(org, directory, default_policy_toml())
        await _run_daemon(org, config_path, directory, headless, duration, say, stopper)
    except asyncio.CancelledError:
        if stopper.signum is None:
            raise
        task.uncancel()  # our own cancel: the cleanup below may still await
    finally:
        timeout = HOMESERVER_STOP_SECONDS if stopper.signum is not None else STOP_TIMEOUT
        await homeserver.stop_async(timeout)
        stopper.uninstall()
    if stopper.signum is not None:
        raise DemoStopped(stopper.signum)
    return summarize(directory / "data" / "hgw.sqlite3")


async def _run_daemon(
    org: organisation.Organisation,
    config_path: Path,
    directory: Path,
    headless: bool,
    duration: float,
    say: Callable[[str], None],
    stopper: _StopOnSignal,
) -> None:
    from bridges.registry import build_bridges
    from gateway.daemon import Daemon
    from gateway.verdicts import judge_for

    config = load_config(config_path, check_secrets=True)
    daemon = Daemon(
        config,
        make_bridges=lambda c: build_bridges(c, telegram_sandbox=org.sandbox),
        make_judge=judge_for,
    )
    running = asyncio.create_task(daemon.run(), name="hgw-daemon")
    scenario_task: asyncio.Task[None] | None = None
    try:
        await _wait_ready(daemon, running, org, on_ready=stopper.install)
        say(_banner(org, directory, config.control.socket))
        scenario_task = asyncio.create_task(Scenario(org).run(), name="demo-scenario")
        if headless:
            await asyncio.wait({running}, timeout=duration)
        else:
            await _run_tui(config.control.socket, running, stopper)
    finally:
        if scenario_task is not None:
            scenario_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await scenario_task
        daemon.stop()
        if stopper.signum is None:
            with contextlib.suppress(asyncio.CancelledError):
                await running
        else:  # cut the drain short: within 5 s of the signal everything must be gone
            await asyncio.wait({running}, timeout=DAEMON_STOP_SECONDS)
            running.cancel()
            await asyncio.wait({running}, timeout=0.5)


async def _wait_ready(
    daemon: Any, running: asyncio.Task[None], org: Any, *, on_ready: Callable[[], None]
) -> None:
    """Until the daemon is ready and its bot in every room; ``on_ready`` runs once the daemon
    is (it has just installed its own signal handlers)."""
    deadline = time.monotonic() + 90
    rooms = (org.acme_room, org.globex_room, org.admin_room)
    ready_seen = False
    while time.monotonic() < deadline:
        if running.done():
            running.result()  # raises what stopped the daemon
            raise DemoError("the daemon stopped while starting; see hgw.log in the demo dir")
        if daemon.ready.is_set() and not ready_seen:
            ready_seen = True
            on_ready()
        if daemon.ready.is_set() and await asyncio.to_thread(
            lambda: all(_joined(org.homeserver, org.security, r, org.bot.user_id) for r in rooms)
        ):
            return
        await asyncio.sleep(0.25)
    raise DemoError("the relay bot did not join its rooms within 90 s; see hgw.log")


def _joined(homeserver: SynapseServer, viewer: Any, room: str, user_id: str) -> bool:
    members = homeserver.request(
        "GET", f"/_matrix/client/v3/rooms/{room}/joined_members", access_token=viewer.access_token
    )
    return user_id in members.get("joined", {})


async def _run_tui(socket: Path, running: asyncio.Task[None], stopper: _StopOnSignal) -> None:
    from tui.app import DEMO_KEYMAP, build_app

    app = build_app(socket, keymap=DEMO_KEYMAP)
    tui = asyncio.create_task(app.run_async(), name="tui")
    try:
        await asyncio.wait({tui, running}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not tui.done():
            app.exit()
            if stopper.signum is None:
                await tui
            else:
                # On a terminal that is gone, Textual may never finish: leave it (the command
                # ends the process without waiting for its threads; see commands/demo.py).
                await asyncio.wait({tui}, timeout=TUI_EXIT_SECONDS)
                tui.cancel()


def _banner(org: organisation.Organisation, directory: Path, socket: Path) -> str:
    staff = "\n".join(
        f"    {user.user_id:<24} password {user.password}" for user in org.staff().values()
    )
    return f"""
hgw demo is running.
  data:        {directory}  (store, logs in hgw.log, config.toml)
  control:     {socket}
  homeserver:  {org.homeserver.url}  — log in with any Matrix client (e.g. Element) as:
{staff}
  Telegram:    an in-process sandbox with partners @{org.acme.username}, @{org.globex.username}
               and a stranger, @{org.stranger.username}.
"""


def _log_to_file(path: Path, *, also_stderr: bool) -> None:
    handlers: list[logging.Handler] = [logging.FileHandler(path, encoding="utf-8")]
    if also_stderr:
        stderr = logging.StreamHandler()
        stderr.setLevel(logging.WARNING)
        handlers.append(stderr)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )


__all__ = ["DemoError", "DemoStopped", "Summary", "run_demo", "summarize"]
