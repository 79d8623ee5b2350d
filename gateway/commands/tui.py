"""``hgw tui``: the terminal inbox, a client of the running daemon's control socket."""

from __future__ import annotations

import argparse

from gateway.commands import EXIT_OK, HelpFormatter, add_config_option, config_from


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "tui",
        help="the terminal inbox: conversations, approvals, policy, audit, search",
        description=(
            "Open the unified inbox of every network in the terminal. The TUI talks only to\n"
            "the running daemon's control socket ([control] socket), with the role your OS\n"
            "user has in [control.users]. If the daemon is not running it says so and\n"
            "connects as soon as it is. Press F1 for the keys; remap them by id in a\n"
            'tui.toml next to the config:  [keys]  "inbox.next_unread" = "u"'
        ),
        epilog=(
            "examples:\n"
            "  hgw tui\n"
            "  hgw tui -c /etc/hgw/config.toml\n"
            "  hgw tui --socket $XDG_RUNTIME_DIR/hgw/control.sock"
        ),
        formatter_class=HelpFormatter,
    )
    add_config_option(parser)
    parser.add_argument(
        "--socket", metavar="PATH", help="control socket (default: [control] socket of the config)"
    )
    parser.set_defaults(func=run_tui)


def run_tui(args: argparse.Namespace) -> int:
    from pathlib import Path

    from gateway.config import default_config_path
    from tui.app import binding_ids, build_app
    from tui.keymap import keymap_path, load_keymap

    config = config_from(args)
    socket = Path(args.socket).expanduser() if args.socket else config.control.socket
    config_path = config.source_path or args.config or default_config_path()
    keymap = load_keymap(keymap_path(Path(config_path)), binding_ids())
    build_app(socket, keymap=keymap).run()
    return EXIT_OK
