"""All detectors behind one call: :func:`scan` a text, get findings in its original offsets.

Detection runs on the normalised text (:mod:`gateway.policy.normalize`); where two findings
overlap, the checksum-validated one wins (an INN is not also reported as a phone number).
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.policy.detectors.custom import CustomDetector
from gateway.policy.detectors.numbers import digit_count, find_numbers, runs
from gateway.policy.detectors.patterns import (
    find_emails,
    find_ibans,
    find_markings,
    find_phones,
    find_secrets,
)
from gateway.policy.findings import Finding
from gateway.policy.normalize import normalize


def scan(text: str, custom: Sequence[CustomDetector] = ()) -> tuple[Finding, ...]:
    """Every finding in ``text``, sorted by position, offsets into ``text`` as given."""
    if not text:
        return ()
    norm = normalize(text)
    t = norm.text
    digits = digit_count(t)
    all_runs = list(runs(t)) if digits >= 7 else []
    strong = find_numbers(t, all_runs)
    found = list(strong)
    found += find_secrets(t)
    found += find_markings(t)
    found += find_emails(t)
    if digits >= 2:
        found += find_ibans(t)
    for phone in find_phones(t, all_runs):
        if not any(phone.start < f.end and f.start < phone.end for f in found):
            found.append(phone)
    for detector in custom:
        found += detector.find(t)
    if norm.origin is not None:
        found = [_to_original(f, norm.span_in_original(f.start, f.end)) for f in found]
    return tuple(sorted(found, key=lambda f: (f.start, f.end, f.kind)))


def _to_original(finding: Finding, span: tuple[int, int]) -> Finding:
    return Finding(finding.kind, span[0], span[1], finding.confidence, finding.detail)


__all__ = ["CustomDetector", "Finding", "scan"]
