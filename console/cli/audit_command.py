"""``mfconsole audit verify``: walk the audit chain and name the first entry that is wrong."""

from __future__ import annotations

import argparse
import sys

from ..accounts import Action
from ..audit import verify_chain
from .records_commands import acting, print_json, record_options

EXIT_BROKEN = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the tamper-evident audit trail")
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify", parents=[record_options(json_output=True)],
        help=f"check every entry's hash chain (exit {EXIT_BROKEN} if broken)")
    verify.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        record.require(actor, Action.VERIFY_AUDIT)
        result = verify_chain(record.engine)
    if args.json:
        print_json({"ok": result.ok, "entries": result.entries, "broken_at": result.broken_at,
                    "problem": result.problem, "head_hash": result.head_hash})
    elif result.ok:
        print(f"audit chain intact: {result.entries} entries, head {result.head_hash.hex()}")
    else:
        print(f"mfconsole: audit chain broken at entry {result.broken_at}: {result.problem}",
              file=sys.stderr)
    return 0 if result.ok else EXIT_BROKEN
