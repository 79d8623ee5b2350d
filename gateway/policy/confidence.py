"""Confidence levels: a post-pass that says how sure each finding of a numeric kind is.

A check digit alone is weak evidence. INN-10 and OGRN have a one-in-eleven check digit, so a
Unix timestamp (``ts=1743231948``), a 12-digit tracking number, a build or call id passes as an
INN, SNILS or OGRN about as often as chance allows. Microsoft Purview's answer is the one used
here: every finding gets a level, and a policy chooses the level it acts on.

- ``high``: the check **and** a word naming the kind ("ИНН", "SNILS", "карта", "IBAN",
  "телефон" …) within :data:`WINDOW_BEFORE` characters before the number or
  :data:`WINDOW_AFTER` after it, with no other number in between (numbers that are findings
  themselves do not count, so "ИНН/ОГРН: 7707083893 / 1027700132195" vouches for both);
  a phone number written with its "+".
- ``medium``: a supporting word or structure — requisites vocabulary near an INN or OGRN (КПП,
  ООО, ИП, реквизиты …), pension words near a SNILS, SNILS printed 123-456-789 01, an INN
  followed by "/" and a KPP, a phone grouped as phones are or with its trunk prefix 8/7, a
  number typed with look-alike letters or digit by digit (nobody disguises a timestamp) — and,
  for the kinds whose validation is strong on its own (:data:`STRONG`), the finding itself:
  a card's issuer prefix + length + Luhn (in one piece or grouped as cards are printed; Purview
  rates a card without keywords medium too), an account's key against a BIK in the message, an
  IBAN's registered length + mod-97, a passport found only next to "серия"/"выдан".
- ``low``: the check alone — or a number a *down-grading* cue introduces: ``ts=``, timestamp,
  unix, трек/tracking, сборка/build, тикет/заявка/ticket, заказ/order, invoice, call, request or
  session id, ``key=`` or ``"key":`` in machine text, a URL, a hex string or UUID next to it,
  and for a phone number another kind's word ("СНИЛС 89716832378"). A cue beats supporting
  words and structure, and beats a kind word unless that word is nearer to the number
  ("ИНН клиента в тикете 7707083893" → the ticket wins; "в тикете ИНН 7707083893" → the INN).
  For the strong kinds only cue words of four letters or more count, and a number inside a
  hash or UUID: a card in a URL, a file name or a MIME parameter is what a leak looks like.

Why the windows are short (Purview uses about 300 characters): a chat message averages under
200 characters, so a 300-character window is the whole message and one "ИНН" anywhere would
vouch for every number in it — the tracking number at the end included. Requisites are written
with the word right before the value; 80 characters before (a chat line, 12–15 words: "ИНН
нашей организации для договора поставки —") and 40 after ("7707083893 — это наш ИНН") cover
how people write, and stopping at any other number keeps a word from speaking for the wrong
one. A cue must be closer still (:data:`CUE_WINDOW`): it labels the number it stands before.

The post-pass runs once per message over the detectors' findings in the normalised text, so
the detectors stay as they are, and *before* their overlap resolution, which keeps the surer of
two overlapping readings: "Реквизиты: ООО «Вектор», 3843217789/604301001" is an INN with its KPP
(medium), not the phone number its first ten digits spell (low), and a SNILS after a disguised
"Стpaхoвoй нoмep" (high) beats the phone reading of its digits. Only the numeric kinds look
around them; e-mail (0.95: high), secrets (provider tokens 0.95: high, ``password = …``
assignments 0.7: medium), markings (phrases 0.9: high, stamp words and ДСП 0.8: medium) and
custom detectors keep the level their confidence already gives. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gateway.policy.findings import LEVEL_CONFIDENCE, Finding

WINDOW_BEFORE = 80
"""Characters before a number searched for kind words and supporting words."""
WINDOW_AFTER = 40
"""Characters after a number searched for kind words ("7707083893 — наш ИНН")."""
CUE_WINDOW = 40
"""A down-grading cue must stand this close before the number …"""
CUE_MAX_WORDS = 2
"""… with at most this many words between it and the number ("трек-номер отправления: …"),
not counting "номер", "number", "no" and the like."""
NEAR = 24
"""Characters on either side searched for a hex string or UUID next to the number."""

_CONFUSABLE_GROUPS = (
    "аa", "вb", "еeё", "кk", "мm", "нh", "оo0", "рp", "сc", "тt", "уy", "хx", "іi",
)  # fmt: skip
_CONFUSABLES = {char: group for group in _CONFUSABLE_GROUPS for char in group}


_END = "$"
"""Trie key for "a keyword ends here" (no atom is a bare "$": a literal one is escaped)."""
_Trie = dict[str, "_Trie | str"]


def _atoms(word: str) -> tuple[list[str], bool]:
    """One keyword as a list of pattern atoms, and whether it is a stem (``*`` at the end: any
    letters may follow; otherwise the word must end there). Each letter also matches its
    look-alike from the other script ("ИHН" with a Latin H), a space any run of spaces, "_" or
    "-", and an abbreviation of three or more capitals may have a dot or space between its
    letters ("И.Н.Н.")."""
    stem = word.endswith("*")
    word = word.rstrip("*")
    spaced = word.isupper() and len(word) >= 3 and word.isalpha()
    atoms = []
    for index, char in enumerate(word.lower()):
        if spaced and index:
            atoms.append(r"[.\s]{0,2}")
        if char == " ":
            atoms.append(r"[\s_-]+")
        else:
            group = _CONFUSABLES.get(char)
            atoms.append(f"[{group}]" if group else re.escape(char))
    return atoms, stem


def keywords(words: Iterable[str]) -> re.Pattern[str]:
    """Keywords, in lower case (they are matched against a lower-cased text), that start where
    no letter precedes them, compiled as a trie: "(?:и(?:нн|…)|к(?:арт|…)|…)".

    Why not one alternative per word under ``re.IGNORECASE``: the regex engine tries the
    alternatives of a branch one by one at every word start, and with a few hundred words that
    was most of the post-pass's time; in a trie it tries a few dozen first letters, and in
    lower case each costs one comparison."""
    root: _Trie = {}
    for word in words:
        atoms, stem = _atoms(word)
        node = root
        for atom in atoms:
            child = node.setdefault(atom, {})
            assert isinstance(child, dict)
            node = child
        node[_END] = "stem" if stem or node.get(_END) == "stem" else "word"
    return re.compile(rf"(?<![^\W\d_]){_emit(root)}")


def _emit(node: _Trie) -> str:
    """A trie node as a pattern: longer continuations first, then the end of a keyword."""
    branches = [atom + _emit(child) for atom, child in node.items() if isinstance(child, dict)]
    end = node.get(_END)
    if end is not None:
        branches.append("" if end == "stem" else r"(?![^\W\d_])")
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


KIND_WORDS = {
    "inn": (
        "ИНН", "INN", "TIN", "налогоплательщик*", "налоговый номер*", "налоговый идентификат*",
        "taxpayer*", "taxpayer id*", "taxpayer number", "tax id*", "tax number",
        "tax identification*", "tax no",
    ),
    "ogrn": (
        "ОГРН", "ОГРНИП", "OGRN", "OGRNIP", "PSRN", "основной государственный*",
        "государственный регистрационный*", "state registration number",
    ),
    "snils": (
        "СНИЛС", "SNILS", "страхов*", "пенсионн* свидетельств*", "insurance number",
        "pension insurance*", "individual insurance*",
    ),
    "passport_ru": (
        "паспорт*", "passport*", "passport id", "passport no", "удостоверени* личност*",
        "пасп", "сер", "pasport*", "pa$port*", "pa$$port*", "pa55port*",
    ),
    "card": (
        "карт*", "card*", "visa", "mastercard", "master card", "мастеркард*", "виза", "мир", "mir",
        "maestro", "маэстро", "unionpay", "amex", "jcb", "cvv", "cvc", "cvv2", "pan", "оплат*",
        "payment*", "pay", "кредитк*", "дебетов*", "expiry", "exp", "срок действия",
        "cardholder*", "держател*",
    ),
    "bank_account_ru": (
        "р/с", "р/сч", "рс", "расч*", "счёт", "счета", "счету", "сч", "к/с", "корр*",
        "лицев* сч*", "account*", "acc", "a/c", "acct",
    ),
    "iban": (
        "IBAN", "SWIFT", "BIC", "account*", "bank*", "банк*", "счёт", "счета", "реквизит*",
        "beneficiary", "получател*",
    ),
    "phone": (
        "тел*", "phone*", "tel", "mobile", "моб*", "сотов*", "звон*", "позвон*", "набери*",
        "call*", "whatsapp", "ватсап*", "вотсап*", "viber", "вайбер*", "telegram", "телеграм*",
        "contact*", "контакт*", "факс", "fax", "sms", "смс", "мой номер", "my number",
        "для связи", "на связи", "связь", "связаться",
    ),
}  # fmt: skip
"""Words that name the kind: one of them near a valid number makes it ``high``."""

_REQUISITES = (
    "реквизит*", "КПП", "KPP", "ООО", "ОАО", "ЗАО", "ПАО", "АО", "ИП", "НКО", "LLC", "Ltd",
    "JSC", "контрагент*", "counterpart*", "юрлиц*", "юр лиц*", "юридическ*", "налог*", "tax*",
    "ФНС", "ИФНС", "ЕГРЮЛ", "ЕГРИП", "EGRUL", "организаци*", "предпринимател*", "ОКПО", "ОКВЭД",
    "поставщик*", "supplier*", "vendor*", "company registration*",
)  # fmt: skip
SUPPORT_WORDS = {
    "inn": (*_REQUISITES, "ОГРН", "ОГРНИП", "OGRN", "СНИЛС", "SNILS", "паспорт*", "passport*"),
    "ogrn": (*_REQUISITES, "ИНН", "INN", "регистрац*", "registration*"),
    "snils": (
        "пенсион*", "pension*", "ПФР", "СФР", "Госуслуг*", "ИНН", "INN", "паспорт*", "passport*",
        "сотрудник*", "employee*", "кадр*", "HR",
    ),
}  # fmt: skip
"""Words that support a kind without naming it: with one nearby a valid number is ``medium``."""

CUE_WORDS = (
    "ts", "timestamp*", "time", "unix*", "epoch*", "created", "updated", "tracking*", "track*",
    "trk", "shipment*", "parcel*", "awb", "waybill*", "consignment*", "build*", "ticket*",
    "issue*", "incident*", "case", "task*", "jira", "order*", "invoice*", "inv", "call id*",
    "id звонка*", "ид звонка*",
    "callid*", "call_id*", "request*", "req", "trace*", "span", "session*", "correlation*",
    "txn*", "transaction*", "tx", "payment id*", "payment number", "payment ref*", "ref",
    "reference*", "id", "uid", "uuid", "guid", "pid", "job*", "pipeline*", "run", "commit*",
    "version*", "sku", "ean", "upc", "barcode*", "serial*", "s/n", "imei", "port", "seq*",
    "sequence*", "nonce", "hash*", "checksum*", "otp", "code", "promo*", "voucher*", "coupon*",
    "booking*", "reservation*", "pnr", "confirmation*", "contract*",
    "трек*", "отслеживани*", "отправлени*", "посылк*", "накладн*", "сборк*", "билд*", "тикет*",
    "заявк*", "обращени*", "инцидент*", "задач*", "заказ*", "счёт-фактур*", "счет-фактур*",
    "инвойс*", "запрос*", "сесси*", "транзакци*", "операци*", "поручени*", "платеж*", "платёж*",
    "артикул*", "штрихкод*", "штрих-код*", "серийн*", "верси*", "коммит*", "идентификатор*",
    "ид", "код", "промокод*", "бронировани*", "брони", "купон*", "ваучер*", "квитанци*", "чек*",
    "договор*", "контракт*", "акт", "акта", "лот*", "lot",
)  # fmt: skip
"""Words that introduce a number as something other than personal data."""
_CUE_AFTER_WORDS = ("ms", "мс", "msec", "sec", "сек*", "unix*", "utc", "gmt", "epoch*")
"""Units after a number that make it a time ("1743231948 unix", "1743231948123 ms")."""
_FILLER = frozenset(
    {"номер", "номера", "number", "no", "nr", "num", "is", "это", "was", "the", "of", "for",
     "your", "our", "ваш", "ваша", "вашего", "вашей", "наш", "наша", "нашего", "вот", "here"}
)  # fmt: skip
"""Words between a cue and its number that do not weaken the cue."""

STRONG = frozenset({"card", "passport_ru", "bank_account_ru", "iban"})
"""Kinds whose validation alone makes a finding ``medium``. Only an explicit cue word of four
letters or more takes one down to ``low`` ("transaction 4000 …", "трек 2200 …"): a two-letter
"id" or "ts", a URL, a hex string or ``name=`` next to a card number is no reason to let it out
(a card in a file name, a MIME parameter or a link is exactly what a leak looks like)."""

KIND_PATTERNS = {kind: keywords(words) for kind, words in KIND_WORDS.items()}
STRONG_CUE_WORDS = tuple(w for w in CUE_WORDS if len(re.sub(r"\W", "", w)) >= 4)
STRONG_CUES = keywords(STRONG_CUE_WORDS)
_Tags = tuple[tuple[str, re.Pattern[str]], ...]
_NOT_PHONE = ("inn", "ogrn", "snils", "passport_ru", "card", "bank_account_ru")
"""Kinds whose words introduce a number as something other than a phone number."""


def _lexicon(classes: dict[str, Iterable[str]]) -> tuple[re.Pattern[str], _Tags]:
    """One pattern for several word lists, and per list a pattern to tell which list a match
    came from: one pass over a window finds every word (matches are few, so telling them
    apart costs little). Longest words first; a word in two lists keeps the first list."""
    seen: dict[str, str] = {}
    for tag, words in classes.items():
        for word in words:
            seen.setdefault(word, tag)
    tags = tuple(
        (tag, keywords(w for w in seen if seen[w] == tag))
        for tag in classes
        if any(seen[w] == tag for w in seen)
    )
    return keywords(seen), tags


def _lexicons(kind: str, side: str) -> tuple[re.Pattern[str], _Tags]:
    other = [w for k in _NOT_PHONE for w in KIND_WORDS[k]] if kind == "phone" else []
    if side == "before":
        cues = STRONG_CUE_WORDS if kind in STRONG else CUE_WORDS
    else:
        cues = () if kind in STRONG else _CUE_AFTER_WORDS
    classes = {"kind": KIND_WORDS[kind], "other": other, "support": SUPPORT_WORDS.get(kind, ())}
    return _lexicon({**classes, "cue": cues})


BEFORE = {kind: _lexicons(kind, "before") for kind in KIND_WORDS}
"""Per kind: its words, other kinds' words (phones only), supporting words and cues."""
AFTER = {kind: _lexicons(kind, "after") for kind in KIND_WORDS}
"""The same after the number, with time units ("ms", "unix") as the cues."""
NUMERIC = frozenset(KIND_WORDS)
"""The kinds the post-pass looks around; every other kind keeps its detector's level."""


