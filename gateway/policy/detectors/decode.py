"""Encoded runs: base64, hex and %-encoding opened before detection, within fixed bounds.

"NDI3NjM4MDEyMzQ1Njc4Nw==" is a card number to anyone who pastes it into a decoder, and to
nobody's regex. This module finds runs that may be encoded text and decodes them; the caller
(:mod:`gateway.policy.detectors.hidden`) scans the decoded text like a message and reports what it
finds over the whole encoded run, so a redaction masks the run.

Bounded, because an attacker controls the input and a gateway must not spend a second on one
message:

- a run is :data:`MIN_RUN` to :data:`MAX_RUN` characters; a longer one (a pasted file) is not
  opened at all — an attachment is the place for files, and it is scanned as one;
- at most :data:`MAX_ATTEMPTS` runs are tried and :data:`MAX_DECODED_BYTES` bytes kept per text;
- decoded bytes must be UTF-8 and mostly printable (:data:`MIN_PRINTABLE`): a hash, a UUID, a
  random token decode to binary and are dropped — a hex hash usually before decoding, since
  the high digit of a byte of text is rarely 0 or 1 — and never reach the detectors;
- base64 needs two of upper case, lower case and digits (encoded text has them; an English
  word of sixteen letters is not base64), and digits after at most two characters are a number
  or a code ("1Z9638642073589145"), never base64.

Nested encodings (base64 of hex …) are opened by the caller scanning the decoded text, which
runs this again: each level is shorter than the one before, so the depth is bounded too.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import NamedTuple
from urllib.parse import unquote

MIN_RUN = 16
"""Characters of base64 or hex: 12 bytes of base64 ("CONFIDENTIAL" is 16), 8 of hex. Shorter
runs are words and ids — twelve would open every UUID's last group and every tracking number,
for a word or two ("Sekretno" is 12 in base64) that the other readings mostly catch anyway."""
MIN_PERCENT_RUN = 8
"""Characters of a %-encoded token ("a%40b.ru"): its plain characters count as themselves."""
MAX_RUN = 2048
"""A longer run is a file pasted as text, not a disguised value: not decoded."""
MAX_DECODED_BYTES = 4096
"""Decoded bytes kept per text, summed over its runs."""
MAX_ATTEMPTS = 32
"""Runs tried per text, decodable or not: a message of a thousand hex words costs 32 tries."""
MIN_PRINTABLE = 0.9
"""Share of decoded characters that must be printable (or ordinary whitespace)."""

_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_PERCENT = re.compile(r"[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*)+")
_HEX_ESCAPES = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){8,}")
_TAIL = re.compile(r"(?:[-_][A-Za-z0-9+/]*)*={0,2}")
"""What may follow a run of the base64 alphabet: url-safe "-" and "_" pieces, then padding."""
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_URLSAFE_PIECE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_UPPER = re.compile("[A-Z]")
_LOWER = re.compile("[a-z]")
_DIGIT = re.compile("[0-9]")
_URLSAFE = str.maketrans("-_", "+/")


def _alphabet_table() -> bytes:
    """Windows-1251 bytes to ``b`` for the base64 alphabet (ASCII letters, digits, "+", "/"),
    ``#`` for anything else: a run of :data:`MIN_RUN` ``b`` is where encoded text may be."""
    table = bytearray(b"#" * 256)
    for char in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/":
        table[ord(char)] = ord("b")
    return bytes(table)


ALPHABET = _alphabet_table()
"""Apply to ``text.encode("cp1251", "replace")`` — one byte per character, so byte offsets are
character offsets — and pass the result to :func:`encoded_runs` as ``alphabet``."""
_HINT = b"b" * MIN_RUN


class EncodedRun(NamedTuple):
    start: int
    end: int
    decoded: str
    encoding: str
    """``base64``, ``hex`` or ``percent``."""


