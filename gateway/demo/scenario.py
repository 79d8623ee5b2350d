"""What happens in the demo: partners and staff write, and every policy action shows once.

The first pass is scripted so that each action appears: a relayed chat both ways, a phone
number masked on the way out, a card number blocked, an INN held for approval, a stranger
waiting in reception, a file marked "Коммерческая тайна" blocked, an executable from a partner
blocked. Then ordinary small talk keeps the inbox alive until the demo stops.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable

from nio import AsyncClient, UploadResponse

from bridges.telegram.sandbox import SandboxUser
from gateway.demo.homeserver import RegisteredUser
from gateway.demo.organisation import Organisation

log = logging.getLogger(__name__)

CARD = "2200 1234 5678 9019"
"""A Mir card number with a valid Luhn check digit (it is not a real card)."""

MARKED_FILE = (
    "КОММЕРЧЕСКАЯ ТАЙНА\n"
    "ООО «Компания». Условия поставки для ACME на 2027 год: скидка 12 %, отсрочка 60 дней.\n"
).encode()
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(240)

SMALL_TALK = [
    ("acme", "Подтверждаем отгрузку, машина будет к 10:00."),
    ("alice", "Спасибо, на складе предупредили."),
    ("globex", "Счёт получили, оплатим до пятницы."),
    ("bob", "Отлично, ждём подтверждения оплаты."),
    ("acme", "Пришлём фото паллет после погрузки."),
    ("alice", "Принято 👍"),
]


class Scenario:
    """Runs the script against the demo organisation: partners in the sandbox, staff on Matrix."""

    def __init__(self, org: Organisation, *, pace: float = 2.0) -> None:
        self._org = org
        self._pace = pace
        self._clients: dict[str, AsyncClient] = {}
        self.done_first_pass = asyncio.Event()

    async def run(self) -> None:
        try:
            await self._first_pass()
            self.done_first_pass.set()
            for who, text in itertools.cycle(SMALL_TALK):
                await asyncio.sleep(self._pace * 4)
                await self._say(who, text)
        finally:
            for client in self._clients.values():
                await client.close()

    async def _first_pass(self) -> None:
        org = self._org
        steps: list[Callable[[], Awaitable[None]]] = [
            lambda: self._say("acme", "Добрый день! Отгрузку подтверждаем на понедельник."),
            lambda: self._say("alice", "Спасибо! Если что — мой телефон +7 916 123-45-67"),
            lambda: self._say("globex", "Здравствуйте! Как вам удобнее принять оплату?"),
            lambda: self._say("bob", f"Можно картой: {CARD}"),
            lambda: self._say("bob", "Или по счёту: ИНН нашей компании 7707083893"),
            lambda: self._partner(
                org.stranger, "Здравствуйте, я Ольга из Newco. Обсудим поставки?"
            ),
            lambda: self._file("alice", "условия-2027.txt", MARKED_FILE, "text/plain"),
            lambda: self._partner_file(org.acme, "setup.exe", EXECUTABLE),
            lambda: self._say("acme", "Счёт №42 пришлём завтра утром."),
            lambda: self._say("bob", "Копию счёта пришлите на buh@company.example, пожалуйста"),
            lambda: self._say("alice", "Договорились 👍"),
        ]
        for step in steps:
            await asyncio.sleep(self._pace)
            try:
                await step()
            except Exception:  # one failed step must not end the demo
                log.exception("demo step failed")

    # -- acting -------------------------------------------------------------------------------

    async def _say(self, who: str, text: str) -> None:
        if who in ("acme", "globex"):
            await self._partner(getattr(self._org, who), text)
            return
        room = self._org.acme_room if who == "alice" else self._org.globex_room
        client = await self._client(who)
        await client.room_send(room, "m.room.message", {"msgtype": "m.text", "body": text})

    async def _partner(self, partner: SandboxUser, text: str) -> None:
        self._org.sandbox.world.send(partner, self._org.company, text)

    async def _partner_file(self, partner: SandboxUser, name: str, data: bytes) -> None:
        world = self._org.sandbox.world
        media = world.document(data, name, "application/octet-stream")
        world.send(partner, self._org.company, "", media=media)

    async def _file(self, who: str, name: str, data: bytes, mime: str) -> None:
        client = await self._client(who)
        uploaded, _ = await client.upload(
            lambda *_: data, content_type=mime, filename=name, filesize=len(data)
        )
        if not isinstance(uploaded, UploadResponse):
            raise RuntimeError(f"upload of {name} failed: {uploaded}")
        room = self._org.acme_room if who == "alice" else self._org.globex_room
        content = {
            "msgtype": "m.file",
            "body": name,
            "url": uploaded.content_uri,
            "info": {"mimetype": mime, "size": len(data)},
        }
        await client.room_send(room, "m.room.message", content)

    async def _client(self, who: str) -> AsyncClient:
        if who not in self._clients:
            user: RegisteredUser = self._org.staff()[who]
            client = AsyncClient(self._org.homeserver.url, user.user_id, device_id=user.device_id)
            client.access_token = user.access_token
            client.user_id = user.user_id
            self._clients[who] = client
        return self._clients[who]


__all__ = ["CARD", "Scenario"]
