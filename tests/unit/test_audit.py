from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.store import Store


async def make_chain(path: Path, records: int = 6) -> None:
    async with Store.open(path) as store:
        for i in range(records):
            await store.audit_append(
                actor="os:security", action="policy.set", subject=f"rule-{i}", details={"i": i}
            )


@pytest.fixture
async def chain(tmp_path: Path) -> Path:
    path = tmp_path / "hgw.sqlite3"
    await make_chain(path)
    return path


async def verify(path: Path):
    async with Store.open(path) as store:
        return await store.verify_audit()


async def test_intact_chain_verifies(chain: Path) -> None:
    report = await verify(chain)
    assert report.ok
    assert report.records == 6


async def test_chain_continues_across_restarts(chain: Path) -> None:
    await make_chain(chain, records=3)
    report = await verify(chain)
    assert report.ok
    assert report.records == 9


async def test_edited_record_is_named(chain: Path) -> None:
    with sqlite3.connect(chain) as raw:
        raw.execute("UPDATE audit SET actor = 'os:mallory' WHERE seq = 4")
    report = await verify(chain)
    assert not report.ok
    assert report.first_bad_seq == 4
    assert "record 4 was altered" in (report.problem or "")


async def test_deleted_record_is_named(chain: Path) -> None:
    with sqlite3.connect(chain) as raw:
        raw.execute("DELETE FROM audit WHERE seq = 3")
    report = await verify(chain)
    assert report.first_bad_seq == 3
    assert "record 3 is missing" in (report.problem or "")


async def test_swapped_records_are_named(chain: Path) -> None:
    with sqlite3.connect(chain) as raw:
        raw.execute("UPDATE audit SET seq = -1 WHERE seq = 2")
        raw.execute("UPDATE audit SET seq = 2 WHERE seq = 5")
        raw.execute("UPDATE audit SET seq = 5 WHERE seq = -1")
    report = await verify(chain)
    assert report.first_bad_seq == 2
    assert "does not follow record 1" in (report.problem or "")


async def test_removed_tail_is_detected(chain: Path) -> None:
    with sqlite3.connect(chain) as raw:
        raw.execute("DELETE FROM audit WHERE seq >= 5")
    report = await verify(chain)
    assert not report.ok
    assert report.first_bad_seq == 5
    assert "recorded head is record 6" in (report.problem or "")


async def test_edit_with_recomputed_hash_still_breaks_the_next_link(chain: Path) -> None:
    """Rewriting one record *and* its hash is caught by the record after it."""
    from gateway.store.audit import record_hash

    with sqlite3.connect(chain) as raw:
        seq, at, _actor, action, subject, details, prev = raw.execute(
            "SELECT seq, at, actor, action, subject, details, prev_hash FROM audit WHERE seq = 2"
        ).fetchone()
        forged = record_hash(seq, at, "os:mallory", action, subject, details, prev)
        raw.execute("UPDATE audit SET actor = 'os:mallory', hash = ? WHERE seq = 2", (forged,))
    report = await verify(chain)
    assert report.first_bad_seq == 3


# -- the authenticated head (gateway/store/anchor.py) ------------------------------------------

KEY = bytes(range(32))


async def make_anchored_chain(path: Path, records: int = 6) -> None:
    from gateway.store.anchor import reconcile

    async with Store.open(path) as store:
        store.audit.use_key(KEY)
        await store.write(lambda conn: reconcile(conn, store.audit, adopt=True))
        for i in range(records):
            await store.audit_append(actor="os:security", action="policy.set", details={"i": i})


async def verify_with_key(path: Path, key: bytes | None = KEY):
    from gateway.store.audit import verify_chain

    async with Store.open(path) as store:
        return await verify_chain(store.reader, key=key)


async def test_the_anchor_catches_a_cut_tail_with_the_plain_head_written_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hgw.sqlite3"
    await make_anchored_chain(path)
    assert (await verify_with_key(path)).ok
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM audit WHERE seq = 6")
        raw.execute(
            "UPDATE kv SET value = (SELECT seq || ':' || hash FROM audit WHERE seq = 5)"
            " WHERE key = 'audit.head'"
        )
    without_key = await verify_with_key(path, key=None)
    assert without_key.ok
    assert not without_key.anchor_checked
    report = await verify_with_key(path)
    assert report.anchor_checked
    assert not report.ok
    assert report.first_bad_seq == 6
    assert "authenticated head is record 6 (records removed from the end)" in (report.problem or "")


async def test_a_forged_or_wrong_key_anchor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hgw.sqlite3"
    await make_anchored_chain(path)
    report = await verify_with_key(path, key=b"\x01" * 32)
    assert "MAC does not match the key" in (report.problem or "")


async def test_verify_during_appends_raises_no_false_alarm(tmp_path: Path) -> None:
    """Both heads are read in one snapshot before the walk: a commit in between is harmless."""
    import asyncio

    from gateway.store.audit import verify_chain

    path = tmp_path / "hgw.sqlite3"
    await make_anchored_chain(path, records=2000)
    async with Store.open(path) as store:
        store.audit.use_key(KEY)

        async def keep_appending() -> None:
            for i in range(200):
                await store.audit_append(actor="hgw", action="message.relayed", details={"i": i})

        writer = asyncio.create_task(keep_appending())
        reports = []
        while not writer.done():
            reports.append(await verify_chain(store.reader, key=KEY))
        await writer
    assert reports
    assert [r.problem for r in reports if not r.ok] == []


async def test_reconcile_records_a_gap_and_continues_anchored(tmp_path: Path) -> None:
    from gateway.store.anchor import GAP_ACTION, reconcile

    path = tmp_path / "hgw.sqlite3"
    await make_anchored_chain(path)
    with sqlite3.connect(path) as raw:
        raw.execute("DELETE FROM audit WHERE seq >= 5")
    async with Store.open(path) as store:
        store.audit.use_key(KEY)
        check = await store.write(lambda conn: reconcile(conn, store.audit, adopt=False))
        assert check.found[0] == 4
        assert check.anchor is not None
        assert check.anchor.seq == 6
        await store.audit_append(actor="hgw", action="message.relayed")
        records = [r async for r in store.audit_records()]
    assert [(r.seq, r.action) for r in records[-2:]] == [(5, GAP_ACTION), (6, "message.relayed")]
    assert records[-2].details["expected_seq"] == 6
    assert records[-2].details["found_seq"] == 4
    report = await verify_with_key(path)
    assert report.ok  # the chain and its anchor agree again…
    assert [seq for seq, _ in report.gaps] == [5]  # …but the break is on record for good


async def test_an_unanchored_chain_is_adopted_with_a_record_saying_so(tmp_path: Path) -> None:
    from gateway.store.anchor import ANCHORED_ACTION, reconcile

    path = tmp_path / "hgw.sqlite3"
    await make_chain(path)  # written before anchors existed
    async with Store.open(path) as store:
        store.audit.use_key(KEY)
        assert (await store.write(lambda conn: reconcile(conn, store.audit, adopt=True))).ok
        last = [r async for r in store.audit_records()][-1]
    assert (last.seq, last.action) == (7, ANCHORED_ACTION)
    assert (await verify_with_key(path)).ok


def test_the_key_file_is_created_private_and_refused_when_exposed(tmp_path: Path) -> None:
    import stat

    from gateway.errors import SecretFileError
    from gateway.store.anchor import load_or_create_key

    path = tmp_path / "secrets" / "audit.key"
    key, created = load_or_create_key(path)
    assert created
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == (key, False)
    path.chmod(0o640)
    with pytest.raises(SecretFileError, match="accessible by group or others"):
        load_or_create_key(path)
