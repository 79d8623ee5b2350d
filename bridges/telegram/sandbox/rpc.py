"""Answers to the TL requests a client makes, from the :class:`World`, as Telegram answers them.

One function per request type, registered in ``HANDLERS``. A request nobody answers fails with
``400 METHOD_NOT_SUPPORTED_BY_SANDBOX`` so a missing piece shows up loudly in tests instead of
hanging. Errors are Telegram's own names (``USERNAME_NOT_OCCUPIED``, ``RANDOM_ID_DUPLICATE``…),
so telethon raises the same exception classes it raises against Telegram.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telethon.tl import functions, types

from bridges.telegram.sandbox import srp
from bridges.telegram.sandbox.world import SandboxError, SandboxUser, StoredMessage, World, now

DIFFERENCE_SLICE = 100
"""Updates per ``getDifference`` answer; more come as a ``differenceSlice`` to ask again."""


@dataclass
class Session:
    """What the server knows about one connection's auth key."""

    world: World
    auth_key_id: int
    challenge: srp.Challenge | None = None
    pending_user: int | None = None
    """Signed in with a code, waiting for the 2FA password."""
    codes: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> SandboxUser | None:
        user_id = self.world.authorizations.get(self.auth_key_id)
        return self.world.users.get(user_id) if user_id else None

    def me(self) -> SandboxUser:
        user = self.user
        if user is None:
            raise SandboxError(401, "AUTH_KEY_UNREGISTERED")
        return user


Handler = Callable[[Session, Any], Any]
HANDLERS: dict[type, Handler] = {}


def handles(*request_types: type) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for request_type in request_types:
            HANDLERS[request_type] = handler
        return handler

    return register


def answer(session: Session, request: Any) -> Any:
    handler = HANDLERS.get(type(request))
    if handler is None:
        raise SandboxError(400, "METHOD_NOT_SUPPORTED_BY_SANDBOX")
    return handler(session, request)


# -- connection wrappers -----------------------------------------------------------------------


@handles(
    functions.InvokeWithLayerRequest,
    functions.InitConnectionRequest,
    functions.InvokeWithoutUpdatesRequest,
)
def _unwrap(session: Session, request: Any) -> Any:
    return answer(session, request.query)


@handles(functions.help.GetConfigRequest)
def _config(session: Session, request: Any) -> Any:
    return types.Config(
        date=now(), expires=now(), test_mode=False, this_dc=2, dc_options=[],
        dc_txt_domain_name="", chat_size_max=200, megagroup_size_max=200000,
        forwarded_count_max=100, online_update_period_ms=210000, offline_blur_timeout_ms=5000,
        offline_idle_timeout_ms=30000, online_cloud_timeout_ms=300000,
        notify_cloud_delay_ms=30000, notify_default_delay_ms=1500, push_chat_period_ms=60000,
        push_chat_limit=2, edit_time_limit=172800, revoke_time_limit=2147483647,
        revoke_pm_time_limit=2147483647, rating_e_decay=2419200, stickers_recent_limit=200,
        channels_read_media_period=604800, call_receive_timeout_ms=20000,
        call_ring_timeout_ms=90000, call_connect_timeout_ms=30000, call_packet_timeout_ms=10000,
        me_url_prefix="https://t.me/", caption_length_max=1024, message_length_max=4096,
        webfile_dc_id=4,
    )  # fmt: skip


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


# -- login -------------------------------------------------------------------------------------


@handles(functions.auth.SendCodeRequest)
def _send_code(session: Session, request: Any) -> Any:
    if session.world.by_phone(request.phone_number) is None:
        raise SandboxError(400, "PHONE_NUMBER_INVALID")
    code = f"{secrets.randbelow(100000):05d}"
    code_hash = secrets.token_hex(8)
    session.world.login_codes[_digits(request.phone_number)] = code
    session.codes[code_hash] = code
    return types.auth.SentCode(types.auth.SentCodeTypeApp(length=5), code_hash)


