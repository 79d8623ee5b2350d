"""Office documents read by their structure: OOXML (DOCX, XLSX, PPTX and their macro and
template kin) and OpenDocument, as the applications that open them do.

Word finds a document's main part through ``_rels/.rels`` (the ``officeDocument``
relationship), not at ``word/document.xml``, and matches elements by namespace, not by the
``w:`` prefix; so does this module (:mod:`gateway.policy.xmltext` for the XML). A red team
found the path- and prefix-based reader it replaces passing a "Коммерческая тайна" document
with ``ns0:`` prefixes, and one whose main part was ``custom/main.xml``.

Every part of the package is accounted for — the relationships only decide the reading order
(main part first, then what it refers to: headers, footers, notes, comments, sheets, slides,
notes slides), so a part no relationship names is still read:

* XML parts: read for text (document properties, custom XML and charts too);
* an embedded document (a workbook behind a chart, a package in a package): read, one level;
* binary parts the package declares as images, fonts or printer settings: hold no text we read
  (images are not OCRed, as elsewhere), counted as ``not_text``;
* any other binary part — an OLE object, a VBA project, an encrypted or unknown blob: the file
  is unscannable, because something in it was not read.

Spreadsheet cells that point into the shared-string table are resolved after every part is
read; shared strings no cell uses are scanned too (they leave with the file all the same).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from urllib.parse import unquote

from gateway.policy.extract import (
    Budget,
    Extracted,
    Tally,
    Unscannable,
    checked_text,
    decode_text,
    listed_name,
    read_member,
    too_much_text,
)
from gateway.policy.xmltext import Piece, SharedRef, read_xml

_ODF_FIRST = ("content.xml", "styles.xml", "meta.xml")
"""OpenDocument has no relationships: body, then headers and footers (in the master pages of
styles.xml), then the document properties."""
_NOT_TEXT_TYPE = re.compile(
    r"^(?:image|audio|video|font)/|obfuscatedFont|printerSettings|x-font|fontdata", re.IGNORECASE
)
_NOT_TEXT_EXTENSIONS = frozenset({
    "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "emf", "wmf", "emz", "wmz", "svm", "wdp",
    "jxr", "pict", "odttf", "ttf", "otf", "fntdata", "woff", "woff2", "eot", "wav", "mp3", "mp4",
    "m4a", "wma", "wmv", "avi", "mov",
})  # fmt: skip
_TEXT_TYPES = frozenset({
    "text/plain", "text/html", "application/xhtml+xml", "text/rtf", "application/rtf",
    "message/rfc822",
})  # fmt: skip
"""Parts Word imports as they are (``altChunk``): read as text, not as Office XML."""
_NOT_TEXT_NAMES = frozenset({"layout-cache"})
"""LibreOffice's binary page-layout cache at the root of an .odt: positions, no text."""
_MEDIA_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"\xd7\xcd\xc6\x9a",
    b"\x01\x00\x09\x00", b"\x02\x00\x09\x00", b"II\xbc", b"RIFF", b"ID3", b"OggS",
)  # fmt: skip
_STRUCTURE = re.compile(r"(?:.*/)?_rels/[^/]*\.rels|\[content_types\]\.xml|meta-inf/manifest\.xml")
"""Read first: they say where the rest is (and ODF's manifest whether it is encrypted)."""
_OFFICE_DOCUMENT = "/officeDocument"
_SHARED_STRINGS = "/sharedStrings"


