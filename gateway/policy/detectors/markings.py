"""Classification markings: the ``marking`` kind, Russian and English.

Two strengths of phrase:

- *markings* anywhere in the text: "Коммерческая тайна", "Для служебного пользования",
  "Строго конфиденциально", "Internal use only", "Strictly confidential" …
- *labels* — single words that are also ordinary vocabulary ("конфиденциально", "confidential",
  "secret") — count only when written as a stamp: in capitals, at the start of a line, in
  brackets, or before a colon. "Please keep this confidential" is a request, "CONFIDENTIAL" a mark.

Word boundaries are Unicode-aware, so "политика конфиденциальности" is not "конфиденциально".
"ДСП" counts in capitals only: in lower case it is chipboard, which furniture suppliers discuss.

What a person hiding a marking types, and why each still matches (issue 15):

- letters from the other script or digits and symbols for letters ("Кoммерческая" with a Latin
  o, "C0NF1D3NT14L", "Т@ЙНА", "$ecret"): every letter of a phrase matches its look-alike group;
- words joined by "_", "-", "." or nothing at all ("Коммерческая_тайна"; a zero-width space
  between the words is removed by normalisation, leaving "Коммерческаятайна"). A dot followed by
  a space is a sentence end and does not join: "коммерческая. Тайна в том, что …";
- transliteration ("kommercheskaya tayna", "Konfidentsialno", "k0nfidencialno"): each Russian
  phrase also as Latin letters, with the usual spellings of each letter (ц: ts, tz, c; я: ya, ia,
  ja, a …);
- a label whose letters are disguised — digits or symbols for letters, or two scripts in one
  word — is a stamp wherever it stands: nobody writes "C0nfidential" by accident. A
  transliterated label counts as a stamp in a message written in Cyrillic too (the switch of
  script is the disguise), otherwise by the ordinary stamp rules, like the Russian word;
- letter spacing ("S t r i c t l y", "К.О.М.М.Е.Р.Ч.Е.С.К.А.Я") is undone by
  :mod:`gateway.policy.detectors.hidden`, which calls :func:`find_markings` on the joined text
  with ``emphasised=True``: spaced-out letters are emphasis, so a label written that way is a stamp.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gateway.policy.findings import Finding
from gateway.policy.normalize import last_text_memo, single_bytes

_CONFUSABLE_GROUPS = (
    "аa@4", "вb8", "еeё3€", "кk", "мm", "нh", "оo0", "рp", "сc", "тt7", "уy", "хx", "зz",
    "iіl1!|", "ьb", "иu", "пn", "гr", "sѕ5$", "jј", "б6",
)  # fmt: skip
"""Letters that look alike across scripts, with the digits and symbols typed for them. Disjoint
(except "b"), because :func:`_fold_table` maps each to one representative."""
_CONFUSABLES = {char: group for group in _CONFUSABLE_GROUPS for char in group}
_LEET_ONLY = {"з": "3", "ч": "4"}
"""Digits typed for letters that their fold group cannot hold (3 folds with е, 4 with а, the
commoner ones): the phrase patterns accept them, and no prefilter stem contains з or ч."""

MARKINGS = (
    "коммерческая тайна", "коммерческую тайну", "коммерческой тайны", "коммерческой тайне",
    "строго конфиденциально", "для служебного пользования", "совершенно секретно",
    "конфиденциальная информация", "strictly confidential", "internal use only",
    "for internal use only", "company confidential", "top secret", "trade secret",
    # stamps and footers as companies really write them (issue 21)
    "для внутреннего использования",
    "для внутреннего пользования", "не для распространения", "not for distribution",
    "do not distribute", "internal only", "only for internal use", "highly confidential",
)  # fmt: skip
LABELS = ("конфиденциально", "секретно", "confidential", "restricted", "secret")
_STAMP_BEFORE = re.compile(r"(?:^|\n|[\[(«\"'*_])[ \t]*$")
_STAMP_AFTER = re.compile(r"[ \t]*(?:[:\])»\"'*_!]|\n|$)")
_STAMP_WORD_BEFORE = re.compile(r"(?i)(?:гриф|пометк\w*|marked|marking|label(?:led)?)\W*$")

TRANSLIT = {
    "а": ("a",), "б": ("b",), "в": ("v", "w"), "г": ("g",), "д": ("d",),
    "е": ("e", "ye", "je"), "ё": ("e", "yo", "jo"), "ж": ("zh", "j", "z"), "з": ("z",),
    "и": ("i",), "й": ("y", "i", "j"), "к": ("k", "c"), "л": ("l",), "м": ("m",),
    "н": ("n",), "о": ("o",), "п": ("p",), "р": ("r",), "с": ("s",), "т": ("t",),
    "у": ("u",), "ф": ("f", "ph"), "х": ("kh", "h", "x"), "ц": ("ts", "tz", "c", "cz", "z"),
    "ч": ("ch", "tch", "4"), "ш": ("sh",), "щ": ("sch", "shch"), "ъ": ("",), "ы": ("y", "i"),
    "ь": ("",), "э": ("e",), "ю": ("yu", "iu", "ju"), "я": ("ya", "ia", "ja", "a"),
}  # fmt: skip
"""How Russian letters are commonly written in Latin (GOST, passport and chat habits)."""
_GAP = r"(?:[ \t]*[_\-–—·•*+~|/\\]{1,3}\s*|\.|\s+)?"
"""Between the words of a phrase: spaces, "_", "-", "." (not ". ", a sentence end) or nothing."""


def letter_pattern(char: str) -> str:
    """One letter as a character class of its look-alikes, digits and symbols typed for it."""
    lower = char.lower()
    group = _CONFUSABLES.get(lower, "") + _LEET_ONLY.get(lower, "")
    if not group:
        return re.escape(char)
    return f"[{re.escape(group if lower in group else lower + group)}]"


def phrase_pattern(text: str) -> str:
    """A phrase where each letter matches its look-alikes and the words may be joined by
    spaces, "_", "-", "." or nothing (see the module docstring)."""
    return _GAP.join("".join(letter_pattern(c) for c in word) for word in text.split())


_VOWELS = "аеёиоуыэюяьъ"


def spellings(word: str, index: int) -> tuple[str, ...]:
    """How the letter at ``index`` of a Russian ``word`` is written in Latin letters: "ye"
    and "yo" for е and ё only where Russian pronounces them so, at the start of a word or
    after a vowel or a sign ("kommercheskaya", not "kommyercheskaya")."""
    char = word[index]
    options = TRANSLIT.get(char, (char,))
    if char in "её" and index and word[index - 1] not in _VOWELS:
        options = options[:1]
    return options


def translit_pattern(text: str) -> str:
    """A Russian phrase in Latin letters: each letter as any of its usual spellings (each
    Latin letter with its look-alikes), a doubled letter also single, "ь" as an apostrophe
    or nothing."""
    words = []
    for word in text.lower().split():
        parts = []
        for index, char in enumerate(word):
            if char in "ьъ":
                parts.append("['’`ʼ]?")
                continue
            spellings_ = sorted(spellings(word, index), key=len, reverse=True)
            options = "|".join("".join(letter_pattern(c) for c in s) for s in spellings_)
            optional = "?" if index and word[index - 1] == char else ""
            parts.append(f"(?:{options}){optional}")
        words.append("".join(parts))
    return _GAP.join(words)


def _is_cyrillic(phrase: str) -> bool:
    return any("а" <= c <= "я" or c == "ё" for c in phrase)


def _patterns(phrases: Iterable[str]) -> list[str]:
    ordered = sorted(phrases, key=len, reverse=True)  # "строго конфиденциально" before its tail
    native = [phrase_pattern(p) for p in ordered]
    return native + [translit_pattern(p) for p in ordered if _is_cyrillic(p)]


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(patterns)})(?![^\W_])", re.IGNORECASE)


STEMS = (
    "йн", "фиден", "жеб", "кретн", "fid", "phid", "rnal", "ret", "rict", "mer", "slu",
    "реннег", "renn", "reneg", "распростран", "rasprostran", "strib",
)  # fmt: skip
"""Every marking and label, in every spelling its pattern allows — look-alikes, digits for
letters, transliterations — contains one of these after folding (unit tests enumerate the
spellings and check): a text without any cannot hold a marking. Short, and starting with a
rarer letter where there is a choice, because the search runs on every message and stops at
each letter a stem starts with: "йн" of тайна, "фиден" of конфиденциально, "жеб" of
служебного, "кретн" of секретно, "fid"/"phid" of confidential and konfidentsialno, "rnal" of
internal, "ret" of secret, "rict" of restricted, "mer" of kommercheskaya, "slu" of
sluzhebnogo; "реннег"/"renn"/"reneg" of внутреннего (vnutren(n)ego), "распростран" and
"rasprostran" of распространения, "strib" of distribution. Latin r folds with г, not with р, so
Russian "мер" and "рет" do not match. Each stem starts with a letter some other stem starts
with (й ф ж к р г м s f): the search skips every other letter, and one stem starting with a
common letter made it three times slower."""


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
_FOLDED_STEMS = tuple(stem.encode("cp1251").translate(_FOLD) for stem in STEMS)
"""Every look-alike folded to one representative of its group ("C0NFIDENTIAL" and
"Кoммерческая" fold like the plain words). The full patterns let each letter match its group,
so a text they match folds to contain a folded stem: the quick test never skips a marking.
(Only "b" sits in two groups, вb and ьb; the stem "жеб" holds б, which is in neither.)
A character outside Windows-1251 becomes "?", which no pattern letter matches either."""


_ANY_STEM = re.compile(b"|".join(re.escape(stem) for stem in _FOLDED_STEMS))


@last_text_memo
def folded_bytes(text: str) -> bytes:
    """``text`` in Windows-1251 with every look-alike folded to its group's first letter: the
    form in which a disguised word ("pa$$port", "пaрoль", "C0NFIDENTIAL") is one literal.
    Three detectors ask for it per message, so the last one is kept."""
    return single_bytes(text).translate(_FOLD)


def fold(word: str) -> bytes:
    """A word as :func:`folded_bytes` writes it: what to search for there."""
    return word.encode("cp1251").translate(_FOLD)


def could_hold_marking(text: str) -> bool:
    """False when ``text`` cannot hold a marking or label: one encode, one byte translate, one
    search for any of the folded stems."""
    return _ANY_STEM.search(folded_bytes(text)) is not None


MARKING = _compile(_patterns(MARKINGS))
LABEL = _compile(_patterns(LABELS))
DSP = re.compile(r"(?<!\w)(?:ДСП|Д\.С\.П\.?)(?!\w)")
_CHIPBOARD = re.compile(r"[ \t]*(?:\d|[-–][ \t]*\d|мм\b|плит|[-–]?ламин)", re.IGNORECASE)
"""After "ДСП": a thickness, a board, lamination — "Шкаф из ДСП 16 мм" is furniture."""
_CHIPBOARD_BEFORE = re.compile(r"(?i)(?:\bиз|\bплит\w*|\bЛ|\bшкаф\w*|\bстол\w*|\bмебел\w*)[ \t]*$")
"""Before it: "из ДСП", "плита ДСП", "ЛДСП" — the material, not the stamp."""
_CANONICAL = tuple(
    (phrase, re.compile("|".join(_patterns([phrase])), re.IGNORECASE))
    for phrase in MARKINGS + LABELS
)
_CYRILLIC = re.compile("[а-яёА-ЯЁ]")
_LATIN = re.compile("[a-zA-Z]")
_NOT_LETTER = re.compile(r"[^\W\d_]*[\d\W_]")
SCRIPT_SWITCH_WIDTH = 60
"""A transliterated label with Cyrillic this close is a stamp: the writer could type Cyrillic."""


def find_markings(text: str, *, emphasised: bool = False) -> list[Finding]:
    """Markings and stamped labels in ``text``. ``emphasised``: the text is letter-spaced
    writing joined back up, where every label is a stamp."""
    found: list[Finding] = []
    if "ДСП" in text or "Д.С.П" in text:
        found += [
            Finding("marking", m.start(), m.end(), 0.8, "ДСП")
            for m in DSP.finditer(text)
            if not _chipboard(text, m.start(), m.end())
        ]
    if not could_hold_marking(text):
        return found
    found += [
        Finding("marking", m.start(), m.end(), 0.9, detail=_canonical(m.group()))
        for m in MARKING.finditer(text)
    ]
    taken = bytearray(len(text))  # inside a marking already: an overlap test in O(length)
    for f in found:
        taken[f.start : f.end] = b"\x01" * (f.end - f.start)
    for m in LABEL.finditer(text):
        start, end = m.span()
        if taken[start]:
            continue
        canonical = _canonical(m.group())
        if emphasised or _stamped(text, start, end, m.group(), canonical):
            found.append(Finding("marking", start, end, 0.8, detail=canonical))
    return found


def _chipboard(text: str, start: int, end: int) -> bool:
    """ "ДСП" as the material (chipboard), which furniture and fit-out chats are full of."""
    return bool(
        _CHIPBOARD.match(text, end) or _CHIPBOARD_BEFORE.search(text, max(0, start - 16), start)
    )


def _identifier(text: str, start: int, end: int) -> bool:
    """The word is part of a name in code or config: "AWS_SECRET_ACCESS_KEY", "db_secret"."""
    return (start >= 2 and text[start - 1] == "_" and text[start - 2].isalnum()) or (
        end + 1 < len(text) and text[end] == "_" and text[end + 1].isalnum()
    )


def _stamped(text: str, start: int, end: int, word: str, canonical: str) -> bool:
    if _identifier(text, start, end):
        return False
    if word.isupper() or disguised(word):
        return True
    head = text[max(0, start - 24) : start]
    if (
        _STAMP_BEFORE.search(head)
        or _STAMP_AFTER.match(text, end)
        or _STAMP_WORD_BEFORE.search(head)
    ):
        return True
    if _is_cyrillic(canonical) and not _is_cyrillic(word):  # transliterated
        around = text[max(0, start - SCRIPT_SWITCH_WIDTH) : end + SCRIPT_SWITCH_WIDTH]
        return _CYRILLIC.search(around) is not None
    return False


def disguised(word: str) -> bool:
    """Digits or symbols for letters ("C0nfidential", "$ecret"), or Latin and Cyrillic letters
    in one word ("соnfidеntiаl"): what nobody types by accident."""
    if _NOT_LETTER.match(word):
        return True
    return _LATIN.search(word) is not None and _CYRILLIC.search(word) is not None


def _canonical(found: str) -> str:
    """The phrase as written in our list (audit logs show "confidential", not "C0NFIDENTIAL",
    and "коммерческая тайна", not "kommercheskaya tayna")."""
    for phrase, pattern in _CANONICAL:
        if pattern.fullmatch(found):
            return phrase
    return found.split()[0].lower() if found.split() else found


__all__ = [
    "LABELS",
    "MARKINGS",
    "STEMS",
    "TRANSLIT",
    "could_hold_marking",
    "disguised",
    "find_markings",
    "fold",
    "folded_bytes",
    "letter_pattern",
    "phrase_pattern",
    "spellings",
    "translit_pattern",
]
