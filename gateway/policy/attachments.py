"""Attachment kinds sniffed from the bytes, and size-capped text extraction.

The file name and the declared MIME type come from the sender and are not trusted: the kind is
read from the content's magic numbers. A name or MIME type that claims a different kind
("invoice.pdf" that is a Windows program) is itself a finding, ``name_mismatch``.

Text is extracted from plain text (UTF-8, UTF-16, Windows-1251), CSV, DOCX, XLSX, PPTX, ODF and
PDF, and from such files one level inside a zip archive, with caps on input size, decompressed
size, members, XML elements and output (:mod:`gateway.policy.extract`, Office documents by
their structure in :mod:`gateway.policy.office`). The engine runs the same detectors over it.
What cannot be scanned *whole* — encrypted, corrupt, over a cap, a part we do not read, a
format we do not open — says so (``scannable = False`` and a ``problem``), and the default
policy holds it: a file nobody could check does not leave unchecked, and neither does one
that was checked only in part. ``coverage`` records how much was read, for the audit log.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from gateway.policy.extract import (
    MAX_SCAN_BYTES,
    Budget,
    Coverage,
    Extracted,
    Tally,
    Unscannable,
    checked_text,
    decode_text,
    listed_name,
    new_budget,
    read_member,
    read_pdf,
)
from gateway.policy.office import read_office

_EXTENSIONS = {
    "executable": "exe dll msi scr com cpl sys elf so dylib bin apk jar app deb rpm",
    "script": "sh bash zsh bat cmd ps1 psm1 vbs vbe js jse wsf wsh hta py pl rb php lnk",
    "archive": "zip rar 7z gz tgz bz2 xz tar zst cab iso",
    "office": "docx xlsx pptx docm xlsm pptm doc xls ppt odt ods odp rtf",
    "pdf": "pdf",
    "image": "png jpg jpeg gif webp bmp tif tiff heic heif avif ico",
    "audio": "mp3 ogg oga opus wav flac m4a aac",
    "video": "mp4 mov webm mkv avi m4v 3gp",
    "text": "txt csv tsv md log json xml yaml yml ini cfg conf html htm svg eml",
}
EXTENSION_KINDS = {ext: kind for kind, exts in _EXTENSIONS.items() for ext in exts.split()}
_MIME_KINDS = {
    "application/pdf": "pdf", "application/zip": "archive", "application/x-zip-compressed":
    "archive", "application/x-rar-compressed": "archive", "application/x-7z-compressed": "archive",
    "application/x-msdownload": "executable", "application/x-dosexec": "executable",
    "application/x-executable": "executable", "application/vnd.microsoft.portable-executable":
    "executable", "application/msword": "office", "application/vnd.ms-excel": "office",
}  # fmt: skip
_COMPATIBLE = {
    ("archive", "office"), ("archive", "encrypted_archive"), ("archive", "executable"),
    ("office", "encrypted_archive"), ("text", "script"), ("audio", "video"), ("video", "audio"),
    ("office", "text"),
}  # fmt: skip
"""(claimed, sniffed) pairs that are not a disguise: a .zip may hold an encrypted archive, an
.ogg may be video, a .jar is a zip, an .rtf is text, a .txt may start with "#!"."""


@dataclass(frozen=True, slots=True)
class AttachmentScan:
    """What one attachment turned out to be. Never holds the bytes; ``text`` is for detectors."""

    kind: str
    """executable, script, archive, encrypted_archive, office, pdf, image, audio, video, text,
    unknown — from the bytes (a text file named as a script is a script)."""
    name_mismatch: bool = False
    """The name or declared MIME type claims a different kind than the bytes."""
    text: str = ""
    scannable: bool = True
    """False when the content could not be read: encrypted, corrupt, too big, unknown format."""
    problem: str | None = None
    claimed: str | None = None
    inner_kinds: tuple[str, ...] = ()
    """Kinds of the files inside an archive: a program in a zip is still a program."""
    coverage: Coverage | None = None
    """How much was read (parts, characters), for kinds whose text we read; on an unscannable
    file, how far reading got. Counts and structural part names only, never content."""

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset((self.kind, *self.inner_kinds))

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "kind": self.kind,
            "scannable": self.scannable,
            "name_mismatch": self.name_mismatch,
        }
        if self.claimed:
            data["claimed"] = self.claimed
        if self.problem:
            data["problem"] = self.problem
        if self.inner_kinds:
            data["inner_kinds"] = list(self.inner_kinds)
        if self.coverage is not None:
            data["coverage"] = self.coverage.as_dict()
        return data

    def summary(self) -> str:
        parts = [self.kind]
        if self.inner_kinds:
            parts.append(f"containing {', '.join(self.inner_kinds)}")
        if self.name_mismatch:
            parts.append(f"named as {self.claimed}")
        if not self.scannable:
            parts.append(f"not scannable: {self.problem}")
        elif (c := self.coverage) is not None:
            read = f"{c.parts_read} of {c.parts_total} parts" if c.parts_total > 1 else "whole"
            parts.append(f"scanned ({read}, {c.chars:,} characters)")
        else:
            parts.append("scanned")
        return ", ".join(parts)


def sniff(data: bytes) -> str:
    """The kind of a file from its first bytes (and, for zips, its directory)."""
    head = data[:1024]
    if head.startswith((b"MZ", b"\x7fELF", b"dex\n")) or head[:4] in _MACHO:
        return "executable"
    if head.startswith(b"#!") or head.lstrip(b"\xef\xbb\xbf").lower().startswith(b"@echo off"):
        return "script"
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    if head.startswith(_ARCHIVES) or head[257:262] == b"ustar":
        return "archive"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "office"  # OLE: legacy .doc/.xls/.ppt, or an encrypted OOXML file
    if head.startswith(_IMAGES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(_AUDIO) or (head[:4] == b"RIFF" and head[8:12] == b"WAVE"):
        return "audio"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
            return "image"
        return "audio" if brand in (b"M4A ", b"M4B ") else "video"
    if head.startswith(b"\x1a\x45\xdf\xa3") or (head[:4] == b"RIFF" and head[8:12] == b"AVI "):
        return "video"
    return "text" if _looks_like_text(data[:4096]) else "unknown"


_MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")
_ARCHIVES = (
    b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00",
    b"\x28\xb5\x2f\xfd", b"MSCF",
)  # fmt: skip
_IMAGES = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*",
)  # fmt: skip
_AUDIO = (b"ID3", b"OggS", b"fLaC", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte order mark
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # not just a sequence cut at the end of the sample
            controls = sum(1 for b in head if b < 9 or 13 < b < 32)
            return controls == 0  # Windows-1251 and friends: no NULs, no control bytes
    return True


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if any(info.flag_bits & 0x1 for info in infos):
                return "encrypted_archive"
            names = {info.filename for info in infos}
            if "[Content_Types].xml" in names and (
                any(n.startswith(("word/", "xl/", "ppt/")) for n in names)
                or _declares_office_document(archive, infos)
            ):
                return "office"
    except (zipfile.BadZipFile, ValueError, OSError):
        return "archive"  # corrupt: extraction will say so
    if "mimetype" in names and "content.xml" in names:
        return "office"  # OpenDocument
    if "AndroidManifest.xml" in names or "META-INF/MANIFEST.MF" in names:
        return "executable"  # .apk, .jar
    return "archive"


def _declares_office_document(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> bool:
    """An OOXML package whose parts are not under word/, xl/, ppt/: Word finds the main part
    through the package relationships, so the kind is decided by them too."""
    rels = next((i for i in infos if i.filename == "_rels/.rels"), None)
    if rels is None or rels.file_size > 65536:
        return False
    try:
        with archive.open(rels) as stream:
            return b"relationships/officeDocument" in stream.read(65536)
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError, NotImplementedError):
        return False


def claimed_kind(name: str, declared_mime: str | None = None) -> str | None:
    """The kind the file name (or else the declared MIME type) claims, if it claims one."""
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if suffix in EXTENSION_KINDS:
        return EXTENSION_KINDS[suffix]
    mime = (declared_mime or "").split(";")[0].strip().lower()
    if mime in _MIME_KINDS:
        return _MIME_KINDS[mime]
    major = mime.split("/")[0]
    if major in ("image", "audio", "video", "text"):
        return major
    if "openxmlformats" in mime or "opendocument" in mime:
        return "office"
    return None


def _mismatch(claimed: str | None, kind: str) -> bool:
    return claimed is not None and claimed != kind and (claimed, kind) not in _COMPATIBLE


def scan_attachment(name: str, data: bytes, declared_mime: str | None = None) -> AttachmentScan:
    """Sniff, compare with the name, and extract text within the caps. Never raises."""
    kind = sniff(data)
    claimed = claimed_kind(name, declared_mime)
    if kind == "text" and claimed == "script":
        kind = "script"  # text named .ps1 or .bat is a script: the name decides how it runs
    mismatch = _mismatch(claimed, kind) or _mismatch(claimed_kind("", declared_mime), kind)

    def unscannable(problem: str, coverage: Coverage | None = None) -> AttachmentScan:
        return AttachmentScan(kind, mismatch, "", False, problem, claimed, coverage=coverage)

    if len(data) > MAX_SCAN_BYTES:
        return unscannable(f"larger than the {MAX_SCAN_BYTES // 2**20} MiB scan limit")
    if kind == "encrypted_archive":
        return unscannable("encrypted archive")
    if kind == "unknown":
        return unscannable("unknown binary format")
    budget = new_budget()
    try:
        if kind == "archive":
            return _scan_archive(data, claimed, mismatch, budget)
        found = _extract(kind, data, budget)
    except Unscannable as err:
        return unscannable(str(err), err.coverage)
    except Exception as err:  # a parser bug on hostile input must not crash the engine
        return unscannable(f"could not be read ({type(err).__name__})")
    if found is None:
        return AttachmentScan(kind, mismatch, claimed=claimed)
    return AttachmentScan(kind, mismatch, found.text, claimed=claimed, coverage=found.coverage)


def _extract(kind: str, data: bytes, budget: Budget) -> Extracted | None:
    """The text of one file and how it was read; ``None`` for kinds with no text we read."""
    if kind in ("text", "script"):
        text = decode_text(data)
        return Extracted(text, Coverage(1, 1, len(text)))
    if kind == "office":
        return read_office(data, budget)
    if kind == "pdf":
        return read_pdf(data, budget)
    return None  # images, audio, video, programs: known kinds with no text we read


_NOT_OPENED = {"archive": "nested archive", "encrypted_archive": "encrypted archive"}


def _member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget
) -> tuple[str, Extracted | None]:
    """One archive member's kind and text."""
    content = read_member(archive, info, budget)
    inner = sniff(content)
    if inner == "text" and claimed_kind(info.filename) == "script":
        inner = "script"
    if inner in ("archive", "encrypted_archive", "unknown"):
        raise Unscannable(_NOT_OPENED.get(inner, "unknown binary"))
    return inner, _extract(inner, content, budget)


