"""The message archive: durable, deduplicated on native id, searchable.

``archive`` is the hot path of the whole gateway — every message from every network passes
through it before its sync token may advance. Calls are coalesced: messages that arrive while a
transaction is being committed are inserted together with one ``executemany`` in the next one,
and each caller still gets its own id only after the commit.

``archive_then`` adds a *follow-up* that runs in the same transaction, right after the insert,
with the message's id: the router writes its outbox rows there, so a message costs one durable
commit, not two, and no crash can leave it archived but unrouted. A failing follow-up is rolled
back alone (its own savepoint): the message stays archived, unrouted, and the caller gets the
error — the network redelivers the event and routing is tried again.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import aiosqlite

from gateway.model import (
    Attachment,
    ChatRef,
    Direction,
    Message,
    MessageId,
    MessageKind,
    NetworkName,
    Span,
    SpanKind,
    UserRef,
)
from gateway.store.connection import WriteConnection
from gateway.store.rows import fetch_one
from gateway.store.writer import GroupCommitWriter

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    message_id: MessageId
    is_new: bool
    """False when the same native message was archived before (a redelivered event)."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    message_id: MessageId
    network: str
    chat_id: str
    chat_title: str | None
    sender_name: str | None
    direction: str
    sent_at: int
    snippet: str
    """The body with matches wrapped in ``[`` … ``]``, trimmed around the first match."""


_TERM = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str | None:
    """Turn what a user typed into a safe FTS5 query: every word must match, as a prefix.

    Prefix matching is what makes a Russian search useful without a stemmer ("платеж" finds
    "платежи", "платежа"). Quoting each term means FTS5 syntax in the input is just text.
    """
    terms = _TERM.findall(text.replace("ё", "е").replace("Ё", "Е"))
    if not terms:
        return None
    return " ".join(f'"{term}"*' for term in terms)


def _encode_spans(message: Message) -> str | None:
    if not message.spans:
        return None
    return json.dumps(
        [[s.offset, s.length, s.kind.value, s.extra] for s in message.spans], ensure_ascii=False
    )


def _encode_attachments(message: Message) -> str | None:
    if not message.attachments:
        return None
    return json.dumps(
        [
            {
                "name": a.name,
                "mime": a.declared_mime,
                "size": a.size,
                "ref": a.native_ref,
                "sha256": a.digest,
            }
            for a in message.attachments
        ],
        ensure_ascii=False,
    )


MAX_ARCHIVE_BATCH = 4000
"""Messages per insert; keeps the dedupe query under SQLite's bound-variable limit."""

FollowUp = Callable[[WriteConnection, ArchiveResult], Awaitable[Any]]
"""Runs inside the archiving transaction, after the insert, with the message's result."""


