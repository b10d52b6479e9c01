"""``mfconsole bench usage``: its options and its printout (the figures: ``usage.py``)."""

from __future__ import annotations

import argparse

from console.bench import usage as usage_bench
from console.cli.errors import CliError
from console.cli.output import print_json
from console.cli.records_commands import print_table


def add_usage_bench(kinds: argparse._SubParsersAction) -> None:
    parser = kinds.add_parser(
        "usage", help="the usage report over a long device log (pure computation)",
        description="Time the usage report over a stored device log of the emulator's "
                    "history, against the plain pairing pass in the same process. Exits 0 "
                    "whether or not the target is met.")
    parser.add_argument("--entries", type=int, default=usage_bench.DEFAULT_ENTRIES,
                        metavar="N", help="log entries of the history (default "
                                          f"{usage_bench.DEFAULT_ENTRIES})")
    parser.add_argument("--runs", type=int, default=usage_bench.DEFAULT_RUNS, metavar="N",
                        help=f"reports to take the median of (default "
                             f"{usage_bench.DEFAULT_RUNS})")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_usage)


def run_usage(args: argparse.Namespace) -> int:
    if min(args.entries, args.runs) < 1:
        raise CliError("every count must be at least 1", 2)
    report = usage_bench.run_usage_bench(args.entries, args.runs)
    if args.json:
        print_json(report.as_dict())
        return 0
    outcome = "pass" if report.met else "MISSED"
    print_table(("measure", "value"), [
        ("log entries / sessions", f"{report.entries} / {report.sessions}"),
        (f"usage report, median of {report.runs}",
         f"{report.report_median_ms:.2f} ms (p99 {report.report_p99_ms:.2f} ms; target "
         f"≤ {usage_bench.TARGET_MS:.0f} ms: {outcome})"),
        (f"pairing alone, median of {report.runs}", f"{report.pairing_median_ms:.2f} ms"),
        ("report / pairing", f"{report.ratio:.2f}×")])
    return 0
