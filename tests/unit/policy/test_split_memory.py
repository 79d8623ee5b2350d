"""Numbers split across messages (issue 15, item 3): every numeric kind, punctuation and filler
words between the halves, a restart between them, and the bounds on what is kept."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gateway import verdicts
from gateway.dispatch import Dispatcher, RetryPolicy
from gateway.model import Direction
from gateway.policy import PolicyState, default_policy, evaluate
from gateway.policy.memory import KEEP_DIGITS, Tail, split_numbers
from gateway.policy.normalize import normalize
from gateway.router import Router
from gateway.store import Store
from gateway.store.connection import WriteConnection
from tests.unit.policy.helpers import NOON, context, message, route
from tests.unit.relay import LINK, MATRIX, TELEGRAM, RecordingBridge, settled, staff

KEY = "acme\x00!room:corp.example\x00@anna:corp.example"


def feed(*parts: str, state: PolicyState | None = None, step: int = 5) -> list[Any]:
    """Findings for the last part, after every part went through one memory in turn."""
    state = state if state is not None else PolicyState()
    found: list[Any] = []
    for i, part in enumerate(parts):
        now = NOON + timedelta(seconds=i * step)
        found = split_numbers(state, KEY, normalize(part).text, now, 120)
    return found


def kinds(found: list[Any]) -> list[str]:
    return [f.kind for f in found]


# --- the red team's variants -------------------------------------------------------------


@pytest.mark.parametrize(
    "parts",
    [
        ["4276 3801.", "2345 6787"],
        ["4276 3801", "rest 2345 6787"],
        ["4276 3801", "дальше 2345 6787"],
        ["4276 3801", "and 2345 6787"],
        ["4276 3801", "ещё: 2345 6787"],
        ["карта 4276-3801 …", "и дальше 2345 6787!"],
        ["4276 3801", "👍", "2345 6787"],
        ["4276", "3801", "2345", "6787"],
        ["4276 3801", "and 2345", "6787"],
    ],
)
def test_card_halves_joined_across_punctuation_and_filler(parts: list[str]) -> None:
    found = feed(*parts)
    assert kinds(found) == ["card"]
    assert found[0].where == "split"
    assert found[0].detail == "visa, split across messages"


@pytest.mark.parametrize(
    "parts",
    [
        ["4276 3801", "ok"],  # anything with words between the halves ends the wait
        ["4276 3801", "then the rest is 2345 6787"],  # more than two words before the digits
        ["4276 3801", "заказ 2345 6787"],  # a document number, not the rest of a card
        ["4276 3801 и всё", "2345 6787"],  # the first message did not end in the digits
        ["4276 3801", "2345 6788"],  # Luhn fails
    ],
)
def test_not_joined(parts: list[str]) -> None:
    assert feed(*parts) == []


def test_a_context_word_outweighs_a_label() -> None:
    assert kinds(feed("4276 3801", "карта, заказ 2345 6787")) == ["card"]


def test_window_expires() -> None:
    assert feed("4276 3801", "2345 6787", step=121) == []


# --- every numeric kind --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "kind"),
    [
        (["ИНН 7707", "083893"], "inn"),
        (["7707 0838", "ИНН 93"], "inn"),  # the context word may be in the second half
        (["5001 0073", "2259"], "inn"),  # 12 digits: two check digits, no word needed
        (["ОГРН 10277001", "32195"], "ogrn"),
        (["ОГРНИП 3045001160", "00157"], "ogrn"),
        (["СНИЛС 112-233", "445 95"], "snils"),
        (["112-233", "445 95"], "snils"),
        (["БИК 044525225, 40702810 9", "3800 0012345"], "bank_account_ru"),
        (["40702810 9", "3800 0012345, БИК 044525225"], "bank_account_ru"),
        (["р/с 40702810 9", "3800 0012345"], "bank_account_ru"),
        (["IBAN DE89 3704", "0044 0532 0130 00"], "iban"),
        (["DE89", "3704 0044", "0532 0130 00"], "iban"),
        (["GB29", "NWBK 6016 1331 9268 19"], "iban"),
        (["паспорт 4509", "123456"], "passport_ru"),
        (["серия 45 09", "номер 123456"], "passport_ru"),
        (["карта 2200 0000", "0000 0004"], "card"),
    ],
)
def test_every_numeric_kind(parts: list[str], kind: str) -> None:
    found = feed(*parts)
    assert kinds(found) == [kind]
    assert found[0].where == "split"
    assert "split across messages" in (found[0].detail or "")


@pytest.mark.parametrize(
    "parts",
    [
        ["7707", "083893"],  # INN-10: one check digit, needs its word
        ["102770", "0132195"],  # OGRN: likewise
        ["40702810 9", "3800 0012345"],  # 20 digits with no BIK and no word: too weak
        ["счёт 00702810 9", "3800 0012345"],  # a word, but not an account's shape
        ["4509", "123456"],  # a passport has no check digit at all
        ["паспорт 0009", "123456"],  # no region 00
        ["DE89 3704", "0044 0532 0130 01"],  # mod 97 fails
    ],
)
def test_weak_joins_are_not_reported(parts: list[str]) -> None:
    assert feed(*parts) == []


def test_bank_account_with_bik_reports_the_checked_key() -> None:
    found = feed("БИК 044525225, 40702810 9", "3800 0012345")
    assert found[0].detail == "control key checked against the BIK, split across messages"
    unchecked = feed("р/с 40702810 9", "3800 0012345")
    assert unchecked[0].detail == "no BIK to check against, split across messages"


def test_offsets_point_at_the_second_half() -> None:
    text = "дальше: 2345 6787."
    found = feed("4276 3801", text)
    assert text[found[0].start : found[0].end] == "2345 6787"


# --- through the engine --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "action"),
    [
        ("4276 3801.", "rest 2345 6787", "block"),
        ("ИНН 7707", "083893", "hold"),
        ("IBAN DE89 3704", "0044 0532 0130 00", "hold"),
        ("паспорт 4509", "123456", "hold"),
        ("БИК 044525225, 40702810 9", "3800 0012345", "hold"),
    ],
)
def test_engine_acts_on_the_second_half(first: str, second: str, action: str) -> None:
    state = PolicyState()
    p = default_policy()
    r = route(Direction.OUTBOUND)
    one = evaluate(p, message(first), r, context=context(NOON, state=state))
    two = evaluate(p, message(second), r, context=context(NOON + timedelta(seconds=9), state=state))
    assert one.action == "allow"
    assert two.action == action
    assert any(f.where == "split" for f in two.findings)


# --- what is kept, and the change log the shell persists ----------------------------------------


def test_only_the_trailing_groups_are_kept() -> None:
    state = PolicyState()
    feed("ИНН 7707083893, карта 1234 5678 9012 3456 7890 1234", state=state)
    tail = state.tails[KEY]
    assert sum(map(len, tail.groups)) <= KEEP_DIGITS
    assert tail.groups == ("9012", "3456", "7890", "1234")
    assert "7707083893" not in json.dumps(tail.as_dict())
    assert Tail.from_dict(tail.at, tail.as_dict()) == tail


@pytest.mark.parametrize(
    "data",
    [
        {"groups": ["12ab"]},
        {"groups": ["1" * 20]},
        {"groups": [], "context": ["everything"]},
        {"groups": [], "biks": ["1"]},
        {"groups": [], "iban": "DE89 3704"},
    ],
)
def test_a_tail_reads_back_only_what_it_wrote(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not a split-number tail"):
        Tail.from_dict(NOON, data)


def test_the_recorder_logs_only_its_own_changes() -> None:
    state = PolicyState()
    first = state.recorder()
    split_numbers(first, "a", "4276 3801", NOON, 120)
    second = state.recorder()
    split_numbers(second, "b", "hello", NOON, 120)  # nothing kept for b: nothing to log
    split_numbers(second, "a", "ok", NOON, 120)
    assert first.changed == {"a": Tail(NOON, ("4276", "3801"))}
    assert second.changed == {"a": None}
    assert state.tails == {}
    assert state.changed is None  # the shared memory itself logs nothing


# --- persisted: restart and pruning ------------------------------------------------------------


CONFIG: Any = SimpleNamespace(policy=default_policy())
"""judge_for reads only ``config.policy``."""


def judged(judge: verdicts.Judge, text: str) -> verdicts.Verdict:
    return judge(staff("$x", text), route(Direction.OUTBOUND, LINK))


async def save(store: Store, verdict: verdicts.Verdict) -> None:
    async def write(conn: WriteConnection) -> None:
        await verdicts.remember(conn, [verdict])

    await store.write(write)


def rows(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as raw:
        return raw.execute("SELECT key, tail FROM split_tails").fetchall()


async def test_the_second_half_is_caught_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "hgw.sqlite3"
    async with Store.open(path) as store:
        first = judged(verdicts.judge_for(CONFIG), "карта 4276 3801.")
        assert first.action == "allow"
        assert first.memory is not None
        await save(store, first)
    [(_key, tail)] = rows(path)
    assert json.loads(tail) == {"groups": ["4276", "3801"], "context": ["card"], "worded": True}
    async with Store.open(path) as store:  # a new daemon: a new memory, loaded from the store
        make = await verdicts.remembering(verdicts.judge_for, store, CONFIG)
        second = judged(make(CONFIG), "rest 2345 6787")
        fresh = judged(verdicts.judge_for(CONFIG), "rest 2345 6787")
    assert second.action == "block"
    assert fresh.action == "allow"  # what a restart did before the tails were stored


async def test_rows_past_the_window_are_deleted(tmp_path: Path) -> None:
    path = tmp_path / "hgw.sqlite3"
    async with Store.open(path) as store:
        await save(store, judged(verdicts.judge_for(CONFIG), "4276 3801"))
        window = CONFIG.policy.split_window_seconds
        later = datetime.now(UTC) + timedelta(seconds=window + 1)
        state = await verdicts.load_memory(store, window, now=later)
        assert state.tails == {}
    assert rows(path) == []


async def test_a_later_write_prunes_and_a_dropped_tail_is_deleted(tmp_path: Path) -> None:
    path = tmp_path / "hgw.sqlite3"
    async with Store.open(path) as store:

        async def old(conn: WriteConnection) -> None:
            await conn.execute(
                "INSERT INTO split_tails VALUES ('gone', 0, '{\"groups\": [\"1\"]}')"
            )

        await store.write(old)
        judge = verdicts.judge_for(CONFIG)
        await save(store, judged(judge, "4276 3801"))
        [(key, _tail)] = rows(path)  # the old row went with that write
        assert key == "acme\x00!acme:internal.test\x00@alice:internal.test"
        await save(store, judged(judge, "ok, thanks"))
    assert rows(path) == []


async def test_stored_junk_is_skipped(tmp_path: Path) -> None:
    async with Store.open(tmp_path / "hgw.sqlite3") as store:

        async def junk(conn: WriteConnection) -> None:
            now = int(datetime.now(UTC).timestamp() * 1000)
            await conn.execute("INSERT INTO split_tails VALUES ('a', ?, 'not json')", (now,))
            await conn.execute(
                "INSERT INTO split_tails VALUES ('b', ?, '{\"groups\": [\"x\"]}')", (now,)
            )

        await store.write(junk)
        assert (await verdicts.load_memory(store, 120)).tails == {}


# --- the router: stored in the message's own transaction -----------------------------------------


@pytest.fixture
async def relay(tmp_path: Path):
    """A router on a real store with the real policy judge, rebuilt as after a restart."""
    path = tmp_path / "hgw.sqlite3"
    opened: list[tuple[Store, Dispatcher]] = []

    async def start() -> tuple[Store, Router, RecordingBridge]:
        store = await Store.connect(path)
        bridges = {MATRIX: RecordingBridge(MATRIX), TELEGRAM: RecordingBridge(TELEGRAM)}
        dispatcher = Dispatcher(store, bridges, retry=RetryPolicy(base_seconds=0.01), seed=1)
        make = await verdicts.remembering(verdicts.judge_for, store, CONFIG)
        opened.append((store, dispatcher))
        return store, Router(store, dispatcher, [LINK], make(CONFIG)), bridges[TELEGRAM]

    async def stop() -> None:
        store, dispatcher = opened.pop()
        await dispatcher.drain(grace_seconds=1)
        await store.close()

    yield SimpleNamespace(start=start, stop=stop, path=path)
    while opened:
        await stop()


async def test_router_blocks_the_second_half_after_a_restart(relay: Any) -> None:
    store, router, telegram = await relay.start()
    await router.message(staff("$1", "4276 3801."))
    await telegram.wait_for(1)
    await relay.stop()  # the daemon restarts between the halves
    store, router, telegram = await relay.start()
    routing = await router.message(staff("$2", "дальше 2345 6787"))
    [(_route, verdict)] = routing.verdicts
    assert verdict.action == "block"
    assert any(f.get("where") == "split" for f in verdict.record["findings"])
    assert "pending" not in await settled(store)
    assert telegram.delivered == []
    # the first half was used up: what is kept now is the end of the second message only
    assert [json.loads(tail) for _key, tail in rows(relay.path)] == [
        {"groups": ["2345", "6787"], "worded": True}
    ]


async def test_a_failed_routing_stores_no_tail(relay: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _store, router, _telegram = await relay.start()
    remember = verdicts.remember

    async def then_crash(conn: WriteConnection, judged: Any) -> None:
        await remember(conn, judged)
        raise RuntimeError("disk full")

    monkeypatch.setattr(verdicts, "remember", then_crash)
    with pytest.raises(RuntimeError):
        await router.message(staff("$1", "4276 3801"))
    assert rows(relay.path) == []  # neither the message nor its tail was stored
    monkeypatch.setattr(verdicts, "remember", remember)
    await router.message(staff("$1", "4276 3801"))
    assert len(rows(relay.path)) == 1


@pytest.mark.parametrize("template", ["burst {:03d}", "Номер {:06d}", "item {}", "код {:06d}"])
def test_a_numbered_series_never_joins_into_a_number(template: str) -> None:
    """Found by the relay suite: "burst 137", "burst 138" … piled up into a card by chance."""
    state = PolicyState()
    joined = []
    for i in range(2000):
        now = NOON + timedelta(milliseconds=10 * i)
        joined += split_numbers(state, KEY, template.format(i), now, 120)
    assert joined == []