@dataclass(slots=True)
class _Batch:
    """Messages that will be inserted together; each caller waits on its own future."""

    messages: list[Message] = field(default_factory=list)
    follow_ups: list[FollowUp | None] = field(default_factory=list)
    futures: list[asyncio.Future[tuple[ArchiveResult, Any]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Outcome:
    result: ArchiveResult
    value: Any = None
    error: BaseException | None = None
    """The follow-up's failure; the message itself is archived."""


class MessageArchive:
    """Archives messages through the group-commit writer; searches through the read connection."""

    def __init__(self, writer: GroupCommitWriter, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._open_batch: _Batch | None = None
        self._conversations: dict[tuple[str, str], int] = {}
        self._next_id: int | None = None
        writer.on_rollback(self._forget_cached_state)

    def _forget_cached_state(self) -> None:
        self._conversations.clear()
        self._next_id = None

    async def archive(self, message: Message) -> ArchiveResult:
        """Store ``message`` durably (or find it already stored); return its id after commit."""
        result, _value = await self._enqueue(message, None)
        return result

    async def archive_then(
        self, message: Message, then: Callable[[WriteConnection, ArchiveResult], Awaitable[T]]
    ) -> tuple[ArchiveResult, T]:
        """Archive ``message`` and run ``then`` in the same transaction; both durable on return.

        ``then`` runs for a redelivered message too (``is_new`` False), so it can finish what a
        message archived earlier without it still lacks. If ``then`` raises, its writes are
        undone, the message stays archived, and the error is raised here after the commit.
        """
        return await self._enqueue(message, then)

    async def _enqueue(self, message: Message, then: FollowUp | None) -> tuple[ArchiveResult, Any]:
        batch = self._open_batch
        if batch is None or len(batch.messages) >= MAX_ARCHIVE_BATCH:
            batch = self._open_batch = _Batch()
            insert = self._writer.enqueue(partial(self._insert, batch))
            insert.add_done_callback(partial(_settle, batch))
        future: asyncio.Future[tuple[ArchiveResult, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        batch.messages.append(message)
        batch.follow_ups.append(then)
        batch.futures.append(future)
        return await future

    async def _insert(self, batch: _Batch, conn: WriteConnection) -> list[_Outcome]:
        results = await self._insert_rows(batch, conn)
        outcomes = []
        for result, then in zip(results, batch.follow_ups, strict=True):
            if then is None:
                outcomes.append(_Outcome(result))
                continue
            await conn.execute("SAVEPOINT follow_up")
            try:
                value = await then(conn, result)
            except Exception as err:
                await conn.execute("ROLLBACK TO follow_up")
                await conn.execute("RELEASE follow_up")
                self._writer.forget_caches()  # what the follow-up cached is undone
                outcomes.append(_Outcome(result, error=err))
                continue
            await conn.execute("RELEASE follow_up")
            outcomes.append(_Outcome(result, value))
        return outcomes

    async def _insert_rows(self, batch: _Batch, conn: WriteConnection) -> list[ArchiveResult]:
        if self._open_batch is batch:
            self._open_batch = None  # from here on, newcomers start the next batch
        now = int(time.time() * 1000)
        keys = [(await self._conversation_id(conn, m, now), m) for m in batch.messages]
        # A lone message — the commonest batch — skips the lookup: the insert itself tells
        # whether it was new (ON CONFLICT DO NOTHING), one trip to the database thread saved.
        lone = len(keys) == 1
        wanted = [(conversation_id, m.native_id) for conversation_id, m in keys]
        existing = {} if lone else await self._existing_ids(conn, wanted)
        if self._next_id is None:
            row = await fetch_one(conn, "SELECT coalesce(max(id), 0) + 1 FROM messages")
            self._next_id = int(row[0]) if row else 1
        rows = []
        results: list[ArchiveResult] = []
        for conversation_id, message in keys:
            key = (conversation_id, message.native_id)
            if key in existing:
                results.append(ArchiveResult(MessageId(existing[key]), is_new=False))
                continue
            message_id = self._next_id
            self._next_id += 1
            existing[key] = message_id
            sent_at = int(message.sent_at.timestamp() * 1000)
            rows.append(
                (
                    message_id,
                    conversation_id,
                    message.native_id,
                    message.sender.user_id,
                    message.sender.display_name,
                    message.direction.value,
                    message.kind.value,
                    message.text,
                    _encode_spans(message),
                    _encode_attachments(message),
                    message.reply_to_native_id,
                    message.edit_of_native_id,
                    sent_at,
                    now,
                )
            )
            results.append(ArchiveResult(MessageId(message_id), is_new=True))
        if not rows:
            return results
        # conversations.last_message_at follows by trigger (migration 0003).
        cursor = await conn.executemany(
            "INSERT INTO messages (id, conversation_id, native_id, sender_id, sender_name,"
            " direction, kind, body, spans, attachments, reply_to_native, edit_of_native,"
            " sent_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (conversation_id, native_id) DO NOTHING",
            rows,
        )
        if cursor.rowcount != len(rows):  # only a lone message can get here: redelivered
            assert lone, "a batch's duplicates were looked up before the insert"
            self._next_id -= 1
            conversation_id, message = keys[0]
            key = (conversation_id, message.native_id)
            found = await self._existing_ids(conn, [key])
            return [ArchiveResult(MessageId(found[key]), is_new=False)]
        return results

    async def _conversation_id(self, conn: WriteConnection, message: Message, now: int) -> int:
        key = (message.chat.network, message.chat.chat_id)
        cached = self._conversations.get(key)
        if cached is not None:
            return cached
        row = await fetch_one(
            conn,
            "INSERT INTO conversations (network, chat_id, title, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (network, chat_id) DO UPDATE"
            " SET title = coalesce(excluded.title, conversations.title) RETURNING id",
            (*key, message.chat.title, now),
        )
        assert row is not None
        self._conversations[key] = int(row[0])
        return int(row[0])

    @staticmethod
    async def _existing_ids(
        conn: WriteConnection, keys: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], int]:
        if not keys:
            return {}
        placeholders = ", ".join(["(?, ?)"] * len(keys))
        params = [value for key in keys for value in key]
        # A join from the key list, not "(a, b) IN (VALUES …)": SQLite plans the latter as a
        # scan of the whole index, the join as one index search per key.
        # One round trip to the connection's thread (execute_fetchall), not three.
        rows = await conn.execute_fetchall(
            f"WITH wanted (cid, nid) AS (VALUES {placeholders})"  # noqa: S608 - placeholders only
            " SELECT m.conversation_id, m.native_id, m.id FROM wanted"
            " JOIN messages m ON m.conversation_id = wanted.cid AND m.native_id = wanted.nid",
            params,
        )
        return {(row[0], row[1]): row[2] for row in rows}


def _settle(batch: _Batch, insert: asyncio.Future[list[_Outcome]]) -> None:
    """Hand each caller its result — or the batch's failure — once the writer is done."""
    error = insert.exception() if not insert.cancelled() else asyncio.CancelledError()
    outcomes: list[_Outcome | None] = (
        list(insert.result()) if error is None else [None] * len(batch.futures)
    )
    for future, outcome in zip(batch.futures, outcomes, strict=True):
        if future.done():
            continue
        if outcome is None:
            future.set_exception(error or RuntimeError("archive batch lost"))
        elif outcome.error is not None:
            future.set_exception(outcome.error)
        else:
            future.set_result((outcome.result, outcome.value))


async def search_messages(
    reader: aiosqlite.Connection,
    query: str,
    *,
    limit: int = 50,
    network: str | None = None,
    conversation_ids: Sequence[int] | None = None,
) -> list[SearchHit]:
    """Newest matches first, across every network unless one is named.

    Newest-first rather than by relevance: in a messenger you look for the recent thread, and
    ``ORDER BY rowid DESC LIMIT n`` lets FTS5 stop early instead of ranking every match.
    """
    match = fts_query(query)
    if match is None:
        return []
    filters, params = [], [match]
    if network is not None:
        filters.append("c.network = ?")
        params.append(network)
    if conversation_ids is not None:
        if not conversation_ids:
            return []
        filters.append(f"m.conversation_id IN ({', '.join('?' * len(conversation_ids))})")
        params.extend(str(cid) for cid in conversation_ids)
    where = (" AND " + " AND ".join(filters)) if filters else ""
    # `where` holds only fixed SQL with placeholders; every value is a bound parameter.
    sql = (
        "SELECT m.id, c.network, c.chat_id, c.title, m.sender_name, m.direction, m.sent_at,"  # noqa: S608
        " snippet(messages_fts, 0, '[', ']', '…', 16)"
        " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
        " JOIN conversations c ON c.id = m.conversation_id"
        f" WHERE messages_fts MATCH ?{where} ORDER BY messages_fts.rowid DESC LIMIT ?"
    )
    params.append(str(limit))
    async with reader.execute(sql, params) as cursor:
        return [
            SearchHit(MessageId(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7])
            async for r in cursor
        ]


_MESSAGE_COLUMNS = (
    "m.id, c.network, c.chat_id, c.title, m.native_id, m.sender_id, m.sender_name, m.direction,"
    " m.kind, m.body, m.spans, m.attachments, m.reply_to_native, m.edit_of_native, m.sent_at"
)


def _message(row: Sequence[Any]) -> tuple[MessageId, Message]:
    network = NetworkName(row[1])
    spans = tuple(Span(o, n, SpanKind(k), e) for o, n, k, e in json.loads(row[10] or "[]"))
    attachments = tuple(
        Attachment(
            a["name"], a.get("mime"), a["size"], native_ref=a.get("ref"), digest=a.get("sha256")
        )
        for a in json.loads(row[11] or "[]")
    )
    return MessageId(row[0]), Message(
        chat=ChatRef(network, row[2], row[3]),
        sender=UserRef(network, row[5], row[6]),
        native_id=row[4],
        direction=Direction(row[7]),
        text=row[9],
        spans=spans,
        attachments=attachments,
        kind=MessageKind(row[8]),
        reply_to_native_id=row[12],
        edit_of_native_id=row[13],
        sent_at=datetime.fromtimestamp(row[14] / 1000, UTC),
    )


async def unrouted_messages(
    reader: aiosqlite.Connection, chat: ChatRef | None = None
) -> list[tuple[MessageId, Message]]:
    """Messages archived but not routed — they wait in reception (:mod:`gateway.reception`),
    routing them failed after the archive committed, or an older version crashed between
    archiving and routing — oldest first; only ``chat``'s if given."""
    where = "m.routed_at IS NULL"
    params: tuple[str, ...] = ()
    if chat is not None:
        where += " AND c.network = ? AND c.chat_id = ?"
        params = (chat.network, chat.chat_id)
    async with reader.execute(
        f"SELECT {_MESSAGE_COLUMNS} FROM messages m"  # noqa: S608 - fixed column list
        f" JOIN conversations c ON c.id = m.conversation_id WHERE {where} ORDER BY m.id",
        params,
    ) as cursor:
        return [_message(row) async for row in cursor]
