from __future__ import annotations

import asyncio
import sqlite3
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from gateway.errors import NotADatabaseError, SchemaTooNewError
from gateway.model import ChatRef, Direction, Message, NetworkName, Span, SpanKind, UserRef
from gateway.store import LATEST_VERSION, Store, fts_query
from gateway.store.schema import apply, bundled_migrations

TELEGRAM = NetworkName("telegram")
MATRIX = NetworkName("matrix")


def message(native_id: str, text: str, *, chat: str = "acme", network: str = TELEGRAM) -> Message:
    return Message(
        chat=ChatRef(NetworkName(network), chat, chat.upper()),
        sender=UserRef(NetworkName(network), "u1", "Иван Петров"),
        native_id=native_id,
        direction=Direction.INBOUND,
        text=text,
        spans=(Span(0, 3, SpanKind.BOLD),),
        sent_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    )


@pytest.fixture
async def store(tmp_path: Path):
    async with Store.open(tmp_path / "hgw.sqlite3") as opened:
        yield opened


async def test_archive_is_durable_when_it_returns(store: Store) -> None:
    result = await store.archive(message("1", "hello"))
    assert result.is_new
    # A second, independent connection sees it: the write was committed before returning.
    with sqlite3.connect(store.path) as raw:
        body, spans = raw.execute(
            "SELECT body, spans FROM messages WHERE id = ?", (result.message_id,)
        ).fetchone()
    assert body == "hello"
    assert spans == '[[0, 3, "bold", null]]'


async def test_store_file_is_private(store: Store) -> None:
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


async def test_redelivered_message_is_deduplicated(store: Store) -> None:
    first = await store.archive(message("42", "once"))
    again = await store.archive(message("42", "once"))
    other_chat = await store.archive(message("42", "same id, other chat", chat="globex"))
    assert again.message_id == first.message_id
    assert not again.is_new
    assert other_chat.is_new
    assert other_chat.message_id != first.message_id


async def test_redelivery_of_a_lone_message_uses_no_id_and_next_message_follows(
    store: Store,
) -> None:
    # A lone message is inserted without a lookup first; a conflict must give back the stored
    # id and not burn one (ids are handed out in memory).
    first = await store.archive(message("1", "one"))
    again = await store.archive(message("1", "one, redelivered"))
    second = await store.archive(message("2", "two"))
    assert (again.message_id, again.is_new) == (first.message_id, False)
    assert second.message_id == first.message_id + 1
    with sqlite3.connect(store.path) as raw:
        assert (
            raw.execute("SELECT body FROM messages WHERE id = ?", (first.message_id,)).fetchone()[0]
            == "one"
        )


