"""Text out of file bytes, within hard caps: the part of attachment scanning that parses.

Every reader here gets hostile input: a zip bomb, a 10,000-page PDF, XML with a billion cells.
Caps are counted while reading (never trusted from headers): decompressed bytes per archive,
members per archive, pages per PDF, XML elements, characters of output. Hitting a cap or a parse
error raises :class:`Unscannable` with a reason the admin can read in the approval queue.

Nothing is cut to fit. A file is either read whole — every part that can hold text — or it is
unscannable (invariant 3: a file not fully read fails closed). Scanning the first 200,000
characters of a file and calling it "scanned" is how a card number on the last line gets out.

Each reader returns :class:`Extracted`: the text for the detectors and a :class:`Coverage`
record that says how much was read. The coverage goes to the audit log; the text never does.

Layout matters for detection: a DOCX paragraph splits text into runs at arbitrary points
(a card number may be spread over three ``<w:t>`` elements), so runs are joined with nothing
and paragraphs with a newline; spreadsheet cells and separate fields are joined with " ; ",
which ends a digit run, so a column of quantities is not read as one long number.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader

MAX_SCAN_BYTES = 25 * 1024 * 1024
"""Input larger than this is not opened, and no archive may expand beyond it."""
MAX_TEXT_CHARS = 200_000
"""A file with more text than this is unscannable (not cut: the tail is where data hides)."""
MAX_MEMBERS = 200
"""Files in a plain zip archive."""
MAX_PARTS = 2000
"""Parts in one Office package: a 150-slide deck has ~4 parts a slide, so MAX_MEMBERS is too
few; the cap is there so a central directory of 100,000 empty entries is not walked."""
MAX_XML_ELEMENTS = 1_000_000
"""XML elements over all parts of one file. Parsing costs ~1 µs an element in Python
callbacks; a text-light, element-heavy part (empty cells, formatting) is otherwise unbounded
work below the byte cap. 200,000 characters of real text take well under 200,000 elements."""
MAX_XML_DEPTH = 512
"""Element nesting; deep documents (tables in tables) stay under 100."""
MAX_PDF_PAGES = 300
MAX_LISTED_PARTS = 50
"""Part names listed in a coverage record (the counts cover the rest)."""


class Unscannable(Exception):
    """The content cannot be checked; ``str()`` says why. ``coverage``: what was read first."""

    def __init__(self, problem: str, coverage: Coverage | None = None) -> None:
        super().__init__(problem)
        self.coverage = coverage


@dataclass(slots=True)
class Budget:
    """What one attachment may still cost, shared by every part and member it contains.

    Made by :func:`new_budget` when a scan starts, so the caps are read then (tests lower them).
    """

    bytes: int
    elements: int
    chars: int
    """The cap on characters of text (the result is checked against it, not decremented)."""
    members: int
    parts: int
    pdf_pages: int
    captured: int = 0
    """Characters of text met so far in XML (see :mod:`gateway.policy.xmltext`)."""


def new_budget() -> Budget:
    return Budget(
        MAX_SCAN_BYTES, MAX_XML_ELEMENTS, MAX_TEXT_CHARS, MAX_MEMBERS, MAX_PARTS, MAX_PDF_PAGES
    )


_LISTABLE = re.compile(r"(?!.*\d{5})[A-Za-z0-9_.\-/\[\]!]{1,100}")
"""Part names as Office and LibreOffice write them. Other names (a member "Иванов паспорт.pdf",
a part named after a card number) are the sender's text: they are not copied to the audit log."""


