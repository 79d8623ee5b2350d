"""Carrying out deliveries on Telegram: texts (split to 4096), files, edits, deletions, reactions.

Every send is a raw ``messages.sendMessage``/``sendMedia`` with a ``random_id`` derived from
the outbox row's idempotency key (and the piece's index), so the id is the same on every retry.
Telegram refuses a repeated ``random_id`` with ``RANDOM_ID_DUPLICATE`` instead of posting twice;
that answer means the first attempt did land (its reply was lost), and the message is then
found in the chat's recent history to return its id.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import Any

from telethon import TelegramClient, errors
from telethon.tl import functions, types

from bridges.telegram.entities import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    spans_to_entities,
    split_message,
    utf16_length,
)
from gateway.errors import PermanentBridgeError
from gateway.model import Attachment, Delivery

log = logging.getLogger(__name__)

HISTORY_LOOKBACK = 50
"""Recent messages searched for the one a lost reply was about."""

_PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
"""What Telegram accepts as a compressed photo; other images travel as files."""


def random_id(key: str, part: str | int = 0) -> int:
    """A signed 64-bit ``random_id``, the same for the same row and piece on every attempt."""
    digest = hashlib.sha256(f"{key}/{part}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Sender:
    """Operations for one logged-in client; ``peer`` resolution is the adapter's business."""

    def __init__(self, client: TelegramClient) -> None:
        self._client = client

    def _entities(self, text: str, spans: Any) -> list[Any]:
        return spans_to_entities(text, spans, input_user=self._input_user)

    def _input_user(self, user_id: int) -> Any:
        entity = self._client._mb_entity_cache.get(user_id)
        if entity is None or entity.hash is None:
            return None
        return types.InputUser(user_id, entity.hash)

    async def send(self, peer: Any, delivery: Delivery) -> str:
        """Send text and files; return the id of the first message posted."""
        text, spans = delivery.text, delivery.spans
        reply = int(delivery.reply_to_remote_id) if _is_id(delivery.reply_to_remote_id) else None
        caption_fits = utf16_length(text) <= CAPTION_LIMIT
        pieces = [] if delivery.attachments and caption_fits else split_message(text, spans)
        ids: list[int] = []
        for index, (piece, piece_spans) in enumerate(pieces):
            if piece.strip():
                ids.append(
                    await self._send_text(
                        peer,
                        piece,
                        piece_spans,
                        reply if not ids else None,
                        random_id(delivery.idempotency_key, index),
                    )
                )
        for index, attachment in enumerate(delivery.attachments):
            caption = text if caption_fits and index == 0 else ""
            ids.append(
                await self._send_file(
                    peer,
                    attachment,
                    caption,
                    spans if caption else (),
                    reply if not ids else None,
                    random_id(delivery.idempotency_key, f"file{index}"),
                )
            )
        if not ids:
            raise PermanentBridgeError("nothing to send: the message is empty")
        return str(ids[0])

    async def _send_text(
        self, peer: Any, text: str, spans: Any, reply: int | None, rid: int
    ) -> int:
        request = functions.messages.SendMessageRequest(
            peer=peer,
            message=text,
            entities=self._entities(text, spans) or None,
            reply_to=types.InputReplyToMessage(reply) if reply else None,
            random_id=rid,
            no_webpage=True,
        )
        return await self._posted(peer, request, text)

    async def _send_file(
        self,
        peer: Any,
        attachment: Attachment,
        caption: str,
        spans: Any,
        reply: int | None,
        rid: int,
    ) -> int:
        data = attachment.data
        if data is None:
            raise PermanentBridgeError(f"attachment {attachment.name!r} has no bytes to upload")
        uploaded = await self._client.upload_file(data, file_name=attachment.name)
        media: Any
        if data.startswith(_PHOTO_MAGIC):
            media = types.InputMediaUploadedPhoto(file=uploaded)
        else:
            media = types.InputMediaUploadedDocument(
                file=uploaded,
                mime_type=attachment.declared_mime or "application/octet-stream",
                attributes=[types.DocumentAttributeFilename(attachment.name)],
                force_file=True,
            )
        request = functions.messages.SendMediaRequest(
            peer=peer,
            media=media,
            message=caption,
            entities=self._entities(caption, spans) or None,
            reply_to=types.InputReplyToMessage(reply) if reply else None,
            random_id=rid,
        )
        return await self._posted(peer, request, caption)

    async def _posted(self, peer: Any, request: Any, text: str) -> int:
        try:
            result = await self._client(request)
        except errors.RandomIdDuplicateError:
            return await self._already_sent(peer, text, request.random_id)
        message = self._client._get_response_message(request, result, peer)
        if message is None:
            raise PermanentBridgeError("Telegram accepted the message but returned no id")
        return int(message.id)

    async def _already_sent(self, peer: Any, text: str, rid: int) -> int:
        """The id of a message whose first attempt landed but whose answer was lost."""
        history = await self._client(
            functions.messages.GetHistoryRequest(
                peer=peer,
                offset_id=0,
                offset_date=None,
                add_offset=0,
                limit=HISTORY_LOOKBACK,
                max_id=0,
                min_id=0,
                hash=0,
            )
        )
        for message in history.messages:
            if getattr(message, "out", False) and (message.message or "") == text:
                log.info(
                    "random_id %d was already used: the lost send is message %d", rid, message.id
                )
                return int(message.id)
        log.warning("random_id %d was already used but the message is not in recent history", rid)
        raise PermanentBridgeError(
            "Telegram says this was sent already, but the message cannot be found to map it"
        )

    async def edit(self, peer: Any, delivery: Delivery) -> str:
        target = _target(delivery)
        text, spans = split_message(delivery.text, delivery.spans, TEXT_LIMIT)[0]
        # MESSAGE_NOT_MODIFIED: a retry of an edit that landed; nothing left to do.
        with contextlib.suppress(errors.MessageNotModifiedError):
            await self._client(
                functions.messages.EditMessageRequest(
                    peer=peer,
                    id=target,
                    message=text,
                    entities=self._entities(text, spans) or None,
                    no_webpage=True,
                )
            )
        return str(target)

    async def delete(self, peer: Any, delivery: Delivery) -> str:
        remote = delivery.target_remote_id or ""
        if ":react:" in remote:  # taking back our reaction (see react() for the id's shape)
            message_id = int(remote.split(":", 1)[0])
            await self._client(
                functions.messages.SendReactionRequest(peer=peer, msg_id=message_id, reaction=[])
            )
            return remote
        target = _target(delivery)
        await self._client(functions.messages.DeleteMessagesRequest(id=[target], revoke=True))
        return str(target)

    async def react(self, peer: Any, delivery: Delivery) -> str:
        target = _target(delivery)
        emoji = (delivery.reaction or delivery.text or "").strip()
        if not emoji:
            raise PermanentBridgeError("a reaction needs an emoji")
        await self._client(
            functions.messages.SendReactionRequest(
                peer=peer, msg_id=target, reaction=[types.ReactionEmoji(emoticon=emoji)]
            )
        )
        return f"{target}:react:{emoji}"


def _is_id(value: str | None) -> bool:
    return bool(value) and value.isdigit()  # type: ignore[union-attr]


def _target(delivery: Delivery) -> int:
    if not _is_id(delivery.target_remote_id):
        raise PermanentBridgeError("the Telegram id of the message acted on is unknown")
    return int(delivery.target_remote_id)  # type: ignore[arg-type]


__all__ = ["TEXT_LIMIT", "Sender", "random_id"]
