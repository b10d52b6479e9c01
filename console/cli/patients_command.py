"""``mfconsole patients add|list``: patients under pseudonymous clinic IDs."""

from __future__ import annotations

import argparse
from datetime import date

from console.cli.errors import CliError
from console.cli.records_commands import acting, print_json, print_table, record_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("patients", help="patients of the clinical record")
    actions = parser.add_subparsers(dest="patients_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[record_options(json_output=True)],
                             help="add a patient under a pseudonymous clinic ID")
    add.add_argument("clinic_id", metavar="CLINIC_ID")
    add.add_argument("--name", help="optional full name")
    add.add_argument("--dob", metavar="YYYY-MM-DD", help="optional date of birth")
    add.set_defaults(handler=_add)
    listing = actions.add_parser("list", parents=[record_options(json_output=True)],
                                 help="every patient")
    listing.set_defaults(handler=_list)


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"date of birth {text!r} is not a date like 1970-05-31") from None


def _add(args: argparse.Namespace) -> int:
    date_of_birth = _date(args.dob)
    with acting(args) as (record, actor):
        patient = record.add_patient(actor, args.clinic_id, name=args.name,
                                     date_of_birth=date_of_birth)
    if args.json:
        print_json({"clinic_id": patient.clinic_id, "name": patient.name,
                    "date_of_birth": patient.date_of_birth})
    else:
        print(f"added patient {patient.clinic_id}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        patients = record.list_patients(actor)
    if args.json:
        print_json([{"clinic_id": p.clinic_id, "name": p.name, "date_of_birth": p.date_of_birth}
                    for p in patients])
    else:
        print_table(("clinic ID", "name", "date of birth"),
                    [(p.clinic_id, p.name, p.date_of_birth) for p in patients])
    return 0
