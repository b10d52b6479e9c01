"""``mfconsole export history --format csv``: the program history for registries and audits."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from console.cli.errors import CliError
from console.cli.records_commands import acting, record_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export the clinical record")
    what = parser.add_subparsers(dest="export_what", metavar="WHAT", required=True)
    history = what.add_parser("history", parents=[record_options()],
                              help="every program version, one row each")
    history.add_argument("--format", choices=["csv"], default="csv")
    history.add_argument("--output", "-o", type=Path, metavar="FILE",
                         help="write here instead of standard output")
    history.add_argument("--patient", metavar="CLINIC_ID")
    history.add_argument("--device", metavar="SERIAL")
    history.set_defaults(handler=_history)


def _history(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        if args.output is None:
            record.export_history_csv(actor, sys.stdout, patient_clinic_id=args.patient,
                                      device_serial=args.device)
            return 0
        if args.output.exists():
            raise CliError(f"{args.output} exists already: choose another file")
        # Written aside and linked into place only when complete: never a half export.
        partial = args.output.with_name(f".{args.output.name}.partial")
        try:
            with partial.open("w", newline="", encoding="utf-8") as out:
                count = record.export_history_csv(actor, out, patient_clinic_id=args.patient,
                                                  device_serial=args.device)
            os.link(partial, args.output)
        except FileExistsError:
            raise CliError(f"{args.output} exists already: choose another file") from None
        except OSError as exc:
            raise CliError(f"cannot write {args.output}: {exc.strerror}") from None
        finally:
            partial.unlink(missing_ok=True)
    print(f"exported {count} versions to {args.output}", file=sys.stderr)
    return 0
