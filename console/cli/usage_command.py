"""``mfconsole usage SERIAL``: therapy use from the log entries the record holds.

No device is needed: the entries were stored by ``mfconsole device usage`` or
``mfconsole device log``. Definitions: docs/usage.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date

from console.cli.errors import CliError
from console.cli.output import print_json, print_table
from console.cli.records_commands import acting, record_options
from console.clinic.profile import load_clinic_profile
from console.files.strict_toml import ProfileError
from console.usage.log_report import LogUsage, usage_from_log
from console.usage.period import Period, PeriodError, period_from_options
from console.usage.sessions import LogLine
from console.usage.wording import DAILY_HEADERS, daily_rows, summary_lines

EXIT_USAGE = 2
PERIOD_HELP = "first day, YYYY-MM-DD (default: 27 days before --to, 28 days in all)"
TO_HELP = "last day, YYYY-MM-DD (default: yesterday)"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "usage", parents=[record_options(json_output=True)],
        help="therapy sessions and adherence from the device log in the record",
        description="Therapy sessions started and completed, minutes delivered and "
                    "adherence to the clinic's prescription, day by day, from the device log "
                    "entries the clinical record holds (docs/usage.md). Default period: the "
                    "28 days ending yesterday, in this computer's time zone.")
    parser.add_argument("serial", metavar="SERIAL", help="the device's serial number")
    add_period_options(parser)
    parser.set_defaults(handler=run)


def add_period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="period_from", metavar="YYYY-MM-DD", help=PERIOD_HELP)
    parser.add_argument("--to", dest="period_to", metavar="YYYY-MM-DD", help=TO_HELP)


def period_of(args: argparse.Namespace) -> Period:
    """The period the options name, refused as a usage error before anything is opened."""
    try:
        return period_from_options(args.period_from, args.period_to, date.today())
    except PeriodError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None


def prescribed_per_day() -> int:
    """The clinic profile's prescription; a broken profile is a one-line refusal."""
    try:
        return load_clinic_profile().prescribed_sessions_per_day
    except ProfileError as exc:
        raise CliError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    period = period_of(args)
    prescribed = prescribed_per_day()
    with acting(args) as (record, actor):
        entries = record.device_log(actor, args.serial)
    if not entries:
        raise CliError(f"the record holds no log entries of device {args.serial}: download "
                       f"them with 'mfconsole device --port PORT usage' first")
    print_usage(args.serial, usage_from_log(entries, period, prescribed), json=args.json)
    return 0


def print_usage(serial: str, usage: LogUsage, *, json: bool) -> None:
    """``--json``: the report's keys exactly; else a summary, then the per-day table."""
    if json:
        print_json(usage.report.as_json())
        return
    print(f"Usage of device {serial}")
    for line in summary_lines(usage.report, list(usage.sessions)):
        print(line)
    if usage.unmatched_ends:
        print(f"Not counted: {usage.unmatched_ends} session ends with no start in the log")
    print()
    print_table(DAILY_HEADERS, daily_rows(usage.report))


def newest_index(entries: Sequence[LogLine]) -> int | None:
    """The newest stored device index (entries in index order), None when none is stored."""
    return entries[-1].index if entries else None
