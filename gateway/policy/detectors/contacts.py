"""Contact data: ``phone`` and ``email``.

Phones are judged by Google's libphonenumber metadata (the ``phonenumbers`` package), Russian
numbering by default so "8 (916) 123-45-67" and "+7 916 1234567" both count. Parsing costs tens
of microseconds, so only digit runs shaped like a phone number are parsed: eleven digits
starting 7 or 8, ten starting 3, 4, 8 or 9, or anything after a "+".

E-mail addresses are also found spelled out (issue 15): "ivan [собака] mail точка ru",
"ivan(at)host.com", "name at host dot com", "ivan @ mail . ru". How sure the spelling makes it
decides how much else is asked for, because "at" and "собака" are ordinary words:

- a bracketed "(at)"/"[собака]", the word "собака", or "@" with spaces: the address is as good
  as written — with real dots any top-level domain, with spelled or spaced dots ("точка",
  "[dot]", " . ") one from :data:`TLDS` that is not also a short English word ("ping @ john .
  no");
- a bare "at" ("name at host dot com"): spelled dots and a domain from :data:`TLDS`; with real
  dots ("ivan_85 at mail.ru") the name must look like a mailbox (a digit, ".", "_") or the
  domain be a public mail service, with spaced dots ("olga.p99 at mail . ru") the name must
  look like a mailbox; and the word before "at" is never a verb or pronoun — "I work at
  yandex.ru", "visit us at example.com" and "arrive at 9. Com" are sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

import phonenumbers

from gateway.policy.detectors.digits import Run, glued, labelled
from gateway.policy.findings import Finding

DEFAULT_REGION = "RU"
EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})*\.[^\W\d_]{2,24}(?![\w-])"
)


TLDS = frozenset((
    "com", "net", "org", "ru", "рф", "su", "info", "biz", "io", "co", "uk", "de", "fr", "by",
    "kz", "ua", "uz", "eu", "us", "ca", "cn", "jp", "edu", "gov", "pro", "online", "site", "tech",
    "dev", "app", "ai", "me", "tv", "cc", "ch", "se", "fi", "dk", "nl", "pl", "cz", "it", "es",
    "lv", "lt", "ee", "am", "ge", "az", "kg", "md", "tj", "il", "in", "tr", "ae", "at", "be",
    "no", "int", "name", "xyz", "club", "store", "shop", "cloud", "moscow", "москва", "ру",
))  # fmt: skip
"""Top-level domains an address spelled out with words or spaced dots must end in."""
WORDY_TLDS = frozenset({"me", "in", "it", "at", "be", "no", "co", "am", "us", "so", "to", "is"})
"""Domains that are also English words: not enough after a spaced dot ("ping @ john . no")."""
WEBMAIL = frozenset((
    "mail.ru", "gmail.com", "yandex.ru", "ya.ru", "yandex.com", "bk.ru", "list.ru", "inbox.ru",
    "internet.ru", "rambler.ru", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
    "icloud.com", "me.com", "proton.me", "protonmail.com", "mail.com", "aol.com", "gmx.de",
    "gmx.net", "web.de", "ukr.net", "tut.by",
))  # fmt: skip
_NOT_A_MAILBOX = frozenset((
    "i", "me", "us", "we", "you", "him", "her", "them", "it", "they", "this", "that", "work",
    "works", "worked", "home", "office", "arrive", "arrived", "stay", "stayed", "live", "lives",
    "lived", "meet", "met", "look", "looked", "visit", "find", "found", "reach", "located",
    "based", "available", "online", "here", "there", "be", "is", "are", "was", "were", "am",
))  # fmt: skip
"""Words that stand before "at" in sentences: "I work at …", "visit us at …", "arrive at …"."""
_AT = re.compile(
    r"(?i)[\[({<][ \t]*(?:at|@|собака|sobaka)[ \t]*[\])}>]"
    r"|(?<![^\W_])(?:собака|собачка|sobaka|at)(?![^\W_])|@"
)
"""A spelled-out "@"; the spaces around it are looked at in code, so that every alternative
starts with a character of its own and the engine skips to candidates."""
_LOCAL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}$")
_DOT = (
    r"(?:[ \t]*[\[({<][ \t]*(?:dot|точка|\.)[ \t]*[\])}>][ \t]*"
    r"|[ \t]+(?:dot|точка|тчк)[ \t]+|[ \t]*\.[ \t]*)"
)
_DOTS = re.compile(rf"(?i){_DOT}")
_LABEL = re.compile(r"[\w-]{1,63}")
_TLD = re.compile(r"[^\W\d_]{2,24}(?![\w-])")
MAX_LABELS = 6
_PLAIN_DOTS = re.compile(r"[\w-]+(?:\.[\w-]+)+")


def find_emails(text: str) -> list[Finding]:
    if "@" not in text:
        return []  # spelled-out "@": find_spelled_emails, called by detectors.hidden
    found = [Finding("email", m.start(), m.end(), 0.95) for m in EMAIL.finditer(text)]
    return found + _spelled_out(text, found, _AT.finditer(text))


def find_spelled_emails(text: str, near: Iterable[int] | None = None) -> list[Finding]:
    """Addresses whose "@" is a word ("at", "собака"). :mod:`gateway.policy.detectors.hidden`
    calls this with ``near``, where its byte-level test found such a word (ordinary chat
    rarely has one), and only those places are looked at."""
    if near is None:
        return _spelled_out(text, [], _AT.finditer(text))
    tokens = (_AT.search(text, max(0, at - 3), at + 12) for at in near)
    return _spelled_out(text, [], (token for token in tokens if token is not None))


def _spelled_out(text: str, found: list[Finding], tokens: Iterable[re.Match[str]]) -> list[Finding]:
    """Addresses with "@" or "." spelled out or spaced (see the module docstring)."""
    spelled: list[Finding] = []
    taken = bytearray(len(text))  # characters in an address found already
    for f in found:
        taken[f.start : f.end] = b"\x01" * (f.end - f.start)
    for at in tokens:
        start, end = at.span()
        word = at.group()
        before, after = start, end
        while before and text[before - 1] in " \t":
            before -= 1
        while after < len(text) and text[after] in " \t":
            after += 1
        spaced = before < start and after > end
        if word == "@" and not (before < start or after > end):
            continue  # an ordinary address: EMAIL has judged it
        if word[0] not in "[({<@" and not spaced:
            continue  # "at", "собака" as words: spaces on both sides
        local = _LOCAL.search(text, max(0, before - 64), before)
        if local is None:
            continue
        strong = word.lower() != "at"  # "(at)", "[собака]", "собака", " @ "
        for last in _domain_ends(text, after):  # longest first: "co [dot] uk", not "co"
            domain = text[after:last]
            tld = domain[len(domain) - len(_LAST_LABEL.search(domain).group()) :].lower()
            if _plausible(strong, local.group(), domain, tld):
                first = local.start()
                if 1 not in taken[first:last]:
                    spelled.append(Finding("email", first, last, 0.9, "spelled out"))
                    taken[first:last] = b"\x01" * (last - first)
                break
    return spelled


_LAST_LABEL = re.compile(r"[\w-]+$")


def _domain_ends(text: str, start: int) -> list[int]:
    """Where a domain starting at ``start`` may end — after a top-level-domain-shaped label that
    follows a dot, spelled or not — longest first. Every reading is offered because a sentence
    may follow the address: "corp.example.com. Спасибо" ends at "com", not at "Спасибо"."""
    label = _LABEL.match(text, start)
    ends: list[int] = []
    for _ in range(MAX_LABELS):
        if label is None:
            break
        dot = _DOTS.match(text, label.end())
        if dot is None:
            break
        label = _LABEL.match(text, dot.end())
        if label is not None and _TLD.match(text, label.start()):
            ends.append(label.end())
    return ends[::-1]


def _plausible(strong: bool, name: str, domain: str, tld: str) -> bool:
    plain_dots = _PLAIN_DOTS.fullmatch(domain) is not None
    spaced_dot = _SPACED_DOT.search(domain) is not None
    if strong:
        if plain_dots:
            return True
        return tld in TLDS and not (spaced_dot and tld in WORDY_TLDS)
    if tld not in TLDS or name.lower() in _NOT_A_MAILBOX:
        return False
    mailbox = any(c.isdigit() or c in "._+-" for c in name)  # "ivan_85", "olga.petrova"
    if spaced_dot:  # "olga.p99 at mail . ru", not "arrive at 9. Com"
        return mailbox and tld not in WORDY_TLDS
    if plain_dots:
        return mailbox or domain.lower() in WEBMAIL
    return True  # "name at host dot com"


_SPACED_DOT = re.compile(r"[ \t]\.|\.[ \t]")


def find_phones(text: str, runs: Sequence[Run], region: str = DEFAULT_REGION) -> list[Finding]:
    found = []
    for run in runs:
        if run.size < 10 and not run.plus:
            continue  # a national number has ten digits or eleven: dates, prices, order numbers
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


__all__ = ["DEFAULT_REGION", "TLDS", "WEBMAIL", "find_emails", "find_phones", "find_spelled_emails"]
