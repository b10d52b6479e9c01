"""``mfconsole bench``: every benchmark of the console, as one command with a KIND.

* ``bench link`` (also plain ``bench``): the device link's figures.
* ``bench records``: a clinic's worth of record generated, then what matters timed.
* ``bench window``: the window's figures, measured in a child process
  ``python -m ui.bench``. The window needs Qt, which the command line never loads and
  ``console`` may not import (ui -> console -> device_link); the benchmark starts
  windows and emulators of its own anyway. The child parses the same options
  (``add_window_options``), and its output and exit status pass through unchanged.

Measurements, never tests: a command exits 0 whether or not a target is met, and
non-zero only when a measurement could not be taken.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from console.bench.cohort_cli import add_cohort_bench
from console.bench.errors import BenchError
from console.bench.link import (
    DEFAULT_LOG_ENTRIES,
    DEFAULT_ROUNDS,
    LinkBenchOptions,
    run_link_bench,
)
from console.bench.record import RecordBenchReport, run_records_bench
from console.bench.record_data import Scale
from console.bench.report import LinkReport, Row
from console.bench.usage_cli import add_usage_bench
from console.cli import records_commands
from console.cli.errors import CliError
from console.cli.output import print_json, print_table
from console.storage import database_url
from console.storage.database import open_database
from device_link.client import DEFAULT_BAUD

LINK_DESCRIPTION = ("Measure the device link: request round trips against a raw pyserial "
                    "echo, STOP latency during test stimulation and during an impedance "
                    "measurement, and the usage-log download at line rate. Without --port "
                    "everything runs against fresh emulators on pseudo-terminals; with "
                    "--port only PING, GET_STATUS and GET_LOG are sent. Exits 0 whether or "
                    "not targets are met.")
WINDOW_DESCRIPTION = "Measure the window's STOP path and start-up."
WINDOW_BENCH_MODULE = "ui.bench"


def register(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser("bench", help="benchmarks: medians, never timed tests",
                                  description=f"{LINK_DESCRIPTION} Without a KIND, 'bench' "
                                              "runs 'bench link'.")
    _add_link_options(bench)
    kinds = bench.add_subparsers(dest="bench_kind", metavar="KIND")
    _add_link_options(kinds.add_parser(
        "link", help="device link: round trips, STOP latency, log download",
        description=LINK_DESCRIPTION))
    _add_records_options(kinds.add_parser(
        "records", help="timeline load and audit-verify throughput of the clinical record"))
    add_usage_bench(kinds)
    add_cohort_bench(kinds)
    window = kinds.add_parser("window", help="the window: Esc to STOP, start-up (needs Qt)",
                              description=WINDOW_DESCRIPTION)
    add_window_options(window)
    window.set_defaults(handler=run_window)


def _add_link_options(parser: argparse.ArgumentParser) -> None:
    # No defaults here: the options may be given before or after 'link' alike.
    unset = argparse.SUPPRESS
    parser.add_argument("--port", default=unset,
                        help="a device's serial port or pyserial URL (default: fresh emulators "
                             "on pseudo-terminals)")
    parser.add_argument("--key-file", default=unset,
                        help="pairing key file, 64 hexadecimal characters (required with "
                             "--port; default: a random key shared with the emulators)")
    parser.add_argument("--baud", type=int, default=unset,
                        help=f"line rate; the paced log download runs at it "
                             f"(default {DEFAULT_BAUD})")
    parser.add_argument("--rounds", type=int, default=unset, metavar="N",
                        help=f"round trips of each request (default {DEFAULT_ROUNDS})")
    parser.add_argument("--stops", type=int, default=unset, metavar="N",
                        help="STOPs in each condition (default: a fifth of --rounds)")
    parser.add_argument("--log-entries", type=int, default=unset, metavar="N",
                        help=f"usage-log entries of the emulators' history "
                             f"(default {DEFAULT_LOG_ENTRIES})")
    parser.add_argument("--json", action="store_true", default=unset, help="print JSON")
    parser.set_defaults(handler=run_link)


def _add_records_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL",
                        help="an EMPTY database to fill (default: a temporary SQLite file); "
                             "MFCONSOLE_DB is deliberately ignored")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=101,
                        help="timeline loads to take the median of")
    parser.add_argument("--verify-runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_records)


def add_window_options(parser: argparse.ArgumentParser) -> None:
    """The window benchmark's options: here for ``bench window``, and in its child process."""
    parser.add_argument("--rounds", type=int, default=100, metavar="N",
                        help="Esc presses to measure (default 100)")
    parser.add_argument("--startups", type=int, default=5, metavar="N",
                        help="demo start-ups to measure (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _options(args: argparse.Namespace) -> LinkBenchOptions:
    rounds = getattr(args, "rounds", DEFAULT_ROUNDS)
    try:
        return LinkBenchOptions(
            port=getattr(args, "port", None), key_file=getattr(args, "key_file", None),
            baud=getattr(args, "baud", DEFAULT_BAUD), rounds=rounds,
            stops=getattr(args, "stops", max(1, rounds // 5)),
            log_entries=getattr(args, "log_entries", DEFAULT_LOG_ENTRIES))
    except ValueError as exc:
        raise CliError(str(exc), 2) from None


def run_link(args: argparse.Namespace) -> int:
    options = _options(args)
    try:
        report = run_link_bench(options, progress=_progress)
    except BenchError as exc:
        raise CliError(str(exc)) from None
    if getattr(args, "json", False):
        print_json(report.as_dict())
    else:
        _print_link_report(report)
    return 0


def _print_link_report(report: LinkReport) -> None:
    machine = report.machine
    print(f"Device link: {report.port}. {machine['cpus']} CPUs ({machine['cpu_model']}), "
          f"Python {machine['python']}, load average {machine['load_average'][0]} before, "
          f"{machine['load_average_after'][0]} after.")
    print_table(("measure", "n", "median", "p99", "figure", "target", "pass"),
                [_cells(row) for row in report.rows])
    for skipped in report.skipped:
        print(f"skipped {skipped.name}: {skipped.reason}")


def _cells(row: Row) -> tuple[object, ...]:
    outcome = {None: None, True: "pass", False: "MISSED"}[row.passed]
    return (row.title, row.n, _ms(row.median), _ms(row.p99), _figure(row),
            None if row.target is None else row.target.text, outcome)


def _ms(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f} ms"


def _figure(row: Row) -> str | None:
    if row.value is None:
        return None
    if row.unit == "×":
        return f"{row.value:.2f}×"
    if row.unit == "of line rate":
        return (f"{row.value * 100:.1f} % of line rate, "
                f"{row.detail['entries_per_s']:.0f} entries/s")
    return f"{row.value:.0f} {row.unit}"


def run_records(args: argparse.Namespace) -> int:
    if min(args.patients, args.versions, args.audit, args.samples, args.verify_runs) < 1:
        raise CliError("every count must be at least 1")
    if args.db:
        report = _records_on(database_url(args.db), args)
    else:
        with tempfile.TemporaryDirectory(prefix="mfconsole-bench-") as directory:
            report = _records_on(f"sqlite:///{Path(directory) / 'bench.sqlite3'}", args)
    if args.json:
        print_json(report.as_dict())
    else:
        _print_records_report(report)
    return 0


def _records_on(url: str, args: argparse.Namespace) -> RecordBenchReport:
    scale = Scale(args.patients, args.versions, args.audit)
    with records_commands.expected_failures():
        engine = open_database(url)
        try:
            return run_records_bench(engine, scale, timeline_samples=args.samples,
                                     verify_runs=args.verify_runs, progress=_progress)
        except BenchError as exc:
            raise CliError(str(exc)) from None
        finally:
            engine.dispose()


def _print_records_report(report: RecordBenchReport) -> None:
    # The record commands' plain table, without a rule under the headings.
    records_commands.print_table(("measure", "value"), [
        ("backend", report.backend),
        ("patients / versions / audit entries",
         f"{report.patients} / {report.versions} / {report.audit_entries}"),
        ("generation", f"{report.generate_s} s"),
        (f"timeline load, median of {report.timeline_samples}",
         f"{report.timeline_median_ms} ms (p95 {report.timeline_p95_ms} ms)"),
        (f"audit verify, median of {report.verify_runs}",
         f"{report.verify_median_s} s = {report.verify_entries_per_s:,} entries/s"),
    ])


def run_window(args: argparse.Namespace) -> int:
    """The window benchmark in its own process; its output and status are its own."""
    if min(args.rounds, args.startups) < 1:
        raise CliError("every count must be at least 1", 2)
    forwarded = ["--rounds", str(args.rounds), "--startups", str(args.startups)]
    if args.json:
        forwarded.append("--json")
    command = [sys.executable, "-m", WINDOW_BENCH_MODULE, *forwarded]
    return subprocess.run(command, check=False).returncode
