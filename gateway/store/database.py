"""Opening the store: one write connection behind the group-commit writer, one for reading.

The write connection and ``lookups`` (a read-only one for the relay's single-row lookups) are
:class:`~gateway.store.connection.InlineConnection` s: their statements run on the event loop,
commits and waits on a thread. The reader is an ordinary aiosqlite connection, because a search
may take as long as it likes without holding anything else up.

WAL mode lets the reader (search, history, the TUI's pages) run while the writer commits, so a
slow search never delays an incoming message. The file is created private (0600): it holds every
conversation the company has with its partners.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import aiosqlite

from gateway.errors import NotADatabaseError, StoreError
from gateway.model import Message
from gateway.store import kv
from gateway.store.audit import AuditChain, AuditRecord, ChainReport, iter_records, verify_chain
from gateway.store.connection import BUSY_TIMEOUT_MS, InlineConnection, WriteConnection
from gateway.store.messages import ArchiveResult, MessageArchive, SearchHit, search_messages
from gateway.store.schema import migrate
from gateway.store.writer import GroupCommitWriter, Operation

T = TypeVar("T")


def _damaged(path: Path, err: Exception) -> NotADatabaseError:
    return NotADatabaseError(
        f"{path}: not a usable hgw store ({err}). If this is the right file it is damaged:"
        " restore the last backup (see docs/admin.md, 'Backup and restore')"
    )


def _prepare_file(path: Path, *, create: bool) -> Path:
    """Create a missing store file private (0600) before SQLite would create it world-readable."""
    path = path.expanduser()
    if not path.exists():
        if not create:
            raise StoreError(f"{path}: no store here; run the daemon once to create it")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        os.close(fd)
    elif path.is_dir():
        raise StoreError(f"{path}: is a directory; [store] path must name a file")
    return path


class Store:
    """The company's archive. Create with ``async with Store.open(path) as store``."""

    def __init__(
        self,
        path: Path,
        writer_conn: InlineConnection,
        reader: aiosqlite.Connection,
        lookups: InlineConnection,
    ) -> None:
        self.path = path
        self._writer_conn = writer_conn
        self.reader = reader
        self.lookups = lookups
        """For the relay's hot single-row reads (a chat's queue head), run on the loop."""
        self.writer = GroupCommitWriter(writer_conn)
        self.messages = MessageArchive(self.writer, reader)
        self.audit = AuditChain()
        self.writer.on_rollback(self.audit.forget_head)

    @classmethod
    @contextlib.asynccontextmanager
    async def open(
        cls, path: Path, *, synchronous: Literal["full", "normal"] = "full", create: bool = True
    ) -> AsyncIterator[Store]:
        store = await cls.connect(path, synchronous=synchronous, create=create)
        try:
            yield store
        finally:
            await store.close()

    @classmethod
    async def connect(
        cls, path: Path, *, synchronous: Literal["full", "normal"] = "full", create: bool = True
    ) -> Store:
        path = _prepare_file(path, create=create)
        writer_conn = await InlineConnection.open(path)
        reader: aiosqlite.Connection | None = None
        lookups: InlineConnection | None = None
        try:
            with writer_conn.in_thread():  # switching to WAL and migrating may wait for locks
                await writer_conn.execute("PRAGMA journal_mode = WAL")
                await writer_conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
                await writer_conn.execute("PRAGMA foreign_keys = ON")
                await migrate(writer_conn, path)
            reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
            await reader.execute("PRAGMA query_only = ON")
            await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            lookups = await InlineConnection.open(path, read_only=True)
        except BaseException as err:
            for conn in (lookups, reader, writer_conn):
                if conn is not None:
                    await conn.close()
            if isinstance(err, sqlite3.DatabaseError):
                raise _damaged(path, err) from None
            raise
        store = cls(path, writer_conn, reader, lookups)
        store.writer.start()
        return store

    async def close(self) -> None:
        """Commit what is queued, then close the connections."""
        try:
            await self.writer.close()
        finally:
            await self.lookups.close()
            await self.reader.close()
            await self._writer_conn.close()

    # -- writing ------------------------------------------------------------------------------

    async def write(self, operation: Operation[T]) -> T:
        """Run ``operation`` atomically in the next group commit; return after it is durable."""
        return await self.writer.submit(operation)

    async def archive(self, message: Message) -> ArchiveResult:
        return await self.messages.archive(message)

    async def audit_append(
        self,
        *,
        actor: str,
        action: str,
        subject: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        async def append(conn: WriteConnection) -> AuditRecord:
            return await self.audit.append(
                conn, actor=actor, action=action, subject=subject, details=details
            )

        return await self.write(append)

    async def put_value(self, key: str, value: str) -> None:
        async def put(conn: WriteConnection) -> None:
            await kv.put(conn, key, value)

        await self.write(put)

    # -- reading ------------------------------------------------------------------------------

    async def get_value(self, key: str) -> str | None:
        return await kv.get(self.reader, key)

    async def search(
        self,
        query: str,
        *,
        limit: int = 50,
        network: str | None = None,
        conversation_ids: Sequence[int] | None = None,
    ) -> list[SearchHit]:
        return await search_messages(
            self.reader, query, limit=limit, network=network, conversation_ids=conversation_ids
        )

    async def verify_audit(self) -> ChainReport:
        return await verify_chain(self.reader)

    def audit_records(self, *, since_ms: int | None = None) -> AsyncIterator[AuditRecord]:
        return iter_records(self.reader, since_ms=since_ms)


__all__ = ["Store"]
