"""``mfconsole audit verify``: walk the audit chain and name the first entry that is wrong."""

from __future__ import annotations

import argparse
import sys
from contextlib import closing

from console.accounts import Action
from console.audit import verify_chain
from console.cli.records_commands import (
    expected_failures,
    login,
    open_record,
    print_json,
    record_options,
)
from console.storage import DamagedRecord

EXIT_BROKEN = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the tamper-evident audit trail")
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify", parents=[record_options(json_output=True)],
        help=f"check the database file and every entry's hash chain (exit "
             f"{EXIT_BROKEN} if damaged or broken)")
    verify.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    with expected_failures():
        try:
            # The full check comes before the login: a damaged record cannot record one.
            record = open_record(args, full_check=True)
        except DamagedRecord as exc:
            return _damaged(args, exc)
        with closing(record):
            actor = login(record, args)
            record.require(actor, Action.VERIFY_AUDIT)
            result = verify_chain(record.engine)
    if args.json:
        print_json({"ok": result.ok, "damaged": False, "entries": result.entries,
                    "broken_at": result.broken_at, "problem": result.problem,
                    "head_hash": result.head_hash})
    elif result.ok:
        print(f"audit chain intact: {result.entries} entries, head {result.head_hash.hex()}")
    else:
        print(f"mfconsole: audit chain broken at entry {result.broken_at}: {result.problem}",
              file=sys.stderr)
    return 0 if result.ok else EXIT_BROKEN


def _damaged(args: argparse.Namespace, exc: DamagedRecord) -> int:
    """A record whose file fails SQLite's integrity check is not intact, whatever its chain."""
    if args.json:
        print_json({"ok": False, "damaged": True, "entries": None, "broken_at": None,
                    "problem": str(exc), "head_hash": None})
    else:
        print(f"mfconsole: {exc}", file=sys.stderr)
    return EXIT_BROKEN
