"""``hgw search``: full-text search over the archive of every network."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from gateway.commands import (
    EXIT_FAILED,
    EXIT_OK,
    HelpFormatter,
    add_config_option,
    config_from,
    run_async,
)
from gateway.inert import inert, inert_json
from gateway.store import SearchHit, Store


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "search",
        help="full-text search across all networks",
        description=(
            "Search every archived message, newest first. Each word must match as a prefix,\n"
            "case-insensitively, in Russian or English (ё and е are the same letter)."
        ),
        epilog=(
            "examples:\n"
            "  hgw search счёт оплата\n"
            "  hgw search invoice --network telegram --limit 20 --json"
        ),
        formatter_class=HelpFormatter,
    )
    add_config_option(parser)
    parser.add_argument("query", nargs="+", help="words to find")
    parser.add_argument("--network", help="only this network (matrix, telegram)")
    parser.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.set_defaults(func=run_search)


def run_search(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise SystemExit("hgw search: error: --limit must be at least 1")
    config = config_from(args)
    query = " ".join(args.query)

    async def search() -> list[SearchHit]:
        async with Store.open(config.store.path, create=False) as store:
            return await store.search(query, limit=args.limit, network=args.network)

    hits = run_async(search)
    terminal = sys.stdout.isatty()
    for hit in hits:
        if args.json:
            # Piped: the exact JSON. To a terminal: the same data, unsafe characters \u-escaped.
            line = json.dumps(_as_dict(hit), ensure_ascii=False)
            print(inert_json(line) if terminal else line)
        else:
            # Lines for a human are always inert (gateway/inert.py): partners wrote them.
            when = datetime.fromtimestamp(hit.sent_at / 1000, UTC).strftime("%Y-%m-%d %H:%M")
            chat = inert(hit.chat_title or hit.chat_id)
            arrow = "→" if hit.direction == "outbound" else "←"
            who = inert(hit.sender_name or "?")
            snippet = " ".join(inert(hit.snippet, keep="\n\t").split())
            print(f"{when}  {hit.network:<8} {chat} {arrow} {who}: {snippet}  #{hit.message_id}")
    if not hits and not args.json:
        print(f"no messages match {query!r}")
    return EXIT_OK if hits else EXIT_FAILED


def _as_dict(hit: SearchHit) -> dict[str, object]:
    return {
        "id": hit.message_id,
        "network": hit.network,
        "chat_id": hit.chat_id,
        "chat_title": hit.chat_title,
        "sender": hit.sender_name,
        "direction": hit.direction,
        "sent_at": hit.sent_at,
        "snippet": hit.snippet,
    }
