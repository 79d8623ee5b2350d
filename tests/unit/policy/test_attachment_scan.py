"""Attachment scanning, table-driven: every sniffed kind, every mismatch rule, every reason a
file is unscannable, and the layout rules of text extraction (DOCX runs, XLSX cells, zips)."""

from __future__ import annotations

import io
import zipfile

import pytest

from gateway.policy import extract, scan
from gateway.policy.attachments import scan_attachment, sniff
from gateway.policy.extract import MAX_SCAN_BYTES, MAX_TEXT_CHARS

CARD = "4111 1111 1111 1111"
CONTENT_TYPES = (
    '<?xml version="1.0"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def zipped(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def encrypted(data: bytes) -> bytes:
    """Set the 'encrypted' flag in every local and central header (zipfile cannot write one)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := out.find(signature, start)) != -1:
            out[start + offset] |= 0x01
            start += 4
    return bytes(out)


def docx(*paragraphs: list[str]) -> bytes:
    body = "".join(
        "<w:p>"
        + "".join(f'<w:r><w:t xml:space="preserve">{run}</w:t></w:r>' for run in runs)
        + "</w:p>"
        for runs in paragraphs
    )
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    document = f'<w:document xmlns:w="{namespace}"><w:body>{body}</w:body></w:document>'
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": document})


def xlsx(rows: list[list[str | int]]) -> bytes:
    strings = sorted({v for row in rows for v in row if isinstance(v, str)})
    shared = "".join(f"<si><t>{s}</t></si>" for s in strings)

    def cell(value: str | int) -> str:
        if isinstance(value, str):
            return f'<c t="s"><v>{strings.index(value)}</v></c>'
        return f"<c><v>{value}</v></c>"

    cells = "".join("<row>" + "".join(cell(v) for v in row) + "</row>" for row in rows)
    return zipped(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "xl/sharedStrings.xml": f"<sst>{shared}</sst>",
            "xl/worksheets/sheet1.xml": f"<worksheet><sheetData>{cells}</sheetData></worksheet>",
        }
    )


def pdf(text: str, title: str | None = None) -> bytes:
    """A one-page PDF written by hand: catalog, pages, page, font, content stream, xref; with
    ``title`` in the document information dictionary (as UTF-16, so it may be Cyrillic)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    info = b""
    if title is not None:
        info = b" /Info 6 0 R"
        encoded = ("\ufeff" + title).encode("utf-16-be").hex().upper().encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if info:
        objects.append(b"<< /Title <%s> >>" % encoded)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
    out += trailer % (len(objects) + 1, info, xref)
    return bytes(out)


def kinds_in(text: str) -> set[str]:
    return {f.kind for f in scan(text)}


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"MZ\x90\x00" + bytes(60), "executable"),
        (b"\x7fELF\x02\x01\x01" + bytes(60), "executable"),
        (b"#!/bin/sh\necho hi\n", "script"),
        (b"@echo off\r\ndel *.*\r\n", "script"),
        (b"%PDF-1.7\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n" + bytes(20), "image"),
        (b"\xff\xd8\xff\xe0" + bytes(20), "image"),
        (b"ID3\x03\x00" + bytes(20), "audio"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(20), "video"),
        (b"\x00\x00\x00\x18ftypM4A " + bytes(20), "audio"),
        (b"Rar!\x1a\x07\x01\x00", "archive"),
        (b"\x1f\x8b\x08\x00" + bytes(20), "archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(20), "office"),
        ("Привет, это текст".encode(), "text"),
        ("Привет, это текст".encode("cp1251"), "text"),
        ("hello".encode("utf-16"), "text"),
        (bytes(range(256)) * 4, "unknown"),
    ],
)
def test_sniff(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


def test_zip_family() -> None:
    assert sniff(zipped({"a.txt": "x"})) == "archive"
    assert sniff(encrypted(zipped({"a.txt": "x"}))) == "encrypted_archive"
    assert sniff(docx(["hi"])) == "office"
    assert sniff(zipped({"META-INF/MANIFEST.MF": "Manifest-Version: 1.0"})) == "executable"


@pytest.mark.parametrize(
    ("name", "data", "mime", "mismatch"),
    [
        ("invoice.pdf", b"MZ\x90\x00" + bytes(60), None, True),
        ("photo.jpg", b"%PDF-1.4\n", None, True),
        ("report", b"MZ\x90\x00" + bytes(60), "application/pdf", True),
        ("report.pdf", b"%PDF-1.4\n", "application/pdf", False),
        ("notes.txt", b"#!/bin/sh\n", None, False),
        ("archive.zip", encrypted(zipped({"a": "b"})), None, False),
        ("clip.ogg", b"OggS" + bytes(20), None, False),
        ("README", b"plain text", None, False),
    ],
)
def test_name_mismatch(name: str, data: bytes, mime: str | None, mismatch: bool) -> None:
    assert scan_attachment(name, data, mime).name_mismatch is mismatch


def test_text_named_as_a_script_is_a_script() -> None:
    assert scan_attachment("run.ps1", b"Remove-Item C:\\ -Recurse").kind == "script"


def test_docx_runs_are_joined_so_split_numbers_are_found() -> None:
    # Word splits text into runs anywhere, e.g. where the spell checker stopped
    data = docx(["Карта ", "4111 11", "11 1111 1111"], ["Коммерческая ", "тайна"])
    result = scan_attachment("contract.docx", data)
    assert result.kind == "office"
    assert result.scannable
    assert kinds_in(result.text) == {"card", "marking"}


def test_xlsx_cells_shared_and_numeric() -> None:
    data = xlsx([["ФИО", "ИНН"], ["Иванов", 500100732259], ["СНИЛС", "112-233-445 95"]])
    assert {"inn", "snils"} <= kinds_in(scan_attachment("staff.xlsx", data).text)


def test_xlsx_column_of_numbers_is_not_one_number() -> None:
    data = xlsx([[n] for n in (4, 111, 1111, 1111, 1111)])  # 4111111111111111 if joined
    assert kinds_in(scan_attachment("qty.xlsx", data).text) == set()


def test_pdf_text() -> None:
    result = scan_attachment("scan.pdf", pdf(f"INN 7707083893 card {CARD}"))
    assert result.kind == "pdf"
    assert result.scannable, result.problem
    assert kinds_in(result.text) == {"inn", "card"}


def test_encrypted_pdf_is_unscannable() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf("secret"))))
    writer.encrypt(user_password="pw", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    result = scan_attachment("locked.pdf", buffer.getvalue())
    assert not result.scannable
    assert result.problem == "encrypted PDF"


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("a.zip", encrypted(zipped({"a.txt": "x"})), "encrypted archive"),
        ("a.pdf", b"%PDF-1.4\n1 0 obj garbage", "corrupt PDF"),
        ("a.docx", b"PK\x03\x04broken", "corrupt"),
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "legacy binary"),
        ("a.rar", b"Rar!\x1a\x07\x01\x00", "only zip"),
        ("a.bin", bytes(range(256)) * 4, "unknown binary"),
        ("a.zip", zipped({"inner.zip": zipped({"x.txt": "y"})}), "nested archive"),
    ],
)
def test_unscannable(name: str, data: bytes, problem: str) -> None:
    result = scan_attachment(name, data)
    assert not result.scannable
    assert problem in (result.problem or "")


