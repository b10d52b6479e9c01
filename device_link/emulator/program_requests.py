"""READ_PROGRAM and WRITE_PROGRAM: the device's program slots (MFL/1 sections 5 and 7).

Slot checks are shared with THERAPY_START, which runs a stored program.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from device_link.crc import crc16_ccitt_false
from device_link.emulator.stimulation import FIELD_SLOT, Refusal
from device_link.emulator.tissue import ELECTRODES
from device_link.frame import Frame
from device_link.messages import (
    ReadProgramResponse,
    SlotRequest,
    WriteProgramRequest,
    WriteProgramResponse,
)
from device_link.program_record import LeadRecord, ProgramRecord, validate_program
from device_link.protocol import DeviceState, ErrorCode, LogCode

if TYPE_CHECKING:
    from device_link.emulator.core import DeviceCore

# The program written to slot 0 at implant (the usage history refers to it).
IMPLANT_PROGRAM = ProgramRecord(
    leads=(LeadRecord(1, 2, 1, 4000, 214), LeadRecord(1, 1, 2, 4500, 214)),
    freq_hz=20, ramp_up_ds=5, ramp_down_ds=5, on_ds=100, off_ds=200, session_min=30)


class ProgramRequests:
    """Reading, writing and looking up stored programs; mixed into ``DeviceCore``."""

    def _read_program(self: DeviceCore, frame: Frame, now: float) -> bytes:
        slot = SlotRequest.decode(frame.payload).slot
        raw = self._stored_program(slot)
        return ReadProgramResponse(slot, raw, crc16_ccitt_false(raw)).encode()

    def _write_program(self: DeviceCore, frame: Frame, now: float) -> bytes:
        request = WriteProgramRequest.decode(frame.payload)
        self._check_slot(request.slot)
        state = self.state
        if state in (DeviceState.TEST_STIM, DeviceState.MEASURING) or (
                self._therapy is not None and self._therapy.slot == request.slot):
            raise Refusal(ErrorCode.BUSY, state)
        validate_program(request.program, self.limits, ELECTRODES)
        self.programs[request.slot] = request.program
        crc = crc16_ccitt_false(request.program)
        self._log(now, LogCode.PROGRAM_WRITTEN, request.slot, crc)
        return WriteProgramResponse(request.slot, crc).encode()

    def _check_slot(self: DeviceCore, slot: int) -> None:
        if slot >= self.config.program_slots:
            raise Refusal(ErrorCode.OUT_OF_RANGE, FIELD_SLOT, self.config.program_slots - 1)

    def _stored_program(self: DeviceCore, slot: int) -> bytes:
        self._check_slot(slot)
        try:
            return self.programs[slot]
        except KeyError:
            raise Refusal(ErrorCode.NOT_FOUND) from None
