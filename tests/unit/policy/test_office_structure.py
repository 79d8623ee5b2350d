"""Office documents are read by structure, as Word, Excel and LibreOffice read them (issue 15).

A red team passed a "Коммерческая тайна" DOCX through the default policy twice: once with
``ns0:`` instead of ``w:`` as the WordprocessingML prefix, once with the main part somewhere
other than word/document.xml. Each test here builds such a file with zipfile and checks that
the marking (or card number) is found, or that the file is unscannable — never "scanned" with
the text missed.
"""

from __future__ import annotations

import json

import pytest

from gateway.policy import extract, scan, scan_attachment
from gateway.policy.attachments import AttachmentScan
from tests.unit.policy.files import (
    PNG,
    W_STRICT,
    S,
    W,
    content_types,
    core_properties,
    docx_package,
    odt_package,
    paragraph,
    plain_zip,
    pptx_package,
    relationships,
    wordml,
    xlsx_package,
)
from tests.unit.policy.samples import VISA, grouped

MARKING = "Коммерческая тайна"
CARD = grouped(VISA, (4, 4, 4, 4))


def kinds_in(result: AttachmentScan) -> set[str]:
    assert result.scannable, result.problem
    return {f.kind for f in scan(result.text)}


def clean_body(prefix: str = "w") -> str:
    return wordml("document", paragraph("Договор поставки"), prefix)


# --- WordprocessingML ------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["ns0", "", "wx"])
def test_docx_elements_are_matched_by_namespace_not_prefix(prefix: str) -> None:
    body = paragraph(MARKING) + paragraph("Карта ", CARD[:7], CARD[7:])
    result = scan_attachment("report.docx", docx_package(wordml("document", body, prefix)))
    assert result.kind == "office"
    assert kinds_in(result) == {"marking", "card"}


def test_docx_in_the_strict_namespace_is_read() -> None:
    document = wordml("document", paragraph(MARKING), "ns0", namespace=W_STRICT)
    assert kinds_in(scan_attachment("strict.docx", docx_package(document))) == {"marking"}


@pytest.mark.parametrize("main", ["word/document2.xml", "custom/main.xml"])
def test_docx_main_part_is_found_through_the_relationships(main: str) -> None:
    document = wordml("document", paragraph(MARKING), "ns0")
    result = scan_attachment("report.docx", docx_package(document, main=main))
    assert result.kind == "office"
    assert not result.name_mismatch  # an office file, wherever its main part lives
    assert kinds_in(result) == {"marking"}
    assert result.coverage is not None
    assert result.coverage.parts[0] == main  # read first: the relationships lead to it


_PARTS = {
    "header": ("hdr", "header", "hdr_main.xml"),
    "footer": ("ftr", "footer", "ftr_last.xml"),
    "comment": ("comments", "comments", "notes/remarks.xml"),
    "footnote": ("footnotes", "footnotes", "notes/fn.xml"),
    "endnote": ("endnotes", "endnotes", "notes/en.xml"),
}


@pytest.mark.parametrize("where", sorted(_PARTS))
def test_marking_in_a_related_part_is_found(where: str) -> None:
    root, relationship, name = _PARTS[where]
    item = {"hdr": "", "ftr": ""}.get(root, f"<{{p}}:{root[:-1]} {{p}}:id='1'>")
    closing = "" if not item else f"</{{p}}:{root[:-1]}>"
    part = wordml(root, item + paragraph(MARKING) + closing)
    data = docx_package(clean_body(), related={name: (relationship, part)})
    assert kinds_in(scan_attachment("report.docx", data)) == {"marking"}


def test_marking_in_the_document_title_is_found() -> None:
    data = docx_package(clean_body(), core=core_properties(MARKING))
    assert kinds_in(scan_attachment("report.docx", data)) == {"marking"}


def test_text_box_and_deleted_text_stand_beside_the_paragraph() -> None:
    # a text box inside the paragraph and tracked deletions do not split the visible number
    box = "<{p}:r><{p}:txbxContent>" + paragraph("ДСП") + "</{p}:txbxContent></{p}:r>"
    deleted = "<{p}:del><{p}:r><{p}:delText>ИНН 7707083893</{p}:delText></{p}:r></{p}:del>"
    body = f"<{{p}}:p><{{p}}:r><{{p}}:t>{CARD[:9]}</{{p}}:t></{{p}}:r>{box}{deleted}"
    body += f"<{{p}}:r><{{p}}:t>{CARD[9:]}</{{p}}:t></{{p}}:r></{{p}}:p>"
    result = scan_attachment("r.docx", docx_package(wordml("document", body, "ns0")))
    assert kinds_in(result) == {"card", "inn", "marking"}
    assert CARD in result.text


