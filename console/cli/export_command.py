"""``mfconsole export``: the program history, and the registry data (FHIR R4 or CSV)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from console.cli.errors import CliError
from console.cli.records_commands import acting, record_options
from console.clinic.profile import load_clinic_profile
from console.files.new_file import NotWritten, fill_new
from console.files.strict_toml import ProfileError
from console.outcomes.responders import ResponderRules


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="export the clinical record")
    what = parser.add_subparsers(dest="export_what", metavar="WHAT", required=True)
    history = what.add_parser("history", parents=[record_options()],
                              help="every program version, one row each")
    history.add_argument("--format", choices=["csv"], default="csv")
    history.add_argument("--output", "-o", type=Path, metavar="FILE",
                         help="write here instead of standard output")
    history.add_argument("--patient", metavar="CLINIC_ID")
    history.add_argument("--device", metavar="SERIAL")
    history.set_defaults(handler=_history)
    registry = what.add_parser(
        "registry", parents=[record_options()],
        help="implants, outcomes and adverse events for the National Neuromodulation "
             "Registry (docs/registry.md)",
        description="Every patient's implant, outcome assessments and adverse events, as a "
                    "FHIR R4 Bundle or as CSV (one row per patient and timepoint). "
                    "Pseudonymous: patients are identified by their clinic ID only, unless "
                    "--identifiable adds names and dates of birth.")
    registry.add_argument("--format", choices=["fhir", "csv"], required=True,
                          help="fhir: an R4 Bundle in JSON; csv: one row per patient and "
                               "timepoint")
    registry.add_argument("--output", "-o", type=Path, metavar="FILE", required=True,
                          help="a new file (an existing one is never overwritten)")
    registry.add_argument("--patient", metavar="CLINIC_ID", help="only this patient")
    registry.add_argument("--identifiable", action="store_true",
                          help="add each patient's name and date of birth")
    registry.set_defaults(handler=_registry)


def _history(args: argparse.Namespace) -> int:
    with acting(args) as (record, actor):
        if args.output is None:
            record.export_history_csv(actor, sys.stdout, patient_clinic_id=args.patient,
                                      device_serial=args.device)
            return 0
        count = _write_aside(args.output, lambda out: record.export_history_csv(
            actor, out, patient_clinic_id=args.patient, device_serial=args.device))
    print(f"exported {count} versions to {args.output}", file=sys.stderr)
    return 0


def _registry(args: argparse.Namespace) -> int:
    try:
        rules = ResponderRules.of(load_clinic_profile())
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    with acting(args) as (record, actor):
        count = _write_aside(args.output, lambda out: record.export_registry(
            actor, out, format=args.format, clinic_id=args.patient,
            identifiable=args.identifiable, rules=rules))
    print(f"exported {count} patients to {args.output}", file=sys.stderr)
    if args.identifiable:
        print(f"mfconsole: warning: {args.output} identifies patients by name and date of "
              "birth: keep it as securely as the clinical record", file=sys.stderr)
    return 0


def _write_aside(target: Path, write: Callable[[TextIO], int]) -> int:
    """``write`` into the new file ``target``, whole or not at all (``fill_new``)."""
    try:
        return fill_new(target, write)
    except NotWritten as exc:
        raise CliError(str(exc)) from None
