"""``hgw`` subcommands, one module per command group.

Each module exposes ``register(subparsers)``, which adds its parser(s) and sets ``func`` to a
handler ``(args) -> exit code``. Handlers raise :class:`gateway.errors.HgwError` for user
mistakes; ``gateway.cli.main`` prints those as one line, without a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from gateway.config import Config, load_config

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 1
"""The command ran and found a problem (a broken audit chain, a blocked message)."""
EXIT_USAGE = 2
"""The user asked for something impossible: bad arguments, config or input."""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the hand-wrapped examples in epilogs as written."""


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        metavar="FILE",
        help="config file (default: $HGW_CONFIG or ~/.config/hgw/config.toml)",
    )


def config_from(args: argparse.Namespace, *, check_secrets: bool = False) -> Config:
    """The config named by ``-c``; secrets are only checked by commands that use them."""
    return load_config(args.config, check_secrets=check_secrets)


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    async def runner() -> T:
        return await make()

    return asyncio.run(runner())


__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "HelpFormatter",
    "add_config_option",
    "config_from",
    "run_async",
]