_DIGITS = re.compile(r"\d+")
_GLUED = re.compile(r"-?[^\W\d_]")
"""Digits glued to a word are part of a name, not a number: "справка 2-НДФЛ", "1С", "3D"."""
_WORDS = re.compile(r"[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_KEY = re.compile(r"""(?:(?<![\w.-])([^\W\d][\w.-]{0,40})\s?=|"([^"\s]{1,40})"\s?:)\s?["']?$""")
"""``key=`` or ``"key":`` right before the number: machine text (logs, JSON, query strings)."""
_HEX = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9A-Za-z]*[A-Fa-f])(?=[0-9A-Za-z]*\d)[0-9A-Fa-f]{6,}(?![0-9A-Za-z])"
    r"|0x[0-9A-Fa-f]+"
)
"""A hex string with letters and digits (hashes, commit ids, UUID parts) or ``0x…``."""
_KPP_AFTER = re.compile(r"\s?/\s?\d{9}(?!\d)")
"""INN/KPP written together: "7707083893/770701001"."""
_SNILS_SHAPE = re.compile(r"\d{3}[ -]\d{3}[ -]\d{3}[ -]\d{2}")
_GROUP = re.compile(r"[^\W_]+")
"""Digit groups of a number (look-alike letters are still letters in the normalised text)."""
_CARD_SHAPES = frozenset({(4, 6, 5), (4, 6, 4)})
"""Amex and Diners; every other card is printed in fours."""
_HEX_CHARS = frozenset("0123456789abcdefABCDEF-")
_HEX_LETTER = re.compile(r"[a-fA-F]")


