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
