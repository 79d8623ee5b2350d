"""telethon failures → :mod:`gateway.errors`, in one table.

The dispatcher understands two outcomes: transient (retry, honouring ``retry_after``) and
permanent (tell the sender, move on). Telegram says which by the error's code and name; the
ones that need a human get a hint saying what to do.
"""

from __future__ import annotations

import asyncio

from telethon import errors

from gateway.errors import BridgeError, PermanentBridgeError, TransientBridgeError


class FloodWait(TransientBridgeError):
    """Telegram asked us to wait; ``account_wide`` when it applies to every chat."""

    def __init__(self, message: str, *, retry_after: float, account_wide: bool) -> None:
        super().__init__(message, retry_after=retry_after)
        self.account_wide = account_wide


_PERMANENT_HINTS: dict[type[Exception], str] = {
    errors.UserIsBlockedError: "the partner blocked this account",
    errors.InputUserDeactivatedError: "the partner's account was deleted",
    errors.PeerIdInvalidError: "hgw does not know this chat; link it again by @username",
    errors.ChatWriteForbiddenError: "this account may not write in that chat",
    errors.MessageTooLongError: "the text is longer than Telegram allows",
    errors.MediaCaptionTooLongError: "the caption is longer than Telegram allows",
    errors.MessageIdInvalidError: "the message is gone on Telegram",
    errors.MessageAuthorRequiredError: "only the author may change that message",
    errors.ReactionInvalidError: "Telegram does not offer that reaction",
    errors.AuthKeyUnregisteredError: "the Telegram session is logged out; run `hgw telegram login`",
    errors.SessionRevokedError: "the Telegram session was revoked; run `hgw telegram login`",
    errors.UserDeactivatedBanError: "the Telegram account is banned",
}

TRANSPORT_ERRORS = (ConnectionError, OSError, asyncio.TimeoutError, TimeoutError)


def error_from_exception(exc: BaseException, doing: str) -> BridgeError:
    """The gateway error for a telethon (or transport) failure while ``doing`` something."""
    if isinstance(exc, BridgeError):
        return exc
    if isinstance(exc, errors.SlowModeWaitError):
        return FloodWait(
            f"{doing}: slow mode, wait {exc.seconds}s", retry_after=exc.seconds, account_wide=False
        )
    if isinstance(exc, errors.FloodWaitError | errors.FloodPremiumWaitError):
        return FloodWait(
            f"{doing}: FLOOD_WAIT {exc.seconds}s", retry_after=exc.seconds, account_wide=True
        )
    for kind, hint in _PERMANENT_HINTS.items():
        if isinstance(exc, kind):
            return PermanentBridgeError(f"{doing}: {hint}")
    if isinstance(exc, TRANSPORT_ERRORS):
        return TransientBridgeError(f"{doing}: Telegram unreachable ({exc or type(exc).__name__})")
    if isinstance(exc, errors.RPCError):
        name = exc.message or type(exc).__name__
        if exc.code in (400, 403, 406) or isinstance(exc, errors.BadRequestError):
            return PermanentBridgeError(f"{doing}: Telegram refused it ({name})")
        return TransientBridgeError(f"{doing}: Telegram error {exc.code} {name}")
    return TransientBridgeError(f"{doing}: {type(exc).__name__}: {exc}")


__all__ = ["TRANSPORT_ERRORS", "FloodWait", "error_from_exception"]
