"""The ``hgw`` command line.

``main`` builds one argparse tree from the modules in :mod:`gateway.commands` and turns every
:class:`gateway.errors.HgwError` into a single line on stderr with exit status 2 — a user's
mistake never ends in a traceback. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gateway import __version__
from gateway.commands import (
    EXIT_USAGE,
    HelpFormatter,
    audit_cmd,
    config_cmd,
    demo,
    run,
    search,
    status,
    telegram_cmd,
    tui,
)
from gateway.errors import HgwError

COMMAND_MODULES = [demo, config_cmd, run, telegram_cmd, search, status, audit_cmd, tui]


def _optional_modules() -> list[object]:
    """Command groups that live with their subsystem (the policy engine brings its own)."""
    try:
        from gateway.commands import policy
    except ImportError:  # pragma: no cover - only while the engine is absent from a checkout
        return []
    return [policy]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hgw",
        description=(
            "hgw relays conversations between your Matrix homeserver and external messengers\n"
            "under policy filters, and keeps every message in your own audited archive."
        ),
        epilog=(
            "examples:\n"
            "  hgw init && hgw config check\n"
            "  hgw search invoice\n"
            "  hgw audit verify\n"
            "  hgw tui\n"
            "\n"
            "Run `hgw COMMAND --help` for the options of each command."
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hgw {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in [*COMMAND_MODULES, *_optional_modules()]:
        module.register(subparsers)  # type: ignore[attr-defined]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except HgwError as err:
        print(f"hgw: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("hgw: interrupted", file=sys.stderr)
        return 130


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
