"""Redaction: change the text and its formatting spans together.

``mask`` replaces every letter and digit of a finding with "•" and keeps separators, so the
shape stays readable ("•••• •••• •••• ••••") and no offset moves; invisible characters inside
the finding are dropped too, since they are how the number was hidden. ``label`` replaces the
finding with its kind's label ("[card number]"); spans after it shift, spans inside it shrink to
the label, spans across it stretch over the label. Offsets are code points, as in
:class:`gateway.model.Span`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gateway.model import Span
from gateway.policy.findings import Finding, label
from gateway.policy.normalize import INVISIBLE

MASK = "•"


def redact(
    text: str, spans: Sequence[Span], findings: Iterable[tuple[Finding, str]]
) -> tuple[str, tuple[Span, ...]]:
    """``text`` and ``spans`` with each finding masked or labelled (``"mask"``/``"label"``).

    Overlapping findings are merged; the merged range takes the first one's mode and kind.
    """
    ranges = _merge([(f.start, f.end, f.kind, mode) for f, mode in findings if f.end > f.start])
    out: list[str] = []
    moved = list(spans)
    cursor = 0
    shift = 0
    for start, end, kind, mode in ranges:
        out.append(text[cursor:start])
        piece = text[start:end]
        if mode == "label":
            replacement = label(kind)
        else:
            replacement = "".join(MASK if c.isalnum() else c for c in INVISIBLE.sub("", piece))
        out.append(replacement)
        delta = len(replacement) - (end - start)
        if delta:
            moved = [_adjust(s, start + shift, end + shift, delta) for s in moved]
        shift += delta
        cursor = end
    out.append(text[cursor:])
    return "".join(out), tuple(s for s in moved if s.length > 0)


def _merge(ranges: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    merged: list[tuple[int, int, str, str]] = []
    for start, end, kind, mode in sorted(ranges):
        if merged and start < merged[-1][1]:
            first = merged[-1]
            merged[-1] = (first[0], max(first[1], end), first[2], first[3])
        else:
            merged.append((start, end, kind, mode))
    return merged


def _adjust(span: Span, start: int, end: int, delta: int) -> Span:
    """Move ``span`` for the replacement of ``[start, end)`` by a text ``delta`` longer."""
    s0, s1 = span.offset, span.end
    if s1 <= start:
        return span
    if s0 >= end:
        return Span(s0 + delta, span.length, span.kind, span.extra)
    new_end_of_range = end + delta
    new_start = min(s0, start)
    new_end = s1 + delta if s1 >= end else min(s1, new_end_of_range)
    if s0 > start:  # began inside the replaced range: now begins at the replacement
        new_start = start
    return Span(new_start, max(new_end - new_start, 0), span.kind, span.extra)


__all__ = ["MASK", "redact"]
