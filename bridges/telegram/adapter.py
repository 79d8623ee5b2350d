"""The Telegram network adapter (telethon): one user account or bot, receiving and sending.

Receiving: telethon's own update machinery (``MessageBox``: pts, gaps, ``getDifference``) runs
with ``sequential_updates`` so handlers see updates one at a time, in order. Each handler hands
its event to the sink — which returns once it is stored — and only then checkpoints the
update's pts under ``telegram.update_state`` (invariant 1). That checkpoint, not the state
telethon saves in its session file (which runs ahead of what was stored), is written into the
session before every connect, so after a crash or an outage Telegram's ``getDifference``
returns everything after the last *stored* update; the router's dedupe absorbs the repeats.
A handler that fails stops checkpointing and makes the supervisor reconnect from the
checkpoint, so no update is skipped.

Sending: :mod:`bridges.telegram.send`. A FLOOD_WAIT pauses the whole account (every chat's
deliveries wait, in order); SLOWMODE_WAIT pauses one chat. Both show in :meth:`status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from telethon import TelegramClient, events, utils
from telethon._updates import MessageBox
from telethon.errors import PhoneNotOccupiedError, PhoneNumberInvalidError
from telethon.sessions.abstract import Session
from telethon.tl import functions, types

from bridges.base import Capabilities, Deletion, EventSink, Reaction, without_attachment
from bridges.telegram import convert
from bridges.telegram.entities import CAPTION_LIMIT, TEXT_LIMIT
from bridges.telegram.errors import TRANSPORT_ERRORS, FloodWait, error_from_exception
from bridges.telegram.send import Sender
from bridges.telegram.session import open_session, set_update_state
from gateway.errors import BridgeError, PermanentBridgeError, TransientBridgeError
from gateway.model import ChatRef, Delivery, NetworkName, OperationKind, UserRef

log = logging.getLogger(__name__)

UPDATE_STATE_KEY = "update_state"
MEDIA_GIVE_UP_AFTER = 3
"""Failed downloads of one file before it is relayed as unavailable."""


class TelegramBridge:
    """Implements :class:`bridges.base.Bridge` for one Telegram account."""

    def __init__(
        self,
        *,
        api_id: int,
        api_hash: str,
        session: Path | Session,
        network: str = "telegram",
        bot_token: str | None = None,
        max_media_bytes: int = 50 * 1024 * 1024,
        sandbox: Any = None,
        reconnect_seconds: tuple[float, float] = (0.5, 5.0),
    ) -> None:
        """``session`` is the session file (or a telethon session object, for tests);
        ``sandbox`` puts a :class:`bridges.telegram.sandbox.Sandbox` under the client."""
        self.network = NetworkName(network)
        self.capabilities = Capabilities(
            max_text_length=TEXT_LIMIT,
            max_caption_length=CAPTION_LIMIT,
            max_media_bytes=max_media_bytes,
        )
        self._api_id = api_id
        self._api_hash = api_hash
        self._session_source = session
        self._bot_token = bot_token
        self._max_media_bytes = max_media_bytes
        self._sandbox = sandbox
        self._reconnect_seconds = reconnect_seconds
        self._client: TelegramClient | None = None
        self._sink: EventSink | None = None
        self._sender: Sender | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._resync = asyncio.Event()
        self._stored_pts = 0
        self._connected = False
        self._flood_until = 0.0
        self._slow_chats: dict[str, float] = {}
        self._media_failures: dict[str, int] = {}
        self._reactions: dict[tuple[str, int], dict[int, str]] = {}
        """(chat, message) → who reacted with what, as last seen (see :meth:`_on_raw`)."""
        self._last_error: str | None = None
        self.me: Any = None
        self._operations: dict[OperationKind, Callable[[Any, Delivery], Awaitable[str]]] = {}

    def __repr__(self) -> str:
        return f"TelegramBridge({self.network})"

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        """Connect and log in; raises ``PermanentBridgeError`` if the account is logged out."""
        if self._client is not None:
            return
        self._sink = sink
        session = (
            open_session(self._session_source)
            if isinstance(self._session_source, Path)
            else self._session_source
        )
        client = TelegramClient(
            session,
            self._api_id,
            self._api_hash,
            sequential_updates=True,
            catch_up=True,
            flood_sleep_threshold=0,
            request_retries=1,
            raise_last_call_error=True,  # RANDOM_ID_DUPLICATE is a 500: see send.py
            base_logger=f"hgw.telethon.{self.network}",
        )
        self._client = client
        self._sender = Sender(client)
        send = self._sender
        self._operations = {
            OperationKind.SEND: send.send,
            OperationKind.NOTICE: send.send,
            OperationKind.EDIT: send.edit,
            OperationKind.DELETE: send.delete,
            OperationKind.REACT: send.react,
        }
        client.add_event_handler(self._on_new_message, events.NewMessage())
        client.add_event_handler(self._on_edited, events.MessageEdited())
        client.add_event_handler(self._on_deleted, events.MessageDeleted())
        client.add_event_handler(self._on_raw, events.Raw(types.UpdateMessageReactions))
        _mark_difference_ends(client)
        saved = await sink.restore(UPDATE_STATE_KEY)
        if saved:
            self._stored_pts = int(json.loads(saved)["pts"])
        try:
            await self._connect()
        except BridgeError:
            raise
        except Exception as exc:
            raise error_from_exception(exc, "connect to Telegram") from exc
        self._supervisor = asyncio.create_task(self._supervise(), name=f"telegram:{self.network}")

    async def stop(self) -> None:
        """Stop receiving and disconnect. Safe to call twice."""
        task, self._supervisor = self._supervisor, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.disconnect()
        self._connected = False

    async def _connect(self) -> None:
        client = self._client
        assert client is not None
        assert self._sink is not None
        if self._sandbox is not None:
            self._sandbox.attach(client)
        if self._stored_pts:
            saved = await self._sink.restore(UPDATE_STATE_KEY)
            set_update_state(client.session, json.loads(saved or "{}") | {"pts": self._stored_pts})
        await client.connect()
        if not await client.is_user_authorized():
            if self._bot_token is None:
                await client.disconnect()
                raise PermanentBridgeError(
                    "the Telegram account is not logged in; run `hgw telegram login -c FILE`"
                )
            await client.sign_in(bot_token=self._bot_token)
        self.me = await client.get_me()
        self._connected = True
        self._last_error = None
        self._resync.clear()
        log.info(
            "%s: connected as %s (id %s)",
            self.network,
            convert.display_name(self.me),
            getattr(self.me, "id", "?"),
        )

    async def _supervise(self) -> None:
        """Reconnect after the connection drops or a handler failed, from the checkpoint."""
        assert self._client is not None
        assert self._sink is not None
        low, high = self._reconnect_seconds
        while True:
            dropped = asyncio.ensure_future(self._client.disconnected)
            resync = asyncio.ensure_future(self._resync.wait())
            await asyncio.wait({dropped, resync}, return_when=asyncio.FIRST_COMPLETED)
            for waiter in (dropped, resync):
                waiter.cancel()
            self._connected = False
            log.warning(
                "%s: %s; reconnecting",
                self.network,
                "resyncing after a failed update" if self._resync.is_set() else "connection lost",
            )
            delay = low
            while True:
                with contextlib.suppress(Exception):
                    await self._client.disconnect()  # ends telethon's update loop for good
                try:
                    await self._connect()
                    break
                except PermanentBridgeError as err:
                    self._last_error = str(err)
                    log.error("%s: %s", self.network, err)
                except Exception as exc:
                    self._last_error = str(error_from_exception(exc, "reconnect"))
                    log.warning("%s: %s; next try in %.1fs", self.network, self._last_error, delay)
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # noqa: S311 - jitter
                delay = min(delay * 2, high)
            await self._sink.connected()

    def status(self) -> dict[str, Any]:
        """For ``hgw status`` and the TUI: connection, flood waits, the last problem."""
        now = time.monotonic()
        wall = time.time()
        slow = {chat: wall + (t - now) for chat, t in self._slow_chats.items() if t > now}
        return {
            "network": self.network,
            "connected": self._connected,
            "flood_wait_until": wall + (self._flood_until - now)
            if self._flood_until > now
            else None,
            "slow_mode_until": slow,
            "detail": self._last_error,
        }

    # -- receiving ----------------------------------------------------------------------------

    async def _handled(self, update: Any, handle: Callable[[], Awaitable[None]]) -> None:
        """Run one handler; checkpoint its pts after success, resync after failure."""
        if self._resync.is_set():
            return  # everything after the failed update comes again from getDifference
        try:
            await handle()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "%s: could not store an update; resyncing from pts %d",
                self.network,
                self._stored_pts,
            )
            self._resync.set()
            return
        pts = getattr(update, "pts", None) or getattr(update, DIFFERENCE_PTS, None)
        if isinstance(pts, int) and pts > self._stored_pts:
            self._stored_pts = pts
            assert self._sink is not None
            state = {"pts": pts, "qts": 0, "date": int(time.time()), "seq": 0}
            await self._sink.checkpoint(UPDATE_STATE_KEY, json.dumps(state))

    async def _on_new_message(self, event: events.NewMessage.Event) -> None:
        log.debug("%s: new message %s in %s", self.network, event.message.id, event.chat_id)

        async def handle() -> None:
            if not event.out:
                await self._relay(event.message, edit=False)

        await self._handled(event.original_update, handle)

    async def _on_edited(self, event: events.MessageEdited.Event) -> None:
        async def handle() -> None:
            if not event.out:
                await self._relay(event.message, edit=True)

        await self._handled(event.original_update, handle)

    async def _on_deleted(self, event: events.MessageDeleted.Event) -> None:
        async def handle() -> None:
            assert self._sink is not None
            # Private-chat deletions do not say which chat: the router finds it by message id.
            chat = ChatRef(self.network, str(event.chat_id) if event.chat_id else "")
            for message_id in event.deleted_ids:
                await self._sink.deletion(
                    Deletion(chat, UserRef(self.network, chat.chat_id or "?"), str(message_id))
                )

        await self._handled(event.original_update, handle)

    async def _on_raw(self, update: types.UpdateMessageReactions) -> None:
        """Telegram sends a message's current reactions, not what changed: a reaction that is
        new becomes a :class:`Reaction`, one that disappeared a :class:`Deletion` of it. What
        was there before is remembered in memory only, so a reaction removed while hgw was
        restarting is not taken back."""

        async def handle() -> None:
            assert self._sink is not None
            chat = ChatRef(self.network, str(utils.get_peer_id(update.peer)))
            me = getattr(self.me, "id", None)
            now: dict[int, str] = {}
            for recent in update.reactions.recent_reactions or []:
                reactor = utils.get_peer_id(recent.peer_id)
                emoji = getattr(recent.reaction, "emoticon", None)
                if reactor != me and emoji:
                    now[reactor] = emoji
            key = (chat.chat_id, update.msg_id)
            before = self._reactions.pop(key, {})
            if now:
                self._reactions[key] = now
            for reactor, emoji in before.items():
                if now.get(reactor) != emoji:
                    await self._sink.deletion(
                        Deletion(
                            chat,
                            UserRef(self.network, str(reactor)),
                            _reaction_id(update.msg_id, reactor, emoji),
                        )
                    )
            for reactor, emoji in now.items():
                await self._sink.reaction(
                    Reaction(
                        chat=chat,
                        sender=UserRef(self.network, str(reactor)),
                        native_id=_reaction_id(update.msg_id, reactor, emoji),
                        target_native_id=str(update.msg_id),
                        key=emoji,
                    )
                )

        await self._handled(update, handle)

    async def _relay(self, message: Any, *, edit: bool) -> None:
        assert self._sink is not None
        chat = await message.get_chat()
        sender = await message.get_sender()
        converted = convert.to_model(
            self.network, message, chat_title=convert.display_name(chat), sender=sender, edit=edit
        )
        if converted is None:
            return
        if converted.attachments:
            converted = await self._with_media(message, converted)
        await self._sink.message(converted)

    async def _with_media(self, message: Any, converted: Any) -> Any:
        attachment = converted.attachments[0]
        if attachment.size > self._max_media_bytes:
            return without_attachment(
                converted, attachment.name, f"{attachment.size} bytes, over the cap"
            )
        assert self._client is not None
        try:
            data = await self._client.download_media(message, file=bytes)
        except Exception as exc:
            failures = self._media_failures.get(converted.native_id, 0) + 1
            self._media_failures[converted.native_id] = failures
            if failures < MEDIA_GIVE_UP_AFTER:
                raise
            return without_attachment(converted, attachment.name, f"download failed: {exc}")
        self._media_failures.pop(converted.native_id, None)
        if not isinstance(data, bytes) or len(data) > self._max_media_bytes:
            return without_attachment(converted, attachment.name, "download returned no bytes")
        return replace(converted, attachments=(replace(attachment, data=data, size=len(data)),))

    # -- chats and contacts -------------------------------------------------------------------

    def needs_resolving(self, chat_id: str) -> bool:
        """Config may name a chat by @username or phone; the router matches numeric ids."""
        return not chat_id.lstrip("-").isdigit()

    async def resolve_room(self, chat: str) -> str:
        """The numeric chat id of ``@username``, ``+phone`` or an id."""
        return (await self.resolve_contact(chat)).chat_id

    async def resolve_contact(self, query: str) -> ChatRef:
        """A chat for ``@username``, ``t.me/name``, ``+phone`` or a numeric id, with its title."""
        client = self._require_client()
        target: Any = query.strip()
        target = target.removeprefix("https://").removeprefix("t.me/")
        phone = _phone_digits(target)
        if phone is None and target.lstrip("-").isdigit():
            target = int(target)
        try:
            if phone is not None:
                # telethon's get_entity finds a phone only among the account's contacts; Telegram
                # resolves any number whose owner allows it (contacts.resolvePhone).
                resolved = await client(functions.contacts.ResolvePhoneRequest(phone=phone))
                if not resolved.users:
                    raise PhoneNotOccupiedError(None)
                entity = resolved.users[0]
            else:
                entity = await client.get_entity(target)
        except (PhoneNotOccupiedError, PhoneNumberInvalidError):
            raise PermanentBridgeError(f"no Telegram user with the phone {query!r}") from None
        except ValueError as exc:
            raise PermanentBridgeError(f"no Telegram user or chat {query!r}: {exc}") from None
        except Exception as exc:
            raise error_from_exception(exc, f"look up {query!r}") from exc
        return ChatRef(self.network, str(utils.get_peer_id(entity)), convert.display_name(entity))

    async def dialogs(self, limit: int = 100) -> list[ChatRef]:
        """Recent chats of the account, for choosing what to link."""
        client = self._require_client()
        try:
            found = await client.get_dialogs(limit=limit)
        except Exception as exc:
            raise error_from_exception(exc, "list dialogs") from exc
        return [ChatRef(self.network, str(d.id), convert.display_name(d.entity)) for d in found]

    def _require_client(self) -> TelegramClient:
        if self._client is None or not self._connected:
            raise TransientBridgeError("Telegram is not connected")
        return self._client

    async def _peer(self, chat_id: str) -> Any:
        client = self._require_client()
        if not chat_id.lstrip("-").isdigit():
            raise PermanentBridgeError(f"{chat_id!r} is not a Telegram chat id")
        try:
            return await client.get_input_entity(int(chat_id))
        except ValueError:
            pass
        await client.get_dialogs(limit=200)  # fills telethon's cache with access hashes
        try:
            return await client.get_input_entity(int(chat_id))
        except ValueError:
            raise PermanentBridgeError(
                f"Telegram chat {chat_id} is unknown to this account; link it by @username"
            ) from None

    # -- sending ------------------------------------------------------------------------------

    async def deliver(self, delivery: Delivery) -> str:
        """Carry out one outbox operation; only ``BridgeError`` subclasses leave here."""
        chat = delivery.target.chat_id
        doing = f"{delivery.operation.value} to Telegram chat {chat}"
        wait = max(self._flood_until, self._slow_chats.get(chat, 0.0)) - time.monotonic()
        if wait > 0:
            raise FloodWait(
                f"{doing}: waiting out Telegram's flood limit",
                retry_after=wait,
                account_wide=self._flood_until > time.monotonic(),
            )
        operation = self._operations.get(delivery.operation)
        if operation is None:
            raise PermanentBridgeError(f"{doing}: not supported on Telegram")
        try:
            return await operation(await self._peer(chat), delivery)
        except BridgeError:
            raise
        except Exception as exc:
            error = error_from_exception(exc, doing)
            if isinstance(error, FloodWait):
                until = time.monotonic() + (error.retry_after or 0)
                if error.account_wide:
                    self._flood_until = max(self._flood_until, until)
                else:
                    self._slow_chats[chat] = until
                log.warning("%s: %s", self.network, error)
            elif not isinstance(exc, TRANSPORT_ERRORS) and not isinstance(
                error, PermanentBridgeError
            ):
                log.exception("%s: unexpected failure in %s", self.network, doing)
            raise error from exc


DIFFERENCE_PTS = "_hgw_difference_pts"


def _mark_difference_ends(client: TelegramClient) -> None:
    """Let the checkpoint follow updates that came by ``getDifference``.

    telethon hands a difference's messages over as updates without a pts of their own; only the
    difference as a whole says where it ends. That end is pinned on its *last* update, so the
    checkpoint moves past the difference only once every update in it has been stored
    (handlers run one at a time, in order). Called before the first connect, while the box
    is still empty.
    """
    client._message_box = _MarkingMessageBox(client._log["messagebox"])


class _MarkingMessageBox(MessageBox):
    def apply_difference(self, diff: Any, chat_hashes: Any) -> Any:
        updates, users, chats = super().apply_difference(diff, chat_hashes)
        state = getattr(diff, "state", None) or getattr(diff, "intermediate_state", None)
        if updates and getattr(state, "pts", None):
            setattr(updates[-1], DIFFERENCE_PTS, state.pts)
        return updates, users, chats


def _reaction_id(message_id: int, reactor: int, emoji: str) -> str:
    return f"{message_id}:react:{reactor}:{emoji}"


_PHONE = re.compile(r"\+?[\d\s().-]{7,25}")


def _phone_digits(text: str) -> str | None:
    """``+7 916 123-45-67`` → ``79161234567``; ``None`` for anything that is not a phone number
    (a numeric chat id has no ``+``, and is looked up as an id)."""
    if not text.startswith("+") or not _PHONE.fullmatch(text):
        return None
    digits = re.sub(r"\D", "", text)
    return digits if 7 <= len(digits) <= 15 else None


__all__ = ["UPDATE_STATE_KEY", "TelegramBridge"]
