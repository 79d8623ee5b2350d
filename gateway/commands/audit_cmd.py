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
from gateway.inert import inert, inert_json
from gateway.secrets import open_private_for_writing
from gateway.store import AuditRecord, ChainReport, Store
from gateway.store.anchor import read_key
from gateway.store.audit import verify_chain

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
        description=(
            "Walk the chain from the first record; report the first one that does not fit.\n"
            "With the key file ([store] audit_key_file) the chain's end is checked against its\n"
            "authenticated head too, so records cut from the end are found; without it, it\n"
            "says so. Breaks the daemon found at start-up (audit.gap records) fail it as well."
        ),
        epilog=(
            "examples:\n"
            "  hgw audit verify -c /etc/hgw/config.toml\n"
            "  hgw audit verify --accept-gaps-through 1234   # gaps up to 1234 were investigated"
        ),
        formatter_class=HelpFormatter,
    )
    add_config_option(verify)
    verify.add_argument(
        "--accept-gaps-through",
        type=int,
        default=0,
        metavar="SEQ",
        help="list audit.gap records up to SEQ but do not fail on them (investigated already)",
    )
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
    key_file = config.store.audit_key_file or config.store.path.with_name("audit.key")
    key = read_key(key_file) if key_file.exists() else None

    async def verify() -> ChainReport:
        async with Store.open(config.store.path, create=False) as store:
            return await verify_chain(store.reader, key=key)

    report = run_async(verify)
    for seq, problem in report.gaps:
        accepted = " (accepted)" if seq <= args.accept_gaps_through else ""
        print(f"audit gap recorded by the daemon in record {seq}{accepted}: {problem}")
    open_gaps = [seq for seq, _ in report.gaps if seq > args.accept_gaps_through]
    if not report.ok:
        print(
            f"audit chain BROKEN at record {report.first_bad_seq}: {report.problem}",
            file=sys.stderr,
        )
        print(f"({report.records} records before it verified)", file=sys.stderr)
        return EXIT_FAILED
    if report.anchor_checked:
        print(f"audit chain OK: {report.records} records, its end matches the authenticated head")
    else:
        print(f"audit chain OK: {report.records} records (the chain only)")
        print(
            f"warning: ONLY THE CHAIN was checked: the key file {key_file} is missing, so"
            " records cut from the end would not show; run where [store] audit_key_file is",
            file=sys.stderr,
        )
    if open_gaps:
        print(
            f"audit log NOT intact: {len(open_gaps)} gap(s) recorded (records {open_gaps});"
            " investigate, then pass --accept-gaps-through to acknowledge them",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    config = config_from(args)

    async def export(out: TextIO) -> int:
        # A file or a pipe gets the records exactly; a terminal gets them inert (invariant 6).
        terminal = out.isatty()
        count = 0
        writer = csv.writer(out) if args.format == "csv" else None
        if writer:
            writer.writerow(CSV_COLUMNS)
        async with Store.open(config.store.path, create=False) as store:
            async for record in store.audit_records(since_ms=args.since):
                _write(record, out, writer, terminal=terminal)
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


def _write(record: AuditRecord, out: TextIO, writer: Any, *, terminal: bool = False) -> None:
    """One record; for a terminal JSON keeps its data with unsafe characters \\u-escaped and
    CSV cells (which have no escapes) show them as stand-ins (gateway/inert.py)."""
    row = record.as_dict()
    if writer is None:
        line = json.dumps(row, ensure_ascii=False)
        out.write((inert_json(line) if terminal else line) + "\n")
    else:
        row["details"] = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
        cells = [row[column] for column in CSV_COLUMNS]
        if terminal:
            cells = [inert(cell, keep="\n") if isinstance(cell, str) else cell for cell in cells]
        writer.writerow(cells)
