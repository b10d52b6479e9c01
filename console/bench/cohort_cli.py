"""``mfconsole bench cohort``: its options and its printout (the figures: ``cohort.py``)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from console.bench import cohort as cohort_bench
from console.bench.errors import BenchError
from console.cli.errors import CliError
from console.cli.output import print_json
from console.cli.records_commands import expected_failures, print_table
from console.clinic.profile import ClinicProfile, load_clinic_profile
from console.files.strict_toml import ProfileError
from console.storage import database_url


def add_cohort_bench(kinds: argparse._SubParsersAction) -> None:
    parser = kinds.add_parser(
        "cohort", help="the clinic's audit and the registry export over a generated clinic",
        description="Fill a new record with a generated clinic (patients with their "
                    "assessments where due, adverse events, some device logs) and time "
                    "'mfconsole cohort' against a plain count of the same rows in the same "
                    "process, then the full registry export (FHIR and CSV). Exits 0 whether "
                    "or not the targets are met.")
    parser.add_argument("--db", metavar="URL",
                        help="an EMPTY database to fill (default: a temporary SQLite file); "
                             "MFCONSOLE_DB is deliberately ignored")
    parser.add_argument("--patients", type=int, default=cohort_bench.DEFAULT_PATIENTS,
                        metavar="N", help=f"default {cohort_bench.DEFAULT_PATIENTS}")
    parser.add_argument("--adverse-events", type=int, default=cohort_bench.DEFAULT_EVENTS,
                        metavar="N", help=f"default {cohort_bench.DEFAULT_EVENTS}")
    parser.add_argument("--runs", type=int, default=cohort_bench.DEFAULT_RUNS, metavar="N",
                        help=f"audits to take the median of (default "
                             f"{cohort_bench.DEFAULT_RUNS})")
    parser.add_argument("--export-runs", type=int, default=cohort_bench.DEFAULT_EXPORT_RUNS,
                        metavar="N", help=f"registry exports of each format to take the "
                                          f"median of (default "
                                          f"{cohort_bench.DEFAULT_EXPORT_RUNS})")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_cohort)


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run_cohort(args: argparse.Namespace) -> int:
    if min(args.patients, args.runs, args.export_runs) < 1 or args.adverse_events < 0:
        raise CliError("every count must be at least 1 (adverse events at least 0)", 2)
    try:
        clinic = load_clinic_profile()
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    with expected_failures():
        try:
            if args.db:
                report = _run(database_url(args.db), clinic, args)
            else:
                with tempfile.TemporaryDirectory(prefix="mfconsole-bench-") as directory:
                    report = _run(f"sqlite:///{Path(directory) / 'cohort.sqlite3'}", clinic,
                                  args)
        except BenchError as exc:
            raise CliError(str(exc)) from None
    if args.json:
        print_json(report.as_dict())
        return 0
    outcome = "pass" if report.met else "MISSED"
    generated = report.clinic
    print_table(("measure", "value"), [
        ("backend", report.backend),
        ("patients / assessments / adverse events",
         f"{generated.patients} / {generated.outcomes} / {generated.adverse_events}"),
        ("devices with a log / log entries",
         f"{generated.logged_devices} / {generated.log_entries}"),
        ("generation", f"{report.generate_s:.1f} s"),
        ("cohort, first run (every log paired)", f"{report.cohort_first_ms:.1f} ms"),
        (f"cohort, median of {report.runs}",
         f"{report.cohort_median_ms:.1f} ms (p99 {report.cohort_p99_ms:.1f} ms; target "
         f"≤ {cohort_bench.TARGET_MS:.0f} ms: {outcome})"),
        (f"plain count, median of {report.runs}", f"{report.count_median_ms:.1f} ms"),
        ("cohort / count", f"{report.ratio:.1f}×"),
        (f"FHIR export, median of {report.export_runs}",
         f"{report.fhir_median_s:.2f} s (target ≤ {cohort_bench.EXPORT_TARGET_S:.0f} s: "
         f"{'pass' if report.export_met else 'MISSED'})"),
        (f"CSV export, median of {report.export_runs}", f"{report.csv_median_s:.2f} s")])
    return 0


def _run(url: str, clinic: ClinicProfile, args: argparse.Namespace,
         ) -> cohort_bench.CohortBenchReport:
    return cohort_bench.run_cohort_bench(url, clinic, patients=args.patients,
                                         adverse_events=args.adverse_events, runs=args.runs,
                                         export_runs=args.export_runs, progress=_progress)