def listed_name(name: str) -> str:
    """``name`` as it may appear in the audit log: structural names as they are, others hidden."""
    return name if _LISTABLE.fullmatch(name) else "(name withheld)"


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of one file was read: the evidence, in the audit log, that a scan saw it all.

    ``parts_total`` counts every part (zip member, PDF page, the single body of a text file);
    ``parts_read`` those whose text was read; ``not_text`` those known to hold no text we read
    (images, fonts, printer settings). On a scannable file ``parts_read + not_text ==
    parts_total``; on an unscannable one the record says how far reading got.
    """

    parts_read: int = 0
    parts_total: int = 0
    chars: int = 0
    """Characters of text handed to the detectors (none when the file is unscannable)."""
    parts: tuple[str, ...] = ()
    """Names of the parts read, in reading order, at most :data:`MAX_LISTED_PARTS`."""
    not_text: int = 0

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "parts_read": self.parts_read,
            "parts_total": self.parts_total,
            "chars": self.chars,
        }
        if self.not_text:
            data["not_text"] = self.not_text
        if self.parts:
            data["parts"] = list(self.parts)
        return data


@dataclass(slots=True)
class Tally:
    """A :class:`Coverage` being counted while reading."""

    total: int = 0
    read: int = 0
    not_text: int = 0
    names: list[str] = field(default_factory=list)

    def mark_read(self, name: str | None) -> None:
        """One more part read; ``name`` listed now, or (``None``) later by the caller."""
        self.read += 1
        if name is not None:
            self.list_name(name)

    def list_name(self, name: str) -> None:
        if len(self.names) < MAX_LISTED_PARTS:
            self.names.append(listed_name(name))

    def add(self, inner: Coverage, prefix: str) -> None:
        """Count a file read inside this one (a document in a zip, a workbook in a document)."""
        self.total += inner.parts_total - 1  # the container counted the member itself once
        self.read += inner.parts_read
        self.not_text += inner.not_text
        for name in inner.parts or (prefix,):
            if len(self.names) < MAX_LISTED_PARTS:  # "chart.xlsx!xl/worksheets/sheet1.xml"
                self.names.append(listed_name(prefix) + ("!" + name if inner.parts else ""))

    def coverage(self, chars: int) -> Coverage:
        return Coverage(self.read, self.total, chars, tuple(self.names), self.not_text)


@dataclass(frozen=True, slots=True)
class Extracted:
    """Text for the detectors and the record of how it was read."""

    text: str
    coverage: Coverage


def checked_text(text: str, budget: Budget, tally: Tally) -> Extracted:
    """``text`` if it is within the character cap; else the file is unscannable."""
    if len(text) > budget.chars:
        raise Unscannable(too_much_text(budget), tally.coverage(0))
    return Extracted(text, tally.coverage(len(text)))


def too_much_text(budget: Budget) -> str:
    return f"more than {budget.chars:,} characters of text (the scan limit)"


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1251 (Russian Windows).

    Raises :class:`Unscannable` over :data:`MAX_TEXT_CHARS`: the whole file is scanned or none.
    """
    limit = MAX_TEXT_CHARS
    if len(data) > limit * 4:  # no encoding here spends more than 4 bytes on a character
        raise Unscannable(f"more than {limit:,} characters of text (the scan limit)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            if err.start >= len(data) - 3:  # a file cut inside its last character: still UTF-8
                text = data.decode("utf-8-sig", errors="replace")
            else:
                text = data.decode("cp1251", errors="replace")
    if len(text) > limit:
        raise Unscannable(f"more than {limit:,} characters of text (the scan limit)")
    return text


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    """A member's bytes, counting them against ``budget.bytes`` as they are decompressed."""
    if info.flag_bits & 0x1:
        raise Unscannable(f"encrypted member {listed_name(info.filename)!r}")
    try:
        with archive.open(info) as stream:
            content = stream.read(budget.bytes + 1)
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError) as err:
        name = listed_name(info.filename)
        raise Unscannable(f"corrupt archive member {name!r} ({err})") from None
    except NotImplementedError as err:  # a compression method zipfile does not have
        raise Unscannable(f"archive member {listed_name(info.filename)!r}: {err}") from None
    if len(content) > budget.bytes:
        raise Unscannable("expands beyond the scan limit (zip bomb?)")
    budget.bytes -= len(content)
    return content


def read_pdf(data: bytes, budget: Budget) -> Extracted:
    """Every page's text, plus the document information, outline titles, annotation contents
    and form field values — all places a reader sees text. Encrypted PDFs, PDFs over the page
    cap, with embedded files or XFA forms (not read here), or with a page whose text could not
    be extracted are unscannable."""
    from pypdf import PdfReader  # imported on first use: text-only deployments never pay for it
    from pypdf.errors import PyPdfError

    tally = Tally()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Unscannable("encrypted PDF")
        pages = len(reader.pages)
        tally.total = pages
        if pages > budget.pdf_pages:
            raise Unscannable(f"more than {budget.pdf_pages} pages (the scan limit)")
        if reader.attachments:
            raise Unscannable("PDF with embedded files (not read)")
        if reader.xfa:
            raise Unscannable("PDF with an XFA form (not read)")
        out: list[str] = []
        size = 0
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = page.extract_text() or ""
                notes = _annotations(page)
            except Exception as err:  # any failure on one page: that page was not read
                raise Unscannable(
                    f"page {number} could not be read ({type(err).__name__})", tally.coverage(0)
                ) from None
            out += (text, *notes)
            size += len(text) + sum(len(n) for n in notes)
            tally.read += 1
            if size > budget.chars:
                raise Unscannable(too_much_text(budget), tally.coverage(0))
        out += _document_fields(reader)
        return checked_text(" ;\n".join(t for t in out if t), budget, tally)
    except Unscannable as err:
        err.coverage = err.coverage or tally.coverage(0)
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as err:
        raise Unscannable(f"corrupt PDF ({type(err).__name__})", tally.coverage(0)) from None


def _annotations(page: PageObject) -> list[str]:
    """Comments and pop-up notes on a page (``/Contents``): text a reader opens with a click."""
    annots = page.get("/Annots")
    if annots is None:
        return []
    out = []
    for ref in annots.get_object():
        annot = ref.get_object()
        contents = annot.get("/Contents") if hasattr(annot, "get") else None
        if contents:
            out.append(str(contents))
    return out


def _document_fields(reader: PdfReader) -> list[str]:
    """Title, subject, keywords… (a marking is often only there), outline titles, form values."""
    out: list[str] = []
    info = reader.metadata
    if info:
        out += [str(value) for value in info.values() if isinstance(value, str)]
    stack: list[object] = list(reader.outline)
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[:0] = item
        elif title := getattr(item, "title", None):
            out.append(str(title))
    fields = reader.get_form_text_fields() or {}
    out += [str(value) for value in fields.values() if value]
    return out


__all__ = [
    "MAX_LISTED_PARTS",
    "MAX_MEMBERS",
    "MAX_PARTS",
    "MAX_PDF_PAGES",
    "MAX_SCAN_BYTES",
    "MAX_TEXT_CHARS",
    "MAX_XML_DEPTH",
    "MAX_XML_ELEMENTS",
    "Budget",
    "Coverage",
    "Extracted",
    "Tally",
    "Unscannable",
    "checked_text",
    "decode_text",
    "listed_name",
    "new_budget",
    "read_member",
    "read_pdf",
    "too_much_text",
]
