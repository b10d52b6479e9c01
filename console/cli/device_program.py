"""``mfconsole device program read|write``: programs on the device, verified byte for byte."""

from __future__ import annotations

import argparse
import json
import sys

from console.accounts import Action
from console.cli.device_access import (
    EXIT_USAGE,
    database_configured,
    key_store_for,
    open_device,
    recording,
    refuse_recording_options,
)
from console.cli.errors import CliError
from console.cli.lead_check import MEASUREMENT_STOPPED, MeasureNotes, measurement_refused
from console.cli.output import print_json
from console.cli.program_command import (
    EXIT_BLOCKED,
    EXIT_CONFIRM,
    profile_or_fail,
    program_or_fail,
    program_slot,
)
from console.device.record_keeper import RecordKeeper
from console.programming.program import NotRepresentable, Program
from console.programming.program_file import program_text
from console.programming.request import Consent, WriteRequest
from console.programming.result import Ending, WriteResult
from console.programming.write import write_and_verify
from console.safety import SafetyEngine, SafetyProfile
from device_link.client import DeviceClient
from device_link.program_record import ProgramRecord

EXIT_UNKNOWN = 5
"""``program write``: the link failed before the device confirmed; it may hold the program."""

EXIT_STATUS = {Ending.BLOCKED: EXIT_BLOCKED, Ending.NEEDS_CONFIRMATION: EXIT_CONFIRM,
               Ending.OUTCOME_UNKNOWN: EXIT_UNKNOWN}
"""A failed write's exit status; any other failure is 1."""


def register_program(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("program", help="read or write a therapy program slot")
    actions = parser.add_subparsers(dest="program_action", metavar="ACTION", required=True)
    read = actions.add_parser("read", help="print the program a slot holds")
    read.add_argument("slot", type=program_slot)
    read.set_defaults(handler=read_program)
    write = actions.add_parser(
        "write", help="check, write and verify a program file",
        description="Check the program against the device's limits and the clinic profile, "
                    "write it, read it back and compare every byte. Exit 4 when blocked, 3 "
                    "when it needs --confirm, 5 when the link failed before the device "
                    "confirmed (the device may hold the program: reconnect and read the "
                    "slot).")
    write.add_argument("slot", type=program_slot)
    write.add_argument("file", help="program file, .json or .toml")
    write.add_argument("--confirm", metavar="REASON",
                       help="acknowledge every confirmation finding, giving the reason")
    write.add_argument("--profile", help="clinic safety profile (default: the one shipped)")
    write.add_argument("--reason", help="why this program is written; required when recording "
                                        "in a database, where it is kept with the version")
    write.set_defaults(handler=write_program)


def read_program(args: argparse.Namespace) -> int:
    with recording(args, Action.VIEW_RECORD) as keeper, open_device(
            args.port, args.key_file, args.baud,
            key_store=key_store_for(keeper, args.key_file),
            keeper=keeper) as client:
        stored = client.read_program(args.slot)
    try:
        program = Program.from_record(ProgramRecord.decode(stored.program))
    except NotRepresentable as exc:
        raise CliError(f"slot {args.slot} holds a record this console cannot show: {exc}") \
            from None
    if args.json:
        print_json({"slot": stored.slot, "crc": f"{stored.crc:04x}",
                    "program": _program_json(program)})
    else:
        print(f"slot {stored.slot}, CRC {stored.crc:#06x}")
        sys.stdout.write(program_text(program, ".json"))
    return 0


def _program_json(program: Program) -> object:
    """The program file's JSON object, so `read` output can be fed back to `write`."""
    return json.loads(program_text(program, ".json"))


def write_program(args: argparse.Namespace) -> int:
    program = program_or_fail(args.file)
    profile = profile_or_fail(args.profile)
    if not database_configured(args):
        refuse_recording_options(args, ("--reason", args.reason))
        with open_device(args.port, args.key_file, args.baud) as client:
            result = _write(client, program, profile, args, None, "")
        return _report(result, args.json)
    reason = (args.reason or "").strip()
    if not reason:
        raise CliError("a database is configured: give --reason, kept with the new program "
                       "version", EXIT_USAGE)
    with recording(args, Action.PROGRAM_DEVICE) as keeper:
        assert keeper is not None
        if args.confirm:
            keeper.require(Action.CONFIRM_SAFETY_FINDING)
        with open_device(args.port, args.key_file, args.baud,
                         key_store=key_store_for(keeper, args.key_file),
                         keeper=keeper) as client:
            result = _write(client, program, profile, args, keeper, reason)
    return _report(result, args.json)


def _write(client: DeviceClient, program: Program, profile: SafetyProfile,
           args: argparse.Namespace, keeper: RecordKeeper | None,
           reason: str) -> WriteResult:
    """The console's write sequence, judged against this device's limits; CliError unless
    the program was written and read back byte for byte. Raised inside the device and
    record contexts, so their failures read as they always have."""
    assert client.limits is not None and client.identity is not None
    engine = SafetyEngine(client.limits, profile,
                          electrodes_per_lead=client.identity.electrodes_per_lead)
    request = WriteRequest(program, args.slot, Consent.to_every_finding(args.confirm), reason)
    result = write_and_verify(client, engine, request, keeper,
                              progress=MeasureNotes(args.json))
    if not result.verified:
        raise CliError(_failure(result), EXIT_STATUS.get(result.ending, 1))
    return result


def _failure(result: WriteResult) -> str:
    """The one line a failed write prints, worded as the command always has."""
    reasons = " ".join(result.reasons)
    if result.ending is Ending.BLOCKED:
        return f"blocked, nothing written: {reasons}"
    if result.ending is Ending.NEEDS_CONFIRMATION:
        return f'needs confirmation, nothing written: {reasons} Re-run with --confirm "reason".'
    if result.ending is Ending.MEASUREMENT_STOPPED:
        return MEASUREMENT_STOPPED
    if result.ending is Ending.MEASUREMENT_REFUSED:
        return measurement_refused(result.detail)
    return result.detail


def _report(result: WriteResult, json_output: bool) -> int:
    applied, version = result.applied, result.version
    assert applied is not None
    if json_output:
        shown: dict[str, object] = {"slot": applied.slot, "crc": f"{applied.crc:04x}",
                                    "verified": True}
        if version is not None:
            shown |= {"version": version.id, "status": version.status.value}
        print_json(shown)
        return 0
    print(f"written and verified: slot {applied.slot}, CRC {applied.crc:#06x} "
          "(read-back matches byte for byte)")
    if version is not None:
        print(f"recorded as version {version.id} of slot {applied.slot} of device "
              f"{version.device_serial}: {version.status.value}")
    return 0
