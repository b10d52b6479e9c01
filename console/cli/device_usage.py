"""``mfconsole device usage``: download the new log entries, then report therapy use.

With a record configured only the entries after the newest one it holds are asked for,
and what arrives is stored before the report is printed; the report then covers every
entry the record holds. Without a record, everything the device keeps is downloaded
and nothing is kept. Progress goes to stderr, so stdout is the report alone.
"""

from __future__ import annotations

import argparse
import sys

from console.accounts import Action
from console.cli.device_access import key_store_for, open_device, recording
from console.cli.usage_command import (
    add_period_options,
    newest_index,
    period_of,
    prescribed_per_day,
    print_usage,
)
from console.storage.entities import DeviceLogRecord
from console.usage.download import download_new_entries
from console.usage.log_report import usage_from_log
from console.usage.sessions import LogLine

PROGRESS_STEP = 0.25
"""Without a terminal, a progress line at each quarter of the download."""


def register_usage(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "usage", help="download the new log entries, then therapy sessions and adherence",
        description="Download the device log entries not downloaded yet (with a clinical "
                    "record: those it does not hold; without: all), then report therapy "
                    "sessions, minutes and adherence day by day (docs/usage.md). Default "
                    "period: the 28 days ending yesterday, in this computer's time zone.")
    add_period_options(parser)
    parser.set_defaults(handler=device_usage)


def device_usage(args: argparse.Namespace) -> int:
    period = period_of(args)
    prescribed = prescribed_per_day()
    with recording(args, Action.DOWNLOAD_DEVICE_LOG) as keeper:
        stored: list[DeviceLogRecord] = []
        with open_device(args.port, args.key_file, args.baud,
                         key_store=key_store_for(keeper, args.key_file),
                         keeper=keeper) as client:
            assert client.identity is not None
            serial = client.identity.serial
            if keeper is not None:
                keeper.known_device(client.identity)
                stored = keeper.record.device_log(keeper.actor, serial)
            progress = _Progress(serial)
            download = download_new_entries(client, newest_index(stored), progress)
        progress.done(len(download.entries), download.overwritten)
        entries: list[LogLine] = [*stored, *download.entries]
        if keeper is not None:
            new = keeper.record_log(serial, download.entries)
            _say(f"recorded {new} new log entries of device {serial} "
                 f"({len(stored)} were already in the record)")
    print_usage(serial, usage_from_log(entries, period, prescribed), json=args.json)
    return 0


def _say(text: str) -> None:
    print(f"mfconsole: {text}", file=sys.stderr, flush=True)


class _Progress:
    """Entries received so far: rewritten in place on a terminal, a few lines otherwise."""

    def __init__(self, serial: str) -> None:
        self._serial = serial
        self._terminal = sys.stderr.isatty()
        self._next_share = PROGRESS_STEP

    def __call__(self, done: int, total: int) -> None:
        text = f"downloading the log of device {self._serial}: {done} of {total} entries"
        if self._terminal:
            print(f"\rmfconsole: {text}", end="", file=sys.stderr, flush=True)
        elif done >= self._next_share * total:
            _say(text)
            while self._next_share * total <= done:
                self._next_share += PROGRESS_STEP

    def done(self, received: int, overwritten: int) -> None:
        if self._terminal and received:
            print(file=sys.stderr)
        _say(f"downloaded {received} new log entries of device {self._serial}")
        if overwritten:
            _say(f"{overwritten} log entries were overwritten on the device before they were "
                 f"downloaded: the report misses the sessions they held")
