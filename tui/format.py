"""Small formatting helpers shared by screens: badges, times, sizes."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

BADGES = {"telegram": ("TG", "black on #40a7e3"), "matrix": ("MX", "black on #0dbd8b")}


def badge(network: str) -> Text:
    label, style = BADGES.get(network, (network[:2].upper(), "black on #a0a0a0"))
    return Text(f"{label}", style)


def parse_time(at: str | None) -> datetime | None:
    if not at:
        return None
    try:
        return datetime.fromisoformat(at)
    except ValueError:
        return None


def clock(at: str | None) -> str:
    """``HH:MM`` of an ISO timestamp, in the timestamp's own zone (the daemon's: UTC)."""
    when = parse_time(at)
    return when.strftime("%H:%M") if when else "--:--"


def stamp(at: str | None) -> str:
    when = parse_time(at)
    return when.strftime("%Y-%m-%d %H:%M:%S") if when else ""


def size(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


__all__ = ["badge", "clock", "parse_time", "size", "stamp"]
