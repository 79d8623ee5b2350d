"""``hgw status``: connections, queue depths, flood waits and recent failures, via the API."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any

from gateway.commands import EXIT_FAILED, EXIT_OK, HelpFormatter, add_config_option, config_from
from gateway.config import default_config_path
from gateway.inert import inert, inert_json


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "status",
        help="ask the running daemon how it is doing",
        description=(
            "Connects to the running daemon's control socket and prints each network's\n"
            "connection and flood wait, the outbox (pending, held, failed, sent), the chats\n"
            "with deliveries waiting, the most recent failures and a refused config reload.\n"
            "Exit status 1 when the daemon is not running or refuses this OS user."
        ),
        epilog="examples:\n  hgw status -c /etc/hgw/config.toml\n  hgw status --json | jq .queues",
        formatter_class=HelpFormatter,
    )
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="the status as one JSON object")
    parser.set_defaults(func=run_status)


def run_status(args: argparse.Namespace) -> int:
    from gateway.control.client import ControlClient, ControlError

    config = config_from(args)
    socket = config.control.socket

    async def ask() -> dict[str, Any]:
        client = ControlClient(socket)
        await client.connect(reconnect=False)
        try:
            return dict(await client.call("status"))
        finally:
            await client.close()

    try:
        status = asyncio.run(ask())
    except ConnectionError as err:
        file = args.config or config.source_path or default_config_path()
        print(f"{err}; start it with `hgw run -c {file}`", file=sys.stderr)
        return EXIT_FAILED
    except ControlError as err:
        print(f"hgw: {err.message}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        document = json.dumps(status, ensure_ascii=False, indent=2)
        print(inert_json(document) if sys.stdout.isatty() else document)
    else:
        print(render(status))
    return EXIT_OK


def render(status: dict[str, Any], now: datetime | None = None) -> str:
    """The status as a few aligned lines for a terminal, inert (gateway/inert.py): details
    and errors quote what networks answered."""
    now = now or datetime.now(UTC)
    started = datetime.fromisoformat(status["started_at"])
    lines = [f"hgw {status['version']}, running since {_when(started)} ({_ago(now - started)})"]
    lines.append("networks:")
    for net in status["networks"]:
        state = {True: "connected", False: "DISCONNECTED", None: "unknown"}[net.get("connected")]
        line = f"  {net['network']:<12} {state}"
        wait = _flood_wait(net.get("flood_wait_until"), now)
        if wait:
            line += f", {wait}"
        if net.get("detail"):
            line += f" ({net['detail']})"
        lines.append(line)
    box = status["outbox"]
    lines.append(
        f"outbox: {box['pending']} pending, {box['held']} held for approval,"
        f" {box['failed']} failed, {box['sent']} sent"
    )
    if status["queues"]:
        lines.append("waiting to be delivered:")
        for queue in status["queues"]:
            lines.append(f"  {queue['network']}:{queue['chat_id']:<24} {queue['pending']}")
    if status["recent_failures"]:
        lines.append("recent failures:")
        for failure in status["recent_failures"]:
            at = _when(datetime.fromisoformat(failure["at"])) if failure["at"] else "?"
            lines.append(
                f"  #{failure['outbox_id']} {failure['network']}:{failure['chat_id']}"
                f" at {at}: {failure['error']}"
            )
    if status.get("last_reload_error"):
        lines.append(f"last config reload REFUSED: {status['last_reload_error']}")
    if status.get("audit_problem"):
        lines.append(f"AUDIT LOG TAMPERED WITH: {status['audit_problem']}")
    return "\n".join(inert(line) for line in lines)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(max(seconds, 0), 3600)
    return f"{hours}h {rest // 60:02d}m" if hours else f"{rest // 60}m {rest % 60:02d}s"


def _flood_wait(until: Any, now: datetime) -> str | None:
    if until is None:
        return None
    if isinstance(until, int | float):
        moment = datetime.fromtimestamp(until, UTC)
    else:
        moment = datetime.fromisoformat(str(until))
    left = (moment - now).total_seconds()
    if left <= 0:
        return None
    return f"flood wait until {moment.astimezone(UTC):%H:%M:%S} UTC ({left:.0f} s left)"


__all__ = ["register", "render", "run_status"]
