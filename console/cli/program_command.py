"""``mfconsole program check FILE``: the safety engine's assessment on a program file.

Exit status: 0 writable as it is, 3 needs the clinician's confirmation, 4 blocked;
1 for a file or profile that cannot be read, 2 for wrong options. Numbers given as
options are bounded like those in files, before anything is computed with them.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from console.cli.errors import CliError
from console.cli.output import print_json
from console.programming.program import MAX_MAGNITUDE, MAX_NUMBER_CHARACTERS, Program, shortened
from console.programming.program_file import ProgramFileError, load_program
from console.safety import Assessment, ProfileError, SafetyEngine, SafetyProfile, load_profile
from device_link.messages import Limits

EXIT_CLEAR = 0
EXIT_CONFIRM = 3
EXIT_BLOCKED = 4
DEFAULT_LIMITS_SOURCE = "MFL/1 emulator defaults (no device consulted)"
SLOT_MAX = 0xFF
"""A slot number travels as one byte (MFL/1); the device says which slots it has."""
BAUD_MAX = 10_000_000


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("program", help="therapy program files")
    actions = parser.add_subparsers(dest="program_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="judge a program file with the safety engine",
        description="Print the safety assessment on a program file (.json or .toml). Exit 0: "
                    "writable as it is; 3: needs confirmation; 4: blocked.")
    check.add_argument("file", help="program file, .json or .toml")
    check.add_argument("--json", action="store_true", help="print the assessment as JSON")
    check.add_argument("--impedance-ohms", action="append", default=[], type=_impedance,
                       metavar="LEAD:OHMS",
                       help="latest impedance of the pair in use on a lead, e.g. 0:650, or "
                            "0:open for no reading; repeat for the other lead")
    check.add_argument("--profile", help="clinic safety profile (default: the one shipped)")
    check.add_argument("--limits-from", metavar="PORT",
                       help="read the hard limits from this device instead of the spec's "
                            "emulator defaults (needs --key-file)")
    check.add_argument("--key-file", help="pairing key file of that device")
    check.add_argument("--baud", type=_baud, default=115200, help="line rate (default 115200)")
    check.set_defaults(handler=run_check)


def whole_number(text: str, low: int, high: int) -> int:
    """A whole number within ``low``..``high`` from an option's text; else a one-line
    usage error. The length is checked first: a thousand digits are never converted."""
    try:
        value = int(text) if len(text) <= MAX_NUMBER_CHARACTERS else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{shortened(text)!r} is not a whole number from "
                                         f"{low} to {high}")
    return value


def program_slot(text: str) -> int:
    """A slot number as MFL/1 carries it (one byte); whether the device has it, it says."""
    return whole_number(text, 0, SLOT_MAX)


def _baud(text: str) -> int:
    """A line rate a serial port could plausibly be set to."""
    return whole_number(text, 1, BAUD_MAX)


def _impedance(text: str) -> tuple[int, int | None]:
    lead_text, _, ohms_text = text.partition(":")
    if lead_text not in ("0", "1") or not ohms_text:
        raise argparse.ArgumentTypeError(f"{shortened(text)!r}: expected LEAD:OHMS with "
                                         f"LEAD 0 or 1")
    if ohms_text.lower() == "open":
        return int(lead_text), None
    if not (ohms_text.isascii() and ohms_text.isdigit()):
        raise argparse.ArgumentTypeError(f"{shortened(text)!r}: ohms must be a whole "
                                         f"number or 'open'")
    return int(lead_text), whole_number(ohms_text, 0, MAX_MAGNITUDE)


@dataclass(frozen=True, slots=True)
class DeviceLimits:
    limits: Limits
    electrodes_per_lead: int
    source: str


def _limits(args: argparse.Namespace) -> DeviceLimits:
    if not args.limits_from:
        if args.key_file:
            raise CliError("--key-file is only used with --limits-from", 2)
        return DeviceLimits(Limits(), 4, DEFAULT_LIMITS_SOURCE)
    if not args.key_file:
        raise CliError("--limits-from needs --key-file (the device's pairing key)", 2)
    from console.cli.device_access import (
        open_device,  # the serial stack only when a device is asked
    )

    with open_device(args.limits_from, args.key_file, args.baud) as client:
        limits = client.get_limits()
        identity = client.identity
    assert identity is not None, "an opened client knows its device"
    return DeviceLimits(limits, identity.electrodes_per_lead,
                        f"device {identity.model} serial {identity.serial} "
                        f"on {args.limits_from}")


def profile_or_fail(path: str | None) -> SafetyProfile:
    try:
        return load_profile(path)
    except ProfileError as exc:
        raise CliError(str(exc)) from None


def program_or_fail(path: str) -> Program:
    try:
        return load_program(path)
    except ProgramFileError as exc:
        raise CliError(str(exc)) from None


def exit_code(assessment: Assessment) -> int:
    if assessment.blocked:
        return EXIT_BLOCKED
    return EXIT_CONFIRM if assessment.needs_confirmation else EXIT_CLEAR


def _conclusion(assessment: Assessment) -> str:
    if assessment.blocked:
        return "BLOCKED: this program must not be written"
    if assessment.needs_confirmation:
        return "NEEDS CONFIRMATION: write only after the clinician confirms each item"
    return "OK: writable as it is"


def run_check(args: argparse.Namespace) -> int:
    program = program_or_fail(args.file)
    profile = profile_or_fail(args.profile)
    impedances: dict[int, int | None] = {}
    for lead, ohms in args.impedance_ohms:
        if lead in impedances:
            raise CliError(f"--impedance-ohms given twice for lead {lead}", 2)
        impedances[lead] = ohms
    device = _limits(args)
    engine = SafetyEngine(device.limits, profile, electrodes_per_lead=device.electrodes_per_lead)
    assessment = engine.check_program(program, impedances)
    if args.json:
        report: dict[str, Any] = {"file": args.file, "limits": device.source,
                                  "profile": profile.name, **assessment.to_dict(),
                                  "exit_code": exit_code(assessment)}
        print_json(report)
    else:
        print(f"program: {args.file}")
        print(f"limits: {device.source}")
        print(f"profile: {profile.name}")
        for line in assessment.lines():
            print(line)
        print(_conclusion(assessment))
    return exit_code(assessment)
