"""Entry point of ``mfconsole``: dispatches to the command modules listed below.

No command prints a traceback: an expected failure is a ``CliError`` (one line); anything
else is a bug, reported in one line naming a log file that holds the traceback, with
exit status 70 (EX_SOFTWARE).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from console.accounts import Role
from console.cli import (
    audit_command,
    bench_command,
    cohort_command,
    desktop_command,
    device_commands,
    devices_command,
    emulator_command,
    export_command,
    history_command,
    paths_command,
    patients_command,
    placement_command,
    program_command,
    usage_command,
    users_command,
    visits_command,
)
from console.cli.errors import CliError
from console.storage.config import ENV_DATABASE

COMMANDS: tuple[ModuleType, ...] = (
    device_commands,
    program_command,
    emulator_command,
    users_command,
    patients_command,
    visits_command,
    devices_command,
    history_command,
    usage_command,
    cohort_command,
    audit_command,
    export_command,
    bench_command,
    placement_command,
    paths_command,
    desktop_command,
)
"""Each defines ``register(subparsers)``; the parser it adds sets ``handler``. Imported,
not looked up by name, so a broken command fails loudly."""

EXIT_INTERNAL = 70


USAGE = """mfconsole [--db URL]                   the window
       mfconsole --demo [--demo-role ROLE]    the window on a demonstration
       mfconsole COMMAND [OPTIONS]            the command line"""

DESCRIPTION = f"""\
Clinician programming console for the multifidus stimulator (MFL/1).

The window (mfconsole without a command):
  mfconsole                  open the window on the clinical record: sign in, then
                             choose the patient and visit
  --db URL                   the clinical record to open: an SQLite file or a
                             postgresql+psycopg:// URL (default: ${ENV_DATABASE}, else the
                             local record)
  --demo                     a demonstration: a built-in emulator, a throwaway record and
                             a demo patient, signed in and connected
  --demo-role ROLE           with --demo, who is signed in (default clinician; engineer
                             shows the engineering view): {", ".join(r.value for r in Role)}

The command line (mfconsole COMMAND; needs no display): 'mfconsole COMMAND --help' says
more about each command."""

EPILOG = """\
Setting up a clinic: 'users add NAME --role admin' creates the record with its first
admin; then 'users add' for each person, 'patients add CLINIC_ID', 'devices add SERIAL
--patient CLINIC_ID' and 'devices key SERIAL --key-file F' (engineer or admin) before a
device is first connected."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfconsole", usage=USAGE, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND",
                                       prog="mfconsole")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except CliError as exc:
        print(f"mfconsole: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into a reader that closed early (head, less)
        sys.stderr.close()
        return 141
    except KeyboardInterrupt:
        print("mfconsole: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line here, the traceback in a log file
        return _internal_error(exc)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)


def _internal_error(exc: Exception) -> int:
    """One line on stderr naming the log file with the traceback; status 70."""
    what = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    try:
        where = f"the traceback is in {_save_traceback(exc)}"
    except Exception as error:  # reporting the bug must not fail in turn
        where = f"the traceback could not be saved ({type(error).__name__}: {error})"
    print(f"mfconsole: internal error ({what}); {where}", file=sys.stderr)
    return EXIT_INTERNAL


def _save_traceback(exc: Exception) -> Path:
    """A new file, readable by the user only, in the app's user log directory. Only the
    traceback: the command line may hold a database URL with its password."""
    from console.paths import log_folder  # only on this path: a command's start-up stays light

    folder = log_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=time.strftime("internal-error-%Y%m%d-%H%M%S-"),
                                suffix=".log", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as log:
        log.write("".join(traceback.format_exception(exc)))
    return Path(name)


if __name__ == "__main__":
    sys.exit(main())
