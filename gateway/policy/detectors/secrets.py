"""Credentials: the ``secret`` kind.

Provider tokens are recognised by their documented prefixes and shapes (AWS access key ids,
PEM private keys, JWTs, Slack, GitHub, Google API keys, Stripe live keys) and by one shape the
usual scanners miss: a **bare Telegram bot token** in a sentence ("use 123456789:AA… for the
bot"), which detect-secrets and gitleaks only find after a keyword such as ``token=``. Generic
``password = …`` / ``api_key: …`` assignments count when the value looks random (Shannon
entropy), so "password: changeme" in a how-to does not.

Passwords are also given in words (issue 15): "пароль от почты: Qwerty123!", "Логин ivan,
пароль Zz12345678", "the password is Hunter22!", "API key: sk-live-…". A password or key word,
then up to three words ("от почты", "for the db"), then a separator (":", "=", a dash, "is",
"это") and a value; after "пароль"/"password" the value may also follow directly. A password
is typed by a person, so the test is its make-up, not its entropy: letters with digits, or
letters with symbols and eight characters or more ("Qwerty123!" has 3.3 bits a character and
is still a password); a key or token must look generated (entropy), as in assignments. What
sentences about passwords put after the word — "reset your password at https://…",
"пароль: будет отправлен в SMS", "password: ********", "password: <your password>", a date, a
version, an address — is none of that.

Each pattern has a cheap hint, and all the hints are one search of the message's lower-cased
bytes (:data:`_ANY_HINT`): a message without any costs that search and nothing else.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from gateway.policy.findings import Finding
from gateway.policy.normalize import lowered_bytes, single_bytes

_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "aws_access_key",
        ("AKIA", "ASIA", "AGPA", "AIDA", "AROA"),
        # also split in fours, as read out or copied from a table: "AKIA AYD4 3JLA LHA6 M3CE"
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)(?:[0-9A-Z]{16}|(?:[ -][0-9A-Z]{4}){4})\b"),
    ),
    (
        "private_key",
        ("-----BEGIN",),
        # the whole block, so a redaction removes the key and not just its header line
        re.compile(
            r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----"
            r"(?:[\s\S]{0,16384}?-----END \1PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,-]*)"
        ),
    ),
    ("jwt", ("eyJ",), re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")),
    ("slack_token", ("xox",), re.compile(r"\bxox[abposre]-[0-9A-Za-z-]{10,}")),
    (
        "slack_webhook",
        ("hooks.slack.com",),
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}"),
    ),
    (
        "github_token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"),
    ),
    ("github_token", ("github_pat_",), re.compile(r"\bgithub_pat_\w{60,255}\b")),
    ("google_api_key", ("AIza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![\w-])")),
    # a line break typed into the key does not make it less of one
    ("stripe_key", ("_live_",), re.compile(r"\b[rs]k_live_(?:[0-9A-Za-z]|\n(?=\w)){20,}\b")),
    (
        "connection_string",
        ("://",),
        # "postgresql://app_user:00V#JGuGL31@pg-main:5432/app", "redis://:P@ss@cache:6379":
        # the user, password and host (the pattern starts at its literal, the fast search)
        re.compile(r"(?<=[a-z0-9])://([^\s:/@]{0,64}:[^\s/]{3,128}@[\w.-]+)"),
    ),
    (
        "basic_auth",
        ("Basic",),
        re.compile(r"(?i)(?<=authorization: )basic [A-Za-z0-9+/]{8,}={0,2}"),
    ),
    # OpenAI ("sk-proj-…", "sk-…") and Anthropic ("sk-ant-…"): pasted bare into chat
    (
        "openai_key",
        ("sk-",),
        re.compile(r"\bsk-(?=[\w-]*\d)(?:proj-|ant-|svcacct-)?[\w-]{32,}(?![\w-])"),
    ),
    ("gitlab_token", ("glpat-",), re.compile(r"\bglpat-[0-9A-Za-z_-]{20,}(?![\w-])")),
    ("huggingface_token", ("hf_",), re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
)
_VALUE_GROUP = {"connection_string": 1}
"""Patterns whose finding is one group, not the whole match."""
_BY_IN = ("://", "sk-", "Basic")
"""Hints tested with ``in`` rather than in :data:`_HINT`: a new first letter in that search
(":", "s", "B") slows it for every message, three ``in`` tests cost less."""
_HINT = re.compile(
    "|".join(
        re.escape(hint) for _, hints, _ in _PATTERNS for hint in hints if hint not in _BY_IN
    ).encode("ascii")
)
"""Any provider prefix at all: one regex search instead of a dozen substring tests."""
BOT_TOKEN = re.compile(r"\d{8,10}:[A-Za-z0-9_-]{35}(?![\w-])")
"""Bot id (8–10 digits), colon, 35 characters of base64url: BotFather's format. Looked for only
at the colons of a text, whose digits before are checked in code (chat is full of "14:30")."""
_BOT_HINT = re.compile(rb":[A-Za-z0-9_-]{35}")
"""A colon and 35 token characters somewhere: searched from each ":" in C, which costs a tenth of
visiting the colons of every message in Python."""
ASSIGNMENT = re.compile(
    r"(?i)(?<![^\W_])(?:password|passwd|pwd|пароль|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|secret[_-]?key|private[_-]?key|client[_-]?secret|auth)\b[\"']?\s*(?:[:=]|=>)\s*"
    r"[\"'«“]?([^\s\"'«»“”,;]{8,200})"
)
_PAROL = "|".join(["parol", "p4r0l", "p4rol", "par0l", "пaрoл", "пaрол", "парoл"]).encode("cp1251")
""""parol", "p4r0l'", "пaрoль" with Latin a and o: the password word disguised. Literals that
start with a letter the other hints start with, so adding them costs the hint searches
nothing."""
_ASSIGNMENT_HINT = re.compile(
    "pass|pwd|парол|пасс|secret|секрет|token|токен|key|ключ|auth|bearer|".encode("cp1251") + _PAROL
)
"""Looked for in :func:`lowered_bytes`: every keyword of :data:`ASSIGNMENT` and :data:`KEYWORD`."""
KEYWORD = re.compile(
    r"(?i)(?<![^\W_])(?:(парол[ьяюеи]\w{0,2}|passw(?:or)?d|pass|pwd|pw|пасс|пассворд"
    r"|[пn][аa@][рp][оo0]л[ьяюеи]\w{0,2}|p[a4@]r[o0]l(?:['’ь]|(?![^\W_])))"
    r"|api[ _-]?(?:key|ключ\w{0,2})|ключ\w{0,2}[ \t]+(?:api|доступа)|(?:access|secret)[ _-]?key"
    r"|secret|секрет|token|токен\w{0,2}|bearer|client[ _-]?secret|app[ _-]?password)(?![^\W_])"
)
"""A word that introduces a password (group 1) or a key or token."""
_SAID = re.compile(r"[\"'»]?[ \t]*(?::(?!//)|=>|=|—|–|-|\bis\b|\bэто\b)[ \t]*(?:\r?\n[ \t]*)?")
"""What stands between the word and the value: ":", "=", a dash, "is", "это"."""
_FILLER = re.compile(r"[ \t]+[^\W_][\w-]{0,19}")
"""A word between the keyword and the separator: "пароль от почты:", "password for the db -"."""
_VALUE = re.compile(r"[\"'«“`]?([^\s\"'«»“”`,;]{1,200})")
_DIRECT = re.compile(r"[ \t]+|[ \t]*\r?\n[ \t]*")
"""Right after a password word: a space, or a line break ("а пасс\nP@ssw0rd_54")."""
_NOT_A_PASSWORD = re.compile(
    r"(?:[<{\[(]|%[A-Za-z_]+%$|\$\{|\$[A-Z_]+$|//|https?:|www\."
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}$|v?\d+(?:[./:-]\d+)+$|(.)\1*$)",
    re.IGNORECASE,
)
"""Placeholders ("<your password>", "{{ … }}", "${PASS}", "$DB_PASS", "%PASSWORD%"), addresses,
URLs, versions, dates, times and one character repeated ("********")."""
CREDENTIALS = re.compile(
    r"(?i)(?<![^\W_])(?:кред\w{0,3}|логин\w{0,2}|login|logins|учётк\w{0,2}|учетк\w{0,2}"
    r"|доступ\w{0,2}|creds?|credentials|root|admin|user(?:name)?|юзер)(?![^\W_])"
)
"""A word that introduces a login and its password written as a pair: "креды admin/Adm1n#2024",
"root / P@ssw0rd", "учётка: ivan.petrov / Winter2023". People give credentials this way at
least as often as with the word "пароль"."""
_CREDENTIALS_HINT = re.compile(
    "кред|логин|login|учетк|учётк|доступ|cred|root|admin|user|юзер".encode("cp1251")
)
PAIR_WINDOW = 48
"""How far after the credential word the pair may start ("доступ в админку на проде: …")."""
_PAIR = re.compile(
    r"(?<![\w./\\@-])([^\W\d][\w.@+-]{0,63})(?:[ \t]*[/|][ \t]*|:(?!//))"
    r"[\"'«“`]?([^\s\"'«»“”`,;/|]{8,64}+)(?![/\\])"
)
"""``login/password``, ``login / password``, ``login | password`` or ``login:password`` (the
colon without spaces, as in basic auth; "креды: admin:…" is a label, then the pair). The
password may not run on into a path ("admin/settings/v2")."""
_SYMBOLS = frozenset("!@#$%^&*?~+=/\\|")
MAX_FILLER_WORDS = 5
""""пароль от вайфая в переговорке hRT#WuEyu52": four words, and the fifth a strong password
(the value itself is read as a word first: see :func:`_value_after`)."""
MIN_ENTROPY = 3.0
"""Bits per character a value needs to count as a secret: "changeme1" has 2.9, a random
12-character token about 3.5."""
MIN_ENTROPY_ONE_CLASS = 3.4
"""A value of digits only or letters only needs more: "12345678" has exactly 3.0 bits."""


def random_enough(value: str) -> bool:
    """Whether an assigned value looks generated rather than typed ("changeme", "12345678")."""
    bits = entropy(value)
    if bits < MIN_ENTROPY:
        return False
    return bits >= MIN_ENTROPY_ONE_CLASS or not (value.isdigit() or value.isalpha())


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def _stands_alone(text: str, start: int) -> bool:
    """Nothing word-like glued before ``start`` (a bot id is not the tail of a longer number)."""
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] in ":_")


def _bot_token(text: str, colon: int) -> list[Finding]:
    start = colon
    while start > 0 and colon - start < 10 and text[start - 1].isdigit():
        start -= 1
    if colon - start < 8 or not _stands_alone(text, start):
        return []
    match = BOT_TOKEN.match(text, start)
    if match is None:
        return []
    return [Finding("secret", start, match.end(), 0.95, "telegram_bot_token")]


_ANY_HINT = re.compile(
    rb"a(?:kia|sia|gpa|ida|roa|iza|uth)|-----begin|eyj|xox|hooks\.slack\.com|gh[pousr]_"
    rb"|github_pat_|_live_|pass|pwd|secret|token|key|bearer|:[a-z0-9_-]{35}|glpat-|hf_|"
    + "парол|пасс|токен|ключ|секрет|".encode("cp1251")
    + _PAROL
)
"""Every hint below, in :func:`lowered_bytes`, factored by first letter: one search tells most
messages they hold no secret (a provider prefix in lower case is a wider net than in its own
case, never a narrower one). A unit test checks that it covers every hint."""


def find_secrets(text: str) -> list[Finding]:
    lowered = lowered_bytes(text)
    by_in = "://" in text or "sk-" in text or "Basic" in text  # _BY_IN, without a generator
    pairs = (
        "/" in text or "|" in text or text.count(":") > text.count(": ")
    ) and _CREDENTIALS_HINT.search(lowered)  # "креды: admin:Adm1n" has a colon without a space
    if not by_in and not pairs and not _ANY_HINT.search(lowered):
        return []
    found = []
    if by_in or _HINT.search(single_bytes(text)):
        for name, hints, pattern in _PATTERNS:
            if any(hint in text for hint in hints):
                found += [
                    Finding("secret", *m.span(_VALUE_GROUP.get(name, 0)), 0.95, name)
                    for m in pattern.finditer(text)
                ]
    if _BOT_HINT.search(single_bytes(text)):
        colon = text.find(":")
        while colon != -1:
            found += _bot_token(text, colon)
            colon = text.find(":", colon + 1)
    if pairs:
        found += _pairs(text, lowered, found)
    if not _ASSIGNMENT_HINT.search(lowered):
        return found
    taken = bytearray(len(text))  # characters already in a finding: overlap tests in O(length)
    for f in found:
        taken[f.start : f.end] = b"\x01" * (f.end - f.start)
    if "=" in text or ":" in text:
        for m in ASSIGNMENT.finditer(text):
            start, end = m.span(1)
            value = m.group(1)
            if (
                random_enough(value)
                and not _NOT_A_PASSWORD.match(value)
                and 1 not in taken[start:end]
            ):
                found.append(Finding("secret", start, end, 0.7, detail="assignment"))
                taken[start:end] = b"\x01" * (end - start)
    for m in KEYWORD.finditer(text):
        value = _value_after(text, m.end(), password=m.group(1) is not None)
        if value is not None and 1 not in taken[value[0] : value[1]]:
            found.append(Finding("secret", value[0], value[1], 0.7, detail="keyword"))
            taken[value[0] : value[1]] = b"\x01" * (value[1] - value[0])
    return found


def _pairs(text: str, lowered: bytes, known: list[Finding]) -> list[Finding]:
    """Passwords given as the second half of a ``login/password`` pair after a credential
    word. Only a strong password counts (:func:`_strong_password`): "sales/report2024" after
    "доступы" is a folder, "admin/Adm1n#2024" is not."""
    found: list[Finding] = []
    for hint in _CREDENTIALS_HINT.finditer(lowered):  # the word's start: match only there
        word = CREDENTIALS.match(text, hint.start())
        if word is None:
            continue
        line_end = text.find("\n", word.end())
        stop = min(word.end() + PAIR_WINDOW, len(text) if line_end == -1 else line_end)
        for pair in _PAIR.finditer(text, word.start(), stop + 64):
            if pair.start() > stop:
                break
            if pair.start() == word.start() and word.group().lower() not in ("root", "admin"):
                continue  # "User/Projects2024" is a folder; "root / P@ssw0rd" a login
            start, end = pair.span(2)
            value = pair.group(2).rstrip(".)")
            end = start + len(value)
            if _strong_password(value) and not any(
                f.start < end and start < f.end for f in (*known, *found)
            ):
                found.append(Finding("secret", start, end, 0.7, detail="login_pair"))
                break
    return found


def _value_after(text: str, pos: int, *, password: bool) -> tuple[int, int] | None:
    """Where the password or key introduced by a keyword ending at ``pos`` is, if it is one:
    after a separator, past up to :data:`MAX_FILLER_WORDS` words ("пароль от почты: …"); or,
    for a password word, right after it ("пароль Zz12345678 — срочно", where the dash that
    follows belongs to the sentence)."""
    said = _SAID.match(text, pos)
    at = pos
    words = []
    while said is None and len(words) < MAX_FILLER_WORDS:
        word = _FILLER.match(text, at)
        if word is None:
            break
        words.append(word)
        at = word.end()
        said = _SAID.match(text, at)
    if said is not None:
        found = _judge(text, _VALUE.match(text, said.end()), password, explicit=True)
        if found is not None:
            return found
    if not password:
        return None
    direct = _DIRECT.match(text, pos)
    if direct is not None:
        found = _judge(text, _VALUE.match(text, direct.end()), password, explicit=False)
        if found is not None:
            return found
    for word in words[1:]:  # "пароль от вайфая Qwerty123": past words, only a strong one
        value = _VALUE.match(text, word.start() + len(word.group()) - len(word.group().lstrip()))
        if value is not None and _strong_password(value.group(1)):
            return value.start(1), value.end(1)
    return None


def _strong_password(value: str) -> bool:
    """Eight characters or more with letters, digits, and capitals or symbols: "Qwerty123"."""
    return (
        len(value) >= 8
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and (
            (any(c.isupper() for c in value) and any(c.islower() for c in value))
            or any(c in _SYMBOLS for c in value)
        )
        and not _NOT_A_PASSWORD.match(value)
    )


def _judge(
    text: str, value: re.Match[str] | None, password: bool, *, explicit: bool
) -> tuple[int, int] | None:
    if value is None:
        return None
    start = value.start(1)
    candidate = value.group(1).rstrip(".)")
    if _NOT_A_PASSWORD.match(candidate):
        return None
    if password and _typed_password(candidate, explicit=explicit):
        return start, start + len(candidate)
    if explicit and len(candidate) >= 8 and random_enough(candidate):
        return start, start + len(candidate)
    return None


def _typed_password(value: str, *, explicit: bool) -> bool:
    """Letters and digits; or, after a separator, eight characters or more of letters with
    symbols or with two capitals and two small letters ("KDNuvNKYLuLkcF", not "Changeme")."""
    if len(value) < (6 if explicit else 8) or not any(c.isalpha() for c in value):
        return False
    if any(c.isdigit() for c in value):
        return True
    if not explicit or len(value) < 8:
        return False
    upper = sum(c.isupper() for c in value)
    return any(c in _SYMBOLS for c in value) or (
        upper >= 2 and sum(c.islower() for c in value) >= 2
    )


__all__ = ["MIN_ENTROPY", "MIN_ENTROPY_ONE_CLASS", "entropy", "find_secrets", "random_enough"]