@handles(functions.auth.SignInRequest)
def _sign_in(session: Session, request: Any) -> Any:
    user = session.world.by_phone(request.phone_number)
    if user is None:
        raise SandboxError(400, "PHONE_NUMBER_INVALID")
    expected = session.codes.get(request.phone_code_hash)
    if expected is None:
        raise SandboxError(400, "PHONE_CODE_EXPIRED")
    if request.phone_code != expected:
        raise SandboxError(400, "PHONE_CODE_INVALID")
    if user.password:
        session.pending_user = user.id
        raise SandboxError(401, "SESSION_PASSWORD_NEEDED")
    session.world.authorize(session.auth_key_id, user)
    return types.auth.Authorization(user=user.tl(user.id))


@handles(functions.account.GetPasswordRequest)
def _get_password(session: Session, request: Any) -> Any:
    user = session.world.users.get(session.pending_user or 0) or session.user
    if user is None or not user.password:
        return types.account.Password(
            new_algo=types.PasswordKdfAlgoUnknown(),
            new_secure_algo=types.SecurePasswordKdfAlgoUnknown(),
            secure_random=secrets.token_bytes(32),
        )
    session.challenge = srp.challenge(user.password)
    return session.challenge.password


@handles(functions.auth.CheckPasswordRequest)
def _check_password(session: Session, request: Any) -> Any:
    user = session.world.users.get(session.pending_user or 0)
    if user is None or session.challenge is None:
        raise SandboxError(400, "PASSWORD_HASH_INVALID")
    if not srp.verify(session.challenge, request.password):
        raise SandboxError(400, "PASSWORD_HASH_INVALID")
    session.world.authorize(session.auth_key_id, user)
    session.pending_user = session.challenge = None
    return types.auth.Authorization(user=user.tl(user.id))


@handles(functions.auth.ImportBotAuthorizationRequest)
def _bot_sign_in(session: Session, request: Any) -> Any:
    user_id = session.world.bot_tokens.get(request.bot_auth_token)
    if user_id is None:
        raise SandboxError(400, "ACCESS_TOKEN_INVALID")
    user = session.world.users[user_id]
    session.world.authorize(session.auth_key_id, user)
    return types.auth.Authorization(user=user.tl(user.id))


@handles(functions.auth.LogOutRequest)
def _log_out(session: Session, request: Any) -> Any:
    session.world.authorizations.pop(session.auth_key_id, None)
    return types.auth.LoggedOut()


# -- users and contacts ------------------------------------------------------------------------


def _input_user(session: Session, peer: Any) -> SandboxUser:
    me = session.me()
    if isinstance(peer, types.InputUserSelf | types.InputPeerSelf):
        return me
    user_id = getattr(peer, "user_id", None)
    user = session.world.users.get(user_id) if user_id else None
    if user is None:
        raise SandboxError(400, "PEER_ID_INVALID")
    if user.id != me.id and peer.access_hash != user.access_hash:
        raise SandboxError(400, "PEER_ID_INVALID")
    return user


@handles(functions.users.GetUsersRequest)
def _get_users(session: Session, request: Any) -> Any:
    me = session.me()
    return [_input_user(session, peer).tl(me.id) for peer in request.id]


@handles(functions.contacts.ResolveUsernameRequest)
def _resolve_username(session: Session, request: Any) -> Any:
    found = session.world.by_username(request.username)
    return _resolved(session, found, "USERNAME_NOT_OCCUPIED")


@handles(functions.contacts.ResolvePhoneRequest)
def _resolve_phone(session: Session, request: Any) -> Any:
    return _resolved(session, session.world.by_phone(request.phone), "PHONE_NOT_OCCUPIED")


def _resolved(session: Session, user: SandboxUser | None, missing: str) -> Any:
    me = session.me()
    if user is None:
        raise SandboxError(400, missing)
    return types.contacts.ResolvedPeer(types.PeerUser(user.id), [], [user.tl(me.id)])


@handles(functions.contacts.GetContactsRequest)
def _get_contacts(session: Session, request: Any) -> Any:
    session.me()
    return types.contacts.Contacts(contacts=[], saved_count=0, users=[])