def test_watermark_text_is_read() -> None:
    vml = "urn:schemas-microsoft-com:vml"
    shape = f'<v:shape xmlns:v="{vml}"><v:textpath string="{MARKING}"/></v:shape>'
    header = wordml(
        "hdr", f"<{{p}}:p><{{p}}:r><{{p}}:pict>{shape}</{{p}}:pict></{{p}}:r></{{p}}:p>"
    )
    data = docx_package(clean_body(), related={"header1.xml": ("header", header)})
    assert kinds_in(scan_attachment("report.docx", data)) == {"marking"}


# --- SpreadsheetML, PresentationML, OpenDocument ---------------------------------------------


def test_xlsx_shared_and_inline_strings_and_a_second_sheet() -> None:
    first = [["s:0", "s:1"], ["4", "111"], ["1111", "1111"]]  # numbers in cells never merge
    second = [["s:2", f"i:{CARD}"]]
    data = xlsx_package([first, second], ["ФИО", "Сумма", MARKING], prefix="x")
    result = scan_attachment("book.xlsx", data)
    assert result.kind == "office"
    assert kinds_in(result) == {"marking", "card"}
    assert result.coverage is not None
    assert {"xl/data/sheet_1.xml", "xl/data/sheet_2.xml"} <= set(result.coverage.parts)


def test_xlsx_shared_string_no_cell_uses_is_scanned() -> None:
    data = xlsx_package([[["s:0"]]], ["ФИО", MARKING])
    assert kinds_in(scan_attachment("book.xlsx", data)) == {"marking"}


def test_xlsx_cell_pointing_past_the_shared_strings_is_unscannable() -> None:
    result = scan_attachment("book.xlsx", xlsx_package([[["s:7"]]], ["ФИО"]))
    assert not result.scannable
    assert "shared string" in (result.problem or "")


_HEADER = (
    f"<headerFooter><oddHeader>&amp;L&amp;12{MARKING}&amp;RPage &amp;P</oddHeader></headerFooter>"
)


@pytest.mark.parametrize(
    ("sheet_name", "sheet_body"),
    [("Лист1", _HEADER), (MARKING, "<sheetData/>")],
    ids=["page-header", "sheet-name"],
)
def test_xlsx_header_and_sheet_name_are_read(sheet_name: str, sheet_body: str) -> None:
    data = plain_zip(
        {
            "[Content_Types].xml": content_types([]),
            "_rels/.rels": relationships(("officeDocument", "xl/workbook.xml")),
            "xl/workbook.xml": f'<workbook xmlns="{S}"><sheets>'
            f'<sheet name="{sheet_name}" sheetId="1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": relationships(("worksheet", "worksheets/sheet1.xml")),
            "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{S}">{sheet_body}</worksheet>',
        }
    )
    assert kinds_in(scan_attachment("book.xlsx", data)) == {"marking"}


def test_pptx_notes_slide_is_read() -> None:
    data = pptx_package("Квартальный отчёт", f"Не показывать: карта {CARD}")
    result = scan_attachment("deck.pptx", data)
    assert result.kind == "office"
    assert kinds_in(result) == {"card"}


def test_odt_with_another_prefix_header_title_and_collapsed_spaces() -> None:
    # ODF collapses white space: a card written across four newlines shows as one number
    body = "<{p}:p>Карта " + CARD[:9] + "\n\n\n\n" + CARD[10:] + "</{p}:p>"
    result = scan_attachment("a.odt", odt_package(body, header="ДСП", title="ИНН 7707083893"))
    assert result.kind == "office"
    assert kinds_in(result) == {"card", "marking", "inn"}


# --- anything not read whole is unscannable --------------------------------------------------


def test_docx_with_a_part_that_does_not_parse_is_unscannable() -> None:
    broken = wordml("ftr", paragraph(MARKING))[:-20]  # cut short
    data = docx_package(clean_body(), related={"footer1.xml": ("footer", broken)})
    result = scan_attachment("report.docx", data)
    assert not result.scannable
    assert "not well-formed" in (result.problem or "")
    assert "word/footer1.xml" in (result.problem or "")