def assign_levels(text: str, found: list[Finding]) -> list[Finding]:
    """Give every finding of a numeric kind its level (see the module doc); ``found`` is
    changed in place and returned. Offsets are into ``text``, the normalised message."""
    lowered = None
    for index, f in enumerate(found):
        if f.kind not in NUMERIC or _encoded(text, f):
            continue
        if lowered is None:  # keywords are matched in lower case; offsets must not move
            lowered = text.lower()
            lowered = lowered if len(lowered) == len(text) else text
        level = _level(lowered, f, found)
        if f.level != level:
            found[index] = Finding(
                f.kind, f.start, f.end, LEVEL_CONFIDENCE[level], f.detail, f.where
            )
    return found


def _encoded(text: str, f: Finding) -> bool:
    """Less than a third of the finding is digits: the number is not written here but was
    decoded from base64 (:mod:`.detectors.hidden` reports it over the encoded run), and keeps
    the level the decoded text gave it. Numbers typed with look-alike letters or odd
    separators are still mostly digits ("77О7О83893", "4276 -- 3801 -- 2345 -- 6787")."""
    span = text[f.start : f.end]
    return 3 * sum(map(span.count, "0123456789")) < len(span)


def _level(text: str, f: Finding, found: list[Finding]) -> str:
    kind, start, end = f.kind, f.start, f.end
    strong = kind in STRONG
    lo = _clip_before(text, max(0, start - WINDOW_BEFORE), start, found)
    hi = _clip_after(text, end, min(len(text), end + WINDOW_AFTER), found)
    near = _around(kind, text, lo, start, end, hi)
    named, cue = near.get("kind"), near.get("cue")
    if kind == "phone" and text.startswith("+", start):
        named = 0
    tail = text[max(0, start - 3) : start]
    key = _KEY.search(text, max(0, start - 48), start) if "=" in tail or ":" in tail else None
    if key is not None:
        name = key.group(1) or key.group(2)
        if KIND_PATTERNS[kind].search(name):
            named = 0  # "inn=7707083893", "?pan=…": the key names the kind
        elif not strong or STRONG_CUES.search(name):
            cue = 0  # "ts=1743231948", "?id=…", '"build": …'
    if _in_hex_token(text, start, end):
        cue = 0  # digits of a hash or UUID: "…4198699732499166272b71f"
    elif not strong:  # "СНИЛС 89716832378": introduced as another kind, not as a phone
        for distance in (_url(text, start), _hex(text, start, end), near.get("other")):
            if distance is not None and (cue is None or distance < cue):
                cue = distance
    if named is not None and (cue is None or named <= cue):
        return "high"
    if cue is not None:
        return "low"
    return "medium" if "support" in near or _structure(kind, text, start, end) else "low"


