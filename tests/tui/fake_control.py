"""A scripted control server: the contract of docs/control-api.md with fixed, in-memory data.

Used for the SVG snapshots, which need data that does not change between runs (fixed
timestamps, ids, status). Behaviour tests run against the real daemon (tests/tui/daemon_env.py).
It speaks the real wire format — JSON-RPC 2.0, one object per line, over a Unix socket — so the
TUI's client code runs for real.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

T0 = "2026-11-25T10:{:02d}:00+00:00"
NETWORKS = ["telegram", "telegram", "telegram", "matrix"]
PARTNERS = ["ACME Supplies", "Globex Client", "Initech Legal", "Umbrella Partners", "Hooli Ops",
            "Stark Logistics", "Wayne Finance", "Cyberdyne Support"]  # fmt: skip


def at(minute: int) -> str:
    return T0.format(minute % 60)


def message(mid: int, link_id: str, text: str, *, inbound: bool = True, minute: int = 0,
            policy: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "id": mid, "link_id": link_id, "network": "telegram" if inbound else "matrix",
        "chat_id": "100", "native_id": str(mid), "sender_id": "7" if inbound else "@alice",
        "sender_name": "Pavel" if inbound else "Alice", "direction": "inbound" if inbound else
        "outbound", "kind": "text", "text": text, "spans": [], "attachments": [],
        "reply_to": None, "edited": False, "deleted": False, "at": at(minute),
        "policy": policy, "delivery": {"state": "sent", "error": None}, **extra,
    }  # fmt: skip


class FakeControl:
    def __init__(self, path: Path, *, role: str = "admin") -> None:
        self.path = path
        self.role = role
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.subscribers: set[asyncio.StreamWriter] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.conversations: list[dict[str, Any]] = []
        for i, partner in enumerate(PARTNERS):
            link_id = partner.split()[0].lower()
            self.conversations.append({
                "link_id": link_id, "title": partner, "network": NETWORKS[i % 4],
                "internal": {"network": "matrix", "chat_id": f"!{link_id}:internal.test",
                             "title": f"{partner.split()[0]} team"},
                "external": {"network": NETWORKS[i % 4], "chat_id": str(100 + i),
                             "title": partner},
                "last": None, "unread": [3, 0, 1, 0, 0, 2, 0, 0][i], "mentions": 1 if i == 0 else 0,
                "held": 1 if i in (0, 2) else 0, "enabled": i != 7,
            })  # fmt: skip
        acme = [
            message(1, "acme", "Добрый день! Пришлите, пожалуйста, счёт за ноябрь.", minute=1),
            message(2, "acme", "Hello Pavel, sending the invoice today.", inbound=False, minute=2),
            message(3, "acme", "Card for the deposit: 4276 **** **** 1234", inbound=False,
                    minute=3, policy={"action": "redact", "rules": ["cards"], "held": False,
                            "redacted": [[22, 41]]}),
            message(4, "acme", "Our INN is 7707083893, please check the contract.",
                    inbound=False, minute=4,
                    policy={"action": "hold", "rules": ["inn"], "held": True},
                    delivery={"state": "held", "error": None}),
            message(5, "acme", "Коммерческая тайна: price list attached", inbound=False, minute=5,
                    policy={"action": "block", "rules": ["marking"], "held": False},
                    delivery=None),
            message(6, "acme", "Thanks! Got it.", minute=6, reply_to=2),
            message(7, "acme", "A long message that wraps: " + "lorem ipsum dolor sit amet " * 8,
                    minute=7, attachments=[{"name": "contract.pdf", "mime": "application/pdf",
                                            "size": 48213}]),
        ]  # fmt: skip
        self.messages["acme"] = acme
        for n, conversation in enumerate(self.conversations):
            link_id = conversation["link_id"]
            if link_id != "acme":
                self.messages[link_id] = [message(100 + n, link_id, f"Hi from {link_id}",
                                                  minute=10 + n)]  # fmt: skip
            last = self.messages[link_id][-1]
            conversation["last"] = {"id": last["id"], "sender_name": last["sender_name"],
                                    "preview": last["text"][:120], "at": last["at"]}  # fmt: skip
        self.approvals = [
            {"id": 1, "message_id": 4, "link_id": "acme", "rule": "inn", "reason": "INN found",
             "state": "pending", "sender_name": "Alice", "preview": acme[3]["text"],
             "created_at": at(4), "decided_by": None},
            {"id": 2, "message_id": 104, "link_id": "initech", "rule": "passport",
             "reason": "passport_ru found", "state": "pending", "sender_name": "Bob",
             "preview": "Passport 4510 123456 for the visa", "created_at": at(8),
             "decided_by": None},
        ]  # fmt: skip
        self.next_id = 1000

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self.server = await asyncio.start_unix_server(self._client, path=str(self.path))

    async def stop(self) -> None:
        if self.server:
            self.server.close()
            for writer in list(self.writers):
                writer.close()
            await self.server.wait_closed()
            self.server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def publish(self, topic: str, **payload: Any) -> None:
        line = json.dumps({"jsonrpc": "2.0", "method": "event",
                           "params": {"topic": topic, **payload}}).encode() + b"\n"  # fmt: skip
        for writer in list(self.subscribers):
            writer.write(line)
            await writer.drain()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while line := await reader.readline():
                request = json.loads(line)
                method, params = request["method"], request.get("params") or {}
                self.calls.append((method, params))
                handler = getattr(self, "m_" + method.replace(".", "_"), None)
                if method == "subscribe":
                    self.subscribers.add(writer)
                try:
                    if handler is None:
                        raise RpcError(-32601, f"no such method {method}")
                    response = {"result": handler(**params)}
                except RpcError as err:
                    response = {"error": {"code": err.code, "message": err.message,
                                          "data": err.data}}  # fmt: skip
                writer.write(json.dumps({"jsonrpc": "2.0", "id": request["id"], **response})
                             .encode() + b"\n")  # fmt: skip
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.writers.discard(writer)
            self.subscribers.discard(writer)
            writer.close()

    # -- methods ------------------------------------------------------------------------------

    def m_hello(self) -> Any:
        return {"version": "0.1.0", "user": "tester", "role": self.role,
                "links": [c["link_id"] for c in self.conversations]}  # fmt: skip

    def m_subscribe(self, topics: list[str] | None = None) -> Any:
        return {}

    def m_status(self) -> Any:
        return {
            "version": "0.1.0", "started_at": at(0),
            "networks": [
                {"network": "matrix", "connected": True, "flood_wait_until": None, "detail": ""},
                {"network": "telegram", "connected": True, "flood_wait_until": at(30),
                 "detail": "FLOOD_WAIT 42 s on chat 101"},
            ],
            "outbox": {"pending": 3, "held": 2, "failed": 1, "sent": 1234},
            "queues": [{"network": "telegram", "chat_id": "101", "pending": 3}],
            "recent_failures": [{"outbox_id": 77, "network": "telegram", "chat_id": "107",
                                 "error": "PEER_ID_INVALID", "at": at(20)}],
        }  # fmt: skip

    def m_conversations_list(self) -> Any:
        return self.conversations

    def m_conversations_mark_read(self, link_id: str, message_id: int) -> Any:
        return {}

    def m_history(self, link_id: str, before: int | None = None, limit: int = 50) -> Any:
        messages = [m for m in self.messages.get(link_id, []) if before is None or m["id"] < before]
        return {"messages": messages[-limit:], "more": len(messages) > limit}

    def _find(self, mid: int) -> dict[str, Any]:
        for messages in self.messages.values():
            for m in messages:
                if m["id"] == mid:
                    return m
        raise RpcError(-32004, f"no message {mid}")

    def m_message_get(self, id: int, context: int = 10) -> Any:
        found = self._find(id)
        messages = self.messages[found["link_id"]]
        i = messages.index(found)
        before = messages[max(0, i - context) : i] if context else []
        return {"message": found, "before": before, "after": messages[i + 1 : i + 1 + context]}

    def m_send(self, link_id: str, text: str, reply_to: int | None = None) -> Any:
        if self.role == "auditor":
            raise RpcError(-32003, "forbidden: role auditor may not call send")
        self.next_id += 1
        self.messages[link_id].append(message(self.next_id, link_id, text, inbound=False,
                                              minute=30, reply_to=reply_to))  # fmt: skip
        return {"message_id": self.next_id, "action": "allow", "rules": []}

    def m_search(self, query: str, link_id: str | None = None, limit: int = 50) -> Any:
        words = query.casefold().split()
        hits = [dict(m, snippet=m["text"][:80]) for ms in self.messages.values() for m in ms
                if all(w in m["text"].casefold() for w in words)]  # fmt: skip
        return hits[:limit]

    def m_approvals_list(self, state: str = "pending") -> Any:
        return [a for a in self.approvals if state == "all" or a["state"] == state]

    def m_approvals_approve(self, id: int) -> Any:
        approval = next(a for a in self.approvals if a["id"] == id)
        approval.update(state="approved", decided_by="os:tester")
        return approval

    def m_links_list(self) -> Any:
        return [{"id": c["link_id"], "name": c["title"], "internal": c["internal"],
                 "external": c["external"], "format": None, "enabled": c["enabled"],
                 "source": "config" if i < 6 else "runtime"}
                for i, c in enumerate(self.conversations)]  # fmt: skip

    def m_contacts_reception(self) -> Any:
        return [{"network": "telegram", "chat_id": "555", "name": "Unknown Caller",
                 "messages": 4, "first_at": at(1), "last_at": at(9)}]  # fmt: skip

    def m_policy_get(self) -> Any:
        return {"source": "config", "toml": "", "rules": [
            {"name": "cards", "action": "redact", "priority": 10, "simulate": False,
             "description": "Mask payment card numbers"},
            {"name": "inn", "action": "hold", "priority": 20, "simulate": False,
             "description": "Hold messages with an INN for approval"},
            {"name": "marking", "action": "block", "priority": 5, "simulate": False,
             "description": "Block documents marked as trade secrets"},
            {"name": "phones", "action": "notify", "priority": 50, "simulate": True,
             "description": "Tell admins about phone numbers"},
        ]}  # fmt: skip

    def m_policy_test(self, text: str, link_id: str | None = None,
                      direction: str | None = None) -> Any:  # fmt: skip
        if "7707083893" in text:
            start = text.index("7707083893")
            return {"action": "hold", "rules": ["inn"], "summary": "hold by inn (1 finding)",
                    "findings": [{"kind": "inn", "text": "7707083893", "start": start,
                                  "end": start + 10}]}  # fmt: skip
        if "4276" in text:
            start = text.index("4276")
            return {"action": "redact", "rules": ["cards"], "summary": "redact by cards",
                    "findings": [{"kind": "card", "text": text[start:start + 19], "start": start,
                                  "end": start + 19}]}  # fmt: skip
        return {"action": "allow", "rules": [], "findings": [], "summary": "allowed"}

    def m_audit_page(self, after_seq: int | None = None, limit: int = 100) -> Any:
        records = [{"seq": s, "at": at(s), "actor": "router" if s % 3 else "os:security",
                    "action": ["message.routed", "policy.hold", "approval.approved"][s % 3],
                    "subject": f"message:{s}", "details": {"rule": "inn"} if s % 3 == 1 else {}}
                   for s in range(1, 41)]  # fmt: skip
        after = [r for r in records if after_seq is None or r["seq"] > after_seq]
        return {"records": after[:limit], "more": len(after) > limit}

    def m_audit_verify(self) -> Any:
        return {"ok": True, "records": 40}


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data