def test_zip_bomb_is_capped_while_reading() -> None:
    bomb = zipped({"zeros.txt": b"0" * (MAX_SCAN_BYTES + 10)})
    assert len(bomb) < MAX_SCAN_BYTES // 100
    result = scan_attachment("bomb.zip", bomb)
    assert not result.scannable
    assert "scan limit" in (result.problem or "")


def test_too_large_is_unscannable() -> None:
    result = scan_attachment("big.txt", b"a" * (MAX_SCAN_BYTES + 1))
    assert not result.scannable
    assert "larger than" in (result.problem or "")


def test_zip_members_are_scanned_and_their_kinds_recorded() -> None:
    data = zipped({"notes.txt": f"card {CARD}", "tool.exe": b"MZ\x90\x00" + bytes(60)})
    result = scan_attachment("docs.zip", data)
    assert result.kind == "archive"
    assert result.scannable
    assert result.inner_kinds == ("executable", "text")
    assert "executable" in result.kinds
    assert kinds_in(result.text) == {"card"}
    disguised = scan_attachment("docs.zip", zipped({"invoice.pdf": b"MZ\x90\x00" + bytes(60)}))
    assert disguised.name_mismatch


def test_cp1251_text_is_decoded() -> None:
    result = scan_attachment("list.csv", "ФИО;ИНН\nИванов;7707083893\n".encode("cp1251"))
    assert "Иванов" in result.text
    assert kinds_in(result.text) == {"inn"}


