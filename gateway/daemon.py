"""Wiring and lifecycle: start, reload (SIGHUP), graceful drain (SIGTERM).

Start-up order matters for invariant 1 (no loss): the store opens first, the bridges log in
(their sinks hold every event back until routing is ready), configured room aliases are
resolved to room ids, messages a crash left unrouted are routed, pending deliveries resume, and
only then does the first new event reach the router — so no event is routed against a link
table that cannot match it yet, and older messages keep their place ahead of new ones.
Shutdown runs the other way: bridges stop accepting (their events wait, unacknowledged), the
dispatcher drains for a grace period while they are still connected, the bridges close, the
store commits what is queued and closes. Anything still pending is delivered on next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway import reception
from gateway.approvals import ApprovalQueue
from gateway.audit_guard import AuditGuard
from gateway.config import Config, load_config
from gateway.control.hub import EventHub
from gateway.dispatch import Dispatcher
from gateway.errors import HgwError
from gateway.management import Services, is_command, run_command
from gateway.media import MediaCache
from gateway.memory import settle_long_lived
from gateway.model import (
    ChatRef,
    Direction,
    Link,
    Message,
    MessageKind,
    NetworkName,
    OperationKind,
    Route,
)
from gateway.policy_source import PolicySource
from gateway.router import Router
from gateway.store import Store, messages, outbox, retention
from gateway.store import links as links_store
from gateway.store.outbox import now_ms
from gateway.verdicts import Verdict, describe_test, remembering

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0
"""How long SIGTERM waits for deliverable messages before stopping (the rest resume on start)."""

RETENTION_INTERVAL_SECONDS = 3600.0

Judge = Callable[[Message, Route], Verdict]
BridgeFactory = Callable[[Config], Mapping[NetworkName, Any]]
JudgeFactory = Callable[[Config], Judge]
"""Builds the policy judge from a config — again on every successful reload."""


class DaemonLock:
    """An exclusive lock next to the store: two daemons on one store would send twice."""

    def __init__(self, store_path: Path) -> None:
        self.path = store_path.with_name(store_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise HgwError(
                f"another hgw daemon (pid {holder}) is running on this store ({self.path});"
                " stop it first, or point this one at another [store] path"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass(slots=True)
class NetworkSink:
    """The EventSink one bridge writes into: commands go to the management room, the rest to
    the router; sync positions are stored under ``<network>.<key>``."""

    network: NetworkName
    daemon: Daemon

    async def _admitted(self) -> None:
        """Wait until routing is ready; once the daemon is stopping, never return.

        A bridge whose event is parked here has not stored it, so its sync position does not
        move past it and the network hands it over again on the next start — while the bridge
        stays connected, so the drain can still deliver what was accepted before."""
        await self.daemon.routing_ready.wait()
        if self.daemon.stopping:
            await asyncio.Event().wait()  # cancelled when the bridge stops

    async def message(self, message: Message) -> None:
        await self._admitted()
        routing = await self.daemon.router.message(message)
        if not routing.verdicts and self.daemon.opens_portals_for(message):
            await self.daemon.open_portal_for_unknown(message.chat)
        if self.daemon.is_management(message.chat) and is_command(message.text):
            await self.daemon.answer_command(message)

    async def reaction(self, reaction: Any) -> None:
        await self._admitted()
        await self.daemon.router.reaction(reaction)

    async def deletion(self, deletion: Any) -> None:
        await self._admitted()
        await self.daemon.router.deletion(deletion)

    async def connected(self) -> None:
        if self.daemon.routing_ready.is_set():
            self.daemon.dispatcher.network_recovered(self.network)

    async def checkpoint(self, key: str, value: str) -> None:
        await self.daemon.store.put_value(f"{self.network}.{key}", value)

    async def restore(self, key: str) -> str | None:
        return await self.daemon.store.get_value(f"{self.network}.{key}")


class Daemon:
    """One running gateway. ``await Daemon(config, ...).run()`` until a signal stops it."""

    def __init__(
        self, config: Config, *, make_bridges: BridgeFactory, make_judge: JudgeFactory
    ) -> None:
        self.config = config
        self._make_bridges = make_bridges
        self._make_judge = make_judge
        self._stop = asyncio.Event()
        self._lock = DaemonLock(config.store.path)
        self.store: Store
        self.router: Router
        self.dispatcher: Dispatcher
        self.approvals: ApprovalQueue
        self.bridges: dict[NetworkName, Any] = {}
        self._runtime_links: tuple[Link, ...] = ()
        self.ready = asyncio.Event()
        self.routing_ready = asyncio.Event()
        """Set once links are resolved and crash leftovers routed; sinks wait for it."""
        self.stopping = False
        """Set at shutdown: bridges' new events are no longer taken in (see NetworkSink)."""
        self._room_ids: dict[tuple[NetworkName, str], str] = {}
        """(network, alias) → room id, as the network resolved it."""
        self._tasks: set[asyncio.Task[None]] = set()
        self.hub = EventHub()
        """Live events for the control API (router, approvals and dispatcher publish)."""
        self.control: Any = None
        self.metrics: Any = None
        self.policy_source = PolicySource()
        self.started_at = datetime.now(UTC)
        self.last_reload_error: str | None = None
        """Why the last SIGHUP reload was refused (``None`` after a good one), for ``status``."""
        self.audit_guard: AuditGuard | None = None

    def is_management(self, chat: ChatRef) -> bool:
        """Whether ``chat`` is the management room, configured by id or by alias."""
        matrix = self.config.matrix
        if not (matrix and matrix.management_room and chat.network == "matrix"):
            return False
        room = matrix.management_room
        return chat.chat_id == self._room_ids.get((NetworkName("matrix"), room), room)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        self._lock.acquire()
        try:
            await self._run()
        finally:
            self._lock.release()

    async def _run(self) -> None:
        config = self.config
        new_store = not config.store.path.expanduser().exists()
        self.store = await Store.connect(config.store.path, synchronous=config.store.synchronous)
        try:
            key_file = config.store.audit_key_file or config.store.path.with_name("audit.key")
            self.audit_guard = AuditGuard(self.store, key_file)
            await self.audit_guard.open(new_store=new_store)  # before anything can append
            await self.policy_source.load(self.store)  # a policy set through the control API
            config = self.config = self.policy_source.apply(config)
            self._make_judge = await remembering(self._make_judge, self.store, config)
            if config.metrics is not None:
                from gateway.metrics import Metrics

                self.metrics = Metrics(config.metrics)
                self._make_judge = self.metrics.timed(self._make_judge)
            self.bridges = dict(self._make_bridges(config))
            media = self.media = MediaCache(config.gateway.data_dir / "media")
            self.dispatcher = Dispatcher(self.store, self.bridges, media=media)
            judge = self._make_judge(config)
            self.router = Router(self.store, self.dispatcher, (), judge, media=media)
            self.approvals = ApprovalQueue(self.store, self.dispatcher)
            self.router.events = self.approvals.events = self.hub.publish
            self.dispatcher.subscribe(self.hub.delivery)
            for network, bridge in self.bridges.items():
                await bridge.start(NetworkSink(network, self))
                log.info("%s bridge started", network)
            self._runtime_links = tuple(await links_store.load(self.store.reader))
            await self._resolve_rooms(config)
            self._apply_rooms(config)
            unrouted = await messages.unrouted_messages(self.store.reader)
            recovered = await self.router.recover(unrouted)
            if recovered:
                log.warning("routed %d messages left unrouted by an earlier crash", recovered)
            await self.dispatcher.start()
            self.audit_guard.watch(self.notify_admins)
            self.routing_ready.set()
            await self._start_control()
            self._install_signals()
            retention = asyncio.create_task(self._retention_loop(), name="retention")
            settle_long_lived()  # start-up's objects stay: no 30 ms full collections for them
            self.ready.set()
            log.info("hgw is running (store %s)", config.store.path)
            await self._stop.wait()
            retention.cancel()
            log.info("stopping: no new events; draining deliveries for up to %.0fs", DRAIN_SECONDS)
        finally:
            await self._shutdown()

    async def _start_control(self) -> None:
        from gateway.control.server import ControlServer

        self.control = ControlServer(self)
        await self.control.start()
        if self.metrics is not None:
            self.metrics.start(self)

    async def _shutdown(self) -> None:
        self.stopping = True  # no new events from the networks...
        if self.control is not None:  # ...nor control calls while draining
            await self.control.stop()
        if self.metrics is not None:
            await self.metrics.stop()
        for task in list(self._tasks):
            task.cancel()
        # Drain while the bridges are still connected: stopping a bridge closes its client,
        # and a delivery tried after that fails instead of going out.
        if hasattr(self, "dispatcher"):
            drained = await self.dispatcher.drain(DRAIN_SECONDS)
            if not drained:
                log.warning("some deliveries are still pending; they resume on the next start")
        for network, bridge in self.bridges.items():
            try:
                await bridge.stop()
            except Exception:
                log.exception("%s bridge did not stop cleanly", network)
        if self.audit_guard is not None:
            await self.audit_guard.close()
        await self.store.close()
        log.info("hgw stopped")

    async def _retention_loop(self) -> None:
        """Prune expired messages hourly, in small batches so relaying never waits long."""
        while True:
            days = self.config.store.retention_days
            try:
                prune = functools.partial(retention.prune, retention_days=days)
                while days and (deleted := await self.store.write(prune)):
                    log.info("retention: deleted %d messages older than %d days", deleted, days)
                if days:
                    keep = await retention.media_in_use(self.store.reader)
                    cutoff = time.time() - days * 86400
                    if removed := await self.media.prune(keep, older_than=cutoff):
                        log.info("retention: deleted %d media files nothing refers to", removed)
            except Exception:
                log.exception("retention pass failed; retrying in an hour")
            await asyncio.sleep(RETENTION_INTERVAL_SECONDS)

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, self.stop)
            loop.add_signal_handler(signal.SIGINT, self.stop)
            loop.add_signal_handler(signal.SIGHUP, self.reload)

    def reload(self) -> None:
        """SIGHUP: load the config again; an invalid one is refused and the old one keeps going."""
        path = self.config.source_path
        try:
            new = self.policy_source.apply(load_config(path, check_secrets=False))
            judge = self._make_judge(new)
        except HgwError as err:
            log.error("config reload refused, the running config stays in force: %s", err)
            self._reload_refused(str(err))
            return
        self.last_reload_error = None
        self.config = new
        self._apply_rooms(new)
        self.router.set_judge(judge)
        log.info("config reloaded from %s: %d links", path, len(new.links))
        if self._unresolved(new):
            task = asyncio.create_task(self._resolve_and_relink(new), name="resolve-rooms")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _reload_refused(self, error: str) -> None:
        """Tell the admins: ``status`` shows it, and the management room gets a notice."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self.last_reload_error = f"{at}: {error}"
        self.hub.publish("status")
        self.notify_admins(f"⚠ Config reload refused; the running config stays in force: {error}")

    def notify_admins(self, text: str) -> None:
        """Post ``text`` as a notice in the management room, if one is configured."""
        room = self.router.admin_room
        if room is None:
            return

        async def post(conn: Any) -> None:
            payload = {"text": text, "kind": MessageKind.NOTICE.value, "accepted_at": now_ms()}
            await outbox.add(conn, target=room, operation=OperationKind.NOTICE, payload=payload)

        async def notify() -> None:
            await self.store.write(post)
            self.dispatcher.wake(room)

        task = asyncio.create_task(notify(), name="admin-notice")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def apply_policy(self) -> None:
        """A policy was set through the control API: judge with it from the next message on."""
        self.config = self.policy_source.apply(self.config)
        self.router.set_judge(self._make_judge(self.config))

    def active_links(self) -> tuple[Link, ...]:
        """Every link the router uses now, with room aliases resolved to ids."""
        return self._with_room_ids(self.all_links())

    # -- room aliases -------------------------------------------------------------------------

    def _unresolved(self, config: Config) -> list[tuple[NetworkName, str]]:
        """Aliases in ``config`` (links, management room) not resolved to a room id yet."""
        rooms = [
            (c.network, c.chat_id) for link in config.links for c in (link.internal, link.external)
        ]
        if config.matrix and config.matrix.management_room:
            rooms.append((NetworkName("matrix"), config.matrix.management_room))
        return [r for r in rooms if self._needs_resolving(*r) and r not in self._room_ids]

    def _needs_resolving(self, network: NetworkName, chat_id: str) -> bool:
        """Aliases (``#room:server``, Telegram ``@name``) the network must turn into ids."""
        bridge = self.bridges.get(network)
        check = getattr(bridge, "needs_resolving", None)
        return bool(check(chat_id)) if check is not None else chat_id.startswith("#")

    async def _resolve_rooms(self, config: Config) -> None:
        """Ask each network for the room ids of configured aliases.

        An alias that cannot be resolved leaves its link inactive (logged as an error) rather
        than stopping the daemon: the other links keep relaying.
        """
        for network, alias in self._unresolved(config):
            bridge = self.bridges.get(network)
            resolve = getattr(bridge, "resolve_room", None)
            if resolve is None:
                continue
            try:
                self._room_ids[(network, alias)] = await resolve(alias)
            except HgwError as err:
                log.error(
                    "%s: cannot resolve %s (%s); what uses it stays inactive", network, alias, err
                )
                continue
            log.info("%s: %s is %s", network, alias, self._room_ids[(network, alias)])

    async def _resolve_and_relink(self, config: Config) -> None:
        await self._resolve_rooms(config)
        if self.config is config:
            self._apply_rooms(config)

    def _apply_rooms(self, config: Config) -> None:
        """Give the router the links and the admins' room, with aliases replaced by room ids."""
        self.router.set_links(self._with_room_ids(self.all_links(config)))
        matrix = config.matrix
        room = matrix.management_room if matrix else None
        matrix_net = NetworkName("matrix")
        self.router.admin_room = (
            ChatRef(matrix_net, self._room_ids.get((matrix_net, room), room)) if room else None
        )

    def all_links(self, config: Config | None = None) -> tuple[Link, ...]:
        """Config links, then runtime ones (``!hgw link``) whose ids the config does not use."""
        declared = (config or self.config).links
        taken = {link.id for link in declared}
        return declared + tuple(link for link in self._runtime_links if link.id not in taken)

    async def add_link(self, link: Link, *, actor: str) -> None:
        """Persist and activate a runtime link, audited, in one transaction."""
        if link.id in {existing.id for existing in self.all_links()}:
            raise HgwError(f"a link with id {link.id!r} exists already")
        if link.external.network not in self.bridges or link.external.network == "matrix":
            known = ", ".join(sorted(n for n in self.bridges if n != "matrix")) or "none"
            raise HgwError(f"no external network {link.external.network!r} (running: {known})")

        async def write(conn: Any) -> None:
            await links_store.save(conn, link)
            await self.store.audit.append(
                conn,
                actor=actor,
                action="link.created",
                subject=f"link:{link.id}",
                details={
                    "internal": link.internal.chat_id,
                    "external": link.external.chat_id,
                    "network": link.external.network,
                },
            )

        try:
            await self.store.write(write)
        except sqlite3.IntegrityError:
            raise HgwError("those two chats are linked already") from None
        self._runtime_links = (*self._runtime_links, link)
        self._apply_rooms(self.config)

    async def remove_link(self, link_id: str, *, actor: str) -> None:
        if any(link.id == link_id for link in self.config.links):
            raise HgwError(f"{link_id!r} comes from the config file: remove it there and reload")

        async def write(conn: Any) -> bool:
            removed = await links_store.remove(conn, link_id)
            if removed:
                await self.store.audit.append(
                    conn, actor=actor, action="link.removed", subject=f"link:{link_id}"
                )
            return removed

        if not await self.store.write(write):
            raise HgwError(f"no runtime link {link_id!r}; see `!hgw links`")
        self._runtime_links = tuple(link for link in self._runtime_links if link.id != link_id)
        self._apply_rooms(self.config)

    def _with_room_ids(self, links: tuple[Link, ...]) -> tuple[Link, ...]:
        def by_id(chat: ChatRef) -> ChatRef:
            room = self._room_ids.get((chat.network, chat.chat_id))
            return replace(chat, chat_id=room) if room else chat

        return tuple(
            replace(link, internal=by_id(link.internal), external=by_id(link.external))
            for link in links
        )

    # -- reception, portals, status ----------------------------------------------------------

    async def reception(self) -> list[dict[str, Any]]:
        """Unknown contacts waiting for an admin, for ``!hgw reception`` and the control API."""
        return [w.as_dict() for w in await reception.waiting(self.store.reader)]

    async def assign_contact(
        self,
        network: str,
        chat_id: str,
        internal_room: str | None = None,
        *,
        actor: str,
        title: str | None = None,
        automatic: bool = False,
    ) -> Link:
        """Link an external chat (from reception, or found by ``!hgw pm``) to an internal
        room — a new portal room when none is given — and relay what it has waiting."""
        external = ChatRef(
            NetworkName(network), chat_id, title or await self._title(network, chat_id)
        )
        existing = next(
            (
                link
                for link in self._with_room_ids(self.all_links())
                if (link.external.network, link.external.chat_id) == (network, chat_id)
            ),
            None,
        )
        if existing is not None and not (reception.is_automatic(existing) and not automatic):
            return existing
        if existing is not None:  # an admin confirms a portal hgw opened on its own
            await self.remove_link(existing.id, actor=actor)
            internal_room = internal_room or existing.internal.chat_id
        if internal_room is None:
            internal_room = await self._create_portal(external)
        link = Link(
            reception.link_id_for(external, automatic=automatic),
            ChatRef(NetworkName("matrix"), internal_room),
            external,
        )
        await self.add_link(link, actor=actor)
        waiting = await reception.waiting_in(self.store.reader, external)
        relayed = await self.router.recover(waiting)
        log.info(
            "%s assigned %s:%s to %s; relayed %d waiting messages",
            actor,
            network,
            chat_id,
            internal_room,
            relayed,
        )
        return link

    async def open_pm(self, contact: str, *, actor: str, network: str = "telegram") -> Link:
        """``!hgw pm @someone``: find the contact on the network and open a portal for them."""
        bridge = self.bridges.get(NetworkName(network))
        resolve = getattr(bridge, "resolve_contact", None)
        if resolve is None:
            raise HgwError(f"{network} cannot look up contacts (is it configured and running?)")
        chat = await resolve(contact)
        return await self.assign_contact(chat.network, chat.chat_id, actor=actor, title=chat.title)

    def opens_portals_for(self, message: Message) -> bool:
        """Whether an unknown contact's message opens a portal at once (``unknown_contacts``)."""
        telegram = self.config.telegram
        return (
            message.direction is Direction.INBOUND
            and message.chat.network == "telegram"
            and telegram is not None
            and telegram.unknown_contacts == "portal"
        )

    async def open_portal_for_unknown(self, chat: ChatRef) -> None:
        try:
            await self.assign_contact(
                chat.network, chat.chat_id, actor="hgw", title=chat.title, automatic=True
            )
        except HgwError as err:
            log.error(
                "could not open a portal for %s:%s (%s); the messages wait in reception",
                chat.network,
                chat.chat_id,
                err,
            )

    async def _create_portal(self, external: ChatRef) -> str:
        matrix = self.bridges.get(NetworkName("matrix"))
        create = getattr(matrix, "create_portal", None)
        if create is None or self.config.matrix is None:
            raise HgwError("opening a portal needs the internal Matrix network")
        invite = self.config.matrix.portal_invite or self.config.matrix.admins
        topic = f"hgw portal: {external.network} chat {external.chat_id} — relayed under policy"
        return str(await create(reception.portal_name(external), topic, invite))

    async def _title(self, network: str, chat_id: str) -> str | None:
        async with self.store.reader.execute(
            "SELECT title FROM conversations WHERE network = ? AND chat_id = ?", (network, chat_id)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row and row[0] else None

    async def _describe_networks(self) -> str:
        """The networks part of ``!hgw status``: connected or not, and any flood wait."""
        parts = []
        for entry in self.network_status():
            state = {True: "connected", False: "DISCONNECTED", None: "running"}[entry["connected"]]
            if entry.get("flood_wait_until"):
                left = max(0, round(entry["flood_wait_until"] - time.time()))
                state += f", Telegram asked to wait {left}s more"
            if entry.get("detail"):
                state += f" ({entry['detail']})"
            parts.append(f"{entry['network']} {state}")
        return " Networks: " + "; ".join(parts) + "." if parts else ""

    def network_status(self) -> list[dict[str, Any]]:
        """Each network's connection and flood waits, as its bridge reports them."""
        found = []
        for network, bridge in self.bridges.items():
            status = getattr(bridge, "status", None)
            entry = {
                "network": network,
                "connected": None,
                "flood_wait_until": None,
                "detail": None,
            }
            if status is not None:
                entry |= status()
            found.append(entry)
        return found

    # -- management room ----------------------------------------------------------------------

    def services(self) -> Services:
        return Services(
            store=self.store,
            approvals=self.approvals,
            links=self.all_links,
            policy_test=self._describe_policy,
            add_link=self.add_link,
            remove_link=self.remove_link,
            reception=self.reception,
            assign=self.assign_contact,
            open_pm=self.open_pm,
            status=self._describe_networks,
            dialogs=getattr(self.bridges.get(NetworkName("telegram")), "dialogs", None),
        )

    def _describe_policy(self, text: str) -> str:
        return describe_test(self.config, text)

    async def answer_command(self, message: Message) -> None:
        admins = self.config.matrix.admins if self.config.matrix else ()
        reply = await run_command(
            message.text,
            sender=message.sender.user_id,
            is_admin=message.sender.user_id in admins,
            services=self.services(),
        )

        async def post(conn: Any) -> None:
            await outbox.add(
                conn,
                target=message.chat,
                operation=OperationKind.NOTICE,
                payload={"text": reply, "kind": MessageKind.NOTICE.value, "accepted_at": now_ms()},
            )

        await self.store.write(post)
        self.dispatcher.wake(message.chat)


__all__ = ["Daemon", "DaemonLock", "NetworkSink"]