def encoded_runs(text: str, alphabet: bytes | None = None) -> list[EncodedRun]:
    """Runs of ``text`` that decode to printable text: %-encoded tokens, ``\\x`` escapes, then
    runs of the base64 alphabet (hex when they are hex digits only). ``alphabet``: the text
    translated with :data:`ALPHABET`, if the caller has it already.

    Written for the common failure: a hash in a message is found, decoded and dropped here on
    every fifth message of technical chat, so there are no generators and no exceptions on
    that path (bytes that are not UTF-8 decode with replacement characters, which the
    printable test then counts)."""
    budget = _Budget()  # two attributes and a list: cheaper than checking whether it is needed
    if "%" in text and _ESCAPE.search(text):
        for m in _PERCENT.finditer(text):
            budget.attempt("percent", m.start(), m.end(), m.group())
    if "\\x" in text:
        for m in _HEX_ESCAPES.finditer(text):
            budget.attempt("hex", m.start(), m.end(), m.group().replace("\\x", ""))
    if alphabet is None:
        alphabet = text.encode("cp1251", "replace").translate(ALPHABET)
    at = alphabet.find(_HINT)
    while at != -1:
        start = at
        end = alphabet.find(b"#", at)
        end = len(text) if end == -1 else end
        if start and text[start - 1] in "-_":
            while start and text[start - 1] in _URLSAFE_PIECE and start > at - MAX_RUN:
                start -= 1  # url-safe base64: "-" and "_" pieces before the run
        if end < len(text) and text[end] in "-_=":
            end = _TAIL.match(text, end).end()
        at = alphabet.find(_HINT, end)
        if (start and text[start - 1] == "%") or text[end : end + 1] == "%":
            continue  # inside %-encoding, tried as such above
        raw = text[start:end]
        body = raw[2:] if raw[:2] in ("0x", "0X") else raw
        if len(body) % 2 == 0 and _HEX_DIGITS.issuperset(body):
            high = body[::2]  # the high nibble of each byte: 0 and 1 are control characters
            spaces = body.count("0a") + body.count("0d") + body.count("09")  # but for these
            if high.count("0") + high.count("1") - spaces <= len(high) * (1 - MIN_PRINTABLE):
                budget.attempt("hex", start, end, body)  # hex only: never base64 as well
        elif not raw[2:].isdigit() and (
            bool(_UPPER.search(raw)) + bool(_LOWER.search(raw)) + bool(_DIGIT.search(raw)) >= 2
        ):  # digits after a short prefix are a code ("1Z9638642073589145"), not base64
            budget.attempt("base64", start, end, raw)
    return budget.found


class _Budget:
    """The runs decoded so far and what is left of the per-text bounds."""

    __slots__ = ("attempts", "bytes", "found")

    def __init__(self) -> None:
        self.found: list[EncodedRun] = []
        self.attempts = 0
        self.bytes = 0

    def attempt(self, encoding: str, start: int, end: int, raw: str) -> None:
        """Decode one candidate into :attr:`found` if it is within bounds and is text."""
        shortest = MIN_PERCENT_RUN if encoding == "percent" else MIN_RUN
        if self.attempts >= MAX_ATTEMPTS or not shortest <= end - start <= MAX_RUN:
            return
        for run in self.found:
            if run.start < end and start < run.end:
                return
        self.attempts += 1
        data = _decode(encoding, raw)
        if data is None or self.bytes + len(data) > MAX_DECODED_BYTES:
            return
        decoded = _printable(data)
        if decoded:
            self.bytes += len(data)
            self.found.append(EncodedRun(start, end, decoded, encoding))


def _decode(encoding: str, raw: str) -> bytes | None:
    if encoding == "hex":
        return binascii.unhexlify(raw)  # only hex digits of even length come here
    if encoding == "percent":
        try:
            decoded = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return None
        return None if decoded == raw else decoded.encode()
    body = raw.rstrip("=").translate(_URLSAFE)
    if len(body) % 4 == 1:
        return None
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except ValueError:  # binascii.Error: padding inside the run
        return None


def _printable(data: bytes) -> str:
    """``data`` as text if it is UTF-8 and mostly printable, else ``""``."""
    text = data.decode("utf-8", "replace")
    allowed = len(text) * (1 - MIN_PRINTABLE)
    if len(text) < 4 or text.count("\ufffd") > allowed or len(_CONTROL.findall(text)) > allowed:
        return ""
    return text


__all__ = [
    "ALPHABET",
    "MAX_ATTEMPTS",
    "MAX_DECODED_BYTES",
    "MAX_RUN",
    "MIN_PERCENT_RUN",
    "MIN_PRINTABLE",
    "MIN_RUN",
    "EncodedRun",
    "encoded_runs",
]
