"""Attachment kinds sniffed from the bytes, and size-capped text extraction.

The file name and the declared MIME type come from the sender and are not trusted: the kind
is read from the content's magic numbers. A name that claims another kind ("invoice.pdf" that
is a Windows executable) is itself a finding. Text is extracted from plain text, CSV, DOCX,
XLSX and PDF — with caps on input size, decompressed size and output — and scanned by the same
detectors as message text. What cannot be scanned (encrypted, corrupt, too large) says so, and
the default policy holds it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

MAX_SCAN_BYTES = 20 * 1024 * 1024
"""Files larger than this are not opened for text: unscannable."""
MAX_TEXT_CHARS = 200_000
"""Extracted text beyond this is not scanned (and the file counts as partly scanned)."""
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
"""Zip-bomb guard for DOCX/XLSX parts."""

_EXTENSION_KINDS = {
    "exe": "executable", "dll": "executable", "msi": "executable", "scr": "executable",
    "elf": "executable", "bin": "executable", "apk": "executable",
    "sh": "script", "bat": "script", "cmd": "script", "ps1": "script", "vbs": "script",
    "js": "script", "py": "script",
    "zip": "archive", "rar": "archive", "7z": "archive", "gz": "archive", "tgz": "archive",
    "docx": "office", "xlsx": "office", "pptx": "office", "doc": "office", "xls": "office",
    "pdf": "pdf",
    "png": "image", "jpg": "image", "jpeg": "image", "gif": "image", "webp": "image",
    "mp3": "audio", "ogg": "audio", "oga": "audio", "wav": "audio", "m4a": "audio",
    "mp4": "video", "mov": "video", "webm": "video", "mkv": "video",
    "txt": "text", "csv": "text", "md": "text", "log": "text", "json": "text",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class AttachmentScan:
    kind: str
    """executable, script, archive, encrypted_archive, office, pdf, image, audio, video, text,
    unknown."""
    name_mismatch: bool
    """The file name's extension claims a different kind than the bytes."""
    text: str = ""
    scannable: bool = True
    """False when the content could not be read (encrypted, corrupt, too big)."""
    problem: str | None = None


def sniff(data: bytes) -> str:
    head = data[:512]
    if head.startswith(b"MZ") or head.startswith(b"\x7fELF") or head[:4] in (
        b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe",
    ):  # fmt: skip
        return "executable"
    if head.startswith(b"#!"):
        return "script"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh")):
        return "archive"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    ):
        return "image"
    if head.startswith((b"ID3", b"OggS", b"fLaC")) or (
        head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    ):
        return "audio"
    if head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "office"  # legacy OLE .doc/.xls: recognised, not extracted
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < 4090:  # a cut multi-byte sequence at the very end is fine
            return "unknown"
    return "text"


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if any(info.flag_bits & 0x1 for info in infos):
                return "encrypted_archive"
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, ValueError):
        return "archive"
    if "[Content_Types].xml" in names and any(
        n.startswith(("word/", "xl/", "ppt/")) for n in names
    ):
        return "office"
    return "archive"


def claimed_kind(name: str) -> str | None:
    suffix = PurePath(name).suffix.lower().lstrip(".")
    return _EXTENSION_KINDS.get(suffix)


def scan_attachment(name: str, data: bytes) -> AttachmentScan:
    kind = sniff(data)
    claimed = claimed_kind(name)
    mismatch = (
        claimed is not None
        and claimed != kind
        and not (claimed == "archive" and kind in ("encrypted_archive", "office"))
        and not (claimed == "text" and kind == "script")
    )
    if len(data) > MAX_SCAN_BYTES:
        return AttachmentScan(kind, mismatch, scannable=False, problem="too large to scan")
    if kind == "encrypted_archive":
        return AttachmentScan(kind, mismatch, scannable=False, problem="encrypted")
    try:
        text = _extract(kind, data)
    except _Unscannable as err:
        return AttachmentScan(kind, mismatch, scannable=False, problem=str(err))
    return AttachmentScan(kind, mismatch, text=text[:MAX_TEXT_CHARS])


class _Unscannable(Exception):
    pass


def _extract(kind: str, data: bytes) -> str:
    if kind in ("text", "script"):
        return data[: MAX_TEXT_CHARS * 4].decode("utf-8", errors="replace")
    if kind == "office":
        return _office_text(data)
    if kind == "pdf":
        return _pdf_text(data)
    return ""


_XML_TEXT = re.compile(rb"<(?:w:t|t|a:t)(?:\s[^>]*)?>([^<]*)</(?:w:t|t|a:t)>")


def _office_text(data: bytes) -> str:
    if not data.startswith(b"PK"):
        raise _Unscannable("legacy binary Office format")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [
                info
                for info in archive.infolist()
                if info.filename.endswith(".xml")
                and info.filename.startswith(("word/document", "word/header", "word/footer",
                                              "xl/sharedStrings", "xl/worksheets/", "ppt/slides/"))
            ]  # fmt: skip
            if sum(info.file_size for info in parts) > MAX_UNZIPPED_BYTES:
                raise _Unscannable("expands beyond the scan limit")
            chunks: list[str] = []
            for info in parts:
                xml = archive.read(info)
                chunks.extend(m.decode("utf-8", "replace") for m in _XML_TEXT.findall(xml))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise _Unscannable(f"corrupt document ({err})") from None
    import html

    return html.unescape(" ".join(chunks))


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise _Unscannable("encrypted PDF")
        out: list[str] = []
        size = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            out.append(text)
            size += len(text)
            if size > MAX_TEXT_CHARS:
                break
        return "\n".join(out)
    except _Unscannable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as err:
        raise _Unscannable(f"corrupt PDF ({type(err).__name__})") from None


__all__ = ["AttachmentScan", "claimed_kind", "scan_attachment", "sniff"]
