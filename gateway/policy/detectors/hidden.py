"""Second readings of a text: letter spacing joined up, "@" spelled out, encoded runs decoded.

Three disguises defeat every detector that reads the text as typed:

- **letter spacing** — "S t r i c t l y  c o n f i d e n t i a l", "К.О.М.М.Е.Р.Ч.Е.С.К.А.Я
  Т.А.Й.Н.А", "i v a n @ m a i l . r u". A run of at least four single letters or digits, each
  separated from the next by one to three characters of punctuation or space, is joined: the
  separator used most inside the run is dropped, any other one is a word break and becomes a
  space (or its punctuation, so " @ " stays "@"). Markings (as a stamp: spacing is emphasis),
  admin keywords, e-mail addresses and secrets are then looked for in the joined text;
- **a spelled-out "@"** — "ivan [собака] mail точка ru", "name at host dot com": judged by
  :func:`gateway.policy.detectors.contacts.find_spelled_emails` where such a word stands;
- **digits spelled as words** — "ИНН шесть шесть шесть два один …", "passport nine nine one two
  …": a run of at least :data:`MIN_SPELLED` digit words (Russian or English) is read as the
  number it spells, and the whole text is scanned again, so the kind word before the run still
  counts;
- **encoding** — base64, hex and %-encoding (:mod:`gateway.policy.detectors.decode`): each decoded
  run is normalised and scanned with every detector, and what is found there is reported over
  the encoded run.

Every reading maps back: a finding covers exactly the characters the user typed (the spaced
letters and their separators; the whole address; the whole encoded run), in the normalised text
this module is given.

Cost: ordinary chat is none of these, and finds that out on its Windows-1251 bytes (one byte
per character, shared with the other detectors through :func:`normalize.single_bytes`): two
``bytes.translate`` — letters to ``b`` and separators to a space, so a spaced run is the
substring ``b"b b b b"``; the base64 alphabet to ``b``, so a possible encoded run is sixteen
``b`` in a row — and one search of the lower-cased bytes for "at", "собака" and the like. About
two microseconds on the bench corpus, where ``in`` on bytes replaces a regex over every
position of the text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise

from gateway.policy.detectors.contacts import find_emails, find_spelled_emails
from gateway.policy.detectors.custom import CustomDetector, KeywordDetector
from gateway.policy.detectors.decode import (
    ALPHABET,
    MIN_RUN,
    EncodedRun,
    encoded_runs,
)
from gateway.policy.detectors.markings import find_markings
from gateway.policy.detectors.secrets import find_secrets
from gateway.policy.findings import Finding
from gateway.policy.normalize import Normalized, lowered_bytes, normalize, single_bytes

_SPACERS = " .-_*|~?\t\xb7\x95"
"""Separators of letter spacing, as Windows-1251 bytes (· and • included); "?" is what the
encoder puts for a character it lacks (an emoji between letters)."""


def _letters_table() -> bytes:
    """Windows-1251 bytes to ``b`` for letters (not digits: "версии 2.6.79" is no spacing),
    a space for :data:`_SPACERS`, ``#`` for the rest."""
    table = bytearray(b"#" * 256)
    for byte in range(256):
        char = bytes([byte]).decode("cp1251", "replace")
        if char.isalpha():
            table[byte] = ord("b")
        elif char in _SPACERS:
            table[byte] = ord(" ")
    return bytes(table)


_LETTERS = _letters_table()
_SPACED_HINT = b"b b b b"
_ENCODED_HINT = b"b" * MIN_RUN
_SOBAKA = "собака|собачка".encode("cp1251")


