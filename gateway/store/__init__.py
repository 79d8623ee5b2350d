"""The company's own archive of every conversation, on aiosqlite.

One module per concern: ``schema`` (migrations), ``writer`` (group commit), ``messages``
(archive and search), ``audit`` (hash chain), ``kv`` (sync state); ``database`` wires them.
"""

from __future__ import annotations

from gateway.store.audit import AuditRecord, ChainReport
from gateway.store.database import Store
from gateway.store.messages import ArchiveResult, SearchHit, fts_query
from gateway.store.schema import LATEST_VERSION

__all__ = [
    "LATEST_VERSION",
    "ArchiveResult",
    "AuditRecord",
    "ChainReport",
    "SearchHit",
    "Store",
    "fts_query",
]
