"""Entry point of ``mfconsole``: dispatches to the command modules listed below."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from .errors import CliError

# Each module defines ``register(subparsers)``; the parser it adds sets ``handler``.
COMMAND_MODULES = (
    "device_commands",
    "program_command",
    "emulator_command",
    "users_command",
    "patients_command",
    "history_command",
    "audit_command",
    "export_command",
    "bench_records_command",
    "bench_command",
    "placement_command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mfconsole",
        description="Clinician programming console for the multifidus stimulator (MFL/1).")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        import_module(f"console.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except CliError as exc:
        print(f"mfconsole: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into a reader that closed early (head, less)
        sys.stderr.close()
        return 141
    except KeyboardInterrupt:
        print("mfconsole: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
