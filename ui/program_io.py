"""The Program tab's device work, run on the controller's worker thread (no Qt here).

Each function returns an ``Outcome`` whose message is what the clinician reads: the
expected failures (refused, link lost, read back different, record behind) never
escape as exceptions, so the tab can show them where the result of a write is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.accounts import AccessError
from console.device_recording import DeviceRecorder, RecordBehind, WriteNotApplied
from console.program import NotRepresentable, Program
from console.safety import Finding, SafetyEngine, SafetyRefusal
from console.storage import Confirmation, RecordError
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


# -- the device work (worker thread) ---------------------------------------------------------


def write_and_verify(client: DeviceClient, recorder: DeviceRecorder, engine: SafetyEngine,
                     program: Program, impedances: dict[int, int | None],
                     acknowledged: Sequence[Finding], slot: int, reason: str,
                     confirmations: Sequence[Confirmation],
                     restored: tuple[int | None, int | None] = (None, None)) -> Outcome:
    """Approve, record the version, write, read back, record the outcome. Never raises for
    the expected failures: each becomes an Outcome whose message says what happened."""
    try:
        approved = engine.approve_program(program, impedances=impedances,
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
