"""Classification markings: the ``marking`` kind, Russian and English.

Two strengths of phrase:

- *markings* anywhere in the text: "Коммерческая тайна", "Для служебного пользования",
  "Строго конфиденциально", "Internal use only", "Strictly confidential" …
- *labels* — single words that are also ordinary vocabulary ("конфиденциально", "confidential",
  "secret") — count only when written as a stamp: in capitals, at the start of a line, in
  brackets, or before a colon. "Please keep this confidential" is a request, "CONFIDENTIAL" a mark.

Word boundaries are Unicode-aware (``\\w`` covers Cyrillic), so "политика конфиденциальности" is
not "конфиденциально". Letters may be typed in the other script's look-alikes ("Кoммерческая"
with a Latin o, "C0NFIDENTIAL" with a zero): every letter of a phrase matches its confusables.
"ДСП" counts in capitals only: in lower case it is chipboard, which furniture suppliers discuss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gateway.policy.findings import Finding

_CONFUSABLE_GROUPS = (
    "аa@", "вb", "еeё", "кk", "мm", "нh", "оo0", "рp", "сc", "тt", "уy", "хx", "зz3",
    "iіl1", "ьb", "иu",
)  # fmt: skip
_CONFUSABLES = {char: group for group in _CONFUSABLE_GROUPS for char in group}

MARKINGS = (
    "коммерческая тайна", "коммерческую тайну", "коммерческой тайны", "коммерческой тайне",
    "строго конфиденциально", "для служебного пользования", "совершенно секретно",
    "конфиденциальная информация", "strictly confidential", "internal use only",
    "for internal use only", "company confidential", "top secret", "trade secret",
)  # fmt: skip
LABELS = ("конфиденциально", "секретно", "confidential", "restricted", "secret")
_STAMP_BEFORE = re.compile(r"(?:^|\n|[\[(«\"'*_])[ \t]*$")
_STAMP_AFTER = re.compile(r"[ \t]*(?:[:\])»\"'*_!]|\n|$)")
_STAMP_WORD_BEFORE = re.compile(r"(?i)(?:гриф|пометк\w*|marked|marking|label(?:led)?)\W*$")


def _letter(char: str) -> str:
    group = _CONFUSABLES.get(char.lower())
    if group is None:
        return re.escape(char)
    return f"[{re.escape(group)}]"


def phrase_pattern(text: str) -> str:
    """A phrase where each letter matches its look-alikes and spaces match any whitespace."""
    return r"\s+".join("".join(_letter(c) for c in word) for word in text.split())


def _compile(phrases: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted(phrases, key=len, reverse=True)  # "строго конфиденциально" before its tail
    return re.compile(
        rf"(?<!\w)(?:{'|'.join(phrase_pattern(p) for p in ordered)})(?!\w)", re.IGNORECASE
    )


PLAIN_STEMS = (
    "тайн", "конфиденц", "служебн", "секретн", "confident", "internal", "secret", "restricted",
)  # fmt: skip
"""Every marking and label contains one of these (a unit test checks it): a text without any,
and without words mixing scripts, cannot hold a marking, and costs a few substring checks."""


def _fold_table() -> bytes:
    """A Windows-1251 byte table: lower case, and every look-alike to the first letter of its
    group. Russian and English letters, digits and "@" are all single bytes in that encoding,
    so ``bytes.translate`` folds a text in one C pass — several times faster than
    ``str.translate`` with a dict."""
    table = bytearray(range(256))
    for byte in range(256):
        lowered = bytes([byte]).decode("cp1251", "replace").lower().encode("cp1251", "replace")
        table[byte] = lowered[0] if len(lowered) == 1 else byte
    for group in _CONFUSABLE_GROUPS:
        first = group[0].encode("cp1251")[0]
        for char in group + group.upper():
            table[char.encode("cp1251")[0]] = first
    return bytes(table)


_FOLD = _fold_table()
_FOLDED_STEMS = tuple(stem.encode("cp1251").translate(_FOLD) for stem in PLAIN_STEMS)
"""Every look-alike folded to one representative of its group ("C0NFIDENTIAL" and
"Кoммерческая" fold like the plain words). The full patterns let each letter match its group,
so a text they match folds to contain a folded stem: the quick test never skips a marking.
(Only "b" sits in two groups, вb and ьb; no stem holds в or ь.) Characters outside
Windows-1251 are dropped from the folded copy, which can only add candidates, never hide one."""


_ANY_STEM = re.compile(b"|".join(re.escape(stem) for stem in _FOLDED_STEMS))


def could_hold_marking(text: str) -> bool:
    """False when ``text`` cannot hold a marking or label: one encode, one byte translate, one
    search for any of the folded stems."""
    return _ANY_STEM.search(text.encode("cp1251", "ignore").translate(_FOLD)) is not None


MARKING = _compile(MARKINGS)
LABEL = _compile(LABELS)
DSP = re.compile(r"(?<!\w)(?:ДСП|Д\.С\.П\.?)(?!\w)")


def find_markings(text: str) -> list[Finding]:
    found: list[Finding] = []
    if "ДСП" in text or "Д.С.П" in text:
        found += [Finding("marking", m.start(), m.end(), 0.8, "ДСП") for m in DSP.finditer(text)]
    if not could_hold_marking(text):
        return found
    found += [
        Finding("marking", m.start(), m.end(), 0.9, detail=_canonical(m.group()))
        for m in MARKING.finditer(text)
    ]
    for m in LABEL.finditer(text):
        start, end = m.span()
        if any(f.start <= start < f.end for f in found):
            continue
        if _stamped(text, start, end, m.group()):
            found.append(Finding("marking", start, end, 0.8, detail=_canonical(m.group())))
    return found


def _stamped(text: str, start: int, end: int, word: str) -> bool:
    if word.isupper():
        return True
    head = text[max(0, start - 24) : start]
    return bool(
        _STAMP_BEFORE.search(head)
        or _STAMP_AFTER.match(text, end)
        or _STAMP_WORD_BEFORE.search(head)
    )


def _canonical(found: str) -> str:
    """The phrase as written in our list (audit logs show "confidential", not "C0NFIDENTIAL")."""
    words = found.lower().split()
    for phrase in MARKINGS + LABELS:
        parts = phrase.split()
        if len(parts) == len(words) and all(
            len(a) == len(b) and all(y in _CONFUSABLES.get(x, x) for x, y in zip(a, b, strict=True))
            for a, b in zip(parts, words, strict=True)
        ):
            return phrase
    return words[0] if words else found


__all__ = [
    "LABELS",
    "MARKINGS",
    "PLAIN_STEMS",
    "could_hold_marking",
    "find_markings",
    "phrase_pattern",
]
