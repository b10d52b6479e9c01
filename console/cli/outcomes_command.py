"""``mfconsole outcomes add|list|amend|withdraw|due``: a patient's outcome assessments.

The record checks every measure and stores nothing of a refused entry; a correction is a
new entry that amends the one before, given whole with its reason. Changes from baseline
and responders follow the clinic profile's ``[outcomes]`` rules (docs/outcomes.md).
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from console.accounts import Action, User
from console.accounts.roles import require
from console.cli.entry_values import date_value, optional_date, refused_as, whole_value
from console.cli.errors import CliError
from console.cli.outcomes_text import (
    entry_json,
    entry_rows,
    print_entries,
    print_follow_ups,
    print_worklist,
)
from console.cli.records_commands import acting, print_json, record_options
from console.clinic.profile import ClinicProfile, load_clinic_profile
from console.files.strict_toml import ProfileError
from console.outcomes.entries import OutcomeEntry
from console.outcomes.measures import AnalgesicUse, OutcomeMeasures, WorkStatus
from console.outcomes.odi import SECTION_TITLES, parse_items
from console.outcomes.refusal import coded
from console.outcomes.responders import NO_PROGRESS, Progress, ResponderRules, with_progress
from console.outcomes.timepoints import Timepoint
from console.outcomes.worklist import clinic_worklist, waiting
from console.storage import ClinicalRecord, transactions
from console.storage.clinic_facts import load_clinic_facts

ODI_HELP = ("the ten ODI section scores 0–5 in order, comma-separated, - for a section not "
            f"answered ({'; '.join(SECTION_TITLES)})")


class _EntryParser(argparse.ArgumentParser):
    """Reads ``--odi -,2,…`` (first ODI section missing) as a value, not as an option."""

    def _parse_optional(self, arg_string: str) -> Any:
        if arg_string.startswith("-,"):
            return None
        return super()._parse_optional(arg_string)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "outcomes", help="a patient's outcome assessments: pain, ODI, EQ-5D-5L, PGIC",
        description="Outcome assessments at baseline and the follow-ups (6w, 3m, 6m, 12m, "
                    "24m after the implant; other for any extra one). Corrections are new "
                    "entries that amend the one before; nothing is ever changed in place.")
    actions = parser.add_subparsers(dest="outcomes_action", metavar="ACTION", required=True,
                                    parser_class=_EntryParser)
    add = actions.add_parser("add", parents=[record_options(json_output=True)],
                             help="record one assessment (clinician, theatre or admin)")
    add.add_argument("clinic_id", metavar="CLINIC_ID")
    add.add_argument("--timepoint", required=True, metavar="TP",
                     help=f"one of {', '.join(t.value for t in Timepoint)}")
    _assessment_options(add)
    add.set_defaults(handler=_add)

    listing = actions.add_parser("list", parents=[record_options(json_output=True)],
                                 help="a patient's assessments with the change from "
                                      "baseline, then the follow-ups due")
    listing.add_argument("clinic_id", metavar="CLINIC_ID")
    listing.add_argument("--with-corrections", action="store_true",
                         help="every entry, amended and withdrawn ones too, as recorded")
    listing.set_defaults(handler=_list)

    amend = actions.add_parser("amend", parents=[record_options(json_output=True)],
                               help="correct an assessment: give it whole again, with why")
    amend.add_argument("entry", metavar="ENTRY_ID", type=int)
    amend.add_argument("--reason", required=True, metavar="TEXT", help="why it is corrected")
    _assessment_options(amend)
    amend.set_defaults(handler=_amend)

    withdraw = actions.add_parser("withdraw", parents=[record_options(json_output=True)],
                                  help="withdraw an assessment made in error (it is kept, "
                                       "uncounted)")
    withdraw.add_argument("entry", metavar="ENTRY_ID", type=int)
    withdraw.add_argument("--reason", required=True, metavar="TEXT", help="why")
    withdraw.set_defaults(handler=_withdraw)

    due = actions.add_parser("due", parents=[record_options(json_output=True)],
                             help="the clinic's worklist: every patient's due and overdue "
                                  "assessments")
    due.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day to judge (default today)")
    due.set_defaults(handler=_due)


def _assessment_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", required=True, metavar="YYYY-MM-DD",
                        help="when the assessment was collected")
    parser.add_argument("--nrs", metavar="N", help="pain NRS, 0–10")
    parser.add_argument("--odi", metavar="a,b,c,d,e,f,g,h,i,j", help=ODI_HELP)
    parser.add_argument("--eq5d", metavar="12345",
                        help="EQ-5D-5L profile, five digits 1–5 (with --eq-vas)")
    parser.add_argument("--eq-vas", metavar="N", help="EQ-5D VAS, 0–100 (with --eq5d)")
    parser.add_argument("--pgic", metavar="N",
                        help="impression of change 1–7 (not at baseline)")
    parser.add_argument("--analgesics", metavar="CODE",
                        help=f"one of {', '.join(a.value for a in AnalgesicUse)}")
    parser.add_argument("--work", metavar="CODE",
                        help=f"one of {', '.join(w.value for w in WorkStatus)}")
    parser.add_argument("--visit", type=int, metavar="ID", help="the open visit it belongs to")


def _measures(args: argparse.Namespace) -> tuple[date, OutcomeMeasures]:
    """The date and measures given; a value that cannot be read is refused in one line."""
    with refused_as("outcome"):
        return date_value("date", args.date), OutcomeMeasures(
            nrs=whole_value("nrs", args.nrs),
            odi=None if args.odi is None else parse_items(args.odi),
            eq5d=args.eq5d, eq_vas=whole_value("eq_vas", args.eq_vas),
            pgic=whole_value("pgic", args.pgic),
            analgesics=(None if args.analgesics is None
                        else coded("analgesics", args.analgesics, AnalgesicUse)),
            work=None if args.work is None else coded("work", args.work, WorkStatus))


def clinic_profile() -> ClinicProfile:
    """The clinic profile (responder rules, EQ-5D value set); broken: a one-line refusal."""
    try:
        return load_clinic_profile()
    except ProfileError as exc:
        raise CliError(str(exc)) from None


def _progress_of(record: ClinicalRecord, actor: User, entry: OutcomeEntry,
                 rules: ResponderRules) -> Progress:
    """``entry``'s change from the patient's current baseline."""
    current = record.outcomes(actor, entry.patient_clinic_id)
    return _progress_by_id(current, rules).get(entry.id, NO_PROGRESS)


def _progress_by_id(current: list[OutcomeEntry], rules: ResponderRules) -> dict[int, Progress]:
    return {entry.id: progress for entry, progress in with_progress(current, rules)}


def _print_entry(done: str, entry: OutcomeEntry, progress: Progress, json: bool,
                 clinic: ClinicProfile) -> None:
    if json:
        print_json(entry_json(entry, progress, current=True,
                              value_set=clinic.eq5d_value_set))
    else:
        print(f"{done} outcome {entry.id}: patient {entry.patient_clinic_id}, "
              f"{entry.timepoint.value} of {entry.collected_on}")


def _add(args: argparse.Namespace) -> int:
    collected, measures = _measures(args)
    clinic = clinic_profile()
    with acting(args) as (record, actor):
        entry = record.record_outcome(actor, args.clinic_id, args.timepoint, collected,
                                      measures, visit_id=args.visit)
        progress = _progress_of(record, actor, entry, ResponderRules.of(clinic))
    _print_entry("recorded", entry, progress, args.json, clinic)
    return 0


def _amend(args: argparse.Namespace) -> int:
    collected, measures = _measures(args)
    clinic = clinic_profile()
    with acting(args) as (record, actor):
        entry = record.amend_outcome(actor, args.entry, collected, measures, args.reason,
                                     visit_id=args.visit)
        progress = _progress_of(record, actor, entry, ResponderRules.of(clinic))
    _print_entry(f"amended outcome {args.entry} by", entry, progress, args.json, clinic)
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        entry = record.withdraw_outcome(actor, args.entry, args.reason)
    if args.json:
        print_json(entry_json(entry, NO_PROGRESS, current=False))
    else:
        print(f"withdrew outcome {args.entry} (by entry {entry.id}): patient "
              f"{entry.patient_clinic_id}, {entry.timepoint.value} of {entry.collected_on}")
    return 0


def _list(args: argparse.Namespace) -> int:
    clinic = clinic_profile()
    with acting(args) as (record, actor):
        current = record.outcomes(actor, args.clinic_id)
        shown = (record.outcomes(actor, args.clinic_id, with_corrections=True)
                 if args.with_corrections else current)
        implant = record.implant_date(actor, args.clinic_id)
    progress = _progress_by_id(current, ResponderRules.of(clinic))
    if args.json:
        print_json([entry_json(e, progress.get(e.id, NO_PROGRESS), current=e.id in progress,
                               value_set=clinic.eq5d_value_set) for e in shown])
        return 0
    print_entries(entry_rows(shown, progress), corrections=args.with_corrections)
    print_follow_ups(implant, waiting(args.clinic_id, implant, current, date.today()))
    return 0


def _due(args: argparse.Namespace) -> int:
    with refused_as(None):
        today = optional_date("--as-of", args.as_of) or date.today()
    with acting(args) as (record, actor):
        require(actor, Action.RECORD_OUTCOMES)
        with transactions.read(record.engine) as session:
            facts = load_clinic_facts(session)
    worklist = clinic_worklist(facts, today)
    if args.json:
        print_json([item.as_json() for item in worklist])
    else:
        print_worklist(worklist, today)
    return 0
