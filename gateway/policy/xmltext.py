"""Text out of one XML part of an Office document, by namespace URI and element name.

Elements are matched on ``(namespace URI, local name)``, never on the prefix: a WordprocessingML
document may call its namespace ``w:``, ``ns0:`` or nothing at all, and Word reads all three.
Both the Transitional and the Strict (ISO 29500) namespaces of OOXML are known, and ODF's.

What is read, so nothing with text is skipped:

* text elements (``w:t``, ``a:t``, SpreadsheetML ``t`` and ``v``, ``m:t``) and, in ODF, all
  character data inside a paragraph, joined without separators (a number may be split over
  runs);
* paragraphs end with a newline, table cells with " ; " (which ends a digit run);
* text a reader sees elsewhere — deleted text of tracked changes, field codes, formulas, notes
  citations, comments inside a paragraph — is put *beside* the paragraph, after it, so it
  neither splits a number in the visible text nor is lost;
* a few attributes that show as text: alt text (``descr``, ``title``), VML watermark text
  (``v:textpath/@string``, where "КОНФИДЕНЦИАЛЬНО" watermarks live), sheet names, hyperlink
  tooltips and targets, pivot-cache values (a copy of the source table, kept in the file
  after the table itself is deleted);
* any other non-blank character data, in any namespace, as a separate field: document
  properties (``docProps/core.xml`` title, subject, keywords), custom XML, chart caches, parts
  of kinds this module has never heard of. Whitespace between elements is layout, not text.

Hostile XML: a ``DOCTYPE`` is refused outright (OOXML and ODF never have one, and without it
there are no entity declarations, so no billion laughs and no external entities); element
count and nesting depth are capped; text beyond the budget stops the parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from gateway.policy.extract import MAX_XML_DEPTH, Budget, Unscannable, listed_name, too_much_text

_W = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",
      "http://purl.oclc.org/ooxml/wordprocessingml/main")  # fmt: skip
_A = ("http://schemas.openxmlformats.org/drawingml/2006/main",
      "http://purl.oclc.org/ooxml/drawingml/main")  # fmt: skip
_S = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "http://purl.oclc.org/ooxml/spreadsheetml/main")  # fmt: skip
_M = ("http://schemas.openxmlformats.org/officeDocument/2006/math",
      "http://purl.oclc.org/ooxml/officeDocument/math")  # fmt: skip
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
_XLINK = "http://www.w3.org/1999/xlink"
_VML = "urn:schemas-microsoft-com:vml"
RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"

# What an element does. Character data goes to the innermost open paragraph (inline), to the
# innermost aside, or is loose (kept if not blank, as a field of its own).
_PARA, _ODF_PARA, _TEXT_RUN, _ASIDE, _CELL_END, _BREAK = 1, 2, 3, 4, 5, 6
_SHEET_ROW, _SHEET_CELL, _SHARED_ITEM, _EXCEL_HEADER, _RECORD, _ENCRYPTED = 7, 8, 9, 10, 11, 12
_INLINE, _BESIDE, _LOOSE = 0, 1, 2


def _each(namespaces: tuple[str, ...], names: str, action: int) -> dict[tuple[str, str], int]:
    return {(ns, name): action for ns in namespaces for name in names.split()}


_ACTIONS: dict[tuple[str, str], int] = {
    **_each(_W, "p", _PARA),
    **_each(_W, "t", _TEXT_RUN),
    **_each(_W, "delText instrText", _ASIDE),
    **_each(_W, "tc", _CELL_END),
    **_each(_W, "tab br cr noBreakHyphen", _BREAK),
    **_each(_A, "p", _PARA),
    **_each(_A, "t", _TEXT_RUN),
    **_each(_A, "tc", _CELL_END),
    **_each(_A, "br", _BREAK),
    **_each(_M, "t", _TEXT_RUN),
    **_each(_S, "t v", _TEXT_RUN),
    **_each(_S, "f rPh", _ASIDE),
    **_each(_S, "row", _SHEET_ROW),
    **_each(_S, "c", _SHEET_CELL),
    **_each(_S, "si", _SHARED_ITEM),
    **_each(_S, "text", _PARA),  # a cell comment
    **_each(_S, "oddHeader evenHeader firstHeader oddFooter evenFooter firstFooter", _EXCEL_HEADER),
    **_each((_TEXT,), "p h", _ODF_PARA),
    **_each((_TEXT,), "note-citation", _ASIDE),
    **_each((_OFFICE,), "annotation", _ASIDE),
    **_each((_TEXT,), "tab line-break s", _BREAK),
    **_each((_TABLE,), "table-cell covered-table-cell", _CELL_END),
    **_each((RELATIONSHIPS,), "Relationship", _RECORD),
    **_each((CONTENT_TYPES,), "Default Override", _RECORD),
    **_each((_MANIFEST,), "encryption-data", _ENCRYPTED),
}
_BREAKS: dict[tuple[str, str], str] = {
    **{(ns, "tab"): "\t" for ns in _W},
    **{(ns, "br"): "\n" for ns in (*_W, *_A)},
    **{(ns, "cr"): "\n" for ns in _W},
    **{(ns, "noBreakHyphen"): "-" for ns in _W},
    (_TEXT, "tab"): "\t",
    (_TEXT, "line-break"): "\n",
    (_TEXT, "s"): " ",
}
_SHOWN_ATTRIBUTES: dict[tuple[str, str], tuple[str, ...]] = {
    (_VML, "textpath"): ("string",),
    **{(ns, "hyperlink"): (f"{ns} tooltip",) for ns in _W},
    **{(ns, "fldSimple"): (f"{ns} instr",) for ns in _W},
    **{(ns, "sheet"): ("name",) for ns in _S},
    **{(ns, item): ("v",) for ns in _S for item in ("s", "n")},  # pivot caches: copies of data
    (_TEXT, "a"): (f"{_XLINK} href",),
    (_TABLE, "table"): (f"{_TABLE} name",),
}
_ALT_TEXT = ("descr", "title")
"""On ``docPr``/``cNvPr`` of any drawing namespace (there are half a dozen): alt text."""
_SETTINGS_ROOTS = {(_OFFICE, "document-settings")}
"""ODF settings.xml: window sizes and base64 printer blobs, never document text. Parsed (so it
must be well-formed and DOCTYPE-free) but not emitted: a printer blob can look like a key."""

_ODF_SPACE = re.compile(r"[ \t\r\n]+")
"""ODF collapses white space in paragraph text (ODF 1.2 §6.1.2): "4111\\n\\n\\n\\n1111"
renders as "4111 1111", so it is scanned that way; explicit ``text:s`` spaces are kept."""
_EXCEL_CODES = re.compile(r'&(?:&|"[^"]*"|K[0-9A-Fa-f]{6}|K\d\d[+-]\d{3}|[A-Za-z]|(\d+))')
"""Excel header/footer codes (&L section, &"Arial,Bold" font, &12 size…) become spaces, so that
"&LКоммерческая тайна" is scanned as "Коммерческая тайна". The digits of a size code are kept
(set apart): "&7707083893" must not hide a number."""


class SharedRef(int):
    """A spreadsheet cell's index into the shared strings, resolved once the package is read."""