def test_docx_with_a_doctype_is_unscannable() -> None:
    laughs = '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    document = laughs + wordml("document", paragraph("&b;"))
    result = scan_attachment("report.docx", docx_package(document))
    assert not result.scannable
    assert "DOCTYPE" in (result.problem or "")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200)),
        ("word/embeddings/oleObject1.bin", bytes(range(256)) * 2),
    ],
    ids=["macros", "ole-object"],
)
def test_a_binary_part_not_read_makes_the_file_unscannable(name: str, content: bytes) -> None:
    result = scan_attachment("report.docm", docx_package(clean_body(), extra={name: content}))
    assert not result.scannable
    assert "binary part" in (result.problem or "")


def test_images_hold_no_text_and_are_counted() -> None:
    data = docx_package(clean_body(), extra={"word/media/image1.png": PNG})
    result = scan_attachment("report.docx", data)
    assert result.scannable, result.problem
    assert result.coverage is not None
    assert result.coverage.not_text == 1
    assert result.coverage.parts_read + 1 == result.coverage.parts_total


def test_embedded_workbook_is_read() -> None:
    workbook = xlsx_package([[["s:0"]]], [MARKING])
    data = docx_package(clean_body(), extra={"word/embeddings/Book1.xlsx": workbook})
    result = scan_attachment("report.docx", data)
    assert kinds_in(result) == {"marking"}
    assert result.coverage is not None
    assert "word/embeddings/Book1.xlsx!xl/data/sheet_1.xml" in result.coverage.parts


def test_encrypted_opendocument_is_unscannable() -> None:
    manifest = (
        '<m:manifest xmlns:m="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<m:file-entry m:full-path="content.xml"><m:encryption-data/></m:file-entry></m:manifest>'
    )
    data = plain_zip(
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "content.xml": bytes(range(256)),
            "META-INF/manifest.xml": manifest,
        }
    )
    result = scan_attachment("secret.odt", data)
    assert not result.scannable
    assert "encrypted" in (result.problem or "")


def test_text_over_the_cap_is_unscannable_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_TEXT_CHARS", 1000)
    body = paragraph("Договор поставки " * 100) + paragraph(CARD)  # the card is past the cap
    result = scan_attachment("long.docx", docx_package(wordml("document", body)))
    assert not result.scannable
    assert "1,000 characters" in (result.problem or "")


def test_too_many_xml_elements_is_unscannable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_XML_ELEMENTS", 100)
    body = "<{p}:p/>" * 200
    result = scan_attachment("flat.docx", docx_package(wordml("document", body)))
    assert not result.scannable
    assert "XML elements" in (result.problem or "")


# --- what the audit log gets -----------------------------------------------------------------


def test_coverage_is_in_as_dict_without_content() -> None:
    data = docx_package(
        wordml("document", paragraph(f"{MARKING}: карта {CARD}"), "ns0"),
        core=core_properties("Отчёт"),
        related={"header1.xml": ("header", wordml("hdr", paragraph("ДСП")))},
    )
    result = scan_attachment("report.docx", data)
    coverage = result.as_dict()["coverage"]
    assert isinstance(coverage, dict)
    assert coverage["parts"][:3] == ["word/document.xml", "docProps/core.xml", "word/header1.xml"]
    assert coverage["parts_read"] == coverage["parts_total"] == 6  # with 2 .rels, content types
    assert coverage["chars"] == len(result.text) > 0
    dumped = json.dumps(result.as_dict(), ensure_ascii=False)
    for secret in (MARKING, CARD, "Отчёт", "ДСП"):
        assert secret not in dumped


def test_unscannable_file_says_how_far_reading_got() -> None:
    broken = wordml("ftr", paragraph("x"))[:-5]
    data = docx_package(clean_body(), related={"footer1.xml": ("footer", broken)})
    result = scan_attachment("report.docx", data)
    assert not result.scannable
    coverage = result.as_dict()["coverage"]
    assert isinstance(coverage, dict)
    assert 0 < coverage["parts_read"] < coverage["parts_total"]


def test_part_names_that_are_not_structural_stay_out_of_the_audit_log() -> None:
    data = docx_package(clean_body(), extra={f"word/{VISA}.xml": wordml("hdr", "")})
    dumped = json.dumps(scan_attachment("report.docx", data).as_dict())
    assert VISA not in dumped
    assert "(name withheld)" in dumped


def test_the_default_namespace_uri_is_what_counts() -> None:
    # the same local names in a namespace that is not WordprocessingML: read as loose text
    # (never dropped), so the marking is still found
    other = wordml("document", paragraph(MARKING), "ns0", namespace="urn:example:not-word")
    assert W not in other
    assert kinds_in(scan_attachment("odd.docx", docx_package(other))) == {"marking"}
