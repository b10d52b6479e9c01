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

from console.cli import (
    audit_command,
    bench_command,
    desktop_command,
    device_commands,
    emulator_command,
    export_command,
    history_command,
    paths_command,
    patients_command,
    placement_command,
    program_command,
    users_command,
)
from console.cli.errors import CliError

COMMANDS: tuple[ModuleType, ...] = (
    device_commands,
    program_command,
    emulator_command,
    users_command,
    patients_command,
    history_command,
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfconsole",
        description="Clinician programming console for the multifidus stimulator (MFL/1).")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
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