def read_office(data: bytes, budget: Budget, depth: int = 0) -> Extracted:
    """The text of a DOCX, XLSX, PPTX or OpenDocument file, every part of it, or
    :class:`Unscannable` saying what could not be read."""
    if not data.startswith(b"PK"):
        raise Unscannable("legacy binary or encrypted Office file (not opened)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise Unscannable(f"corrupt document ({err})") from None
    with archive:
        return _Package(archive, budget, depth).read()


def _canonical(name: str) -> str:
    """OPC part names compare case-insensitively, without the leading slash."""
    return unquote(name).lstrip("/").lower()


class _Package:
    """One zip package being read: its parts by canonical name, their text, the tally."""

    def __init__(self, archive: zipfile.ZipFile, budget: Budget, depth: int) -> None:
        self.archive = archive
        self.budget = budget
        self.depth = depth
        infos = [info for info in archive.infolist() if not info.is_dir()]
        budget.parts -= len(infos)
        if budget.parts < 0:
            raise Unscannable("more parts in the document than the scan limit")
        self.parts: dict[str, list[zipfile.ZipInfo]] = {}
        for info in infos:
            self.parts.setdefault(_canonical(info.filename), []).append(info)
        self.tally = Tally(total=len(infos))
        self.texts: dict[str, list[Piece]] = {}
        self.shared: list[list[str]] = []
        self.types: dict[str, str] = {}
        self.relationships: dict[str, list[tuple[str, str]]] = {}
        self.unlisted: list[str] = []
        """Structural parts read (relationships, content types): listed after the content."""

    def read(self) -> Extracted:
        structure = sorted(name for name in self.parts if _STRUCTURE.fullmatch(name))
        try:
            records = {name: self._read(name, listed=False) for name in structure}
            self._content_types(records.get("[content_types].xml", []))
            for name in structure:
                if name.endswith(".rels"):
                    self._relationships(name, records[name])
            content = self._reading_order(set(structure))
            for name in content:
                self._read(name)
            text = self._text((*content, *structure))
        except Unscannable as err:
            self._list_structure()
            err.coverage = err.coverage or self.tally.coverage(0)
            raise
        self._list_structure()
        return checked_text(text, self.budget, self.tally)

    def _list_structure(self) -> None:
        for name in self.unlisted:
            self.tally.list_name(name)
        self.unlisted.clear()

    def _read(self, name: str, *, listed: bool = True) -> list[tuple[str, dict[str, str]]]:
        """Read every member stored under ``name``; return its package records (if XML)."""
        records: list[tuple[str, dict[str, str]]] = []
        for info in self.parts[name]:
            raw = read_member(self.archive, info, self.budget)
            kind = self._kind(name, raw)
            if kind == "xml":
                known = self.shared[0] if self.shared else None
                part = read_xml(raw, info.filename, self.budget, known)
                self.texts.setdefault(name, []).extend(
                    (*part.pieces, " ;\n") if part.pieces else ()
                )
                records += part.records
                if part.shared is not None:
                    self.shared.append(part.shared)
            elif kind == "package":
                if self.depth >= 1:
                    where = listed_name(info.filename)
                    raise Unscannable(f"document inside an embedded document: {where!r}")
                try:
                    inner = read_office(raw, self.budget, self.depth + 1)
                except Unscannable as err:  # the coverage to report is this package's
                    raise Unscannable(f"{err} (in {listed_name(info.filename)!r})") from None
                self.texts.setdefault(name, []).extend((inner.text, " ;\n"))
                self.tally.add(inner.coverage, info.filename)
            elif kind == "text":
                self.texts.setdefault(name, []).extend((decode_text(raw), " ;\n"))
            elif kind == "empty":
                self.texts.setdefault(name, [])
            elif kind == "not_text":
                self.tally.not_text += 1
            else:
                raise Unscannable(
                    f"binary part {listed_name(info.filename)!r} not read "
                    "(an OLE object, macros, or an encrypted or unknown format)"
                )
            if kind in ("xml", "text", "empty"):
                self.tally.mark_read(info.filename if listed else None)
                if not listed:
                    self.unlisted.append(info.filename)
        return records

    def _kind(self, name: str, raw: bytes) -> str:
        """How to read a part: from its bytes first, from what the package declares second."""
        head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
        extension = posixpath.splitext(name)[1][1:]
        declared = self.types.get(name) or self.types.get(extension, "")
        if not raw.strip() or name == "mimetype":  # ODF's mimetype: the format, not content
            return "empty"
        if declared.split(";")[0].strip().lower() in _TEXT_TYPES:
            return "text"  # Word's altChunk: HTML or text imported into the document on opening
        if head.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "xml"
        if _textual(raw):  # before the magic numbers: "BMW…" is text, not a bitmap
            return "text"
        if raw.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return "package"
        if raw.startswith(_MEDIA_MAGIC) or raw[40:44] == b" EMF" or raw[4:8] == b"ftyp":
            return "not_text"
        if (
            _NOT_TEXT_TYPE.search(declared)
            or extension in _NOT_TEXT_EXTENSIONS
            or name in _NOT_TEXT_NAMES
        ):
            return "not_text"
        return "binary"

    def _content_types(self, records: list[tuple[str, dict[str, str]]]) -> None:
        for element, attrs in records:
            if element == "Default" and "Extension" in attrs:
                self.types[attrs["Extension"].lower()] = attrs.get("ContentType", "")
            elif element == "Override" and "PartName" in attrs:
                self.types[_canonical(attrs["PartName"])] = attrs.get("ContentType", "")

    def _relationships(self, rels: str, records: list[tuple[str, dict[str, str]]]) -> None:
        """``word/_rels/document.xml.rels`` → the targets of ``word/document.xml``."""
        folder, _, file = rels.rpartition("_rels/")
        source = folder + file.removesuffix(".rels")  # "" for the package's own _rels/.rels
        base = posixpath.dirname(source)
        targets = self.relationships.setdefault(source, [])
        for element, attrs in records:
            target = attrs.get("Target", "")
            if element != "Relationship" or attrs.get("TargetMode") == "External" or not target:
                continue
            path = target if target.startswith("/") else posixpath.join(base, target)
            targets.append((attrs.get("Type", ""), _canonical(posixpath.normpath(path))))

    def _reading_order(self, done: set[str]) -> list[str]:
        """Parts reached through relationships from the package root, breadth first with the
        main part first; then OpenDocument's parts; then every other part, by name."""
        order: list[str] = []
        seen = set(done)
        queue = [""]
        while queue:
            source = queue.pop(0)
            targets = sorted(self.relationships.get(source, []), key=_first)
            for _type, target in targets:
                if target in self.parts and target not in seen:
                    seen.add(target)
                    order.append(target)
                    queue.append(target)
        order += [name for name in _ODF_FIRST if name in self.parts and name not in seen]
        seen.update(order)
        return order + sorted(name for name in self.parts if name not in seen)

    def _text(self, order: tuple[str, ...]) -> str:
        """The parts' text in reading order, shared strings resolved, unused ones appended."""
        if len(self.shared) > 1:
            raise Unscannable("more than one shared-string table")
        shared = self.shared[0] if self.shared else []
        used: set[int] = set()
        out: list[str] = []
        size = 0
        for name in order:
            for piece in self.texts.get(name, ()):
                if isinstance(piece, SharedRef):
                    if piece >= len(shared):
                        raise Unscannable(f"a cell refers to missing shared string {piece}")
                    used.add(piece)
                    text = shared[piece]
                else:
                    text = piece
                out.append(text)
                size += len(text)
                if size > self.budget.chars:
                    raise Unscannable(too_much_text(self.budget), self.tally.coverage(0))
        out += [f"{text} ;\n" for index, text in enumerate(shared) if index not in used and text]
        return "".join(out)


def _first(relationship: tuple[str, str]) -> int:
    """The main part first, then the shared strings (so cells are counted as they are read)."""
    kind = relationship[0]
    return 0 if kind.endswith(_OFFICE_DOCUMENT) else 1 if kind.endswith(_SHARED_STRINGS) else 2


def _textual(raw: bytes) -> bool:
    """A plain-text part (a .txt or .csv embedded as a package part): no NULs, decodable."""
    sample = raw[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(sample) - 4:
            return not any(b < 9 or 13 < b < 32 for b in sample)
    return True


__all__ = ["read_office"]
