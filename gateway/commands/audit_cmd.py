"""``hgw audit verify`` and ``hgw audit export``: prove the audit log is intact, hand it over."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from gateway.commands import (
    EXIT_FAILED,
    EXIT_OK,
    HelpFormatter,
    add_config_option,
    config_from,
    run_async,
)
from gateway.errors import HgwError
from gateway.secrets import open_private_for_writing
from gateway.store import AuditRecord, ChainReport, Store

CSV_COLUMNS = ("seq", "at", "actor", "action", "subject", "details", "prev_hash", "hash")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    audit = subparsers.add_parser(
        "audit",
        help="verify or export the tamper-evident audit log",
        description="The audit log is a SHA-256 hash chain: every record covers the one before.",
        formatter_class=HelpFormatter,
    )
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = sub.add_parser(
        "verify",
        help="check the whole chain; exit 1 and name the first bad record if it was tampered with",
        description="Walk the chain from the first record; report the first one that does not fit.",
        epilog="example:\n  hgw audit verify -c /etc/hgw/config.toml",
        formatter_class=HelpFormatter,
    )
    add_config_option(verify)
    verify.set_defaults(func=run_verify)

    export = sub.add_parser(
        "export",
        help="write audit records as JSON lines or CSV",
        description="Export records in chain order, with their hashes, for an external archive.",
        epilog=(
            "examples:\n"
            "  hgw audit export --format jsonl > audit.jsonl\n"
            "  hgw audit export --format csv --since 2026-01-01 -o audit-2026.csv"
        ),
        formatter_class=HelpFormatter,
    )
    add_config_option(export)
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument(
        "--since", type=_parse_since, metavar="DATE", help="only records at or after this date/time"
    )
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    export.set_defaults(func=run_export)


def _parse_since(text: str) -> int:
    """ISO date or date-time (UTC unless an offset is given) → epoch milliseconds."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def run_verify(args: argparse.Namespace) -> int:
    config = config_from(args)

    async def verify() -> ChainReport:
        async with Store.open(config.store.path, create=False) as store:
            return await store.verify_audit()

    report = run_async(verify)
    if report.ok:
        print(f"audit chain OK: {report.records} records")
        return EXIT_OK
    print(f"audit chain BROKEN at record {report.first_bad_seq}: {report.problem}", file=sys.stderr)
    print(f"({report.records} records before it verified)", file=sys.stderr)
    return EXIT_FAILED


def run_export(args: argparse.Namespace) -> int:
    config = config_from(args)

    async def export(out: TextIO) -> int:
        count = 0
        writer = csv.writer(out) if args.format == "csv" else None
        if writer:
            writer.writerow(CSV_COLUMNS)
        async with Store.open(config.store.path, create=False) as store:
            async for record in store.audit_records(since_ms=args.since):
                _write(record, out, writer)
                count += 1
        return count

    if args.output is None:
        count = run_async(lambda: export(sys.stdout))
    else:
        try:
            # Owner-only: the log names people, chats and decisions.
            with open_private_for_writing(args.output, newline="") as out:
                count = run_async(lambda: export(out))
        except OSError as err:
            raise HgwError(f"{args.output}: cannot write the export: {err.strerror}") from None
    print(f"exported {count} audit records", file=sys.stderr)
    return EXIT_OK


def _write(record: AuditRecord, out: TextIO, writer: Any) -> None:
    row = record.as_dict()
    if writer is None:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        row["details"] = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
        writer.writerow([row[column] for column in CSV_COLUMNS])
