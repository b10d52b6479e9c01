"""``mfconsole device program read|write``: programs on the device, verified byte for byte."""

from __future__ import annotations

import argparse
import json
import sys

from console.lead_integrity import program_pairs
from console.program import NotRepresentable, Program
from console.program_file import program_text
from console.safety import SafetyEngine
from console.safety.verdict import Finding, Verdict
from device_link.client import DeviceClient
from device_link.errors import DeviceLinkError, DeviceRefused, ReadBackMismatch
from device_link.program_record import ProgramRecord

from ..accounts import Action
from ..device_recording import (
    DeviceRecorder,
    RecordBehind,
    RecordedWrite,
    WriteNotApplied,
    WriteOutcomeUnknown,
    outcome_unknown_advice,
)
from ..storage import Confirmation
from .device_access import (
    EXIT_USAGE,
    database_configured,
    key_store_for,
    open_device,
    recording,
    refuse_recording_options,
)
from .errors import CliError
from .lead_check import measure_before_current
from .output import print_json
from .program_command import (
    EXIT_BLOCKED,
    EXIT_CONFIRM,
    profile_or_fail,
    program_or_fail,
    program_slot,
)

EXIT_UNKNOWN = 5
"""``program write``: the link failed before the device confirmed; it may hold the program."""


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
    with recording(args, Action.VIEW_RECORD) as recorder, open_device(
            args.port, args.key_file, args.baud,
            key_store=key_store_for(recorder, args.key_file),
            recorder=recorder) as client:
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
    if database_configured(args):
        return _write_recorded(args, program, profile)
    refuse_recording_options(args, ("--reason", args.reason))
    with open_device(args.port, args.key_file, args.baud) as client:
        record, _acknowledged = _approved_record(client, program, profile, args, None)
        try:
            applied = client.apply_program(args.slot, record.encode())
        except (ReadBackMismatch, DeviceRefused) as exc:
            raise CliError(f"program NOT applied to slot {args.slot}: {exc}") from None
        except DeviceLinkError as exc:
            raise CliError(f"the link failed before the device confirmed the program ({exc}): "
                           f"outcome unknown, {outcome_unknown_advice(args.slot)}",
                           EXIT_UNKNOWN) from None
    if args.json:
        print_json({"slot": applied.slot, "crc": f"{applied.crc:04x}", "verified": True})
    else:
        print(f"written and verified: slot {applied.slot}, CRC {applied.crc:#06x} "
              "(read-back matches byte for byte)")
    return 0


def _write_recorded(args: argparse.Namespace, program: Program, profile) -> int:
    """The write as a version of the record: draft, written, then verified or failed."""
    reason = (args.reason or "").strip()
    if not reason:
        raise CliError("a database is configured: give --reason, kept with the new program "
                       "version", EXIT_USAGE)
    with recording(args, Action.PROGRAM_DEVICE) as recorder:
        assert recorder is not None
        if args.confirm:
            recorder.require(Action.CONFIRM_SAFETY_FINDING)
        with open_device(args.port, args.key_file, args.baud,
                         key_store=key_store_for(recorder, args.key_file),
                         recorder=recorder) as client:
            record, acknowledged = _approved_record(client, program, profile, args, recorder)
            written = _write_version(recorder, client, args.slot, record, reason,
                                     [Confirmation(f.rule, f.message, args.confirm)
                                      for f in acknowledged])
    version, applied = written.version, written.applied
    if args.json:
        print_json({"slot": applied.slot, "crc": f"{applied.crc:04x}", "verified": True,
                    "version": version.id, "status": version.status.value})
    else:
        print(f"written and verified: slot {applied.slot}, CRC {applied.crc:#06x} "
              "(read-back matches byte for byte)")
        print(f"recorded as version {version.id} of slot {applied.slot} of device "
              f"{version.device_serial}: {version.status.value}")
    return 0


def _write_version(recorder: DeviceRecorder, client: DeviceClient, slot: int,
                   record: ProgramRecord, reason: str,
                   confirmations: list[Confirmation]) -> RecordedWrite:
    """Register the device, create the draft from the slot's latest version, write it."""
    assert client.identity is not None
    device = recorder.known_device(client.identity)
    try:
        return recorder.write_program(
            client, slot, record, reason=reason,
            expected_latest=recorder.latest_version_id(device.serial, slot),
            confirmations=confirmations)
    except WriteOutcomeUnknown as exc:
        raise CliError(str(exc), EXIT_UNKNOWN) from None
    except (WriteNotApplied, RecordBehind) as exc:
        raise CliError(str(exc)) from None


def _approved_record(client: DeviceClient, program: Program, profile,
                     args: argparse.Namespace, recorder: DeviceRecorder | None
                     ) -> tuple[ProgramRecord, tuple[Finding, ...]]:
    """The record the engine approves against this device's limits and the impedance of
    the pairs in use (and the confirmation findings acknowledged with ``--confirm``), or
    a CliError. The program is judged once before measuring, so a program refused on its
    own values costs no measurement, and again with the pairs' impedance measured now."""
    assert client.limits is not None and client.identity is not None
    engine = SafetyEngine(client.limits, profile,
                          electrodes_per_lead=client.identity.electrodes_per_lead)
    _refuse_unless_writable(engine.check_program(program), args.confirm)
    pairs = program_pairs(program)
    impedances = measure_before_current(client, pairs, profile, recorder,
                                        args.json).integrity.engine_impedances(pairs)
    verdict = engine.check_program(program, impedances)
    _refuse_unless_writable(verdict, args.confirm)
    acknowledged = verdict.confirmations if args.confirm else ()
    return engine.approve_program(program, impedances=impedances,
                                  acknowledged=acknowledged), acknowledged


def _refuse_unless_writable(verdict: Verdict, reason: str | None) -> None:
    if verdict.blocked:
        raise CliError("blocked, nothing written: " + " ".join(f.message for f in verdict.blocks),
                       EXIT_BLOCKED)
    if verdict.needs_confirmation and not (reason and reason.strip()):
        raise CliError("needs confirmation, nothing written: "
                       + " ".join(f.message for f in verdict.confirmations)
                       + ' Re-run with --confirm "reason".', EXIT_CONFIRM)
