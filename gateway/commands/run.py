"""``hgw run``: the daemon in the foreground (systemd runs it this way)."""

from __future__ import annotations

import argparse
import asyncio

from gateway import logs
from gateway.commands import EXIT_OK, HelpFormatter, add_config_option, config_from


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "run",
        help="run the gateway daemon in the foreground",
        description=(
            "Run the relay in the foreground. SIGTERM (or Ctrl-C) stops taking new events and\n"
            "drains deliveries for up to 10 s; anything left resumes on the next start.\n"
            "SIGHUP reloads the config; an invalid one is refused and the old one keeps running."
        ),
        epilog="examples:\n  hgw run -c /etc/hgw/config.toml\n  hgw run --log-format json",
        formatter_class=HelpFormatter,
    )
    add_config_option(parser)
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"))
    parser.add_argument("--log-format", choices=("text", "json"))
    parser.set_defaults(func=run_daemon)


def run_daemon(args: argparse.Namespace) -> int:
    from bridges.registry import build_bridges
    from gateway.daemon import Daemon
    from gateway.verdicts import judge_for

    config = config_from(args, check_secrets=True)
    logs.configure(
        args.log_level or config.gateway.log_level, args.log_format or config.gateway.log_format
    )

    async def main() -> None:
        daemon = Daemon(config, make_bridges=build_bridges, make_judge=judge_for)
        await daemon.run()

    asyncio.run(main())
    return EXIT_OK
