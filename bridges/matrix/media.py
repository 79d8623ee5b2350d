"""Media through the Matrix content repository: capped downloads, uploads, picking a msgtype.

nio's own ``download`` reads the whole body into memory before anyone can look at its size, so a
hostile ``mxc://`` URI pointing at a huge file would be read in full. :func:`download` streams
instead and stops one byte past the cap. It uses the authenticated media API
(``/_matrix/client/v1/media``), which Synapse requires for media uploaded since 1.120.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from urllib.parse import quote

from nio import AsyncClient, ErrorResponse, UploadResponse

from bridges.matrix.errors import error_from_response
from gateway.errors import BridgeError, PermanentBridgeError

_MXC = re.compile(r"^mxc://([A-Za-z0-9.:\[\]-]{1,255})/([A-Za-z0-9_-]{1,255})$")
_CHUNK = 64 * 1024

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, slots=True)
class Downloaded:
    data: bytes
    content_type: str | None


class MediaTooLarge(PermanentBridgeError):
    """The file is bigger than the configured cap; retrying will not shrink it."""


def parse_mxc(uri: str) -> tuple[str, str] | None:
    """(server name, media id) of a well-formed ``mxc://`` URI, else ``None``."""
    match = _MXC.match(uri)
    return (match.group(1), match.group(2)) if match else None


async def download(client: AsyncClient, uri: str, max_bytes: int) -> Downloaded:
    """Fetch an ``mxc://`` URI, refusing to read more than ``max_bytes``.

    Raises :class:`MediaTooLarge`, ``PermanentBridgeError`` (bad URI, media not found) or
    ``TransientBridgeError`` (homeserver trouble) — transport exceptions are the caller's to map.
    """
    parts = parse_mxc(uri)
    if parts is None:
        raise PermanentBridgeError(f"not a valid mxc URI: {uri[:100]!r}")
    server, media_id = parts
    path = f"/_matrix/client/v1/media/download/{quote(server, safe='')}/{quote(media_id, safe='')}"
    headers = {"Authorization": f"Bearer {client.access_token}"}
    response = await client.send("GET", path, headers=headers)
    try:
        if response.status != 200:
            raise _error(response.status, await response.read(), f"download {uri}")
        declared = response.content_length
        if declared is not None and declared > max_bytes:
            raise MediaTooLarge(f"{uri} is {declared} bytes, over the {max_bytes}-byte cap")
        buffer = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            buffer += chunk
            if len(buffer) > max_bytes:
                raise MediaTooLarge(f"{uri} is over the {max_bytes}-byte cap")
        return Downloaded(bytes(buffer), response.content_type or None)
    finally:
        response.release()


async def upload(client: AsyncClient, data: bytes, mime: str, name: str) -> str:
    """Put bytes into the content repository; return their ``mxc://`` URI."""
    response, _ = await client.upload(
        io.BytesIO(data), content_type=mime, filename=name, filesize=len(data)
    )
    if isinstance(response, UploadResponse):
        return str(response.content_uri)
    if isinstance(response, ErrorResponse):
        raise error_from_response(response, f"upload {name!r}")
    raise PermanentBridgeError(f"upload {name!r}: unexpected response {type(response).__name__}")


def msgtype_for(data: bytes, declared_mime: str | None) -> tuple[str, str]:
    """(msgtype, mimetype) to send a file as.

    Only bytes that really start like a common image are sent as ``m.image`` — the declared type
    comes from a sender on another network and a client would try to render whatever it is told.
    Video and audio keep their declared type (clients offer them as playable files).
    """
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return "m.image", mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "m.image", "image/webp"
    mime = declared_mime or "application/octet-stream"
    if mime.startswith("video/"):
        return "m.video", mime
    if mime.startswith("audio/"):
        return "m.audio", mime
    if mime.startswith("image/"):
        mime = "application/octet-stream"
    return "m.file", mime


def _error(status: int, body: bytes, doing: str) -> BridgeError:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        parsed = {"errcode": "", "error": f"HTTP {status}"}
    return error_from_response(ErrorResponse.from_dict(parsed), doing, status=status)


__all__ = ["Downloaded", "MediaTooLarge", "download", "msgtype_for", "parse_mxc", "upload"]