@handles(functions.contacts.ImportContactsRequest)
def _import_contacts(session: Session, request: Any) -> Any:
    me = session.me()
    imported, users = [], []
    for contact in request.contacts:
        user = session.world.by_phone(contact.phone)
        if user is not None:
            imported.append(types.ImportedContact(user.id, contact.client_id))
            users.append(user.tl(me.id))
    return types.contacts.ImportedContacts(imported, [], [], users)


# -- update state ------------------------------------------------------------------------------


@handles(functions.updates.GetStateRequest)
def _get_state(session: Session, request: Any) -> Any:
    account = session.world.accounts[session.me().id]
    return types.updates.State(pts=account.pts, qts=0, date=now(), seq=0, unread_count=0)


@handles(functions.updates.GetDifferenceRequest)
def _get_difference(session: Session, request: Any) -> Any:
    me = session.me()
    account = session.world.accounts[me.id]
    missed = [(pts, update) for pts, update in account.log if pts > request.pts]
    if not missed:
        return types.updates.DifferenceEmpty(date=now(), seq=0)
    chunk = missed[:DIFFERENCE_SLICE]
    new_messages, other = [], []
    for _, update in chunk:
        if isinstance(update, types.UpdateNewMessage):
            new_messages.append(_current(session.world, me.id, update.message))
        else:
            other.append(update)
    state = types.updates.State(pts=chunk[-1][0], qts=0, date=now(), seq=0, unread_count=0)
    users = [u.tl(me.id) for u in session.world.users.values()]
    if len(missed) > DIFFERENCE_SLICE:
        return types.updates.DifferenceSlice(new_messages, [], other, [], users, state)
    return types.updates.Difference(new_messages, [], other, [], users, state)


def _current(world: World, owner: int, logged: types.Message) -> types.Message:
    """A message as it is now (edited text, reactions) — what getDifference returns."""
    stored = world.accounts[owner].messages.get(logged.id)
    return stored.tl() if stored is not None and not stored.deleted else logged


# -- messages ----------------------------------------------------------------------------------


def _peer_user(session: Session, peer: Any) -> SandboxUser:
    if not isinstance(peer, types.InputPeerUser | types.InputPeerSelf):
        raise SandboxError(400, "PEER_ID_INVALID")
    return _input_user(session, peer)


def _reply_id(reply_to: Any) -> int | None:
    return getattr(reply_to, "reply_to_msg_id", None)


def _sent(session: Session, own: list[Any]) -> types.Updates:
    return session.world.updates(session.me().id, own)


def _check_text(text: str, *, caption: bool = False) -> None:
    limit = 1024 if caption else 4096
    if len(text.encode("utf-16-le")) // 2 > limit:
        raise SandboxError(400, "MEDIA_CAPTION_TOO_LONG" if caption else "MESSAGE_TOO_LONG")


@handles(functions.messages.SendMessageRequest)
def _send_message(session: Session, request: Any) -> Any:
    peer = _peer_user(session, request.peer)
    if not request.message.strip():
        raise SandboxError(400, "MESSAGE_EMPTY")
    _check_text(request.message)
    _, own = session.world.send(
        session.me(),
        peer,
        request.message,
        entities=request.entities or (),
        reply_to=_reply_id(request.reply_to),
        random_id=request.random_id,
    )
    return _sent(session, own)


@handles(functions.messages.SendMediaRequest)
def _send_media(session: Session, request: Any) -> Any:
    peer = _peer_user(session, request.peer)
    _check_text(request.message, caption=True)
    media = _input_media(session, request.media)
    _, own = session.world.send(
        session.me(),
        peer,
        request.message,
        entities=request.entities or (),
        media=media,
        reply_to=_reply_id(request.reply_to),
        random_id=request.random_id,
    )
    return _sent(session, own)


