"""``mfconsole visits start|list|end|report``: a patient's visits and the papers of one.

A visit is what the device commands' ``--visit ID`` files their measurements and program
versions under; once ended it takes no new entries, and its report is what was signed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from console.cli.errors import CliError
from console.cli.records_commands import acting, print_json, print_table, record_options
from console.clinic.profile import load_clinic_profile
from console.files.strict_toml import ProfileError
from console.report.handout_pdf import write_handout
from console.report.visit_data import gather_visit_report
from console.report.visit_inputs import visit_marks, visit_usage
from console.report.visit_pdf import write_visit_report
from console.storage import Visit, VisitKind

KINDS = tuple(kind.value for kind in VisitKind)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("visits", help="visits of the clinical record, their reports")
    actions = parser.add_subparsers(dest="visits_action", metavar="ACTION", required=True)
    start = actions.add_parser("start", parents=[record_options(json_output=True)],
                               help="start a visit of a patient, with you as operator")
    start.add_argument("clinic_id", metavar="CLINIC_ID")
    start.add_argument("--kind", required=True, choices=KINDS)
    start.add_argument("--device", metavar="SERIAL", help="the patient's device seen")
    start.set_defaults(handler=_start)
    listing = actions.add_parser("list", parents=[record_options(json_output=True)],
                                 help="visits, oldest first, optionally of one patient")
    listing.add_argument("--patient", metavar="CLINIC_ID")
    listing.set_defaults(handler=_list)
    end = actions.add_parser("end", parents=[record_options(json_output=True)],
                             help="end a visit: it then takes no new entries")
    end.add_argument("visit", type=int, metavar="ID")
    end.set_defaults(handler=_end)
    report = actions.add_parser("report", parents=[record_options()],
                                help="the visit report (PDF) and, optionally, the patient "
                                     "handout")
    report.add_argument("visit", type=int, metavar="ID")
    report.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pdf",
                        help="the visit report")
    report.add_argument("--handout", type=Path, metavar="FILE.pdf",
                        help="also write the patient handout here")
    report.add_argument("--next-visit", type=_next_visit, metavar="YYYY-MM-DD",
                        help="the next visit, for the handout (else: the clinic will contact "
                             "the patient)")
    report.set_defaults(handler=_report)


def _next_visit(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"next visit {text!r} is not a date like "
                                         "2025-06-30") from None


def visit_json(visit: Visit) -> dict[str, Any]:
    return {"id": visit.id, "kind": visit.kind.value, "patient": visit.patient_clinic_id,
            "device": visit.device_serial, "operator": visit.operator,
            "started_at": visit.started_at, "ended_at": visit.ended_at}


def _start(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        visit = record.start_visit(actor, args.clinic_id, args.kind, device_serial=args.device)
    if args.json:
        print_json(visit_json(visit))
    else:
        print(f"started visit {visit.id} ({visit.kind.value}) of patient "
              f"{visit.patient_clinic_id}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        visits = record.visits(actor, patient=args.patient)
    if args.json:
        print_json([visit_json(v) for v in visits])
    else:
        print_table(("visit", "kind", "patient", "device", "operator", "started (UTC)",
                     "ended (UTC)"),
                    [(v.id, v.kind.value, v.patient_clinic_id, v.device_serial or "",
                      v.operator, f"{v.started_at:%Y-%m-%d %H:%M}",
                      f"{v.ended_at:%Y-%m-%d %H:%M}" if v.ended_at else "open")
                     for v in visits])
    return 0


def _end(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        visit = record.visit(actor, args.visit)
        ended = record.end_visit(actor, visit.id, expected_revision=visit.revision)
    if args.json:
        print_json(visit_json(ended))
    else:
        print(f"ended visit {ended.id} of patient {ended.patient_clinic_id}")
    return 0


def _report(args: argparse.Namespace) -> int:
    if args.handout is not None and args.handout.resolve() == args.output.resolve():
        raise CliError("the report and the handout must be two different files")
    try:
        clinic = load_clinic_profile()
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    with acting(args) as (record, actor):
        visit = record.visit(actor, args.visit)
        data = gather_visit_report(record, actor, visit.id, clinic=clinic,
                                   usage=visit_usage(record, actor, visit, clinic),
                                   marks=visit_marks(record, actor, visit))
    written = [_write(lambda: write_visit_report(data, args.output), args.output)]
    if args.handout is not None:
        written.append(_write(lambda: write_handout(data, args.handout,
                                                    next_visit=args.next_visit),
                              args.handout))
    for path in written:
        print(f"wrote {path}")
    if data.visit.ended_at is None:
        print(f"mfconsole: visit {data.visit.id} is still open: the report is provisional "
              "until the visit is ended", file=sys.stderr)
    return 0


def _write(write: Callable[[], Path], path: Path) -> Path:
    try:
        return write()
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
