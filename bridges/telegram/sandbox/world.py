"""The sandbox's Telegram: users, private chats, messages, files and each account's update log.

It keeps Telegram's bookkeeping where the client can tell the difference: every account has its
own message id sequence and its own ``pts`` counter; each change to an account's messages is an
update logged under its pts, so ``updates.getDifference`` can answer with exactly what an
account missed, as Telegram does. A private message exists twice (the sender's copy and the
recipient's, with different ids); the twins are linked so edits, deletions, replies and
reactions reach the other side with the other side's ids.

Only private chats between users exist here; groups and channels are not modelled.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telethon.tl import types

Listener = Callable[[types.Updates], None]

DC_ID = 2
"""telethon's default data centre: media stored here downloads on the main connection."""


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class SandboxUser:
    """One Telegram account (a person or a bot)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    phone: str | None = None
    bot: bool = False
    password: str | None = None
    """Two-step verification password (``hgw telegram login`` asks for it)."""
    access_hash: int = field(default_factory=lambda: secrets.randbits(63))

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def tl(self, viewer: int | None = None) -> types.User:
        return types.User(
            id=self.id,
            is_self=self.id == viewer,
            access_hash=self.access_hash,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            phone=self.phone if self.id == viewer else None,
            bot=self.bot,
            bot_info_version=1 if self.bot else None,
        )


@dataclass
class StoredMessage:
    """One account's copy of a private message."""

    id: int
    owner: int
    peer: int
    """The other party of the private chat."""
    sender: int
    date: datetime
    text: str = ""
    entities: list[Any] = field(default_factory=list)
    media: Any = None
    reply_to: int | None = None
    edit_date: datetime | None = None
    reactions: dict[int, str] = field(default_factory=dict)
    """user id → the emoji that user reacted with (one reaction per user, as for non-premium)."""
    deleted: bool = False

    @property
    def out(self) -> bool:
        return self.sender == self.owner

    def tl(self) -> types.Message:
        reactions = None
        if self.reactions:
            counts: dict[str, int] = {}
            for emoji in self.reactions.values():
                counts[emoji] = counts.get(emoji, 0) + 1
            reactions = types.MessageReactions(
                results=[types.ReactionCount(types.ReactionEmoji(e), n) for e, n in counts.items()],
                recent_reactions=[
                    types.MessagePeerReaction(
                        peer_id=types.PeerUser(user),
                        date=self.edit_date or self.date,
                        reaction=types.ReactionEmoji(emoji),
                    )
                    for user, emoji in self.reactions.items()
                ],
            )
        return types.Message(
            id=self.id,
            peer_id=types.PeerUser(self.peer),
            date=self.date,
            message=self.text,
            out=self.out,
            from_id=types.PeerUser(self.sender) if self.out else None,
            reply_to=types.MessageReplyHeader(reply_to_msg_id=self.reply_to)
            if self.reply_to
            else None,
            media=self.media,
            entities=list(self.entities) or None,
            edit_date=self.edit_date,
            reactions=reactions,
        )


class SandboxError(Exception):
    """An RPC error the sandbox answers with, as Telegram would (``400 MESSAGE_ID_INVALID``)."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code} {message}")


@dataclass
class Account:
    """A user's mailbox: messages by id, the pts-numbered update log, upload parts."""

    user: SandboxUser
    pts: int = 100
    """Telegram's pts is never 0 for a live account (telethon reads 0 as "no state")."""
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    log: list[tuple[int, Any]] = field(default_factory=list)
    random_ids: dict[int, int] = field(default_factory=dict)
    uploads: dict[int, dict[int, bytes]] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)

    def new_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def logged(self, make: Callable[[int, int], Any]) -> Any:
        """Create a pts-bearing update with the next pts and keep it for getDifference."""
        self.pts += 1
        update = make(self.pts, 1)
        self.log.append((self.pts, update))
        return update


