"""``mfconsole cohort``: the clinic's audit — follow-up, responders, adverse events, explants,
adherence — as a table, JSON, an audit report (PDF) or its figures (CSV).

Definitions: docs/outcomes-audit.md. A file is written whole beside its name and linked
into place (never overwriting, never half-written) and audited as an export.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from console.cli.errors import CliError
from console.cli.output import print_json, print_table
from console.cli.records_commands import acting, record_options
from console.clinic.profile import ClinicProfile, load_clinic_profile
from console.files.new_file import NotWritten
from console.files.strict_toml import ProfileError
from console.outcomes.cohort import CohortReport, Proportion
from console.report.cohort_files import write_cohort_csv, write_cohort_pdf
from console.report.cohort_pdf import TIMEPOINT_WORDS
from console.usage.period import PeriodError, parse_date

EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cohort", parents=[record_options(json_output=True)],
        help="the clinic's audit: follow-up, responders, adverse events, adherence",
        description="The clinic's audit as it stood on a date (default today): follow-up "
                    "completeness per timepoint, pain and function responders with Wilson "
                    "95 % intervals by the clinic profile's rules, adverse events by "
                    "category, explants by reason and mean adherence where usage is known "
                    "(docs/outcomes-audit.md). Clinician or admin; writing a file needs "
                    "the right to export and is audited.")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="the audit date (default today)")
    parser.add_argument("--pdf", type=Path, metavar="FILE",
                        help="also write the audit report here (a new file)")
    parser.add_argument("--csv", type=Path, metavar="FILE",
                        help="also write the figures here, one per row (a new file)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    as_of = _as_of(args.as_of)
    for target in (args.pdf, args.csv):
        if target is not None and target.exists():
            raise CliError(f"{target} exists already: choose another file")
    if args.pdf is not None and args.pdf == args.csv:
        raise CliError("--pdf and --csv name the same file", EXIT_USAGE)
    clinic = _clinic_profile()
    with acting(args) as (record, actor):
        report = record.cohort(actor, as_of, clinic)
        try:
            if args.pdf is not None:
                write_cohort_pdf(record, actor, report, clinic, args.pdf)
            if args.csv is not None:
                write_cohort_csv(record, actor, report, args.csv)
        except NotWritten as exc:
            raise CliError(str(exc)) from None
    if args.json:
        print_json(report.as_json())
    else:
        print_cohort(report)
    for kind, target in (("audit report", args.pdf), ("figures", args.csv)):
        if target is not None:
            print(f"wrote the {kind} to {target}", file=sys.stderr)
    return 0


def _as_of(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return parse_date("--as-of", text)
    except PeriodError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def _clinic_profile() -> ClinicProfile:
    try:
        return load_clinic_profile()
    except ProfileError as exc:
        raise CliError(str(exc)) from None


def print_cohort(report: CohortReport) -> None:
    """The audit as tables for people; scripts use --json."""
    rules = report.rules
    print(f"Clinic audit as of {report.as_of.isoformat()}: {report.patients} patients.")
    print(f"Responders: pain NRS down >= {rules.pain_nrs_drop} points, function ODI down "
          f">= {rules.function_odi_drop} points from baseline (clinic profile).")
    print()
    print_table(("timepoint", "due", "collected"),
                [(TIMEPOINT_WORDS[p], c.due, c.collected) for p, c in report.followup])
    print()
    print_table(("timepoint", "pain responders", "pain 95% CI", "function responders",
                 "function 95% CI"),
                [(TIMEPOINT_WORDS[p], *_cells(r.pain), *_cells(r.function))
                 for p, r in report.responders])
    print()
    events = report.adverse_events
    print_table(("adverse event", "events"),
                [*((c.value, n) for c, n in events.by_category if n),
                 ("all categories", events.total), ("serious", events.serious)])
    print()
    print_table(("explant reason", "explants"),
                [*((r.value, n) for r, n in report.explants.by_reason),
                 ("all reasons", report.explants.total)])
    print()
    adherence = report.adherence
    print("Mean adherence, 28 days before the audit date: " + (
        "no patient's usage is known" if adherence.mean_pct is None else
        f"{adherence.mean_pct} % over {adherence.patients} patients whose usage is known"))


def _cells(proportion: Proportion) -> tuple[str, str]:
    if proportion.of == 0:
        return "- of 0", "-"
    interval = proportion.ci95
    assert interval is not None
    return (f"{proportion.n} of {proportion.of} ({proportion.pct} %)",
            f"{interval[0]}-{interval[1]} %")
