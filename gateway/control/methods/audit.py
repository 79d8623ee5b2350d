"""``audit.page``, ``audit.export`` and ``audit.verify`` for admins and auditors.

``audit.page`` is for reading (ISO times, no hashes); ``audit.export`` gives the records exactly
as ``hgw audit export`` writes them — with ``prev_hash`` and ``hash``, times in ms — so an export
made over the socket can be verified away from the daemon, record by record.
"""

from __future__ import annotations

import json
from typing import Any

from gateway.control.methods.registry import CallContext, method
from gateway.control.protocol import Params
from gateway.control.roles import OVERSIGHT
from gateway.control.views import iso
from gateway.store.audit import records_after, verify_chain


@method("audit.page", roles=OVERSIGHT)
async def audit_page(ctx: CallContext, params: Params) -> dict[str, Any]:
    after = params.integer("after_seq", 0, minimum=0)
    limit = params.integer("limit", 100, minimum=1, maximum=500)
    params.finish()
    async with ctx.daemon.store.reader.execute(
        "SELECT seq, at, actor, action, subject, details FROM audit"
        " WHERE seq > ? ORDER BY seq LIMIT ?",
        (after, limit + 1),
    ) as cursor:
        rows = list(await cursor.fetchall())
    records = [
        {
            "seq": seq,
            "at": iso(at),
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": json.loads(details),
        }
        for seq, at, actor, action, subject, details in rows[:limit]
    ]
    return {"records": records, "more": len(rows) > limit}


@method("audit.export", roles=OVERSIGHT)
async def audit_export(ctx: CallContext, params: Params) -> dict[str, Any]:
    after = params.integer("after_seq", 0, minimum=0)
    limit = params.integer("limit", 500, minimum=1, maximum=1000)
    params.finish()
    records = await records_after(ctx.daemon.store.reader, after, limit + 1)
    return {"records": [r.as_dict() for r in records[:limit]], "more": len(records) > limit}


@method("audit.verify", roles=OVERSIGHT)
async def audit_verify(ctx: CallContext, params: Params) -> dict[str, Any]:
    params.finish()
    report = await verify_chain(ctx.daemon.store.reader)
    result: dict[str, Any] = {"ok": report.ok, "records": report.records}
    if not report.ok:
        result["first_bad"] = {"seq": report.first_bad_seq, "reason": report.problem}
    return result


__all__ = ["audit_export", "audit_page", "audit_verify"]