class World:
    """Everything the sandboxed Telegram knows; survives client disconnects and restarts."""

    def __init__(self) -> None:
        self._ids = itertools.count(7_000_001)
        self._file_ids = itertools.count(5_000_000_001)
        self.users: dict[int, SandboxUser] = {}
        self.accounts: dict[int, Account] = {}
        self.twins: dict[tuple[int, int], tuple[int, int]] = {}
        self.files: dict[int, bytes] = {}
        self.authorizations: dict[int, int] = {}
        """auth key id → the user it is logged in as."""
        self.login_codes: dict[str, str] = {}
        """phone digits → the code Telegram "sent" (read it with :meth:`login_code`)."""
        self.bot_tokens: dict[str, int] = {}

    # -- people -------------------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        phone: str | None = None,
        bot: bool = False,
        password: str | None = None,
    ) -> SandboxUser:
        user = SandboxUser(
            next(self._ids), first_name, last_name, username, phone, bot, password=password
        )
        self.users[user.id] = user
        self.accounts[user.id] = Account(user)
        if bot:
            token = f"{user.id}:{secrets.token_urlsafe(24)}"
            self.bot_tokens[token] = user.id
        return user

    def bot_token(self, user: SandboxUser) -> str:
        return next(t for t, uid in self.bot_tokens.items() if uid == user.id)

    def by_username(self, username: str) -> SandboxUser | None:
        wanted = username.lstrip("@").lower()
        return next((u for u in self.users.values() if (u.username or "").lower() == wanted), None)

    def by_phone(self, phone: str) -> SandboxUser | None:
        digits = "".join(c for c in phone if c.isdigit())
        return next(
            (u for u in self.users.values() if u.phone and u.phone.lstrip("+") == digits), None
        )

    def login_code(self, phone: str) -> str:
        """The last login code sent to ``phone`` — what the account's other devices show."""
        return self.login_codes["".join(c for c in phone if c.isdigit())]

    def authorize(self, auth_key_id: int, user: SandboxUser) -> None:
        self.authorizations[auth_key_id] = user.id

    # -- messages -----------------------------------------------------------------------------

    def send(
        self,
        sender: SandboxUser,
        peer: SandboxUser,
        text: str = "",
        *,
        entities: Sequence[Any] = (),
        media: Any = None,
        reply_to: int | None = None,
        random_id: int | None = None,
    ) -> tuple[StoredMessage, list[Any]]:
        """Post a private message; returns the sender's copy and the sender's own updates.

        The recipient's copy is pushed to its live connections (or waits in its log).
        """
        mine = self.accounts[sender.id]
        if random_id is not None and random_id in mine.random_ids:
            raise SandboxError(500, "RANDOM_ID_DUPLICATE")  # a 500 on Telegram too
        if reply_to is not None and self._live(sender.id, reply_to) is None:
            reply_to = None  # Telegram drops a reply to a message that is gone
        date = now()
        copies = []
        for owner in (sender.id, peer.id):
            account = self.accounts[owner]
            other = peer.id if owner == sender.id else sender.id
            quoted = reply_to if owner == sender.id else self._twin_id(sender.id, reply_to)
            stored = StoredMessage(
                account.new_id(), owner, other, sender.id, date, text, list(entities), media, quoted
            )
            account.messages[stored.id] = stored
            copies.append(stored)
        mine_copy, theirs = copies
        self.twins[(sender.id, mine_copy.id)] = (peer.id, theirs.id)
        self.twins[(peer.id, theirs.id)] = (sender.id, mine_copy.id)
        if random_id is not None:
            mine.random_ids[random_id] = mine_copy.id
        own = [types.UpdateMessageID(mine_copy.id, random_id or 0)]
        own.append(mine.logged(lambda pts, n: types.UpdateNewMessage(mine_copy.tl(), pts, n)))
        if peer.id != sender.id:
            self._push(
                peer.id,
                [
                    self.accounts[peer.id].logged(
                        lambda pts, n: types.UpdateNewMessage(theirs.tl(), pts, n)
                    )
                ],
            )
        return mine_copy, own

    def edit(
        self, editor: SandboxUser, message_id: int, text: str, entities: Sequence[Any] = ()
    ) -> list[Any]:
        stored = self._live(editor.id, message_id)
        if stored is None:
            raise SandboxError(400, "MESSAGE_ID_INVALID")
        if not stored.out:
            raise SandboxError(403, "MESSAGE_AUTHOR_REQUIRED")
        if stored.text == text and stored.entities == list(entities):
            raise SandboxError(400, "MESSAGE_NOT_MODIFIED")
        date = now()
        updates: dict[int, list[Any]] = {}
        for copy in self._both(editor.id, message_id):
            copy.text, copy.entities, copy.edit_date = text, list(entities), date
            account = self.accounts[copy.owner]
            snapshot = copy.tl()
            updates[copy.owner] = [
                account.logged(lambda pts, n, m=snapshot: types.UpdateEditMessage(m, pts, n))
            ]
        return self._deliver_others(editor.id, updates)

    def delete(self, deleter: SandboxUser, message_ids: Iterable[int], *, revoke: bool) -> Any:
        """Delete for the deleter and, with ``revoke``, for the other side. Returns the deleter's
        ``messages.affectedMessages``."""
        mine: list[int] = []
        theirs: dict[int, list[int]] = {}
        for message_id in message_ids:
            copies = self._both(deleter.id, message_id) if revoke else []
            if not copies:
                copies = [m for m in [self._live(deleter.id, message_id)] if m]
            for copy in copies:
                copy.deleted = True
                (mine if copy.owner == deleter.id else theirs.setdefault(copy.owner, [])).append(
                    copy.id
                )
        account = self.accounts[deleter.id]
        if mine:
            account.logged(lambda pts, n: types.UpdateDeleteMessages(mine, pts, n))
        for owner, ids in theirs.items():
            other = self.accounts[owner]
            self._push(
                owner, [other.logged(lambda pts, n, i=ids: types.UpdateDeleteMessages(i, pts, n))]
            )
        return types.messages.AffectedMessages(account.pts, 1 if mine else 0)

    def react(self, reactor: SandboxUser, message_id: int, emoji: str | None) -> list[Any]:
        """Set (or with ``None`` remove) ``reactor``'s reaction; not pts-bearing, as on Telegram."""
        if self._live(reactor.id, message_id) is None:
            raise SandboxError(400, "MESSAGE_ID_INVALID")
        updates: dict[int, list[Any]] = {}
        for copy in self._both(reactor.id, message_id):
            if emoji is None:
                copy.reactions.pop(reactor.id, None)
            else:
                copy.reactions[reactor.id] = emoji
            updates[copy.owner] = [
                types.UpdateMessageReactions(
                    peer=types.PeerUser(copy.peer),
                    msg_id=copy.id,
                    reactions=copy.tl().reactions or types.MessageReactions(results=[]),
                )
            ]
        return self._deliver_others(reactor.id, updates)

    def history(self, owner: SandboxUser, peer: SandboxUser) -> list[StoredMessage]:
        """``owner``'s view of the chat with ``peer``, oldest first, without deleted messages."""
        account = self.accounts[owner.id]
        return [m for m in account.messages.values() if m.peer == peer.id and not m.deleted]

    def dialogs(self, owner: SandboxUser) -> list[tuple[SandboxUser, StoredMessage]]:
        """Each chat of ``owner`` with its newest message, newest chat first."""
        latest: dict[int, StoredMessage] = {}
        for message in self.accounts[owner.id].messages.values():
            if not message.deleted:
                latest[message.peer] = message
        ordered = sorted(latest.values(), key=lambda m: m.id, reverse=True)
        return [(self.users[m.peer], m) for m in ordered]

    # -- files --------------------------------------------------------------------------------

    def store_file(self, data: bytes) -> int:
        file_id = next(self._file_ids)
        self.files[file_id] = data
        return file_id

    def photo(self, data: bytes) -> types.MessageMediaPhoto:
        file_id = self.store_file(data)
        width, height = _image_size(data)
        photo = types.Photo(
            id=file_id,
            access_hash=file_id ^ 0x5A5A,
            file_reference=hashlib.sha256(data).digest()[:8],
            date=now(),
            sizes=[types.PhotoSize("y", width, height, len(data))],
            dc_id=DC_ID,
        )
        return types.MessageMediaPhoto(photo=photo)

    def document(self, data: bytes, name: str, mime: str) -> types.MessageMediaDocument:
        file_id = self.store_file(data)
        document = types.Document(
            id=file_id,
            access_hash=file_id ^ 0x5A5A,
            file_reference=hashlib.sha256(data).digest()[:8],
            date=now(),
            mime_type=mime,
            size=len(data),
            dc_id=DC_ID,
            attributes=[types.DocumentAttributeFilename(name)],
        )
        return types.MessageMediaDocument(document=document)

    def sticker(self, data: bytes, emoji: str = "🙂") -> types.MessageMediaDocument:
        """A static sticker as Telegram sends one: a WebP document without a file name."""
        media = self.document(data, "sticker.webp", "image/webp")
        media.document.attributes = [
            types.DocumentAttributeImageSize(512, 512),
            types.DocumentAttributeSticker(alt=emoji, stickerset=types.InputStickerSetEmpty()),
        ]
        return media

    def poll(self, question: str, answers: Sequence[str]) -> types.MessageMediaPoll:
        """A regular (not quiz) poll with no votes yet."""
        poll = types.Poll(
            id=next(self._file_ids),
            question=types.TextWithEntities(question, []),
            answers=[
                types.PollAnswer(types.TextWithEntities(text, []), str(n).encode())
                for n, text in enumerate(answers)
            ],
            hash=0,
        )
        return types.MessageMediaPoll(poll=poll, results=types.PollResults())

    def media_bytes(self, media: Any) -> bytes:
        """The bytes behind a message's photo or document (what a download returns)."""
        item = getattr(media, "photo", None) or getattr(media, "document", None)
        return self.files[item.id]

    # -- plumbing -----------------------------------------------------------------------------

    def listen(self, user_id: int, listener: Listener) -> Callable[[], None]:
        listeners = self.accounts[user_id].listeners
        listeners.append(listener)
        return lambda: listener in listeners and listeners.remove(listener)  # type: ignore[func-returns-value]

    def updates(self, owner: int, updates: list[Any]) -> types.Updates:
        """Wrap ``updates`` with the users they mention, as Telegram's containers do."""
        return types.Updates(
            updates=updates,
            users=[u.tl(owner) for u in self.users.values()],
            chats=[],
            date=now(),
            seq=0,
        )

    def _push(self, owner: int, updates: list[Any]) -> None:
        for listener in list(self.accounts[owner].listeners):
            listener(self.updates(owner, updates))

    def _deliver_others(self, actor: int, updates: dict[int, list[Any]]) -> list[Any]:
        for owner, pending in updates.items():
            if owner != actor:
                self._push(owner, pending)
        return updates.get(actor, [])

    def _live(self, owner: int, message_id: int) -> StoredMessage | None:
        message = self.accounts[owner].messages.get(message_id)
        return None if message is None or message.deleted else message

    def _twin_id(self, owner: int, message_id: int | None) -> int | None:
        if message_id is None:
            return None
        twin = self.twins.get((owner, message_id))
        return twin[1] if twin else None

    def _both(self, owner: int, message_id: int) -> list[StoredMessage]:
        copies = [m for m in [self._live(owner, message_id)] if m]
        twin = self.twins.get((owner, message_id))
        if copies and twin:
            copies += [m for m in [self._live(*twin)] if m]
        return copies


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG or JPEG (Telegram reports them); 512×512 if unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    index = 2
    while data.startswith(b"\xff\xd8") and index + 9 < len(data):
        if data[index] != 0xFF:
            break
        marker, length = data[index + 1], int.from_bytes(data[index + 2 : index + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return (
                int.from_bytes(data[index + 7 : index + 9], "big"),
                int.from_bytes(data[index + 5 : index + 7], "big"),
            )
        index += 2 + length
    return 512, 512


__all__ = ["DC_ID", "SandboxError", "SandboxUser", "StoredMessage", "World"]
