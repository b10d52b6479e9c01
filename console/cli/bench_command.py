"""``mfconsole bench link`` (also plain ``mfconsole bench``): the device link's figures.

A measurement, never a test: it exits 0 whether or not a target is met, and
non-zero only when a measurement could not be taken.
"""

from __future__ import annotations

import argparse
import sys

from console.bench.errors import BenchError
from console.bench.link_bench import (
    DEFAULT_LOG_ENTRIES,
    DEFAULT_ROUNDS,
    LinkBenchOptions,
    run_link_bench,
)
from console.bench.report import LinkReport, Row
from console.cli.bench_parser import bench_kinds, bench_parser
from console.cli.errors import CliError
from console.cli.output import print_json, print_table
from device_link.client import DEFAULT_BAUD

DESCRIPTION = ("Measure the device link: request round trips against a raw pyserial echo, "
               "STOP latency during test stimulation and during an impedance measurement, "
               "and the usage-log download at line rate. Without --port everything runs "
               "against fresh emulators on pseudo-terminals; with --port only PING, "
               "GET_STATUS and GET_LOG are sent. Exits 0 whether or not targets are met.")


def register(subparsers: argparse._SubParsersAction) -> None:
    bench = bench_parser(subparsers)
    bench.description = f"{DESCRIPTION} Without a KIND, 'bench' runs 'bench link'."
    _add_link_options(bench)
    bench.set_defaults(handler=run_link)
    link = bench_kinds(subparsers).add_parser(
        "link", help="device link: round trips, STOP latency, log download",
        description=DESCRIPTION)
    _add_link_options(link)
    link.set_defaults(handler=run_link)


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
        _print_report(report)
    return 0


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _print_report(report: LinkReport) -> None:
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
