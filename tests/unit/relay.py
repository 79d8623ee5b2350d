"""A relay environment for unit tests: real store, router and dispatcher; recording bridges.

The network is the one thing faked here (real Matrix runs in tests/integration); everything
else — archive, outbox, approvals, audit, ordering and retries — is the production code.
"""

from __future__ import annotations

import asyncio

from gateway.errors import PermanentBridgeError, TransientBridgeError
from gateway.model import (
    ChatRef,
    Delivery,
    Direction,
    Link,
    LinkId,
    Message,
    NetworkName,
    Route,
    UserRef,
)
from gateway.store import Store, outbox
from gateway.verdicts import ALLOW, Verdict

MATRIX, TELEGRAM = NetworkName("matrix"), NetworkName("telegram")
ROOM = ChatRef(MATRIX, "!acme:internal.test", "ACME")
PARTNER_CHAT = ChatRef(TELEGRAM, "100", "ACME Supplies")
LINK = Link(LinkId("acme"), ROOM, PARTNER_CHAT)
ALICE = UserRef(MATRIX, "@alice:internal.test", "Alice")
PAVEL = UserRef(TELEGRAM, "7", "Pavel")


class RecordingBridge:
    """Delivers into a list; fails on cue. The only fake: it stands in for the network."""

    def __init__(self, network: NetworkName) -> None:
        self.network = network
        self.delivered: list[Delivery] = []
        self.attempts: list[Delivery] = []
        self.transient_failures: dict[str, int] = {}
        self.permanent: set[str] = set()
        self.retry_after: float | None = 0.01
        self.arrived = asyncio.Event()

    async def start(self, sink: object) -> None:
        self.sink = sink

    async def stop(self) -> None:
        self.stopped = True

    async def deliver(self, delivery: Delivery) -> str:
        self.attempts.append(delivery)
        for marker, left in self.transient_failures.items():
            if marker in delivery.text and left > 0:
                self.transient_failures[marker] = left - 1
                raise TransientBridgeError("503 from server", retry_after=self.retry_after)
        if any(marker in delivery.text for marker in self.permanent):
            raise PermanentBridgeError("M_FORBIDDEN: not in room")
        self.delivered.append(delivery)
        self.arrived.set()
        return f"{self.network}-remote-{len(self.delivered)}"

    async def wait_for(self, count: int, timeout: float = 10) -> None:
        async def until() -> None:
            while len(self.delivered) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(until(), timeout)


async def settled(store: Store, timeout: float = 10) -> dict[str, int]:
    """Outbox state counts once nothing is pending any more."""

    async def until() -> dict[str, int]:
        while "pending" in (counts := await outbox.state_counts(store.reader)):
            await asyncio.sleep(0.01)
        return counts

    return await asyncio.wait_for(until(), timeout)


def judge_by_text(message: Message, route: Route) -> Verdict:
    if "BLOCKME" in message.text:
        return Verdict("block", rule="cards", notice="Blocked by rule 'cards'.")
    if "HOLDME" in message.text:
        return Verdict("hold", rule="inn", reason="INN found", notice="Held by rule 'inn'.")
    if "4276" in message.text:
        return Verdict("redact", text=message.text.replace("4276", "****"), rule="mask")
    if "EXPLODE" in message.text:
        raise RuntimeError("detector crashed")
    return ALLOW


def staff(native: str, text: str, *, chat: ChatRef = ROOM, **kw: object) -> Message:
    return Message(chat, ALICE, native, Direction.OUTBOUND, text=text, **kw)  # type: ignore[arg-type]


def partner(native: str, text: str, **kw: object) -> Message:
    return Message(PARTNER_CHAT, PAVEL, native, Direction.INBOUND, text=text, **kw)  # type: ignore[arg-type]