Piece = str | SharedRef


@dataclass(slots=True)
class _Para:
    inline: list[Piece] = field(default_factory=list)
    beside: list[str] = field(default_factory=list)
    odf: bool = False
    space: bool = True
    """ODF: the inline text so far ends in collapsible white space (or is empty)."""
    cell_type: str = ""


@dataclass(slots=True)
class PartText:
    """One XML part's text, as pieces (shared-string references stay unresolved)."""

    pieces: list[Piece] = field(default_factory=list)
    root: tuple[str, str] = ("", "")
    shared: list[str] | None = None
    """The strings of a shared-string table (``sst``), if this part is one."""
    records: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    """Relationships and content-type entries (element name, attributes)."""


class _Reader:
    """Expat callbacks: a stack of element frames ``(action, mode)`` and of open paragraphs."""

    def __init__(self, name: str, budget: Budget, shared: list[str]) -> None:
        self.name = name
        self.budget = budget
        self.shared = shared
        """The package's shared strings if already read: a cell's share of the text is counted
        as the cell is read, so 100,000 cells pointing at one long string stop early."""
        self.part = PartText()
        self.out = self.part.pieces
        self.frames: list[tuple[int, int]] = []
        self.paras: list[_Para] = []
        self.asides: list[list[str]] = []
        self.loose: list[str] = []
        self.muted = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        budget = self.budget
        budget.elements -= 1
        if budget.elements < 0:
            raise Unscannable("more XML elements than the scan limit")
        if len(self.frames) >= MAX_XML_DEPTH:
            raise Unscannable(f"XML nested deeper than {MAX_XML_DEPTH} in {self.name!r}")
        if self.loose:
            self._flush_loose()
        ns, _, local = tag.rpartition(" ")
        key = (ns, local)
        mode = self.frames[-1][1] if self.frames else _LOOSE
        action = _ACTIONS.get(key, 0)
        if not self.frames:
            self.part.root = key
            self.muted = key in _SETTINGS_ROOTS
            if key in ((s, "sst") for s in _S):
                self.part.shared = []
        if action in (_PARA, _SHEET_ROW, _SHARED_ITEM):
            self.paras.append(_Para())
            mode = _LOOSE
        elif action == _ODF_PARA:
            self.paras.append(_Para(odf=True))
            mode = _INLINE
        elif action == _SHEET_CELL:
            self.paras.append(_Para(cell_type=attrs.get("t", "n")))
            mode = _LOOSE
        elif action == _TEXT_RUN:
            mode = _INLINE
        elif action in (_ASIDE, _EXCEL_HEADER):
            self.asides.append([])
            mode = _BESIDE
        elif action == _BREAK and self.paras:
            count = attrs.get(f"{_TEXT} c", "1") if key == (_TEXT, "s") else "1"
            para = self.paras[-1]
            repeat = min(int(count), 8) if count.isascii() and count.isdigit() else 1
            para.inline.append(_BREAKS[key] * repeat)
            para.space = False
        elif action == _RECORD:
            self.part.records.append((local, attrs))
            if attrs.get("TargetMode") == "External":
                self._beside(attrs.get("Target", ""))  # a hyperlink: mailto:, a URL with data
        elif action == _ENCRYPTED:
            raise Unscannable("encrypted OpenDocument")
        shown = _SHOWN_ATTRIBUTES.get(key)
        if shown is None and local in ("docPr", "cNvPr"):
            shown = _ALT_TEXT
        if shown:
            for attribute in shown:
                if value := attrs.get(attribute):
                    self._beside(value)
        self.frames.append((action, mode))

    def end(self, _tag: str) -> None:
        if self.loose:
            self._flush_loose()
        action, _mode = self.frames.pop()
        if action in (_PARA, _ODF_PARA, _SHEET_ROW):
            self._emit(self.paras.pop())
        elif action == _CELL_END:
            self.out.append(" ; ")
        elif action in (_ASIDE, _EXCEL_HEADER):
            text = "".join(self.asides.pop())
            self._beside(_EXCEL_CODES.sub(_code, text) if action == _EXCEL_HEADER else text)
        elif action == _SHEET_CELL:
            self._cell(self.paras.pop())
        elif action == _SHARED_ITEM:
            para = self.paras.pop()
            if self.part.shared is not None and not self.paras:
                self.part.shared.append("".join(str(p) for p in para.inline))
                for text in para.beside:
                    self.out += (text, " ;\n")
            else:
                self._emit(para)

    def chars(self, data: str) -> None:
        mode = self.frames[-1][1] if self.frames else _LOOSE
        if mode == _LOOSE:
            self.loose.append(data)
            return
        if mode == _BESIDE:
            self._count(len(data))
            self.asides[-1].append(data)
        elif not self.paras:
            self.loose.append(data)
        else:
            para = self.paras[-1]
            if para.odf:
                data = _ODF_SPACE.sub(" ", data)
                if para.space and data.startswith(" "):
                    data = data[1:]
                if not data:
                    return
                para.space = data.endswith(" ")
            self._count(len(data))
            para.inline.append(data)

    def _count(self, size: int) -> None:
        """Stop early on text far beyond the cap (the exact cap is checked on the result).
        Every character counted here ends up in the result, except a shared-string index
        (at most ~7 digits, against the 3 characters of " ; " after each cell), so 4x the cap
        counted means the result is over the cap for certain."""
        if self.muted or self.part.shared is not None:
            return  # settings are not emitted; shared strings are counted where cells use them
        self.budget.captured += size
        if self.budget.captured > 4 * self.budget.chars:
            raise Unscannable(too_much_text(self.budget))

    def _flush_loose(self) -> None:
        text = "".join(self.loose)
        self.loose.clear()
        if text.strip():
            self._count(len(text))
            self._beside(text.strip())

    def _beside(self, text: str) -> None:
        if not text.strip():
            return
        if self.paras:
            self.paras[-1].beside.append(text)
        elif not self.muted:
            self.out += (text, " ;\n")

    def _emit(self, para: _Para) -> None:
        if self.muted:
            return
        self.out += para.inline
        self.out.append("\n")
        for text in para.beside:
            self.out += (text, " ;\n")

    def _cell(self, cell: _Para) -> None:
        if cell.cell_type == "s":
            index = "".join(str(p) for p in cell.inline).strip()
            if not (index.isascii() and index.isdigit()):
                raise Unscannable(f"bad shared-string reference in {self.name!r}")
            ref = SharedRef(int(index))
            self._count(len(self.shared[ref]) if ref < len(self.shared) else 0)
            value: list[Piece] = [ref]
        else:
            value = cell.inline
        self._count(3)
        target = self.paras[-1] if self.paras else None
        if target is None:
            self._emit(_Para(inline=value, beside=cell.beside))
            return
        target.inline += (*value, " ; ")
        target.beside += cell.beside


def _code(match: re.Match[str]) -> str:
    if match.group(1):
        return f" {match.group(1)} "
    return "&" if match.group() == "&&" else " "


def read_xml(raw: bytes, name: str, budget: Budget, shared: list[str] | None = None) -> PartText:
    """The text of one XML part. Raises :class:`Unscannable` on a DOCTYPE, malformed XML or
    a cap; ``name`` is for messages only, ``shared`` the shared strings read so far."""
    reader = _Reader(listed_name(name), budget, shared or [])
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(*_args: object) -> None:
        raise Unscannable(f"DOCTYPE in {reader.name!r} (never in Office XML: refused)")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.chars
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as err:
        problem = expat.ErrorString(err.code)
        raise Unscannable(f"part {reader.name!r} is not well-formed XML ({problem})") from None
    return reader.part


__all__ = ["CONTENT_TYPES", "RELATIONSHIPS", "PartText", "Piece", "SharedRef", "read_xml"]
