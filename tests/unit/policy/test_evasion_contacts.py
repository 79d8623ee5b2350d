"""E-mail addresses spelled out, and passwords given in words (issue 15, item 3).

"ivan [собака] mail точка ru" is an address; "call me at 10, the file is at home" is not. A
password keyword followed by a password-like value is a secret; "reset your password" is not.
"""

from __future__ import annotations

import pytest

from gateway.policy import scan


def found(text: str, kind: str) -> list[str]:
    return [text[f.start : f.end] for f in scan(text) if f.kind == kind]


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("пишите: ivan [собака] mail точка ru", "ivan [собака] mail точка ru"),
        ("ivan(at)host.com", "ivan(at)host.com"),
        ("contact name at host dot com please", "name at host dot com"),
        ("mail ivan @ mail . ru", "ivan @ mail . ru"),
        ("ivan собака mail.ru", "ivan собака mail.ru"),
        (
            "ivan.petrov [at] example [dot] co [dot] uk",
            "ivan.petrov [at] example [dot] co [dot] uk",
        ),
        ("j.smith (at) corp (dot) example (dot) com", "j.smith (at) corp (dot) example (dot) com"),
        ("ivan{at}yandex{dot}ru", "ivan{at}yandex{dot}ru"),
        ("anna AT gmail DOT com", "anna AT gmail DOT com"),
        ("ivan_85 at mail.ru", "ivan_85 at mail.ru"),
        ("пиши на ivan at gmail.com", "ivan at gmail.com"),
        ("ivan собака yandex точка ru", "ivan собака yandex точка ru"),
        ("ivan@mail.ru", "ivan@mail.ru"),
        ("ivan @mail.ru", "ivan @mail.ru"),
        ("ivan<at>mail<dot>ru", "ivan<at>mail<dot>ru"),
        ("alexmary6(at)corp-example.com. Спасибо", "alexmary6(at)corp-example.com"),
        ("olga.sergey99 at mail . ru — срочно", "olga.sergey99 at mail . ru"),
        ("olga.sergey33 [собака] yandex(dot)ru. Thanks!", "olga.sergey33 [собака] yandex(dot)ru"),
    ],
)
def test_obfuscated_email(text: str, typed: str) -> None:
    assert found(text, "email") == [typed]


@pytest.mark.parametrize(
    "text",
    [
        "call me at 14:30, I'm at home",
        "Visit us at example.com for details",
        "I work at yandex.ru since 2020",
        "we met at the office. Com'on, let's go",
        "look at this dot com bubble",
        "встретимся у метро, собака у меня дома. Ru-версия потом",
        "meet at noon dot",
        "the price is @ 5 . Thanks",
        "ping @ john . Thanks",
        "Reply @ me . No rush",
        "at least 3 items at 10.50 each",
        "arrive at 9. Com",
        "стоит 5 руб. за шт. @ 10 шт.",
        "мы сейчас at work, точка",
        "твоя собака mail-ru видела?",
    ],
)
def test_at_sentences_are_not_addresses(text: str) -> None:
    assert found(text, "email") == [], scan(text)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("пароль от почты: Qwerty123!", "Qwerty123!"),
        ("Логин ivan, пароль Zz12345678", "Zz12345678"),
        ("pass: Zz12345678", "Zz12345678"),
        ("API key: sk-live-4eC39HqLyjWDarjtT1zdp7dc", "sk-live-4eC39HqLyjWDarjtT1zdp7dc"),
        ("token=9f8a7b6c5d4e3f2a", "9f8a7b6c5d4e3f2a"),
        ("Пароль для Wi-Fi: Guest2024!", "Guest2024!"),
        ("the password is Hunter22!", "Hunter22!"),
        ("password for the db - Xk8pL2vQ", "Xk8pL2vQ"),
        ("пароль: «Мороз2024»", "Мороз2024"),
        ("Пароль:\nP@ssw0rd", "P@ssw0rd"),
        ("pwd = s3cr3t!pass", "s3cr3t!pass"),
        ("токен бота: 8f14e45fceea167a5a36dedd4bea2543", "8f14e45fceea167a5a36dedd4bea2543"),
        ("api-ключ: K9x2mQ7vL4pR8tZ1", "K9x2mQ7vL4pR8tZ1"),
        ("access key - AbC123xYz789QwE", "AbC123xYz789QwE"),
        ("пароль от 1С: admin2024", "admin2024"),
        ("Логин ivan, пароль Zz12345678 — срочно", "Zz12345678"),
        ("пароль от вайфая Qwerty123", "Qwerty123"),
        ("password=KDNuvNKYLuLkcF for prod", "KDNuvNKYLuLkcF"),
        ("password=%UwrV2uGcgPDz8 for prod", "%UwrV2uGcgPDz8"),
    ],
)
def test_password_given_in_words(text: str, secret: str) -> None:
    assert found(text, "secret") == [secret]


@pytest.mark.parametrize(
    "text",
    [
        "Please reset your password at https://acme.example/reset?id=42",
        "Reset your password: https://acme.example/reset",
        "Forgot your password? Click here",
        "Your password has been reset.",
        "Your password expires in 14 days",
        "Смените пароль до 12.03.2026",
        "пароль должен содержать не менее 8 символов",
        "Пароль: будет отправлен в SMS",
        "password: changeme",
        "пароль: 12345678",
        "password: ********",
        "password: <your password>",
        "password policy: v2.1.3",
        "pass the salt, 2 spoons",
        "API key: see the vault",
        "token: expires 2026-03-12",
        "The password is 8 characters long",
        "пароль от почты: на стикере",
        "key points: revenue 2025",
        "password reset: 12.03.2026 14:00",
        "Пароль по умолчанию сменить в течение 24 часов",
        "password: {{ secrets.DB_PASSWORD }}",
        "пароль: см. KeePass",
        "pass: ivan@example.com",
        "password: %PASSWORD%",
        "пароль для VPN2024 сменить",
    ],
)
def test_password_talk_is_not_a_secret(text: str) -> None:
    assert found(text, "secret") == [], scan(text)


def test_the_secret_prefilter_covers_every_hint() -> None:
    from gateway.policy.detectors import secrets

    # hints in _BY_IN are tested with ``in`` on the text itself, before this prefilter
    hints = [
        hint for _, group, _ in secrets._PATTERNS for hint in group if hint not in secrets._BY_IN
    ]
    hints += ["pass", "pwd", "пароль", "secret", "token", "токен", "key", "ключ", "auth", "bearer"]
    for hint in hints:
        assert secrets._ANY_HINT.search(hint.lower().encode("cp1251")), hint
