"""Attachments: kinds from the bytes, name/type mismatch, text extraction, unscannable files."""

from __future__ import annotations

import pytest

from gateway.policy import attachments, extract, scan, scan_attachment
from gateway.policy.attachments import sniff
from tests.unit.policy.files import (
    CSV,
    ELF,
    JPEG,
    PE,
    PNG,
    SCRIPT,
    docx,
    encrypted_zip,
    pdf,
    plain_zip,
    xlsx,
    zip_bomb,
)
from tests.unit.policy.samples import INN_10, VISA, grouped


def kinds_in(text: str) -> set[str]:
    return {f.kind for f in scan(text)}


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PE, "executable"),
        (ELF, "executable"),
        (SCRIPT, "script"),
        (b"@echo off\r\ndel /q *.*\r\n", "script"),
        (PNG, "image"),
        (JPEG, "image"),
        (pdf("hello"), "pdf"),
        (docx("hello"), "office"),
        (xlsx("hello"), "office"),
        (plain_zip({"a.txt": "hi"}), "archive"),
        (plain_zip({"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n"}), "executable"),
        (encrypted_zip(), "encrypted_archive"),
        (b"ID3\x03\x00\x00\x00\x00\x00\x00", "audio"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "video"),
        (CSV, "text"),
        ("Привет, это обычный текст".encode("cp1251"), "text"),
        (b"\x00\x01\x02\x03\xfe\xfa\x00\x10" * 8, "unknown"),
    ],
)
def test_sniffed_from_bytes(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("name", "data", "mismatch"),
    [
        ("invoice.pdf", PE, True),  # a program dressed as a PDF
        ("photo.jpg", ELF, True),
        ("report.docx", pdf("x"), True),
        ("invoice.pdf", pdf("x"), False),
        ("setup.exe", PE, False),
        ("data.zip", encrypted_zip(), False),
        ("notes.txt", SCRIPT, False),  # a .txt may start with "#!"
        ("table.csv", CSV, False),
        ("noextension", PE, False),  # nothing claimed, nothing hidden
    ],
)
def test_name_mismatch(name: str, data: bytes, mismatch: bool) -> None:
    result = scan_attachment(name, data)
    assert result.name_mismatch is mismatch, result


def test_declared_mime_counts_as_a_claim() -> None:
    assert scan_attachment("file", PE, "application/pdf").name_mismatch
    assert not scan_attachment("file", pdf("x"), "application/pdf").name_mismatch


def test_text_named_as_script_is_a_script() -> None:
    assert scan_attachment("run.ps1", b"Remove-Item C:\\ -Recurse").kind == "script"


def test_pdf_text_is_extracted_and_scanned() -> None:
    result = scan_attachment("rekvizity.pdf", pdf(f"INN {INN_10} KPP 773601001"))
    assert result.kind == "pdf"
    assert result.scannable
    assert INN_10 in result.text
    assert "inn" in kinds_in(result.text)


def test_docx_card_split_across_runs() -> None:
    printed = grouped(VISA, (4, 4, 4, 4))
    result = scan_attachment("card.docx", docx("Карта ", printed[:7], printed[7:], " до пятницы"))
    assert result.kind == "office"
    assert result.scannable
    assert printed in result.text
    assert "card" in kinds_in(result.text)


def test_xlsx_shared_strings_are_scanned_and_cells_do_not_merge() -> None:
    result = scan_attachment("cards.xlsx", xlsx("Номер карты", VISA, "Сумма"))
    assert result.kind == "office"
    assert result.scannable
    assert "card" in kinds_in(result.text)
    numbers = scan_attachment("qty.xlsx", xlsx("4111", "1111", "1111", "1111"))
    assert "card" not in kinds_in(numbers.text)  # four cells are not one number


def test_csv_and_cp1251_text() -> None:
    assert "inn" in kinds_in(scan_attachment("list.csv", CSV).text)
    legacy = f"ИНН {INN_10}".encode("cp1251")
    result = scan_attachment("old.txt", legacy)
    assert result.text == f"ИНН {INN_10}"


def test_zip_members_are_scanned_and_their_kinds_recorded() -> None:
    archive = plain_zip({"readme.txt": f"card {VISA}", "tool.exe": PE})
    result = scan_attachment("docs.zip", archive)
    assert result.kind == "archive"
    assert result.kinds == {"archive", "text", "executable"}
    assert "card" in kinds_in(result.text)
    disguised = plain_zip({"invoice.pdf": PE})
    assert scan_attachment("docs.zip", disguised).name_mismatch


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("data.zip", encrypted_zip(), "encrypted"),
        ("report.docx", b"PK\x03\x04" + b"\x00" * 40, "corrupt"),
        ("scan.pdf", b"%PDF-1.4\n1 0 obj garbage", ""),
        ("blob.bin", b"\x00\x01\x02\x03\xfe\xfa\x00\x10" * 8, "unknown"),
        ("inner.zip", plain_zip({"nested.zip": plain_zip({"a.txt": "x"})}), "nested"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy"),
        ("a.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 20, "only zip"),
    ],
)
def test_unscannable(name: str, data: bytes, problem: str) -> None:
    result = scan_attachment(name, data)
    assert not result.scannable
    assert result.text == ""
    assert result.problem is not None
    assert problem in result.problem
    assert result.as_dict()["scannable"] is False


def test_zip_bomb_is_stopped_by_the_decompressed_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    cap = 1 << 20
    monkeypatch.setattr(attachments, "MAX_SCAN_BYTES", cap)
    monkeypatch.setattr(extract, "MAX_SCAN_BYTES", cap)
    bomb = zip_bomb(cap * 4)
    assert len(bomb) < cap // 20  # small on the wire
    result = scan_attachment("bomb.zip", bomb)
    assert not result.scannable
    assert result.problem is not None
    assert "zip bomb" in result.problem
    fine = scan_attachment("ok.zip", zip_bomb(cap // 8))  # under both caps: bytes and text
    assert fine.scannable, fine.problem


def test_oversized_input_is_not_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "MAX_SCAN_BYTES", 1000)
    result = scan_attachment("big.txt", b"a" * 1001)
    assert not result.scannable
    assert result.problem is not None
    assert "limit" in result.problem


def test_scan_attachment_never_raises_on_garbage() -> None:
    for data in (b"", b"PK", b"PK\x03\x04", b"%PDF-", b"\xff\xd8\xff", b"MZ", b"\x1f\x8b\x08"):
        result = scan_attachment("x.bin", data)
        assert result.kind
