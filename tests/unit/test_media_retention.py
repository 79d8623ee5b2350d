"""Retention also forgets media files once no message or pending delivery refers to them."""

from __future__ import annotations

import os
import time
from pathlib import Path

from gateway.media import MediaCache
from gateway.model import Attachment, ChatRef, Direction, Message, NetworkName, UserRef
from gateway.store import Store
from gateway.store.retention import media_in_use


async def test_unreferenced_old_files_go_referenced_and_recent_ones_stay(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "media")
    kept = await cache.put(b"invoice.pdf bytes")
    orphan = await cache.put(b"a file whose message expired")
    fresh = await cache.put(b"written a moment ago, its row not yet committed")
    an_hour_ago = time.time() - 3600
    for digest in (kept, orphan):
        os.utime(tmp_path / "media" / digest, (an_hour_ago, an_hour_ago))

    async with Store.open(tmp_path / "hgw.sqlite3") as store:
        chat = ChatRef(NetworkName("telegram"), "7")
        attachment = Attachment("invoice.pdf", "application/pdf", 17, digest=kept)
        await store.archive(
            Message(
                chat,
                UserRef(NetworkName("telegram"), "7"),
                "1",
                Direction.INBOUND,
                "see attached",
                attachments=(attachment,),
            )
        )
        keep = await media_in_use(store.reader)

    assert kept in keep
    removed = await cache.prune(keep, older_than=time.time() - 60)
    assert removed == 1
    assert await cache.get(kept) == b"invoice.pdf bytes"
    assert await cache.get(orphan) is None
    assert await cache.get(fresh) is not None