_SPELLED_AT = re.compile(
    b"at(?:[)\\]}>]|[ \t]+[a-z0-9_.+\xb8\xe0-\xff-]+[ \t]*[.\\[({<d\xf2])|sobaka|" + _SOBAKA
)
"""In the lower-cased bytes: "at)" and the like, "собака", "sobaka", or "at", a space, a word
and a dot, a bracket, or the "d" of "dot" or "т" of "точка" — a spelled-out "@" may be there
(:func:`contacts.find_spelled_emails` decides). "call at 15:30" and "at the office" do not get
that far. One regex: each ``in`` test on a short byte string costs about as much as it."""


_DIGIT_WORDS = {
    "ноль": "0", "нуль": "0", "один": "1", "одна": "1", "два": "2", "две": "2", "три": "3",
    "четыре": "4", "пять": "5", "шесть": "6", "семь": "7", "восемь": "8", "девять": "9",
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
MIN_SPELLED = 10
"""Digit words in a row before they are read as a number: every kind has ten digits or more,
and "one, two, three" in a sentence is not an identifier."""
_DIGIT_WORD = "(?:" + "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True)) + ")"
SPELLED = re.compile(
    rf"(?i)(?<![^\W_]){_DIGIT_WORD}(?:[\s,;-]{{1,3}}{_DIGIT_WORD}(?![^\W_])){{{MIN_SPELLED - 1},}}"
)
_ONE_DIGIT_WORD = re.compile(rf"(?i){_DIGIT_WORD}")
_NOL, _ODIN, _SEM, _DEVYAT = (w.encode("cp1251") for w in ("ноль", "один", "семь", "девят"))
"""Looked for with ``in`` in the lower-cased bytes before the full pattern runs: a run of ten
random digits lacks all of 0, 1, 7, 8 and 9 (Russian) or 0, 7, 8 and 9 (English) about once in
a thousand (0.5¹⁰) or two hundred (0.6¹⁰) runs, and eight ``in`` tests cost a third of one
regex search for any two digit words ("one" is left out: "phone", "someone"). Written out
with ``or``: a generator over a tuple costs more than the tests themselves."""


SPACED = re.compile(r"(?<![^\W_])[^\W_](?:(?:[^\w\n]{1,3}|_)[^\W_](?![^\W_])){3,}")
"""Four or more single letters or digits, one to three characters of punctuation between."""
_LETTER = re.compile(r"[^\W_]")


def find_hidden(text: str, detectors: Sequence[CustomDetector] = ()) -> list[Finding]:
    """Findings in the letter-spaced, spelled-out and encoded parts of ``text`` (normalised),
    in its offsets."""
    encoded = single_bytes(text)  # one byte per character: offsets carry over
    found: list[Finding] = []
    if _SPACED_HINT in encoded.translate(_LETTERS):
        found += _spaced(text, detectors)
    if "@" not in text:  # with "@", find_emails has looked already
        lowered = lowered_bytes(text)
        if _SPELLED_AT.search(lowered):
            near = [m.start() for m in _SPELLED_AT.finditer(lowered)]
            found += find_spelled_emails(text, near)
    lowered = lowered_bytes(text)
    if (
        _SEM in lowered
        or _ODIN in lowered
        or _NOL in lowered
        or _DEVYAT in lowered
        or b"nine" in lowered
        or b"zero" in lowered
        or b"seven" in lowered
        or b"eight" in lowered
    ):
        found += _spelled(text, detectors)
    alphabet = encoded.translate(ALPHABET)
    if _ENCODED_HINT in alphabet or "%" in text or "\\x" in text:
        runs = encoded_runs(text, alphabet)
        if runs:
            found += _decoded(runs, detectors)
    return found


def _spaced(text: str, detectors: Sequence[CustomDetector]) -> list[Finding]:
    joined = join_spacing(text)
    if joined is None:
        return []
    norm, regions = joined
    inner = find_markings(norm.text, emphasised=True)
    inner += find_emails(norm.text)
    inner += find_secrets(norm.text)
    for detector in detectors:
        if isinstance(detector, KeywordDetector):
            inner += detector.find(norm.text)
    spaced = bytearray(len(norm.text))  # where the joined runs are: overlap tests in O(length)
    for start, end in regions:
        spaced[start:end] = b"\x01" * (end - start)
    found = []
    for f in inner:
        if 1 in spaced[f.start : f.end]:
            start, end = norm.to_original(f.start, f.end)
            found.append(Finding(f.kind, start, end, f.confidence, f.detail, f.where))
    return found


