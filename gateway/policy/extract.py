"""Text out of file bytes, within hard caps: the part of attachment scanning that parses.

Every reader here gets hostile input: a zip bomb, a 10,000-page PDF, XML with a billion cells.
Caps are counted while reading (never trusted from headers): decompressed bytes per archive,
members per archive, pages per PDF, characters of output. Hitting a cap or a parse error raises
:class:`Unscannable` with a reason the admin can read in the approval queue.

Layout matters for detection: a DOCX paragraph splits text into runs at arbitrary points
(a card number may be spread over three ``<w:t>`` elements), so runs are joined with nothing
and paragraphs with a newline; spreadsheet cells are joined with " ; ", which ends a digit run,
so a column of quantities is not read as one long number.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

MAX_SCAN_BYTES = 25 * 1024 * 1024
"""Input larger than this is not opened, and no archive may expand beyond it."""
MAX_TEXT_CHARS = 200_000
"""Extracted text beyond this is not scanned."""
MAX_MEMBERS = 200
MAX_PDF_PAGES = 300


class Unscannable(Exception):
    """The content cannot be checked; ``str()`` says why."""


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1251 (Russian Windows)."""
    data = data[: MAX_TEXT_CHARS * 4]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if err.start >= len(data) - 4:  # cut inside the last character by the cap
            return data[: err.start].decode("utf-8-sig")
    return data.decode("cp1251", errors="replace")


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    """A member's bytes, counting them against ``budget[0]`` as they are decompressed."""
    try:
        with archive.open(info) as stream:
            content = stream.read(budget[0] + 1)
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError) as err:
        raise Unscannable(f"corrupt archive member {info.filename!r} ({err})") from None
    if len(content) > budget[0]:
        raise Unscannable("expands beyond the scan limit (zip bomb?)")
    budget[0] -= len(content)
    return content


_DOCX_PARTS = re.compile(r"word/(?:document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")
_PPTX_PARTS = re.compile(r"ppt/(?:slides|notesSlides)/\w+\.xml")
_SHEET_PARTS = re.compile(r"xl/worksheets/sheet\d+\.xml")
_WORD = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>|</w:p>|<w:tab/>|<w:br/>|</w:tc>")
_DRAWING = re.compile(rb"<a:t(?:\s[^>]*)?>([^<]*)</a:t>|</a:p>")
_SHARED = re.compile(rb"<si>(.*?)</si>", re.DOTALL)
_T = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)|</row>", re.DOTALL)
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_ODF_BREAK = re.compile(rb"</text:p>|</text:h>|<text:line-break/>|</table:table-cell>")
_TAG = re.compile(rb"<[^>]+>")


def office_text(data: bytes) -> str:
    """Text of a DOCX, XLSX, PPTX or OpenDocument file."""
    if not data.startswith(b"PK"):
        raise Unscannable("legacy binary or encrypted Office file (not opened)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise Unscannable(f"corrupt document ({err})") from None
    budget = [MAX_SCAN_BYTES]
    with archive:
        names = {info.filename: info for info in archive.infolist()}

        def part(name: str) -> bytes:
            return read_member(archive, names[name], budget) if name in names else b""

        chunks: list[str] = []
        for name in sorted(names):
            if _DOCX_PARTS.fullmatch(name):
                chunks.append(_word(part(name)))
            elif _PPTX_PARTS.fullmatch(name):
                chunks.append(_pieces(_DRAWING, part(name)))
        if any(_SHEET_PARTS.fullmatch(n) for n in names):
            shared = [
                _text(b"".join(_T.findall(si)))
                for si in _SHARED.findall(part("xl/sharedStrings.xml"))
            ]
            chunks += [_sheet(part(n), shared) for n in sorted(names) if _SHEET_PARTS.fullmatch(n)]
        if "content.xml" in names:
            chunks.append(_odf(part("content.xml")))
        return "\n".join(c for c in chunks if c)[:MAX_TEXT_CHARS]


def _text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", "replace"))


def _word(xml: bytes) -> str:
    out = []
    for m in _WORD.finditer(xml):
        token = m.group(0)
        if m.group(1) is not None:
            out.append(_text(m.group(1)))
        else:
            out.append(" ; " if token == b"</w:tc>" else "\t" if token == b"<w:tab/>" else "\n")
    return "".join(out)


def _pieces(pattern: re.Pattern[bytes], xml: bytes) -> str:
    return "".join(
        _text(m.group(1)) if m.group(1) is not None else "\n" for m in pattern.finditer(xml)
    )


def _sheet(xml: bytes, shared: list[str]) -> str:
    out = []
    for m in _CELL.finditer(xml):
        if m.group(0) == b"</row>":
            out.append("\n")
            continue
        attrs, body = m.group(1), m.group(2) or b""
        if b'"inlineStr"' in attrs:
            out.append(_text(b"".join(_T.findall(body))))
        elif value := _VALUE.search(body):
            raw = value.group(1)
            if b't="s"' in attrs:
                index = int(raw) if raw.isdigit() else -1
                out.append(shared[index] if 0 <= index < len(shared) else "")
            else:
                out.append(_text(raw))
        out.append(" ; ")
    return "".join(out)


def _odf(xml: bytes) -> str:
    marked = _ODF_BREAK.sub(lambda m: b" ; " if b"cell" in m.group() else b"\n", xml)
    return _text(_TAG.sub(b"", marked))


def pdf_text(data: bytes) -> str:
    """Text of a PDF's pages (at most :data:`MAX_PDF_PAGES`). Encrypted PDFs are unscannable."""
    from pypdf import PdfReader  # imported on first use: text-only deployments never pay for it
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Unscannable("encrypted PDF")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise Unscannable(f"more than {MAX_PDF_PAGES} pages")
        out: list[str] = []
        size = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            out.append(text)
            size += len(text)
            if size > MAX_TEXT_CHARS:
                break
        return "\n".join(out)
    except Unscannable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as err:
        raise Unscannable(f"corrupt PDF ({type(err).__name__})") from None


__all__ = [
    "MAX_MEMBERS",
    "MAX_PDF_PAGES",
    "MAX_SCAN_BYTES",
    "MAX_TEXT_CHARS",
    "Unscannable",
    "decode_text",
    "office_text",
    "pdf_text",
    "read_member",
]
