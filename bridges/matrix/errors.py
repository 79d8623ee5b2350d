"""matrix-nio failures → :mod:`gateway.errors`, in one table.

nio reports server refusals as ``ErrorResponse`` values (errcode in ``status_code``) and
transport trouble as aiohttp / asyncio exceptions. The dispatcher only understands
:class:`~gateway.errors.TransientBridgeError` (retry, honouring ``retry_after``) and
:class:`~gateway.errors.PermanentBridgeError` (tell the sender), so everything is translated
here and nowhere else.
"""

from __future__ import annotations

import asyncio

import aiohttp
from nio import ErrorResponse

from gateway.errors import BridgeError, PermanentBridgeError, TransientBridgeError

PERMANENT = True
TRANSIENT = False

ERRCODES: dict[str, bool] = {
    "M_FORBIDDEN": PERMANENT,
    "M_NOT_FOUND": PERMANENT,
    "M_TOO_LARGE": PERMANENT,
    "M_UNKNOWN_TOKEN": PERMANENT,
    "M_MISSING_TOKEN": PERMANENT,
    "M_USER_DEACTIVATED": PERMANENT,
    "M_BAD_JSON": PERMANENT,
    "M_NOT_JSON": PERMANENT,
    "M_INVALID_PARAM": PERMANENT,
    "M_MISSING_PARAM": PERMANENT,
    "M_UNRECOGNIZED": PERMANENT,
    "M_UNSUPPORTED_ROOM_VERSION": PERMANENT,
    "M_GUEST_ACCESS_FORBIDDEN": PERMANENT,
    "M_DUPLICATE_ANNOTATION": PERMANENT,
    "M_LIMIT_EXCEEDED": TRANSIENT,
    "M_RESOURCE_LIMIT_EXCEEDED": TRANSIENT,
}
"""Matrix errcode → is it permanent? Codes not listed are judged by the HTTP status."""

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientError,
    asyncio.TimeoutError,
    TimeoutError,
    ConnectionError,
)
"""Exceptions meaning the homeserver could not be reached or did not answer in time."""


def http_status(response: ErrorResponse) -> int | None:
    transport = response.transport_response
    status = getattr(transport, "status", None)
    return status if isinstance(status, int) else None


def error_from_response(
    response: ErrorResponse, doing: str, *, status: int | None = None
) -> BridgeError:
    """The gateway error for a refused request; ``doing`` names the operation for the log.

    ``status`` is the HTTP status when the caller made the request itself; nio's own requests
    carry it on ``transport_response``.
    """
    code = response.status_code or ""
    status = status if status is not None else http_status(response)
    text = f"{doing}: {code or 'HTTP ' + str(status)} {response.message}".strip()
    if code == "M_LIMIT_EXCEEDED" or status == 429:
        retry_after = response.retry_after_ms / 1000 if response.retry_after_ms else None
        return TransientBridgeError(text, retry_after=retry_after)
    permanent = ERRCODES.get(code)
    if permanent is None:
        permanent = status is not None and 400 <= status < 500
    if status is not None and status >= 500:
        permanent = False
    return PermanentBridgeError(text) if permanent else TransientBridgeError(text)


def error_from_exception(exc: BaseException, doing: str) -> BridgeError:
    """The gateway error for an exception raised while talking to the homeserver."""
    if isinstance(exc, BridgeError):
        return exc
    if isinstance(exc, TRANSPORT_ERRORS):
        return TransientBridgeError(f"{doing}: homeserver unreachable ({type(exc).__name__})")
    return PermanentBridgeError(f"{doing}: unexpected {type(exc).__name__}: {exc}")


def is_unknown_token(response: object) -> bool:
    """The access token was revoked or expired: log in again rather than retry."""
    return isinstance(response, ErrorResponse) and response.status_code == "M_UNKNOWN_TOKEN"


__all__ = [
    "ERRCODES",
    "TRANSPORT_ERRORS",
    "error_from_exception",
    "error_from_response",
    "http_status",
    "is_unknown_token",
]
