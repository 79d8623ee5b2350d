"""The ``hgw`` command line.

``main`` builds one argparse tree from the modules in :mod:`gateway.commands` and turns every
:class:`gateway.errors.HgwError` into a single line on stderr with exit status 2 — a user's
mistake never ends in a traceback. Anything else is a bug and keeps its traceback.

A reader that stops early (``hgw audit export | head -1``) ends every command quietly with
exit status 0: it took what it wanted, and a script under ``set -o pipefail`` must not fail for
it. (GNU tools die of SIGPIPE, status 141; Python ignores SIGPIPE and raises
``BrokenPipeError`` instead, and a second one when it flushes stdout at exit — hence
:func:`_discard_stdout`.)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import sys
from collections.abc import Sequence

from gateway import __version__
from gateway.commands import (
    EXIT_OK,
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
    try:
        args = parser.parse_args(argv)
        code = _run(args)
        sys.stdout.flush()  # a reader that left shows up here, not as a message at exit
    except BrokenPipeError:
        if not _stdout_reader_gone():
            raise  # a socket or a file broke, not our stdout: that is a bug to see
        _discard_stdout()
        return EXIT_OK
    except SystemExit:  # --help, --version, usage errors: their output may meet a closed pipe
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _discard_stdout()
        raise
    return code


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe or socket whose reader has closed it (poll: error or hang-up)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test, or closed
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _fd, events in poller.poll(0))


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at interpreter exit of what is still
    buffered succeeds instead of printing "Exception ignored … BrokenPipeError"."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _run(args: argparse.Namespace) -> int:
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
