"""Redaction: change the text and its formatting spans together.

``mask`` replaces every letter and digit of a finding with "•" and keeps separators, so the
shape stays readable ("•••• •••• •••• ••••") and no span moves. ``label`` replaces the finding
with its kind's label ("[card number]"); spans after it shift, spans inside it shrink to the label.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.model import Span
from gateway.policy.findings import Finding, label

MASK = "•"


def redact(
    text: str, spans: Sequence[Span], findings: Sequence[Finding], *, mode: str = "mask"
) -> tuple[str, tuple[Span, ...]]:
    ranges = _merge([(f.start, f.end, f.kind) for f in findings if f.end > f.start])
    if mode == "mask":
        chars = list(text)
        for start, end, _kind in ranges:
            for i in range(start, end):
                if chars[i].isalnum():
                    chars[i] = MASK
        return "".join(chars), tuple(spans)
    out: list[str] = []
    moved = list(spans)
    cursor = 0
    shift = 0
    for start, end, kind in ranges:
        out.append(text[cursor:start])
        replacement = label(kind)
        out.append(replacement)
        delta = len(replacement) - (end - start)
        moved = [_adjust(s, start + shift, end + shift, delta) for s in moved]
        shift += delta
        cursor = end
    out.append(text[cursor:])
    return "".join(out), tuple(s for s in moved if s.length > 0)


def _merge(ranges: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(ranges):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged


def _adjust(span: Span, start: int, end: int, delta: int) -> Span:
    """Move ``span`` for the replacement of ``[start, end)`` by a text ``delta`` longer."""
    new_len = end - start + delta
    s0, s1 = span.offset, span.end
    if s1 <= start:
        return span
    if s0 >= end:
        return Span(s0 + delta, span.length, span.kind, span.extra)
    new_start = min(s0, start)
    new_end = s1 + delta if s1 >= end else min(s1, start + new_len)
    if s0 > start:
        new_start = start
    return Span(new_start, max(new_end - new_start, 0), span.kind, span.extra)


__all__ = ["MASK", "redact"]
