"""JSON-RPC 2.0 over newline-delimited JSON: parsing requests, shaping replies. No I/O.

One JSON object per line, UTF-8. The error codes are the contract's (``docs/control-api.md``);
:class:`RpcError` carries one to the connection, which answers it and carries on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_LINE = 1024 * 1024
"""A request line longer than this (1 MiB) closes the connection; with at most
``server.MAX_CONNECTIONS_PER_USER`` connections per user it also bounds the memory one user's
unfinished lines can take."""

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
UNKNOWN_USER = -32001
FORBIDDEN = -32003
NOT_FOUND = -32004
REFUSED = -32010

_MISSING: Any = object()


class RpcError(Exception):
    """An error response: ``code`` from the table above, a message a person can act on."""

    def __init__(self, code: int, message: str, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = dict(data) if data is not None else None

    def as_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def bad_params(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, message)


def not_found(message: str) -> RpcError:
    return RpcError(NOT_FOUND, message)


def refused(message: str, reason: str | None = None) -> RpcError:
    return RpcError(REFUSED, message, {"reason": reason or message})


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    params: Params
    id: int | str | None
    """``None`` for a notification (no answer is sent)."""

    @property
    def is_notification(self) -> bool:
        return self.id is None


def parse_request(line: bytes) -> Request:
    """One request line → :class:`Request`; raises :class:`RpcError` with the request id set
    in ``data["id"]`` when it could be read, so the answer can still carry it."""
    try:
        message = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RpcError(PARSE_ERROR, f"line is not JSON: {err}") from None
    except ValueError:
        # Valid JSON that Python refuses to hold: an integer over sys.get_int_max_str_digits()
        # (4,300) digits. Uncaught, it used to end the connection instead of answering.
        raise RpcError(PARSE_ERROR, "line is not JSON hgw accepts: a number is too long") from None
    except RecursionError:
        # Arrays or objects nested past the interpreter's recursion limit (about 1,000 deep);
        # a 200k-deep array fits in one line well under MAX_LINE.
        raise RpcError(PARSE_ERROR, "line is not JSON hgw accepts: nested too deeply") from None
    if not isinstance(message, dict):
        raise RpcError(INVALID_REQUEST, "a request must be a JSON object")
    request_id = message.get("id")
    if request_id is not None and (
        isinstance(request_id, bool) or not isinstance(request_id, int | str)
    ):
        raise RpcError(INVALID_REQUEST, "id must be a number or a string")
    context = {"id": request_id}
    if message.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, 'not a JSON-RPC 2.0 request ("jsonrpc": "2.0")', context)
    method = message.get("method")
    if not isinstance(method, str) or not method:
        raise RpcError(INVALID_REQUEST, "method must be a non-empty string", context)
    params = message.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RpcError(INVALID_PARAMS, "params must be an object (named params)", context)
    return Request(method, Params(params), request_id)


def result_line(request_id: int | str | None, result: Any) -> bytes:
    return _line({"jsonrpc": "2.0", "id": request_id, "result": result})


def error_line(request_id: int | str | None, error: RpcError) -> bytes:
    return _line({"jsonrpc": "2.0", "id": request_id, "error": error.as_dict()})


def notification_line(method: str, params: Mapping[str, Any]) -> bytes:
    return _line({"jsonrpc": "2.0", "method": method, "params": params})


def _line(message: Mapping[str, Any]) -> bytes:
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return text.encode() + b"\n"


def _plain(value: Any) -> Any:
    """Times as ISO 8601, sets as lists; anything else is a bug in a handler."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-able")


@dataclass(slots=True)
class Params:
    """Named params with typed getters; each refusal names the param and what is wrong."""

    raw: Mapping[str, Any]
    _used: set[str] = field(default_factory=set)

    def _get(self, name: str, default: Any) -> Any:
        self._used.add(name)
        value = self.raw.get(name)
        if value is None:
            if default is _MISSING:
                raise bad_params(f"{name}: is required")
            return default
        return value

    def string(self, name: str, default: Any = _MISSING, *, max_length: int = 65536) -> Any:
        value = self._get(name, default)
        if value is default:
            return value
        if not isinstance(value, str):
            raise bad_params(f"{name}: must be a string, got {type(value).__name__}")
        if len(value) > max_length:
            raise bad_params(f"{name}: longer than {max_length} characters")
        return value

    def integer(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> Any:
        value = self._get(name, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_params(f"{name}: must be an integer, got {type(value).__name__}")
        if minimum is not None and value < minimum:
            raise bad_params(f"{name}: must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise bad_params(f"{name}: must be at most {maximum}, got {value}")
        return value

    def choice(self, name: str, choices: Sequence[str], default: Any = _MISSING) -> Any:
        value = self.string(name, default)
        if value is not default and value not in choices:
            raise bad_params(f"{name}: must be one of {', '.join(choices)}, got {value!r}")
        return value

    def string_list(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default)
        if value is default:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad_params(f"{name}: must be a list of strings")
        return value

    def finish(self) -> None:
        """Refuse params the method does not know (a typo must not be silently ignored)."""
        unknown = sorted(set(self.raw) - self._used)
        if unknown:
            raise bad_params(f"{unknown[0]}: unknown param")


__all__ = [
    "FORBIDDEN",
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "MAX_LINE",
    "METHOD_NOT_FOUND",
    "NOT_FOUND",
    "PARSE_ERROR",
    "REFUSED",
    "UNKNOWN_USER",
    "Params",
    "Request",
    "RpcError",
    "bad_params",
    "error_line",
    "not_found",
    "notification_line",
    "parse_request",
    "refused",
    "result_line",
]