async def test_conversation_keeps_the_time_of_its_latest_message(store: Store) -> None:
    late = message("late", "written later", chat="acme")
    early = message("early", "written earlier, arrives last", chat="acme")
    late = replace(late, sent_at=datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    await store.archive(late)
    await store.archive(early)
    with sqlite3.connect(store.path) as raw:
        (at,) = raw.execute(
            "SELECT last_message_at FROM conversations WHERE chat_id = 'acme'"
        ).fetchone()
    assert at == int(late.sent_at.timestamp() * 1000)


async def test_concurrent_archives_share_commits_and_keep_ids(store: Store) -> None:
    messages = [message(str(i), f"text {i}") for i in range(500)]
    messages.append(message("7", "duplicate inside the same batch"))
    results = await asyncio.gather(*(store.archive(m) for m in messages))
    ids = [r.message_id for r in results[:500]]
    assert len(set(ids)) == 500
    assert results[500].message_id == results[7].message_id
    assert not results[500].is_new
    assert store.writer.batches < 10  # 500 callers, a handful of fsyncs
    async with store.reader.execute("SELECT count(*) FROM messages") as cursor:
        assert (await cursor.fetchone())[0] == 500


async def test_failed_operation_fails_alone(store: Store) -> None:
    async def broken(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('x', 'y', 1)")
        await conn.execute("INSERT INTO no_such_table VALUES (1)")

    results = await asyncio.gather(
        store.write(broken), store.put_value("kept", "yes"), return_exceptions=True
    )
    assert isinstance(results[0], sqlite3.OperationalError)
    assert results[1] is None
    assert await store.get_value("kept") == "yes"
    assert await store.get_value("x") is None  # the broken operation left nothing behind


async def test_search_cyrillic_latin_case_prefix_and_yo(store: Store) -> None:
    await store.archive(message("1", "Платёжное поручение по счёту отправлено"))
    await store.archive(message("2", "Invoice INV-2031 is overdue"))
    await store.archive(message("3", "Платежи пришли", chat="room", network=MATRIX))
    assert {h.message_id for h in await store.search("ПЛАТЕЖ")} == {1, 3}
    assert [h.message_id for h in await store.search("счет")] == [1]  # ё folds to е
    assert [h.message_id for h in await store.search("invoice overdue")] == [2]
    assert [h.message_id for h in await store.search("платеж", network="matrix")] == [3]
    hits = await store.search("invoice")
    assert hits[0].snippet == "[Invoice] INV-2031 is overdue"
    assert hits[0].chat_title == "ACME"
    assert hits[0].sender_name == "Иван Петров"


async def test_search_is_newest_first_and_limited(store: Store) -> None:
    for i in range(30):
        await store.archive(message(str(i), f"report {i}"))
    hits = await store.search("report", limit=5)
    assert [h.message_id for h in hits] == [30, 29, 28, 27, 26]


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(a b", "a OR", "*", "body:x", "-x ^y"])
async def test_fts_syntax_in_a_query_is_plain_text(store: Store, query: str) -> None:
    await store.archive(message("1", "a x y body"))
    await store.search(query)  # must not raise an FTS5 syntax error


def test_fts_query_quotes_terms() -> None:
    assert fts_query('счёт "OR" x*') == '"счет"* "OR"* "x"*'
    assert fts_query("  ...  ") is None


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hgw.sqlite3"
    async with Store.open(path):
        pass
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO schema_migrations VALUES (?, 'from_the_future', 0)", (LATEST_VERSION + 5,)
        )
    with pytest.raises(SchemaTooNewError) as info:
        await Store.connect(path)
    assert f"schema version {LATEST_VERSION + 5}" in str(info.value)
    assert f"knows only up to {LATEST_VERSION}" in str(info.value)


async def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(NotADatabaseError, match="not a usable hgw store"):
        await Store.connect(path)


async def test_a_corrupt_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hgw.sqlite3"
    async with Store.open(path) as store:
        for i in range(50):
            await store.archive(message(str(i), "x" * 500))
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the first page's b-tree header
    path.write_bytes(bytes(data))
    with pytest.raises(NotADatabaseError, match="restore the last backup"):
        await Store.connect(path)


async def test_fresh_and_upgraded_schemas_are_identical(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    async with Store.open(fresh):
        pass
    stepped = tmp_path / "stepped.sqlite3"
    for migration in bundled_migrations():  # one migration per run, like successive upgrades
        async with aiosqlite.connect(stepped, isolation_level=None) as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
            )
            await apply(conn, migration)
    async with Store.open(stepped):
        pass

    def schema(path: Path) -> list[tuple[str, str]]:
        with sqlite3.connect(path) as raw:
            return raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
            ).fetchall()

    assert schema(fresh) == schema(stepped)
    assert len(schema(fresh)) > 10


async def test_kv_roundtrip(store: Store) -> None:
    assert await store.get_value("matrix.sync_token") is None
    await store.put_value("matrix.sync_token", "s1")
    await store.put_value("matrix.sync_token", "s2")
    assert await store.get_value("matrix.sync_token") == "s2"


async def test_writes_queued_before_close_are_committed(tmp_path: Path) -> None:
    path = tmp_path / "hgw.sqlite3"
    store = await Store.connect(path)
    pending = [asyncio.ensure_future(store.archive(message(str(i), "late"))) for i in range(20)]
    await asyncio.sleep(0)
    await store.close()
    assert all(task.result().is_new for task in pending)
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM messages").fetchone()[0] == 20


async def test_retention_deletes_only_settled_old_messages(store: Store) -> None:
    from datetime import timedelta

    from gateway.model import OperationKind
    from gateway.store import outbox
    from gateway.store.outbox import OutboxState
    from gateway.store.retention import prune

    old = datetime.now(UTC) - timedelta(days=40)
    kept_held = await store.archive(replace_time(message("1", "old, still held"), old))
    gone = await store.archive(replace_time(message("2", "old and delivered"), old))
    recent = await store.archive(message("3", "recent"))

    async def deliveries(conn) -> None:
        chat = ChatRef(MATRIX, "!room")
        for result, state in ((kept_held, OutboxState.HELD), (gone, OutboxState.SENT)):
            await outbox.add(
                conn,
                target=chat,
                operation=OperationKind.SEND,
                payload={},
                message_id=result.message_id,
                state=state,
            )

    await store.write(deliveries)
    assert await store.write(lambda conn: prune(conn, retention_days=0)) == 0
    assert await store.write(lambda conn: prune(conn, retention_days=30)) == 1
    async with store.reader.execute("SELECT id FROM messages ORDER BY id") as cursor:
        assert [r[0] for r in await cursor.fetchall()] == [
            kept_held.message_id,
            recent.message_id,
        ]
    assert await store.search("delivered") == []  # gone from the full-text index too


def replace_time(msg: Message, when: datetime) -> Message:
    from dataclasses import replace

    return replace(msg, sent_at=when)


async def test_retention_forgets_old_reaction_marks(store: Store) -> None:
    from gateway.store import kv
    from gateway.store.retention import DAY_MS, prune

    async def marks(conn: aiosqlite.Connection) -> None:
        await kv.claim(conn, "reaction:telegram:7:1:react:7:👍", "1")
        await kv.claim(conn, "reaction:telegram:7:2:react:7:👍", "2")
        await kv.put(conn, "matrix.sync_token", "s1")
        await conn.execute(
            "UPDATE kv SET updated_at = updated_at - ? WHERE key LIKE '%:1:react:%'"
            " OR key = 'matrix.sync_token'",
            (40 * DAY_MS,),
        )

    await store.write(marks)
    await store.write(lambda conn: prune(conn, retention_days=30))
    rows = await store.reader.execute_fetchall("SELECT key FROM kv ORDER BY key")
    assert [r[0] for r in rows] == ["matrix.sync_token", "reaction:telegram:7:2:react:7:👍"]
