"""The Program tab's device work, run on the controller's worker thread (no Qt here).

Each function returns an ``Outcome`` whose message is what the clinician reads: the
expected failures (refused, link lost, read back different, record behind) never
escape as exceptions, so the tab can show them where the result of a write is shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from console.accounts import AccessError
from console.device_recording import (
    DeviceRecorder,
    RecordBehind,
    WriteNotApplied,
    WriteOutcomeUnknown,
)
from console.lead_integrity import (
    LeadIntegrity,
    PreCheck,
    measure_pairs_in_use,
    program_pairs,
    unmeasured_refusal,
)
from console.program import NotRepresentable, Program
from console.safety import Finding, SafetyEngine, SafetyRefusal
from console.storage import Confirmation, RecordError
from device_link.client import DeviceClient
from device_link.errors import Aborted, DeviceLinkError
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


def write_and_verify(client: DeviceClient, recorder: DeviceRecorder, engine: SafetyEngine,
                     program: Program, integrity: LeadIntegrity,
                     acknowledged: Sequence[Finding], slot: int, reason: str,
                     confirmations: Sequence[Confirmation],
                     restored: tuple[int | None, int | None] = (None, None)) -> Outcome:
    """Measure the pairs in use if this connection has not, approve, record the version,
    write, read back, record the outcome. Never raises for the expected failures: each
    becomes an Outcome whose message says what happened."""
    pairs = program_pairs(program)
    try:
        check = measure_pairs_in_use(client, integrity, pairs, engine.profile)
    except Aborted:
        return Outcome(False, "NOT written: the impedance measurement before writing was "
                              "stopped. Nothing was sent to be written.", slot)
    except DeviceLinkError as exc:
        return Outcome(False, f"NOT written: the impedance measurement before writing "
                              f"failed: {exc}. Nothing was sent to be written.", slot)
    written = _approve_and_write(client, recorder, engine, program, check, acknowledged,
                                 slot, reason, confirmations, restored)
    return dataclasses.replace(written, check=check,
                               message=_with_check(check, written.message))


def _with_check(check: PreCheck, message: str) -> str:
    return f"{check.sentence()}. {message}" if check.measured else message


def _approve_and_write(client: DeviceClient, recorder: DeviceRecorder, engine: SafetyEngine,
                       program: Program, check: PreCheck, acknowledged: Sequence[Finding],
                       slot: int, reason: str, confirmations: Sequence[Confirmation],
                       restored: tuple[int | None, int | None]) -> Outcome:
    pairs = program_pairs(program)
    assert client.identity is not None, "the client is not connected"
    if check.measured:
        try:
            recorder.record_impedance(recorder.known_device(client.identity).serial,
                                      check.records)
        except (RecordError, AccessError) as exc:
            return Outcome(False, f"NOT written: the impedance measured before writing could "
                                  f"not be stored ({exc}).", slot)
    refusal = unmeasured_refusal(check.integrity, pairs)
    if refusal is not None:
        return Outcome(False, f"NOT written: {refusal}.", slot)
    try:
        approved = engine.approve_program(
            program, impedances=check.integrity.engine_impedances(pairs),
            acknowledged=acknowledged)
    except (SafetyRefusal, NotRepresentable) as exc:
        return Outcome(False, f"NOT applied: refused by the safety engine: {exc}", slot)
    try:
        assert client.identity is not None, "the client is not connected"
        device = recorder.known_device(client.identity)
        draft_id, parent_id = restored
        if confirmations:  # new confirmations belong to a new version, child of the restore
            draft_id, parent_id = None, draft_id or parent_id
        written = recorder.write_program(
            client, slot, approved, reason=reason,
            expected_latest=recorder.latest_version_id(device.serial, slot),
            confirmations=confirmations, draft_id=draft_id, parent_id=parent_id)
    except WriteOutcomeUnknown as exc:
        return Outcome(False, f"Outcome unknown: {exc}.", slot, device_unknown=True)
    except WriteNotApplied as exc:
        return Outcome(False, f"NOT applied: {exc}. Read from device to see what slot {slot} "
                              "holds.", slot, device_unknown=True)
    except RecordBehind as exc:
        return Outcome(False, f"The clinical record is behind the device: {exc}. Read from "
                              f"device to see what slot {slot} holds.", slot,
                       device_unknown=True)
    except (RecordError, AccessError) as exc:
        return Outcome(False, f"NOT applied: nothing was sent to the device: {exc}", slot)
    except DeviceLinkError as exc:
        return Outcome(False, f"NOT applied: {exc}", slot, device_unknown=True)
    applied, version = written.applied, written.version
    held = Program.from_record(ProgramRecord.decode(applied.program))
    return Outcome(True, f"Written and verified on the device: slot {applied.slot}, CRC "
                         f"0x{applied.crc:04X} (read back byte for byte). Recorded as version "
                         f"{version.id}, {version.status.value}.", applied.slot, held)


def settle_and_read(client: DeviceClient, recorder: DeviceRecorder | None,
                    slot: int) -> Outcome:
    """The first read of a connection: unconfirmed writes to this device settled first."""
    settled = recorder.settle_on_connect(client) if recorder is not None else []
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
