"""Data hidden in base64, hex or %-encoding (issue 15, item 3).

A bounded decoder opens runs of reasonable length whose decoded bytes are mostly printable text
and scans that text like a message; a finding covers the whole encoded run in the original text,
so redaction masks the run. Hashes, UUIDs, tokens and ordinary URLs decode to nothing and cost
nothing more than the look.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import quote

import pytest

from gateway.policy import scan
from gateway.policy.detectors.decode import MAX_DECODED_BYTES, MAX_RUN, MIN_RUN, encoded_runs
from gateway.policy.redact import redact

CARD = "4276380123456787"
SNILS = "11223344595"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def hexed(text: str) -> str:
    return binascii.hexlify(text.encode()).decode()


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scan(text)]


def test_the_red_team_card_in_base64() -> None:
    text = "вот: NDI3NjM4MDEyMzQ1Njc4Nw== ок"
    assert kinds(text) == [("card", "NDI3NjM4MDEyMzQ1Njc4Nw==")]


@pytest.mark.parametrize(
    ("plain", "kind"),
    [
        (f"карта {CARD}", "card"),
        (CARD, "card"),
        ("Коммерческая тайна", "marking"),
        ("CONFIDENTIAL", "marking"),
        (f"СНИЛС {SNILS}", "snils"),
        ("ivan.petrov@example.ru", "email"),
        ("ИНН 7707083893, тел. +7 916 123-45-67", "inn"),
        ("password: Zx8kQ2mP9vL4nR7t", "secret"),
    ],
)
@pytest.mark.parametrize("encode", [b64, hexed, lambda s: quote(s, safe="")])
def test_encoded_data_is_found_and_covers_the_run(plain: str, kind: str, encode) -> None:  # type: ignore[no-untyped-def]
    encoded = encode(plain)
    text = f"data {encoded} end"
    hits = [(f.kind, text[f.start : f.end]) for f in scan(text)]
    assert (kind, encoded) in hits, (encoded, hits)


def test_urlsafe_and_unpadded_base64() -> None:
    encoded = base64.urlsafe_b64encode(f"card {CARD}".encode()).decode().rstrip("=")
    assert ("card", encoded) in kinds(f"see {encoded}")


def test_base64_of_base64() -> None:
    encoded = b64(b64(f"карта {CARD}"))
    assert ("card", encoded) in kinds(f"x {encoded} y")


def test_percent_encoded_inside_a_url_masks_the_url_token() -> None:
    url = "https://example.com/pay?pan=" + quote("4276 3801 2345 6787 карта", safe="")
    text = f"ссылка {url} ок"
    findings = [f for f in scan(text) if f.kind == "card"]
    redacted, _ = redact(text, (), [(f, "label") for f in findings])
    assert redacted == "ссылка [card number] ок"


def test_hex_escapes() -> None:
    plain = f"card {CARD}".encode()
    escaped = "".join(f"\\x{b:02x}" for b in plain)
    assert ("card", escaped) in kinds(f"payload {escaped}")


def test_redaction_masks_the_encoded_run() -> None:
    encoded = b64(f"card {CARD}")
    text = f"x {encoded} y"
    redacted, _ = redact(text, (), [(f, "mask") for f in scan(text)])
    assert redacted == "x " + "".join("•" if c.isalnum() else c for c in encoded) + " y"


def test_offsets_survive_normalisation_around_the_run() -> None:
    encoded = b64(f"card {CARD}")
    text = f"\u200bпривет\u200b {encoded} ok"
    (finding,) = [f for f in scan(text) if f.kind == "card"]
    assert text[finding.start : finding.end] == encoded


@pytest.mark.parametrize(
    "text",
    [
        "sha1 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "id 550e8400-e29b-41d4-a716-446655440000",
        "tracking 1Z4710612113442052 and RA123456789RU",
        "https://example.com/search?q=hello%20world&lang=ru",
        "https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0",
        "internationalization and localization",
        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "aGVsbG8gd29ybGQsIGhvdyBhcmUgeW91IHRvZGF5Pw==",  # "hello world, how are you today?"
        "3031323334353637383930",  # hex of "01234567890": no kind in it
        "build 20260312104500123456",
        "CAFEBABE DEADBEEF 0123456789abcdef",
    ],
)
def test_nothing_hidden_in_ordinary_encoded_looking_text(text: str) -> None:
    assert kinds(text) == []


def test_runs_are_bounded() -> None:
    assert MIN_RUN <= 16 <= MAX_RUN
    long_run = b64(f"карта {CARD} " + "x" * (MAX_RUN * 2))
    assert len(long_run) > MAX_RUN
    assert list(encoded_runs(f"a {long_run} b")) == []


def test_decoded_bytes_are_capped_per_message() -> None:
    encoded = b64(f"карта {CARD} ok")
    many = " ".join([encoded] * (MAX_DECODED_BYTES // 20 + 10))
    runs = list(encoded_runs(many))
    assert 0 < len(runs) < MAX_DECODED_BYTES // 20 + 10
    assert sum(len(r.decoded) for r in runs) <= MAX_DECODED_BYTES


def test_binary_is_not_decoded() -> None:
    encoded = base64.b64encode(bytes(range(0, 256, 7))).decode()
    assert list(encoded_runs(f"blob {encoded}")) == []
