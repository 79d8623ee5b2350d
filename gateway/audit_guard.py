"""The daemon's watch over its own audit log: at start-up, and once in the background.

Two checks, split by what they cost and what they protect:

* **The head** (O(1), before anything can append): the table's last record against the head
  authenticated with the key file (``gateway.store.anchor``). This one must come first —
  the next record would otherwise extend a cut chain and hide the cut. On a mismatch the
  daemon does *not* refuse to run (that would stop relaying for every partner on the word of
  whoever broke the log); it records the break as an ``audit.gap`` record naming the expected
  and the found head, logs an error, shows it in ``hgw status`` and tells the management room.
* **The whole chain** (about 7–12 µs a record: 1M records take 7–12 s on two busy cores), in a
  background task once relaying has started. An edited or removed record in the middle does
  not get worse by appending after it, so there is no reason to hold messages for it; a break
  found there is recorded and reported the same way.

A gap record does not make the log whole again; ``hgw audit verify`` reports every one of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.store import Store
from gateway.store.anchor import (
    GAP_ACTION,
    append_gap,
    gap_recorded,
    load_or_create_key,
    reconcile,
)
from gateway.store.audit import verify_chain

log = logging.getLogger(__name__)

Notify = Callable[[str], None]
"""Posts a notice to the management room (``Daemon.notify_admins``)."""


class AuditGuard:
    """Gives the store's chain its key, checks the head, watches the chain, keeps the findings."""

    def __init__(self, store: Store, key_file: Path) -> None:
        self._store = store
        self._key_file = key_file
        self.key: bytes | None = None
        self.problems: list[str] = []
        """What was found wrong since this start, for ``hgw status`` and the admins."""
        self._notify: Notify | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def problem(self) -> str | None:
        """One line for ``hgw status``; ``None`` while nothing was found."""
        return "; ".join(self.problems) if self.problems else None

    async def open(self, *, new_store: bool) -> None:
        """Load (or create) the key and reconcile the head; call before anything appends.

        ``new_store``: the store file did not exist before this start, so a missing anchor is
        expected. A missing anchor with a new key is an upgrade (or a lost key): the existing
        chain is adopted, and an ``audit.anchored`` record says from where on it is anchored.
        """
        key, created = load_or_create_key(self._key_file)
        if created:
            log.warning(
                "created the audit anchor key %s: back it up apart from the store;"
                " without it `hgw audit verify` cannot check the log's end",
                self._key_file,
            )
        self.key = key
        chain = self._store.audit
        chain.use_key(key)

        async def check(conn: Any) -> Any:
            return await reconcile(conn, chain, adopt=created or new_store)

        head = await self._store.write(check)
        if not head.ok:
            self._found(
                f"the audit log does not match its authenticated head: {head.problem};"
                f" recorded as {GAP_ACTION} record {chain.head[0] if chain.head else '?'}"
            )
        seq, digest = chain.head or head.found
        chain.log_checkpoint(seq, digest, "start")

    def watch(self, notify: Notify) -> None:
        """Tell the admins what ``open`` found, and verify the whole chain in the background."""
        self._notify = notify
        for problem in self.problems:
            notify(f"⚠ Audit log: {problem}")
        self._task = asyncio.create_task(self._verify_chain(), name="audit-verify")
        self._task.add_done_callback(_log_crash)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _verify_chain(self) -> None:
        report = await verify_chain(self._store.reader, key=self.key)
        if report.ok:
            log.info("audit chain verified: %d records", report.records)
            return
        chain = self._store.audit
        problem = f"the audit chain is broken at record {report.first_bad_seq}: {report.problem}"
        if await gap_recorded(self._store.reader, report.first_bad_seq or 0):
            self._found(f"{problem} (recorded at an earlier start)")
            return

        async def record(conn: Any) -> None:
            details = {
                "kind": "chain",
                "problem": report.problem,
                "first_bad_seq": report.first_bad_seq,
            }
            await append_gap(conn, chain, details)

        await self._store.write(record)
        problem += f"; recorded as {GAP_ACTION} record {chain.head[0] if chain.head else '?'}"
        self._found(problem)
        if self._notify is not None:
            self._notify(f"⚠ Audit log: {problem}")

    def _found(self, problem: str) -> None:
        log.error("audit log tampered with: %s", problem)
        self.problems.append(problem)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (err := task.exception()) is not None:
        log.error("verifying the audit chain failed: %s", err, exc_info=err)


__all__ = ["AuditGuard"]