def _scan_archive(
    data: bytes, claimed: str | None, mismatch: bool, budget: Budget
) -> AttachmentScan:
    """One level into a zip: members' kinds are recorded, their names and text scanned."""
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise Unscannable("archive format not opened (only zip is)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise Unscannable(f"corrupt archive ({err})") from None
    kinds: list[str] = []
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > budget.members:
            raise Unscannable(f"more than {budget.members} files in the archive (the scan limit)")
        texts = [info.filename for info in members]  # the names a recipient sees, scanned too
        tally = Tally(total=len(members))
        for info in members:
            try:
                inner, found = _member(archive, info, budget)
            except Unscannable as err:
                where = listed_name(info.filename)
                raise Unscannable(f"{err} inside: {where}", tally.coverage(0)) from None
            mismatch = mismatch or _mismatch(claimed_kind(info.filename), inner)
            kinds.append(inner)
            if found is None:
                tally.not_text += 1
            else:
                tally.add(found.coverage, info.filename)
                texts.append(found.text)
    found = checked_text(" ;\n".join(t for t in texts if t), budget, tally)
    return AttachmentScan(
        "archive",
        mismatch,
        found.text,
        claimed=claimed,
        inner_kinds=tuple(sorted(set(kinds))),
        coverage=found.coverage,
    )


__all__ = ["EXTENSION_KINDS", "AttachmentScan", "claimed_kind", "scan_attachment", "sniff"]
