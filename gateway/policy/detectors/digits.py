"""Digit runs: where the number detectors look, and which digit groupings they believe.

A *run* is digit groups joined by short separators — up to three characters that are not
letters, digits, ",", ";" or ":" (spaces, dots, dashes, slashes, brackets, newlines, emoji), or a
bare comma inside digits ("4111,1111"). A comma or semicolon followed by a space, or a colon,
ends a run: that is how lists of amounts and times are written, and joining "6 500 000, 1 200 000"
into one number is how a naive detector finds cards in a price list.

The bound on a separator is on what it is made of, not only its length: up to three punctuation
characters with up to two spaces on each side ("4276 -- 3801", "4276  |  3801"), or a line break
with up to two spaces or line breaks around it ("\r\n\r\n"). A person padding a dash with
spaces is still writing one number; six characters of mixed punctuation is a table or a list.
Longer gaps stay run ends, so the candidate logic below never sees half a paragraph as a number.

A *chain* is digit groups joined by one repeated letter, ";" or ":" ("4276x3801x2345x6787",
"770:708:3893"). Letters end runs everywhere else ("1Z4710…", hashes, "10 шт"), so a chain counts
only in a shape no code or measurement has: at least three groups, the inner ones of equal length
(three or four digits, the way numbers are grouped for reading), the first no longer and the last
at most one longer than them — or the layout one of the kinds is printed in (:data:`CHAIN_LAYOUTS`:
"4509x123456", "40702x810x9x3800x0012345") — ten digits or more, nothing glued on either side.
"1920x1080", "400x300x200", "2x4x8x16" and "1200x800x1500" are not chains; a chain is then judged
as a run.

Inside a run, letters that look like digits (Cyrillic З and О, Latin O, I, l …) count as digits
— but only when no ordinary letter touches them, so "10 окт" stays a date and "OOO" a word.

Which stretches of a run may be a number is decided by :func:`candidates`: the whole run, any
single group, or a stretch of groups in a layout the kind is conventionally written in (cards in
fours, SNILS as 3-3-3-2). Arbitrary stretches are not tried: with a one-in-ten check digit,
every window of a long price list would eventually pass Luhn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from gateway.policy.normalize import single_bytes

LOOKALIKES = {
    "O": "0", "o": "0", "О": "0", "о": "0",
    "I": "1", "l": "1", "і": "1", "І": "1",
    "З": "3", "з": "3",
    "Ч": "4", "ч": "4",
    "б": "6", "Б": "6",
}  # fmt: skip
"""Letters typed instead of digits. Counted only inside a run with at least one real digit."""
_LOOK = "".join(LOOKALIKES)
_LETTER = r"[^\W\d_]"
_DIGIT = rf"(?:\d|(?<!{_LETTER})[{_LOOK}]++(?!{_LETTER}))"
"""A digit, or a whole stretch of look-alike letters that touches no other letter: in
"Hello" the "lo" is not "10" (possessive ``++``: the stretch is taken whole or not at all)."""
_FIRST = rf"[\d{_LOOK}](?:(?<=\d)|(?<!{_LETTER}.)[{_LOOK}]*+(?!{_LETTER}))"
"""The first digit of a run, written so that the pattern starts with a plain character class:
the regex engine then skips straight to candidate characters instead of trying every position."""
_SEPARATOR = (
    r"(?:[^\w,;:%]{1,3}|[^\S\n]{0,2}[^\w\s,;:%]{1,3}\s{0,2}|[^\S\n]{0,2}\n\s{0,2}|_|,(?=\d))"
)
"""Three characters of anything but letters and digits; or up to three punctuation characters
padded by up to two spaces each side; or a line break padded the same way (see the docstring).
Not "%": "%34%32" is %-encoding (opened by :mod:`decode`), "15%, 20%" a list of rates."""
RUN = re.compile(rf"{_FIRST}{_DIGIT}*(?:{_SEPARATOR}{_DIGIT}+)*")


def _run_classes() -> bytes:
    """Windows-1251 bytes to what :data:`RUN` asks of a character: ``d`` a digit, ``l`` a
    look-alike letter, ``a`` another letter, ``_``, ``,``, ``;``, ``:``, ``%`` and a line break
    as themselves, a space for other white space, ``.`` for any other character."""
    table = bytearray(b"." * 256)
    for byte in range(256):
        char = bytes([byte]).decode("cp1251", "replace")
        if char in "_,;:%\n":
            table[byte] = byte
        elif char in LOOKALIKES:
            table[byte] = ord("l")
        elif "0" <= char <= "9":
            table[byte] = ord("d")
        elif re.match(r"\w", char):
            table[byte] = ord("a")
        elif char.isspace():
            table[byte] = ord(" ")
    return bytes(table)


_RUN_CLASSES = _run_classes()
_B_FIRST = rb"[dl](?:(?<=d)|(?<![al].)l*+(?![al]))"
_B_DIGIT = rb"(?:d|(?<![al])l++(?![al]))"
_B_SEPARATOR = rb"(?:[ .\n]{1,3}| {0,2}\.{1,3}[ \n]{0,2}| {0,2}\n[ \n]{0,2}|_|,(?=d))"
RUN_CLASSES = re.compile(_B_FIRST + _B_DIGIT + b"*(?:" + _B_SEPARATOR + _B_DIGIT + b"+)*")
""":data:`RUN`, character for character, over the text translated to :func:`_run_classes`
with every look-alike that touches a letter made a letter. The same runs at half the cost:
``RUN`` spends most of its time trying each "о", "l" and "I" of the text as a digit, and here
only a look-alike standing free is tried (``bytes.replace`` turns the others into letters in C,
which changes no run: a look-alike stretch that touches a letter is never digits)."""

GROUP = re.compile(rf"[\d{_LOOK}]+")
"""Inside a run every digit or look-alike is part of a group: separators hold no letters."""
_TO_DIGITS = str.maketrans(LOOKALIKES)
_DATE = re.compile(r"(?<!\d)(?:[0-3]?\d([./])[01]?\d\1(?:19|20)\d\d|(?:19|20)\d\d-[01]\d-[0-3]\d)")
"""12.03.2026, 1/2/2026, 2026-03-12: a run containing a date is a date, not one long number."""
_DIGITS = re.compile(r"\d")
_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)")
_LEADING_IPV4 = re.compile(rf"{_IPV4.pattern}(?![\d.])\D+")
"""An IPv4 address at the start of a run and the separator after it."""

MIN_REAL_DIGITS = 4
"""A message with fewer ASCII digits (after normalisation) is not searched for numbers."""
_ENOUGH_DIGITS = re.compile(rf"\d(?:\D*\d){{{MIN_REAL_DIGITS - 1}}}")
MIN_RUN_DIGITS = 8
"""The shortest number any detector reports: an international phone number with its "+"."""


# Runs, groups and candidates are NamedTuples rather than frozen dataclasses: a message makes
# dozens of them, and a frozen dataclass's __init__ costs several times a tuple's.


class Group(NamedTuple):
    digits: str
    """ASCII digits, look-alike letters already translated."""
    start: int
    end: int
    real: bool
    """Holds at least one real digit (not only look-alike letters)."""


class Run(NamedTuple):
    groups: tuple[Group, ...]
    plus: int
    """How far before the run a "+" stands — right before it (1) or with a space or two
    between ("+ 4 4 20 …"); 0 when there is none. An international phone number."""
    dated: int
    """How many calendar dates the run contains (0: none)."""
    size: int
    """Digits in all groups (look-alikes included), counted once."""
    text: str = ""
    """The text the run was found in, for detectors that judge a run by the words before it."""
    breaks: tuple[int, ...] = ()
    """Indexes of groups where a number of its own may begin: after a sentence end ("переговорная
    3. 2 1 0 7 …" is one run), and at the edges of digits typed one by one ("4 8 7 0 1 1 9 9 5
    1/107701001"). The stretches between are judged as whole runs."""

    @property
    def start(self) -> int:
        return self.groups[0].start

    @property
    def end(self) -> int:
        return self.groups[-1].end


class Candidate(NamedTuple):
    """A stretch of groups that might be one number."""

    digits: str
    start: int
    end: int
    shape: tuple[int, ...]
    whole: bool
    """The stretch is the whole run: the user typed it as one number, however grouped."""


_new = tuple.__new__
"""Builds a Group without NamedTuple's Python-level ``__new__``: half the cost, same object."""


def enough_digits(text: str) -> bool:
    """At least :data:`MIN_REAL_DIGITS` digits: one regex that stops at the fourth digit."""
    return _ENOUGH_DIGITS.search(text) is not None


def digit_count(text: str) -> int:
    """ASCII digits in ``text`` (normalisation made every decimal digit ASCII)."""
    return sum(map(text.count, "0123456789"))


def runs(text: str, min_digits: int = MIN_RUN_DIGITS) -> list[Run]:
    """The runs of ``text`` (normalised) with at least ``min_digits`` digits, then its chains."""
    found = []
    chain_starts = []
    last_start = last_end = -2
    for match in _run_matches(text):
        base, end = match.span()
        if base == last_end + 1 and end - base >= 3 and _chained(text, last_end, end):
            chain_starts.append(last_start)  # "4276x3801x…", "4509x123456"
        last_start, last_end = base, end
        if end - base < min_digits:
            continue  # most matches: "14", "2026", "3" — one comparison each
        raw = text[base:end]
        # the tail of a code such as "1Z4710612113442052" (UPS tracking) or a hash
        tail = base > 1 and text[base - 1].isalpha() and text[base - 2].isdigit()
        if raw.isdigit():  # one plain group: tracking and order numbers, most identifiers
            if not tail:
                group = _new(Group, (raw, base, end, True))
                plus = _plus(text, base) if base and text[base - 1] in "+ " else 0
                found.append(Run((group,), plus, 0, len(raw), text))
            continue
        dotted = "." in raw
        if dotted and (_DATE.fullmatch(raw) or _IPV4.fullmatch(raw)):
            continue  # 12.03.2026 is a date, 192.168.100.200 an address: neither is a number
        if dotted and (lead := _LEADING_IPV4.match(raw)) and _IPV4.fullmatch(raw, lead.end()):
            continue  # "10.0.0.1 / 10.0.0.2": two addresses side by side
        if not _DIGITS.search(raw):
            continue  # look-alike letters only ("OOO", "Ill") are a word
        run = _run(text, base, end, tail)
        if run is not None and run.size >= min_digits:
            found.append(run)
    if chain_starts:
        found += _chains(text, chain_starts, min_digits)
    return found


def _chained(text: str, between: int, end: int) -> bool:
    """Two groups with one character between: the same character follows the second group
    ("4276x3801x…"), or nothing word-like does ("4509x123456 выдан")."""
    after = text[end : end + 1]
    return after.lower() == text[between].lower() or not (after.isalnum() or after == "_")


def _run(text: str, base: int, end: int, tail: bool) -> Run | None:
    """The run matched at ``text[base:end]``. When its first group is the ``tail`` of a code,
    the run is the code's unless a sentence end or a line break follows that group: in
    "…cf9a8366. 2204 6279 6396 6494" the card after the hash is a run of its own, in
    "…cf9a8366 2204…" it is not told apart from the code."""
    groups = []
    for m in GROUP.finditer(text, base, end):
        digits = m.group()
        start = m.start()
        if digits.isdigit():
            groups.append(_new(Group, (digits, start, start + len(digits), True)))
        else:
            real = _DIGITS.search(digits) is not None
            stop = start + len(digits)
            groups.append(_new(Group, (digits.translate(_TO_DIGITS), start, stop, real)))
    if tail:  # the code ends a sentence or a line; the run after it may be a number
        if len(groups) < 2 or not _BOUNDARY.search(text, groups[0].end, groups[1].start):
            return None
        groups = groups[1:]
    if not any(g.real for g in groups):
        return None  # look-alike letters only ("OOO", "Ill") are a word
    base = groups[0].start
    raw = text[base:end]
    dated = len(_DATE.findall(raw)) if "." in raw or "/" in raw or "-" in raw else 0
    breaks: tuple[int, ...] = ()
    if ". " in raw or ".\n" in raw:
        breaks = tuple(
            i for i in range(1, len(groups)) if _SENTENCE_END.match(text, groups[i - 1].end)
        )
    size = 0
    for group in groups:
        size += len(group.digits)
    if len(groups) >= DIGIT_BY_DIGIT and len(groups) * 2 > size:
        singles = [len(g.digits) == 1 for g in groups]
        if sum(singles) >= DIGIT_BY_DIGIT:
            # "4 8 7 0 1 1 9 9 5 1/107701001": an INN typed digit by digit, then a KPP
            breaks += tuple(i for i in range(1, len(groups)) if singles[i] != singles[i - 1])
    plus = _plus(text, base) if base and text[base - 1] in "+ " else 0
    return Run(tuple(groups), plus, dated, size, text, breaks)


_SENTENCE_END = re.compile(r"\.\s")
_BOUNDARY = re.compile(r"\.\s|\n")
DIGIT_BY_DIGIT = 4
"""This many one-digit groups in a run are a number typed digit by digit: where such a block
begins and ends, a stretch may begin and end as well (see :attr:`Run.breaks`)."""


def _plus(text: str, start: int) -> int:
    """How far back from ``start`` a "+" is, past at most two spaces (0: none)."""
    at = start - 1
    while at >= 0 and start - at <= 3 and text[at] == " ":
        at -= 1
    return start - at if at >= 0 and text[at] == "+" else 0


def _run_matches(text: str) -> Iterator[re.Match[str]] | Iterator[re.Match[bytes]]:
    """The matches of :data:`RUN` in ``text``, found on its byte classes when every character
    of it is in Windows-1251 (chat in Russian and English), else on the text itself."""
    encoded = single_bytes(text)
    if b"?" in encoded and encoded.count(b"?") != text.count("?"):
        return RUN.finditer(text)  # a character the code page lacks might be a letter
    classes = encoded.translate(_RUN_CLASSES).replace(b"al", b"aa").replace(b"la", b"aa")
    return RUN_CLASSES.finditer(classes)


_CHAIN = re.compile(r"(?i)\d{1,5}([^\W\d_]|[;:])\d{1,11}(?:\1\d{1,11}){0,6}(?![^\W_])")
"""Groups joined by one repeated letter, ";" or ":"; the shape is checked in :func:`_chains`."""
CHAIN_LAYOUTS = frozenset({(4, 6), (2, 2, 6), (5, 5, 5), (5, 3, 1, 4, 7), (5, 3, 1, 11), (3, 3, 5)})
"""Chains in the layout of a passport (4509x123456), an OGRNIP in fives, an account
(40702x810x9x3800x0012345), an INN of an individual in three groups; other chains need the
equal groups of the module docstring."""


def _chains(text: str, starts: list[int], min_digits: int) -> list[Run]:
    found: list[Run] = []
    done = -1
    for start in starts:
        if start < done or (start and (text[start - 1].isalnum() or text[start - 1] == "_")):
            continue
        match = _CHAIN.match(text, start)
        if match is None or match.group(1) in LOOKALIKES:
            continue
        parts = re.split(re.escape(match.group(1)), match.group(), flags=re.IGNORECASE)
        shape = tuple(len(part) for part in parts)
        size = sum(shape)
        if size < max(10, min_digits) or not (shape in CHAIN_LAYOUTS or _even(shape)):
            continue
        groups = []
        offset = start
        for part in parts:
            groups.append(_new(Group, (part, offset, offset + len(part), True)))
            offset += len(part) + 1
        found.append(Run(tuple(groups), _plus(text, start), 0, size, text))
        done = match.end()
    return found


def _even(shape: tuple[int, ...]) -> bool:
    """Three groups or more, the inner ones of three or four digits all, the first no longer
    and the last at most one longer than those: 4276x3801x2345x6787, 8x916x123x4567. Of three
    groups the last is no shorter either (770x708x3893): "1920x1080x60" is a screen mode."""
    inner = set(shape[1:-1])
    if len(shape) < 3 or len(inner) != 1:
        return False
    width = inner.pop()
    shortest = width if len(shape) == 3 else 1
    return width in (3, 4) and shape[0] <= width and shortest <= shape[-1] <= width + 1


def candidates(
    run: Run, lengths: frozenset[int], layouts: frozenset[tuple[int, ...]]
) -> Iterator[Candidate]:
    """Stretches of ``run`` whose digit count is in ``lengths``: the whole run (unless it holds
    a date), single groups, and stretches whose group sizes are one of ``layouts``."""
    groups = run.groups
    n = len(groups)
    if n == 1:  # one group, the commonest run: the whole run or nothing
        group = groups[0]
        size = len(group.digits)
        if size in lengths:
            yield Candidate(group.digits, group.start, group.end, (size,), True)
        return
    longest = max(lengths)
    parts = [g.digits for g in groups]
    sizes = [len(part) for part in parts]
    # look-alike letters alone at an edge may be words ("I 4111 …") or disguised digits
    # ("I 1 2 2 3344595"): the run counts as whole with or without them
    firsts: tuple[int, ...] = (
        0,
        0 if groups[0].real else next(i for i, g in enumerate(groups) if g.real),
    )
    lasts: tuple[int, ...] = (
        n - 1,
        n - 1 if groups[-1].real else max(i for i, g in enumerate(groups) if g.real),
    )
    if run.breaks:  # a sentence end inside the run: each side is whole as well
        firsts += run.breaks
        lasts += tuple(b - 1 for b in run.breaks)
    for first in range(n):
        size = 0
        for last in range(first, n):
            size += sizes[last]
            if size > longest:
                break
            if size not in lengths:
                continue
            whole = first in firsts and last in lasts
            if whole and run.dated and (first, last) != (0, n - 1):
                # a stretch beside the date ("до 27.01.2026. 4 1 3 0 …") is judged alone
                whole = _DATE.search(run.text, groups[first].start, groups[last].end) is None
                dated = False
            else:
                dated = bool(run.dated)
            shape = tuple(sizes[first : last + 1])
            if (whole and not dated) or first == last or shape in layouts:
                digits = "".join(parts[first : last + 1])
                yield Candidate(digits, groups[first].start, groups[last].end, shape, whole)


def near(
    pattern: re.Pattern[str],
    text: str,
    start: int,
    end: int,
    width: int = 40,
    *,
    before: bool = True,
    after: bool = True,
) -> bool:
    """Whether ``pattern`` (a context word) occurs within ``width`` characters before ``start``
    or half that after ``end``, with no other digits in between: in "ИНН 7707083893, счёт
    1234567890" the word "ИНН" speaks for the first number only."""
    if before:
        matches = list(pattern.finditer(text, max(0, start - width), start))
        if matches and not _DIGITS.search(text, matches[-1].end(), start):
            return True
    if not after:
        return False
    following = pattern.search(text, end, end + width // 2)
    return following is not None and not _DIGITS.search(text, end, following.start())


LABEL = re.compile(
    r"(?i)(?:№|#|\bno\.?|\bnr\.?|\bсч[её]т\w*|\binvoice|\border|\bзаказ\w*|\bдоговор\w*"
    r"|\bcontract|\bтрек|\btrack\w*|\bнакладн\w*|\bref\.?|\bартикул\w*|\bsku|\bid"
    r"|\bштрихкод|\bbarcode|\bean)\s*[:.]?\s*$"
)
"""Words that say the number after them is a document or product number."""


_GLUED_BEFORE = re.compile(r"[^\W\d_][-/_]?$")
_GLUED_AFTER = re.compile(r"[-/_]?[^\W\d_]")


def glued(text: str, start: int, end: int) -> bool:
    """Letters touch the stretch, or sit behind one dash or slash: "INV2024000123",
    "INV-2026-673830", the digits of a UUID or a hash."""
    return bool(
        _GLUED_BEFORE.search(text, max(0, start - 2), start) or _GLUED_AFTER.match(text, end)
    )


def labelled(text: str, start: int) -> bool:
    """The number at ``start`` is introduced as a document number ("счёт №", "order #")."""
    return bool(LABEL.search(text, max(0, start - 16), start))


__all__ = [
    "LOOKALIKES",
    "MIN_REAL_DIGITS",
    "MIN_RUN_DIGITS",
    "Candidate",
    "Group",
    "Run",
    "candidates",
    "digit_count",
    "enough_digits",
    "glued",
    "labelled",
    "near",
    "runs",
]