def _input_media(session: Session, media: Any) -> Any:
    account = session.world.accounts[session.me().id]
    if isinstance(media, types.InputMediaUploadedPhoto | types.InputMediaUploadedDocument):
        parts = account.uploads.pop(media.file.id, None)
        if not parts or len(parts) != media.file.parts:
            raise SandboxError(400, "FILE_PARTS_INVALID")
        data = b"".join(parts[i] for i in sorted(parts))
        if isinstance(media, types.InputMediaUploadedPhoto):
            return session.world.photo(data)
        name = next(
            (
                a.file_name
                for a in media.attributes
                if isinstance(a, types.DocumentAttributeFilename)
            ),
            media.file.name,
        )
        return session.world.document(data, name, media.mime_type)
    raise SandboxError(400, "MEDIA_INVALID")


@handles(functions.upload.SaveFilePartRequest, functions.upload.SaveBigFilePartRequest)
def _save_part(session: Session, request: Any) -> Any:
    uploads = session.world.accounts[session.me().id].uploads
    uploads.setdefault(request.file_id, {})[request.file_part] = request.bytes
    return True


@handles(functions.upload.GetFileRequest)
def _get_file(session: Session, request: Any) -> Any:
    session.me()
    data = session.world.files.get(getattr(request.location, "id", 0))
    if data is None:
        raise SandboxError(400, "FILE_REFERENCE_INVALID")
    chunk = data[request.offset : request.offset + request.limit]
    return types.upload.File(types.storage.FileUnknown(), mtime=0, bytes=chunk)


@handles(functions.messages.EditMessageRequest)
def _edit_message(session: Session, request: Any) -> Any:
    _peer_user(session, request.peer)
    own = session.world.edit(
        session.me(), request.id, request.message or "", request.entities or ()
    )
    return _sent(session, own)


@handles(functions.messages.DeleteMessagesRequest)
def _delete_messages(session: Session, request: Any) -> Any:
    return session.world.delete(session.me(), request.id, revoke=bool(request.revoke))


@handles(functions.messages.SendReactionRequest)
def _send_reaction(session: Session, request: Any) -> Any:
    _peer_user(session, request.peer)
    emoji = next((r.emoticon for r in request.reaction or [] if hasattr(r, "emoticon")), None)
    own = session.world.react(session.me(), request.msg_id, emoji)
    return _sent(session, own)


@handles(functions.messages.ReadHistoryRequest)
def _read_history(session: Session, request: Any) -> Any:
    account = session.world.accounts[session.me().id]
    return types.messages.AffectedMessages(account.pts, 0)


@handles(functions.messages.GetHistoryRequest)
def _get_history(session: Session, request: Any) -> Any:
    me = session.me()
    peer = _peer_user(session, request.peer)
    found = [
        m
        for m in reversed(session.world.history(me, peer))
        if not request.offset_id or m.id < request.offset_id
    ][: request.limit or 100]
    return _messages(session, found)


@handles(functions.messages.GetMessagesRequest)
def _get_messages(session: Session, request: Any) -> Any:
    me = session.me()
    account = session.world.accounts[me.id]
    found = []
    for wanted in request.id:
        stored = account.messages.get(getattr(wanted, "id", 0))
        if stored is not None and not stored.deleted:
            found.append(stored)
    return _messages(session, found)


def _messages(session: Session, found: list[StoredMessage]) -> Any:
    me = session.me().id
    users = {m.peer for m in found} | {me}
    return types.messages.Messages(
        messages=[m.tl() for m in found],
        topics=[],
        chats=[],
        users=[session.world.users[u].tl(me) for u in users],
    )


@handles(functions.messages.GetDialogsRequest)
def _get_dialogs(session: Session, request: Any) -> Any:
    me = session.me()
    chats = session.world.dialogs(me)[: request.limit or 100]
    dialogs = [
        types.Dialog(
            peer=types.PeerUser(user.id),
            top_message=message.id,
            read_inbox_max_id=message.id,
            read_outbox_max_id=message.id,
            unread_count=0,
            unread_mentions_count=0,
            unread_reactions_count=0,
            unread_poll_votes_count=0,
            notify_settings=types.PeerNotifySettings(),
        )
        for user, message in chats
    ]
    return types.messages.Dialogs(
        dialogs=dialogs,
        messages=[message.tl() for _, message in chats],
        chats=[],
        users=[user.tl(me.id) for user, _ in chats],
    )


__all__ = ["HANDLERS", "Session", "answer"]
