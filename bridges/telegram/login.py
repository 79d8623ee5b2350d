"""Logging the Telegram account in once, interactively, so the daemon can run unattended.

A user account logs in with its phone number, the code Telegram sends to the account's other
devices, and — when two-step verification is on — its password; a bot logs in with its token.
What is kept is telethon's session file (the auth key), created 0600 by
:func:`bridges.telegram.session.open_session`. Codes and passwords are asked through callbacks
so the CLI can prompt without echo and tests can answer from the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telethon import TelegramClient, errors

from gateway.errors import HgwError

ATTEMPTS = 3


class LoginError(HgwError):
    """Telegram refused the login; the message says why and what to try."""


async def log_in(
    client: TelegramClient,
    *,
    phone: str | None,
    bot_token: str | None,
    ask_code: Callable[[], str],
    ask_password: Callable[[], str],
) -> Any:
    """Log ``client`` in (connecting it first); returns the account's ``User``."""
    await client.connect()
    if await client.is_user_authorized():
        return await client.get_me()
    try:
        if bot_token is not None:
            return await client.sign_in(bot_token=bot_token)
        if phone is None:
            raise LoginError("set [telegram] phone (a user account) or bot_token_file (a bot)")
        sent = await client.send_code_request(phone)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await client.sign_in(phone, ask_code(), phone_code_hash=sent.phone_code_hash)
            except errors.PhoneCodeInvalidError:
                if attempt == ATTEMPTS:
                    raise LoginError(
                        "the code was wrong three times; run the login again"
                    ) from None
            except errors.SessionPasswordNeededError:
                break
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await client.sign_in(password=ask_password())
            except errors.PasswordHashInvalidError:
                if attempt == ATTEMPTS:
                    raise LoginError("the password was wrong three times") from None
    except errors.PhoneNumberInvalidError:
        raise LoginError(f"Telegram does not know the phone number {phone!r}") from None
    except errors.AccessTokenInvalidError:
        raise LoginError("Telegram refused the bot token; check bot_token_file") from None
    except errors.PhoneCodeExpiredError:
        raise LoginError("the code expired; run the login again and type it promptly") from None
    raise LoginError("login did not complete")


__all__ = ["LoginError", "log_in"]