def _clip_before(text: str, lo: int, start: int, found: list[Finding]) -> int:
    """Where the search before a number starts: after the nearest other digits that are not
    part of another finding (a word before them speaks for them, not for this number)."""
    for m in reversed(list(_DIGITS.finditer(text, lo, start))):
        if not _inside(m.start(), m.end(), found) and not _GLUED.match(text, m.end()):
            return m.end()
    return lo


def _clip_after(text: str, end: int, hi: int, found: list[Finding]) -> int:
    for m in _DIGITS.finditer(text, end, hi):
        if not _inside(m.start(), m.end(), found):
            return m.start()
    return hi


def _inside(start: int, end: int, found: list[Finding]) -> bool:
    return any(f.start <= start and end <= f.end for f in found)


def _around(kind: str, text: str, lo: int, start: int, end: int, hi: int) -> dict[str, int]:
    """Distance from the number to the nearest word of each list (``kind``, ``other``,
    ``support``, ``cue``) found in ``text[lo:start]`` and ``text[end:hi]``. A cue before the
    number counts within :data:`CUE_WINDOW` with few words between; after it, only a time unit
    right behind the number."""
    near: dict[str, int] = {}
    pattern, tags = BEFORE[kind]
    for m in pattern.finditer(text, lo, start):
        tag, distance = _tag(tags, m.group()), start - m.end()
        if tag is None:
            continue
        if tag == "cue" and (
            distance > CUE_WINDOW
            or sum(w.lower() not in _FILLER for w in _WORDS.findall(text, m.end(), start))
            > CUE_MAX_WORDS
        ):
            continue
        near[tag] = distance  # the last match is the nearest
    pattern, tags = AFTER[kind]
    for m in pattern.finditer(text, end, hi):
        tag, distance = _tag(tags, m.group()), m.start() - end
        if tag is None:
            continue
        if tag == "cue" and (distance > 12 or _WORDS.search(text, end, m.start())):
            continue
        if tag not in near or distance < near[tag]:
            near[tag] = distance
    return near


