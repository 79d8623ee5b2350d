"""Logging set-up: text for people, JSON lines for log shippers.

Log records never carry secrets: config objects hide them in their repr, and bridges log ids,
not tokens. Message bodies are logged only at debug level.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, Literal

_TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_NOISY = ("nio", "aiohttp", "telethon", "peewee")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and exception text if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "info", fmt: Literal["text", "json"] = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _NOISY:  # libraries' chatter only when the admin asked for debug
        logging.getLogger(name).setLevel(max(root.level, logging.WARNING))


__all__ = ["JsonFormatter", "configure"]
