"""Logging the Telegram account in once, interactively, so the daemon can run unattended.

A user account logs in with its phone number, the code Telegram sends to the account's other
devices, and — when two-step verification is on — its password; a bot logs in with its token.
What is kept is telethon's session file (the auth key), created 0600 by
:func:`bridges.telegram.session.open_session`. Codes and passwords are asked through callbacks
so the CLI can prompt without echo and tests can answer from the sandbox.
"""

from __future__ import annotations

import asyncio
import logging
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
    await connect(client)
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


async def connect(client: TelegramClient) -> None:
    """Connect, or raise one :class:`LoginError` line naming the address tried and what to do.

    Without a route to Telegram, telethon printed a warning per attempt and the command ended
    in a 64-line traceback (``IncompleteReadError`` when something in between accepts and
    closes). Its complaints are kept here instead; the last one says why it failed.
    """
    trouble = _LastTrouble()
    telethon_log = logging.getLogger("telethon")
    telethon_log.addHandler(trouble)
    propagate, telethon_log.propagate = telethon_log.propagate, False
    try:
        await client.connect()
    except (OSError, asyncio.IncompleteReadError) as err:  # ConnectionError is an OSError
        raise LoginError(_unreachable(client, err, trouble.last)) from None
    finally:
        telethon_log.removeHandler(trouble)
        telethon_log.propagate = propagate


class _LastTrouble(logging.Handler):
    """Keeps the last warning telethon logs while connecting, instead of printing each."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.last = record.getMessage()


def _unreachable(client: TelegramClient, err: BaseException, last: str | None) -> str:
    session = client.session
    where = f"{session.server_address}:{session.port}"
    proxy = getattr(client, "_proxy", None)  # telethon keeps it private; only for the message
    via = f"through the proxy {_proxy_text(proxy)}" if proxy else "directly, no proxy"
    if isinstance(err, asyncio.IncompleteReadError):
        why = "the connection was closed before Telegram answered"
    elif last and "failed: " in last:
        why = last.split("failed: ", 1)[1]  # "Attempt 6 at connecting failed: …"
        if why.startswith("ConnectionRefusedError"):
            why = "connection refused"
    else:
        why = str(err) or type(err).__name__
    return (
        f"cannot reach Telegram data centre {session.dc_id} at {where} ({via}): {why};"
        f" check that this machine may open connections to {where}"
        " (firewall, outbound rules, a proxy in between), then run hgw telegram login again"
    )


def _proxy_text(proxy: Any) -> str:
    if isinstance(proxy, dict):
        return f"{proxy.get('addr')}:{proxy.get('port')}"
    if isinstance(proxy, tuple | list) and len(proxy) >= 3:
        return f"{proxy[1]}:{proxy[2]}"
    return str(proxy)


__all__ = ["LoginError", "connect", "log_in"]