def _tag(tags: _Tags, word: str) -> str | None:
    return next((tag for tag, pattern in tags if pattern.fullmatch(word)), None)


def _url(text: str, start: int) -> int | None:
    """Distance to the start of the URL or path the number stands in, or ``None``. Measured
    to the start, so a kind word inside the URL ("/card/4111…") is nearer than the URL."""
    head_start = start
    limit = max(0, start - 256)
    while head_start > limit and not text[head_start - 1].isspace():
        head_start -= 1
    if head_start == start:
        return None
    head = text[head_start:start]
    if "://" in head or head.lower().startswith("www.") or head.count("/") >= 2 or "?" in head:
        return start - head_start
    return None


def _hex(text: str, start: int, end: int) -> int | None:
    """Distance to a hex string or UUID part within :data:`NEAR` characters, or ``None``."""
    best = None
    for m in _HEX.finditer(text, max(0, start - NEAR), start):
        best = start - m.end()
    after = _HEX.search(text, end, end + NEAR)
    if after is not None and (best is None or after.start() - end < best):
        best = after.start() - end
    return best


def _structure(kind: str, text: str, start: int, end: int) -> bool:
    """A structure or a disguise that makes a number without its kind word ``medium``."""
    span = text[start:end]
    groups = _GROUP.findall(span)
    if kind not in ("iban", "passport_ru") and (
        _LETTER.search(span) or sum(len(g) <= 2 for g in groups) >= 5
    ):
        return True  # look-alike letters inside, or typed digit by digit: a disguise
    if kind == "card":  # printed as cards are, or in one piece; not "6776781791/825401001"
        shape = tuple(len(g) for g in groups)
        return (
            len(shape) == 1
            or shape in _CARD_SHAPES
            or (all(n == 4 for n in shape[:-1]) and 1 <= shape[-1] <= 4)
        )
    if kind in STRONG:
        return True
    if kind == "phone":  # grouped as phones are, or with the trunk prefix: "8 916 123-45-67"
        return len(groups) > 1 or (len(span) == 11 and span[0] in "78")
    if kind == "snils":
        return _SNILS_SHAPE.fullmatch(span) is not None
    return kind == "inn" and _KPP_AFTER.match(text, end) is not None


def _in_hex_token(text: str, start: int, end: int) -> bool:
    """The number is part of a longer token of hex digits and dashes with a letter a–f in it:
    a hash, a commit id, a UUID."""
    left = start
    while left > max(0, start - 64) and text[left - 1] in _HEX_CHARS:
        left -= 1
    right = end
    while right < min(len(text), end + 64) and text[right] in _HEX_CHARS:
        right += 1
    if (left, right) == (start, end) or not _HEX_LETTER.search(text, left, right):
        return False
    before = text[left - 1] if left else " "
    after = text[right] if right < len(text) else " "
    return not (before.isalnum() or after.isalnum())  # "Visa4111…" is not a hex token


__all__ = [
    "CUE_WORDS",
    "KIND_WORDS",
    "NUMERIC",
    "STRONG",
    "SUPPORT_WORDS",
    "WINDOW_AFTER",
    "WINDOW_BEFORE",
    "assign_levels",
    "keywords",
]
