"""``hgw init`` and ``hgw config check``: get a valid config in place and keep it valid."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gateway.commands import EXIT_OK, HelpFormatter, add_config_option
from gateway.config import default_config_path, default_data_dir, load_config
from gateway.errors import ConfigError
from gateway.secrets import open_private_for_writing

STARTER_CONFIG = """\
# hgw configuration — written by `hgw init`.
# Every option is documented in config.example.toml (shipped with hgw) and docs/admin.md.
# Check this file after each edit with: hgw config check

[gateway]
data_dir = "{data_dir}"
log_level = "info"
log_format = "text"

# The internal network: the relay bot on your company's Matrix homeserver.
# [matrix]
# homeserver = "https://matrix.example.org"
# user_id = "@hgw:example.org"
# password_file = "{data_dir}/secrets/matrix-password"   # chmod 600
# management_room = "#hgw-admin:example.org"
# admins = ["@security:example.org"]

# The external network: a Telegram account (log in with `hgw telegram login`) or a bot.
# [telegram]
# api_id = 12345
# api_hash_file = "{data_dir}/secrets/telegram-api-hash"  # chmod 600
# phone = "+70000000000"

# Who may use the control API (hgw tui, hgw status): OS user name → role.
[control.users]
{user} = {{ role = "admin" }}
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    init = subparsers.add_parser(
        "init",
        help="write a starter config and create the data directory",
        description="Write a starter config (mode 0600) and create the data directory (0700).",
        epilog="example:\n  hgw init && hgw config check",
        formatter_class=HelpFormatter,
    )
    add_config_option(init)
    init.add_argument("--force", action="store_true", help="overwrite an existing config file")
    init.set_defaults(func=run_init)

    config = subparsers.add_parser(
        "config",
        help="check the configuration",
        description="Work with the configuration file.",
        formatter_class=HelpFormatter,
    )
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    check = config_sub.add_parser(
        "check",
        help="validate a config file",
        description=(
            "Validate every section, the links and the policy, and that secret files exist and\n"
            "are private (mode 0600). Exits 0 when the config is valid."
        ),
        epilog=(
            "examples:\n"
            "  hgw config check\n"
            "  hgw config check -c /etc/hgw/config.toml\n"
            "  hgw config check -c config.toml --no-secrets   # on a machine without the secrets"
        ),
        formatter_class=HelpFormatter,
    )
    add_config_option(check)
    check.add_argument(
        "--no-secrets",
        action="store_true",
        help="skip checking secret files (for validating a config on another machine)",
    )
    check.set_defaults(func=run_check)


def run_init(args: argparse.Namespace) -> int:
    path: Path = args.config or default_config_path()
    if path.exists() and not args.force:
        raise ConfigError(
            "a config file already exists here", file=path, hint="edit it, or pass --force"
        )
    data_dir = default_data_dir()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    user = _os_user()
    text = STARTER_CONFIG.format(data_dir=_toml_escape(str(data_dir)), user=_toml_key(user))
    with open_private_for_writing(path) as file:
        file.write(text)
    print(f"wrote {path} (mode 0600)")
    print(f"data directory: {data_dir}")
    print("next: add [matrix] and [telegram], then run `hgw config check`")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    config = load_config(args.config, check_secrets=not args.no_secrets)
    networks = [name for name in ("matrix", "telegram") if getattr(config, name) is not None]
    rules = len(getattr(config.policy, "rules", ()))
    print(f"{config.source_path}: OK")
    print(f"  networks: {', '.join(networks) if networks else 'none configured yet'}")
    print(f"  links: {len(config.links)}; policy rules: {rules}")
    print(f"  store: {config.store.path}")
    if args.no_secrets:
        print("  secrets: not checked (--no-secrets)", file=sys.stderr)
    return EXIT_OK


def _os_user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _toml_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _toml_key(name: str) -> str:
    bare = name.replace("-", "").replace("_", "").isalnum() and name.isascii()
    return name if bare else f'"{_toml_escape(name)}"'
