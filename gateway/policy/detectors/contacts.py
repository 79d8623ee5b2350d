"""Contact data: ``phone`` and ``email``.

Phones are judged by Google's libphonenumber metadata (the ``phonenumbers`` package), Russian
numbering by default so "8 (916) 123-45-67" and "+7 916 1234567" both count. Parsing costs tens
of microseconds, so only digit runs shaped like a phone number are parsed: eleven digits
starting 7 or 8, ten starting 3, 4, 8 or 9, or anything after a "+".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import phonenumbers

from gateway.policy.detectors.digits import Run, glued, labelled
from gateway.policy.findings import Finding

DEFAULT_REGION = "RU"
EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[^\W\d_]{2,24}(?![\w-])"
)


def find_emails(text: str) -> list[Finding]:
    if "@" not in text:
        return []
    return [Finding("email", m.start(), m.end(), 0.95) for m in EMAIL.finditer(text)]


def find_phones(text: str, runs: Sequence[Run], region: str = DEFAULT_REGION) -> list[Finding]:
    found = []
    for run in runs:
        stretches = list(_stretches(run))  # cheap, no regex: most runs have none
        if not stretches or (
            not run.plus and (labelled(text, run.start) or glued(text, run.start, run.end))
        ):
            continue  # "invoice #4951234567", the digits of a UUID: not phones
        for end, digits in stretches:
            try:  # the digits, not the text: look-alike letters are already translated
                number = phonenumbers.parse(("+" if run.plus else "") + digits, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                found.append(Finding("phone", run.start - run.plus, end, 0.9))
                break
    return found


def _stretches(run: Run) -> Iterator[tuple[int, str]]:
    """(end, digits) of the whole run, then of its leading groups, longest first:
    "+7 916 123-45-67 2 шт." is still a phone."""
    prefixes = []
    digits = ""
    for group in run.groups:
        digits += group.digits
        if len(digits) > 15:
            break
        prefixes.append((group.end, digits))
    first = run.groups[0].digits
    for end, number in reversed(prefixes):
        size = len(number)
        if run.plus:
            plausible = 8 <= size <= 15
        else:
            plausible = (size == 11 and first[0] in "78") or (size == 10 and first[0] in "3489")
        if plausible and not (run.dated and end == run.end):
            yield end, number


__all__ = ["DEFAULT_REGION", "find_emails", "find_phones"]