def _spelled(text: str, detectors: Sequence[CustomDetector]) -> list[Finding]:
    """Findings over digits spelled as words: the runs become digits, the text is scanned
    again, and what lies in a run maps back to the words as typed."""
    from gateway.policy.detectors import scan_normalized  # the package imports this module

    pieces: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    regions: list[tuple[int, int]] = []
    done = length = 0
    for match in SPELLED.finditer(text):
        pieces.append(text[done : match.start()])
        length += match.start() - done
        words = list(_ONE_DIGIT_WORD.finditer(text, match.start(), match.end()))
        region_start = length
        for index, word in enumerate(words):
            pieces.append(_DIGIT_WORDS[word.group().lower()])
            to = words[index + 1].start() if index + 1 < len(words) else word.end()
            segments.append((length, length + 1, word.start(), to))
            length += 1
        regions.append((region_start, length))
        done = match.end()
    if not regions:
        return []
    pieces.append(text[done:])
    norm = Normalized(text, "".join(pieces), tuple(segments))
    spelled = bytearray(len(norm.text))
    for start, end in regions:
        spelled[start:end] = b"\x01" * (end - start)
    found = []
    for f in scan_normalized(norm.text, detectors):
        if 1 in spelled[f.start : f.end]:
            start, end = norm.to_original(f.start, f.end)
            found.append(Finding(f.kind, start, end, f.confidence, f.detail, f.where))
    return found


def join_spacing(text: str) -> tuple[Normalized, list[tuple[int, int]]] | None:
    """``text`` with its letter-spaced runs joined, the way back (as a :class:`Normalized`
    whose ``original`` is ``text``), and where the joined runs are in the new text; ``None``
    when nothing is spaced out."""
    pieces: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    regions: list[tuple[int, int]] = []
    done = length = 0
    for match in SPACED.finditer(text):
        chunk = match.group()
        letters = [m.start() for m in _LETTER.finditer(chunk)]
        base = match.start()
        separators = [chunk[a + 1 : b] for a, b in pairwise(letters)]
        inside = Counter(separators).most_common(1)[0][0]
        pieces.append(text[done:base])
        length += base - done
        region_start = length
        for index, separator in enumerate(separators):
            pieces.append(text[base + letters[index]])
            length += 1
            at = base + letters[index] + 1
            word_break = "" if separator == inside else separator.strip(" \t_") or " "
            pieces.append(word_break)
            segments.append((length, length + len(word_break), at, at + len(separator)))
            length += len(word_break)
        pieces.append(text[base + letters[-1]])
        length += 1
        regions.append((region_start, length))
        done = match.end()
    if not regions:
        return None
    pieces.append(text[done:])
    return Normalized(text, "".join(pieces), tuple(segments)), regions


def _decoded(runs: Iterable[EncodedRun], detectors: Sequence[CustomDetector]) -> list[Finding]:
    """What a scan of each decoded run finds, reported over the run (the surest of each kind)."""
    from gateway.policy.detectors import scan_normalized  # the package imports this module

    found = []
    for run in runs:
        best: dict[str, Finding] = {}
        for f in scan_normalized(normalize(run.decoded).text, detectors):
            if f.kind not in best or f.confidence > best[f.kind].confidence:
                best[f.kind] = f
        for f in best.values():
            detail = f"{f.detail}, {run.encoding}" if f.detail else run.encoding
            found.append(Finding(f.kind, run.start, run.end, f.confidence, detail))
    return found


__all__ = ["SPACED", "find_hidden", "join_spacing"]
