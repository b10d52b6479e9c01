"""The Program tab's device work, run on the controller's worker thread (no Qt here).

Each function returns an ``Outcome`` whose message is what the clinician reads: the
expected failures (refused, link lost, read back different, record behind) never
escape as exceptions, so the tab can show them where the result of a write is shown.

The record work in here stays on the device worker, not on ``RecordTasks``: every step
it records is ordered with the device act it is about (the draft before the write,
written and verified after the read-back, an unconfirmed version settled by reading its
slot), so it cannot run apart from the device.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from console.device.record_keeper import RecordKeeper
from console.leads.integrity import LeadIntegrity, PreCheck
from console.programming.program import NotRepresentable, Program
from console.programming.request import WriteRequest
from console.programming.result import Ending, WriteResult
from console.programming.write import write_and_verify
from console.safety import SafetyEngine
from device_link.client import DeviceClient
from device_link.errors import DeviceLinkError
from device_link.errors import NotFound as SlotEmpty
from device_link.program_record import ProgramRecord


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a read or write did, for the GUI thread. ``program`` is what the device holds."""

    ok: bool
    message: str
    slot: int
    program: Program | None = None
    device_unknown: bool = False  # the slot may hold something other than before
    check: PreCheck | None = None  # the impedance measured before the write, if any


# -- the device work (worker thread) ---------------------------------------------------------


def write_slot(client: DeviceClient, keeper: RecordKeeper, engine: SafetyEngine,
               request: WriteRequest, integrity: LeadIntegrity) -> Outcome:
    """The console's write sequence (measure first, approve, record, write, read back),
    in the words of the Program tab."""
    result = write_and_verify(client, engine, request, keeper, integrity)
    message = _words(result)
    if result.check is not None and result.check.measured:
        message = f"{result.check.sentence()}. {message}"
    return Outcome(result.verified, message, result.slot, result.held(),
                   result.device_unknown, result.check)


def _words(result: WriteResult) -> str:
    slot, detail = result.slot, result.detail
    read_advice = f"Read from device to see what slot {slot} holds."
    match result.ending:
        case Ending.VERIFIED:
            applied, version = result.applied, result.version
            assert applied is not None and version is not None
            return (f"Written and verified on the device: slot {applied.slot}, CRC "
                    f"0x{applied.crc:04X} (read back byte for byte). Recorded as version "
                    f"{version.id}, {version.status.value}.")
        case Ending.BLOCKED:
            return f"NOT applied: refused by the safety engine: {result.reasons[0]}"
        case Ending.NEEDS_CONFIRMATION:
            return ("NOT applied: refused by the safety engine: needs confirmation: "
                    + " ".join(result.reasons))
        case Ending.MEASUREMENT_STOPPED:
            return ("NOT written: the impedance measurement before writing was stopped. "
                    "Nothing was sent to be written.")
        case Ending.MEASUREMENT_REFUSED | Ending.MEASUREMENT_FAILED:
            return (f"NOT written: the impedance measurement before writing failed: {detail}. "
                    "Nothing was sent to be written.")
        case Ending.MEASUREMENT_NOT_STORED:
            return (f"NOT written: the impedance measured before writing could not be stored "
                    f"({detail}).")
        case Ending.UNMEASURED:
            return f"NOT written: {detail}."
        case Ending.NOT_SENT:
            return f"NOT applied: nothing was sent to the device: {detail}"
        case Ending.NOT_APPLIED:
            return f"NOT applied: {detail}. {read_advice}"
        case Ending.RECORD_BEHIND:
            return f"The clinical record is behind the device: {detail}. {read_advice}"
        case Ending.OUTCOME_UNKNOWN:
            return f"Outcome unknown: {detail}."


def settle_and_read(client: DeviceClient, keeper: RecordKeeper | None,
                    slot: int) -> Outcome:
    """The first read of a connection: unconfirmed writes to this device settled first."""
    settled = keeper.settle_on_connect(client) if keeper is not None else []
    outcome = read_slot(client, slot)
    if not settled:
        return outcome
    notes = " ".join(sentence[0].upper() + sentence[1:] + "." for sentence in settled)
    return dataclasses.replace(outcome, message=f"{notes} {outcome.message}")


def read_slot(client: DeviceClient, slot: int) -> Outcome:
    """The program a slot holds, or why there is none."""
    try:
        stored = client.read_program(slot)
    except SlotEmpty:
        return Outcome(True, f"Slot {slot} is empty: the device holds no program there.", slot)
    except DeviceLinkError as exc:
        return Outcome(False, f"Reading slot {slot} failed: {exc}", slot, device_unknown=True)
    try:
        program = Program.from_record(ProgramRecord.decode(stored.program))
    except NotRepresentable as exc:
        return Outcome(False, f"Slot {slot} holds a record this console cannot show: {exc}",
                       slot, device_unknown=True)
    return Outcome(True, f"Read slot {slot} from the device (CRC 0x{stored.crc:04X}) and "
                         "loaded it on screen.", slot, program)
