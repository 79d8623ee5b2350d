"""``hgw demo``: the whole system on one machine, with nothing to sign up for."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import threading
from pathlib import Path

from gateway.commands import EXIT_FAILED, EXIT_OK, HelpFormatter, run_async


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "demo",
        help="run hgw end to end on this machine: homeserver, Telegram sandbox, daemon, TUI",
        description=(
            "Start a local Matrix homeserver (staff alice and bob, admin security), an\n"
            "in-process Telegram with scripted partners, the daemon, and the TUI as admin.\n"
            "Partners and staff write on their own: a phone number is masked, a card number\n"
            'and a file marked "Коммерческая тайна" are blocked, an INN is held for approval,\n'
            "an executable from a partner is blocked, a stranger waits in reception.\n"
            "Quit the TUI (or Ctrl-C) to stop everything; nothing is left running.\n"
            "Needs Synapse: pip install -e '.[demo]'."
        ),
        epilog=(
            "examples:\n"
            "  hgw demo\n"
            "  hgw demo --headless --duration 60\n"
            "  hgw demo --headless --duration 60 --check --json"
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path("hgw-demo"),
        help="where the demo keeps its data (default: ./hgw-demo; wiped on the next run)",
    )
    parser.add_argument(
        "--headless", action="store_true", help="no TUI; print a summary at the end"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long a headless demo runs (default: 60)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 unless every scripted policy action happened (for CI)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=demo)


def demo(args: argparse.Namespace) -> int:
    from gateway.demo.run import DemoStopped, run_demo

    try:
        summary = run_async(
            lambda: run_demo(args.dir, headless=args.headless or args.check, duration=args.duration)
        )
    except DemoStopped as stopped:
        _end_after_signal(stopped)
        return 128 + stopped.signum  # as a shell reports a process ended by that signal
    print(json.dumps(summary.as_dict(), indent=2) if args.json else summary.render())
    problems = summary.problems() if args.check else []
    for problem in problems:
        print(f"check failed: {problem}")
    return EXIT_FAILED if problems else EXIT_OK


def _end_after_signal(stopped: Exception) -> None:
    """Everything the demo started is stopped; say so if the terminal is still there, and end
    now if Textual left threads behind (its input thread spins on a closed terminal and would
    keep the interpreter from exiting)."""
    with contextlib.suppress(OSError, ValueError):
        print(f"hgw demo: {stopped}; everything it started is stopped", file=sys.stderr)
    main = threading.main_thread()
    if any(t.is_alive() and not t.daemon and t is not main for t in threading.enumerate()):
        logging.shutdown()
        os._exit(128 + getattr(stopped, "signum", 0))
