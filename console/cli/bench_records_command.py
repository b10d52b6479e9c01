"""``mfconsole bench records``: generate a clinic's worth of record, then time what matters.

Joins the ``bench`` command if another module registered it first, so every
benchmark lives under one ``mfconsole bench``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from console.cli.bench_parser import bench_kinds
from console.cli.errors import CliError
from console.cli.records_commands import expected_failures, print_json, print_table
from console.storage import database_url
from console.storage.bench import RecordBenchReport, run_records_bench
from console.storage.bench_data import Scale
from console.storage.database import open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    records = bench_kinds(subparsers).add_parser(
        "records", help="timeline load and audit-verify throughput of the clinical record")
    records.add_argument("--db", metavar="URL",
                         help="an EMPTY database to fill (default: a temporary SQLite file); "
                              "MFCONSOLE_DB is deliberately ignored")
    records.add_argument("--patients", type=int, default=2000)
    records.add_argument("--versions", type=int, default=100_000)
    records.add_argument("--audit", type=int, default=1_000_000)
    records.add_argument("--samples", type=int, default=101,
                         help="timeline loads to take the median of")
    records.add_argument("--verify-runs", type=int, default=3)
    records.add_argument("--json", action="store_true", help="print JSON")
    records.set_defaults(handler=_records)


def _report(report: RecordBenchReport) -> None:
    print_table(("measure", "value"), [
        ("backend", report.backend),
        ("patients / versions / audit entries",
         f"{report.patients} / {report.versions} / {report.audit_entries}"),
        ("generation", f"{report.generate_s} s"),
        (f"timeline load, median of {report.timeline_samples}",
         f"{report.timeline_median_ms} ms (p95 {report.timeline_p95_ms} ms)"),
        (f"audit verify, median of {report.verify_runs}",
         f"{report.verify_median_s} s = {report.verify_entries_per_s:,} entries/s"),
    ])


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _run(url: str, args: argparse.Namespace) -> RecordBenchReport:
    scale = Scale(args.patients, args.versions, args.audit)
    with expected_failures():
        engine = open_database(url)
        try:
            return run_records_bench(engine, scale, timeline_samples=args.samples,
                                     verify_runs=args.verify_runs, progress=_progress)
        finally:
            engine.dispose()


def _records(args: argparse.Namespace) -> int:
    if min(args.patients, args.versions, args.audit, args.samples, args.verify_runs) < 1:
        raise CliError("every count must be at least 1")
    if args.db:
        report = _run(database_url(args.db), args)
    else:
        with tempfile.TemporaryDirectory(prefix="mfconsole-bench-") as directory:
            report = _run(f"sqlite:///{Path(directory) / 'bench.sqlite3'}", args)
    if args.json:
        print_json(report.as_dict())
    else:
        _report(report)
    return 0
