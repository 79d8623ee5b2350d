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
