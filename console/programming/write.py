"""The sequence that puts a program on the device, the same from the window and the CLI.

The program is judged on its own values first, so a refused program costs no
measurement. The pairs in use that this connection has not measured are then measured
(bipolar, only their leads) and the measurement kept in the record; the program is
judged again with that impedance, approved with the clinician's agreement, written, and
read back byte for byte. With a record, the write is a version: draft, written, then
verified, failed or unconfirmed. Without one (the command line with no database) the
same checks run and the same read-back proves the write. Expected failures come back
as a ``WriteResult``; none escapes as an exception.
"""

from __future__ import annotations

from dataclasses import replace

from console.accounts import AccessError
from console.device.record_keeper import (
    RecordBehind,
    RecordKeeper,
    WriteNotApplied,
    WriteOutcomeUnknown,
    outcome_unknown_advice,
)
from console.leads.integrity import LeadIntegrity, PreCheck, program_pairs, unmeasured_refusal
from console.leads.measure_first import MeasureProgress, keep_measurement, measure_first
from console.programming.program import NotRepresentable
from console.programming.request import WriteRequest
from console.programming.result import Ending, WriteResult
from console.safety import Assessment, SafetyEngine
from console.storage import Confirmation, RecordError
from device_link.client import DeviceClient
from device_link.errors import Aborted, DeviceLinkError, DeviceRefused, ReadBackMismatch
from device_link.program_record import ProgramRecord


def write_and_verify(client: DeviceClient, engine: SafetyEngine, request: WriteRequest,
                     keeper: RecordKeeper | None, integrity: LeadIntegrity | None = None,
                     progress: MeasureProgress | None = None) -> WriteResult:
    """Judge, measure what this connection has not (``integrity``: what it has), judge
    again, write and read back; as a recorded version when ``keeper`` is given."""
    refused = _refusal(engine.check_program(request.program), request)
    if refused is not None:
        return refused
    pairs = program_pairs(request.program)
    try:
        check = measure_first(client, integrity or LeadIntegrity(), pairs, engine.profile,
                              progress)
    except Aborted as exc:
        return WriteResult(Ending.MEASUREMENT_STOPPED, request.slot, str(exc))
    except DeviceRefused as exc:
        return WriteResult(Ending.MEASUREMENT_REFUSED, request.slot, str(exc))
    except DeviceLinkError as exc:
        return WriteResult(Ending.MEASUREMENT_FAILED, request.slot, str(exc))
    return replace(_after_measuring(client, engine, request, check, keeper), check=check)


def _after_measuring(client: DeviceClient, engine: SafetyEngine, request: WriteRequest,
                     check: PreCheck, keeper: RecordKeeper | None) -> WriteResult:
    slot = request.slot
    if keeper is not None:
        try:
            keep_measurement(client, keeper, check)
        except (RecordError, AccessError) as exc:
            return WriteResult(Ending.MEASUREMENT_NOT_STORED, slot, str(exc))
    pairs = program_pairs(request.program)
    refusal = unmeasured_refusal(check.integrity, pairs)
    if refusal is not None:
        return WriteResult(Ending.UNMEASURED, slot, refusal)
    impedances = check.integrity.engine_impedances(pairs)
    assessment = engine.check_program(request.program, impedances)
    refused = _refusal(assessment, request)
    if refused is not None:
        return refused
    acknowledged = request.consent.acknowledged(assessment)
    try:
        approved = engine.approve_program(request.program, impedances=impedances,
                                          acknowledged=acknowledged)
    except NotRepresentable as exc:
        return WriteResult(Ending.BLOCKED, slot, reasons=(str(exc),))
    if keeper is None:
        return _write_unrecorded(client, slot, approved)
    return _write_recorded(client, keeper, request, approved,
                           request.consent.confirmations(acknowledged))


def _refusal(assessment: Assessment, request: WriteRequest) -> WriteResult | None:
    """BLOCKED, or NEEDS_CONFIRMATION when the consent does not cover every finding."""
    if assessment.blocked:
        return WriteResult(Ending.BLOCKED, request.slot,
                           reasons=tuple(f.message for f in assessment.blocks))
    if not assessment.is_acknowledged_by(request.consent.acknowledged(assessment)):
        return WriteResult(Ending.NEEDS_CONFIRMATION, request.slot,
                           reasons=tuple(f.message for f in assessment.confirmations))
    return None


def _write_recorded(client: DeviceClient, keeper: RecordKeeper, request: WriteRequest,
                    approved: ProgramRecord, confirmations: list[Confirmation]) -> WriteResult:
    """The write as a version of the record: draft, written, then verified or failed."""
    assert client.identity is not None, "the client is not connected"
    slot = request.slot
    draft_id, parent_id = request.versions(confirmations)
    try:
        device = keeper.known_device(client.identity)
        written = keeper.write_program(
            client, slot, approved, reason=request.reason,
            expected_latest=keeper.latest_version_id(device.serial, slot),
            confirmations=confirmations, draft_id=draft_id, parent_id=parent_id)
    except WriteOutcomeUnknown as exc:
        return WriteResult(Ending.OUTCOME_UNKNOWN, slot, str(exc))
    except WriteNotApplied as exc:
        return WriteResult(Ending.NOT_APPLIED, slot, str(exc))
    except RecordBehind as exc:
        return WriteResult(Ending.RECORD_BEHIND, slot, str(exc))
    except (RecordError, AccessError) as exc:
        return WriteResult(Ending.NOT_SENT, slot, str(exc))
    return WriteResult(Ending.VERIFIED, slot, applied=written.applied, version=written.version)


def _write_unrecorded(client: DeviceClient, slot: int, approved: ProgramRecord) -> WriteResult:
    """Straight to the device, proven by the same byte-for-byte read-back."""
    try:
        applied = client.apply_program(slot, approved.encode())
    except (ReadBackMismatch, DeviceRefused) as exc:
        return WriteResult(Ending.NOT_APPLIED, slot, f"program NOT applied to slot {slot}: {exc}")
    except DeviceLinkError as exc:
        return WriteResult(Ending.OUTCOME_UNKNOWN, slot,
                           f"the link failed before the device confirmed the program ({exc}): "
                           f"outcome unknown, {outcome_unknown_advice(slot)}")
    return WriteResult(Ending.VERIFIED, slot, applied=applied)
