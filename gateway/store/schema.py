"""Numbered SQL migrations, applied in order, each in its own transaction.

Migration files live in ``migrations/NNNN_name.sql``. The ``schema_migrations`` table records
which ran; a database that knows a version higher than the newest file here was written by a
newer hgw and is refused — an old daemon must not write into a schema it does not understand.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gateway.errors import SchemaTooNewError
from gateway.store.connection import AnyConnection

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with this hgw, in version order (gaps are a packaging bug)."""
    folder = resources.files("gateway.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration {expected:04d} is missing from the package")
    return found


LATEST_VERSION = len(bundled_migrations())


async def current_version(conn: AnyConnection) -> int:
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ) as cursor:
        if await cursor.fetchone() is None:
            return 0
    async with conn.execute("SELECT max(version) FROM schema_migrations") as cursor:
        row = await cursor.fetchone()
    return int(row[0] or 0) if row else 0


async def migrate(conn: AnyConnection, path: Path) -> int:
    """Bring the schema up to date; return the version it is now at."""
    version = await current_version(conn)
    if version > LATEST_VERSION:
        raise SchemaTooNewError(
            f"{path}: the store has schema version {version}, but this hgw knows only up to "
            f"{LATEST_VERSION}; upgrade hgw, or restore a backup made by this version"
        )
    if version == 0:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        await conn.commit()
    for migration in bundled_migrations()[version:]:
        await apply(conn, migration)
    return LATEST_VERSION


async def apply(conn: AnyConnection, migration: Migration) -> None:
    """Run one migration atomically: the DDL and its version row commit together or not at all."""
    script = (
        "BEGIN IMMEDIATE;\n"
        f"{migration.sql}\n"
        "INSERT INTO schema_migrations (version, name, applied_at) "
        f"VALUES ({migration.version}, '{migration.name}', {int(time.time() * 1000)});\n"
        "COMMIT;"
    )
    try:
        await conn.executescript(script)
    except BaseException:
        if conn.in_transaction:
            await conn.rollback()
        raise


__all__ = ["LATEST_VERSION", "Migration", "bundled_migrations", "current_version", "migrate"]
