"""``hgw policy scan|test|check``: try the policy engine from the shell.

``scan`` runs the detectors only (one text, or a JSONL file for batch checks and benchmarks);
``test`` shows the full Decision a message would get; ``check`` validates a config's rules, or a
policy file on its own (then the names only a config knows — links, partner networks — are
reported as not checked).
Without ``-c`` they use the shipped default policy. User mistakes raise :class:`HgwError`,
which ``gateway.cli.main`` prints as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from gateway.commands import EXIT_OK, HelpFormatter, add_config_option
from gateway.config import Config, load_config
from gateway.errors import HgwError
from gateway.inert import inert, inert_json
from gateway.model import (
    Attachment,
    Direction,
    Link,
    Message,
    Route,
    UserRef,
)
from gateway.policy import (
    EvaluationContext,
    PolicySet,
    default_policy,
    describe,
    evaluate,
    scan,
)
from gateway.policy_source import load_file
from gateway.verdicts import STAND_IN_LINK

MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    policy = subparsers.add_parser(
        "policy",
        help="scan text, test a decision, check the rules",
        description="Try the policy engine without running the daemon.",
        formatter_class=HelpFormatter,
    )
    sub = policy.add_subparsers(dest="policy_command", required=True, metavar="COMMAND")

    scan_parser = sub.add_parser(
        "scan",
        help="run the detectors only",
        description=(
            "Run the detectors on TEXT, or on every line of a JSONL file whose lines are\n"
            '{"id": …, "text": …}; each output line is\n'
            '{"id": …, "kinds": [sorted unique kinds], "findings": [{kind, start, end,'
            " confidence}]}.\nOffsets are code points in the text as given."
        ),
        epilog=(
            "examples:\n"
            '  hgw policy scan "карта 2200 0000 0000 0004"\n'
            "  hgw policy scan --jsonl messages.jsonl > findings.jsonl\n"
            "  cat messages.jsonl | hgw policy scan --jsonl -"
        ),
        formatter_class=HelpFormatter,
    )
    add_config_option(scan_parser)
    scan_parser.add_argument("text", nargs="?", help="the text to scan")
    scan_parser.add_argument("--jsonl", metavar="FILE", help="scan each line of FILE (- for stdin)")
    scan_parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    scan_parser.set_defaults(func=run_scan)

    test = sub.add_parser(
        "test",
        help="show the full decision for a message",
        description="Evaluate TEXT (and an optional attachment) as a message on a link.",
        epilog=(
            "examples:\n"
            '  hgw policy test "ИНН 7707083893"\n'
            '  hgw policy test -c config.toml --link acme-supplier --direction inbound "hello"\n'
            '  hgw policy test --attach invoice.pdf "see attached"'
        ),
        formatter_class=HelpFormatter,
    )
    add_config_option(test)
    test.add_argument("text", help="the message text")
    test.add_argument("--direction", choices=("outbound", "inbound"), default="outbound")
    test.add_argument("--link", metavar="ID", help="evaluate on this link (default: the first)")
    test.add_argument("--attach", type=Path, metavar="FILE", help="attach this file")
    test.add_argument(
        "--unknown-contact", action="store_true", help="as if from an unknown contact"
    )
    test.add_argument("--json", action="store_true", help="print the decision as JSON")
    test.set_defaults(func=run_test)

    check = sub.add_parser(
        "check",
        help="validate the rules",
        description=(
            "Load the [policy] table of a config (-c), or a policy FILE on its own; exit 0 if\n"
            "every rule is valid, else name the error with its file and line. Rules naming a\n"
            "link, network or control user the config does not have are errors; a policy file\n"
            "alone has no links, so those names are listed as not checked."
        ),
        epilog=(
            "examples:\n"
            "  hgw policy check -c /etc/hgw/config.toml\n"
            "  hgw policy check new-policy.toml"
        ),
        formatter_class=HelpFormatter,
    )
    add_config_option(check)
    check.add_argument(
        "file", nargs="?", type=Path, metavar="FILE", help="a policy file ([policy] keys)"
    )
    check.set_defaults(func=run_check)


def _config(args: argparse.Namespace) -> Config | None:
    """The config named with -c, or None: then the shipped default policy applies."""
    if args.config is None:
        return None
    return load_config(args.config, check_secrets=False)


def _policy(args: argparse.Namespace) -> PolicySet:
    config = _config(args)
    return config.policy if config is not None else default_policy()


def run_scan(args: argparse.Namespace) -> int:
    policy = _policy(args)
    if (args.text is None) == (args.jsonl is None):
        raise HgwError("give either TEXT or --jsonl FILE (see `hgw policy scan --help`)")
    if args.text is not None:
        findings = scan(args.text, detectors=policy.detectors)
        if args.json:
            print(json.dumps(_result(None, findings), ensure_ascii=False))  # kinds and offsets
        else:  # the match as a repr: escapes, controls and bidi already show as \x1b, \u202e
            for f in findings:
                where = f"{f.start:>5}-{f.end:<5}"
                print(f"{f.kind:<16} {where} {f.confidence:.2f}  {args.text[f.start : f.end]!r}")
            if not findings:
                print("no findings")
        return EXIT_OK
    source = sys.stdin if args.jsonl == "-" else _open(Path(args.jsonl))
    terminal = sys.stdout.isatty()
    try:
        for record_id, text in _records(source, args.jsonl):
            findings = scan(text, detectors=policy.detectors)
            line = json.dumps(_result(record_id, findings), ensure_ascii=False)
            sys.stdout.write((inert_json(line) if terminal else line) + "\n")  # ids are echoed
    finally:
        if source is not sys.stdin:
            source.close()
    return EXIT_OK


def _open(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8")
    except OSError as err:
        raise HgwError(f"{path}: cannot read: {err.strerror}") from None


def _records(source: TextIO, name: str) -> Iterator[tuple[Any, str]]:
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise HgwError(f"{name}:{number}: not JSON ({err.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise HgwError(f'{name}:{number}: expected {{"id": …, "text": "…"}}')
        yield record.get("id"), record["text"]


def _result(record_id: Any, findings: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "id": record_id,
        "kinds": sorted({f.kind for f in findings}),
        "findings": [
            {"kind": f.kind, "start": f.start, "end": f.end, "confidence": f.confidence}
            for f in findings
        ],
    }


def run_test(args: argparse.Namespace) -> int:
    config = _config(args)
    policy = config.policy if config is not None else default_policy()
    link = _link(config, args.link)
    direction = Direction(args.direction)
    route = Route(link, direction)
    source = route.source
    attachments = ()
    if args.attach is not None:
        attachments = (_attachment(args.attach),)
    message = Message(
        source,
        UserRef(source.network, "policy-test"),
        "policy-test",
        direction,
        text=args.text,
        attachments=attachments,
    )
    context = EvaluationContext(now=datetime.now(UTC), unknown_contact=args.unknown_contact)
    decision = evaluate(policy, message, route, context=context)
    if args.json:
        data = decision.as_dict()
        data["text"] = decision.text
        document = json.dumps(data, ensure_ascii=False, indent=2)
        print(inert_json(document) if sys.stdout.isatty() else document)
    else:  # echoes the text (perhaps pasted from a partner) and file names: shown inert
        print(inert(describe(decision), keep="\n\t"))
    return EXIT_OK


def _link(config: Config | None, link_id: str | None) -> Link:
    links = config.links if config is not None else ()
    if link_id is not None:
        for link in links:
            if link.id == link_id:
                return link
        known = ", ".join(link.id for link in links) or "none configured"
        raise HgwError(f"no link {link_id!r} (links: {known})")
    return links[0] if links else STAND_IN_LINK


def _attachment(path: Path) -> Attachment:
    try:
        size = path.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise HgwError(f"{path}: {size} bytes is more than hgw relays ({MAX_ATTACHMENT_BYTES})")
        data = path.read_bytes()
    except OSError as err:
        raise HgwError(f"{path}: cannot read: {err.strerror}") from None
    return Attachment(path.name, None, len(data), data=data)


def run_check(args: argparse.Namespace) -> int:
    if args.file is not None and args.config is not None:
        raise HgwError("give either -c CONFIG or a policy FILE, not both")
    if args.file is not None:
        policy, warnings = load_file(args.file)
        where = str(args.file)
        for warning in warnings:
            print(f"hgw: warning: {warning}", file=sys.stderr)
    else:
        config = _config(args)
        policy = config.policy if config is not None else default_policy()
        where = str(config.source_path) if config is not None else "the default policy"
    print(f"{where}: {len(policy.rules)} rules OK")
    for rule in policy.rules:
        mode = " (simulate)" if rule.simulated else ""
        print(f"  {rule.priority:>4}  {rule.name}: {rule.action}{mode}")
    for detector in policy.detectors:
        print(f"  detector {detector.kind}: {detector.source}")
    return EXIT_OK