def test_as_dict_is_plain() -> None:
    data = scan_attachment("invoice.pdf", b"MZ" + bytes(60)).as_dict()
    expected = {"kind": "executable", "scannable": True, "name_mismatch": True, "claimed": "pdf"}
    assert data == expected


# --- nothing is cut to fit: over a cap is unscannable (issue 15) -----------------------------


@pytest.mark.parametrize("name", ["notes.txt", "export.csv"])
def test_text_over_the_cap_is_unscannable_not_cut(name: str) -> None:
    filler = "Номер;Сумма;Комментарий\n" * (MAX_TEXT_CHARS // 24)
    data = (filler + f"карта {CARD}\n").encode()
    assert len(filler) < MAX_TEXT_CHARS < len(data.decode())  # the card is past the cap
    result = scan_attachment(name, data)
    assert not result.scannable
    assert result.text == ""
    assert f"{MAX_TEXT_CHARS:,} characters" in (result.problem or "")


def test_text_at_the_cap_is_scanned_whole() -> None:
    data = ("а" * (MAX_TEXT_CHARS - len(CARD) - 1) + " " + CARD).encode()
    result = scan_attachment("notes.txt", data)
    assert result.scannable, result.problem
    assert kinds_in(result.text) == {"card"}
    assert result.coverage is not None
    assert result.coverage.chars == MAX_TEXT_CHARS


def test_archive_text_over_the_cap_is_unscannable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_TEXT_CHARS", 1000)
    data = zipped({"a.txt": "x" * 990, "b.txt": f"card {CARD}"})  # each fits, together not
    result = scan_attachment("docs.zip", data)
    assert not result.scannable
    assert "1,000 characters" in (result.problem or "")


def test_names_of_files_in_an_archive_are_scanned() -> None:
    result = scan_attachment("docs.zip", zipped({"Коммерческая тайна.txt": "план"}))
    assert kinds_in(result.text) == {"marking"}


def test_pdf_title_is_scanned() -> None:
    result = scan_attachment("scan.pdf", pdf("Quarterly report", title="Коммерческая тайна"))
    assert result.scannable, result.problem
    assert kinds_in(result.text) == {"marking"}


def test_pdf_text_over_the_cap_is_unscannable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_TEXT_CHARS", 20)
    result = scan_attachment("scan.pdf", pdf(f"INN 7707083893 card {CARD}"))
    assert not result.scannable
    assert "20 characters" in (result.problem or "")


def test_pdf_page_that_cannot_be_read_is_unscannable(monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PageObject

    def broken(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("content stream")

    monkeypatch.setattr(PageObject, "extract_text", broken)
    result = scan_attachment("scan.pdf", pdf("hello"))
    assert not result.scannable
    assert "page 1" in (result.problem or "")


def test_as_dict_reports_coverage_not_content() -> None:
    result = scan_attachment("notes.txt", f"карта {CARD}".encode())
    data = result.as_dict()
    assert data["coverage"] == {"parts_read": 1, "parts_total": 1, "chars": len(result.text)}
    assert CARD not in str(data)
    archive = scan_attachment("docs.zip", zipped({"a.txt": "x", "b.png": b"\x89PNG\r\n\x1a\n"}))
    coverage = archive.as_dict()["coverage"]
    assert coverage == {
        "parts_read": 1,
        "parts_total": 2,
        "chars": len(archive.text),
        "not_text": 1,
        "parts": ["a.txt"],
    }
    assert "scanned (1 of 2 parts" in archive.summary()
