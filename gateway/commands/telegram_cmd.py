"""``hgw telegram login``: log the Telegram account in once, before ``hgw run``."""

from __future__ import annotations

import argparse
import getpass

from gateway.commands import EXIT_OK, HelpFormatter, add_config_option, config_from, run_async
from gateway.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "telegram",
        help="Telegram account set-up (login)",
        description="Telegram account set-up.",
        formatter_class=HelpFormatter,
    )
    commands = parser.add_subparsers(dest="telegram_command", metavar="COMMAND", required=True)
    login = commands.add_parser(
        "login",
        help="log the Telegram account in (phone, code, 2FA password; or the bot token)",
        description=(
            "Log in once, interactively; the daemon then runs unattended with the session file\n"
            "([telegram] session, created 0600). A user account is asked for the code Telegram\n"
            "sends to its other devices and, with two-step verification, its password (neither\n"
            "is echoed or stored). A bot logs in with bot_token_file and asks nothing.\n"
            "Run it while the daemon is stopped."
        ),
        epilog="examples:\n  hgw telegram login -c /etc/hgw/config.toml",
        formatter_class=HelpFormatter,
    )
    add_config_option(login)
    login.set_defaults(func=telegram_login)


def telegram_login(args: argparse.Namespace) -> int:
    from telethon import TelegramClient

    from bridges.telegram.convert import display_name
    from bridges.telegram.login import log_in
    from bridges.telegram.session import open_session

    config = config_from(args, check_secrets=True)
    telegram = config.telegram
    if telegram is None:
        raise ConfigError("there is no [telegram] section to log in with", key="telegram")
    session = open_session(telegram.session)

    async def main() -> str:
        client = TelegramClient(session, telegram.api_id, telegram.api_hash.reveal())
        try:
            me = await log_in(
                client,
                phone=telegram.phone,
                bot_token=telegram.bot_token.reveal() if telegram.bot_token else None,
                ask_code=lambda: getpass.getpass("Code Telegram sent to your other devices: "),
                ask_password=lambda: getpass.getpass("Two-step verification password: "),
            )
        finally:
            await client.disconnect()
        return f"Logged in as {display_name(me)} (id {me.id}); session saved in {session.filename}"

    print(run_async(main))
    return EXIT_OK
