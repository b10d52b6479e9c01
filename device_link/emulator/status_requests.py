"""PING, GET_STATUS, GET_LIMITS, GET_LOG, SET_TIME: what the device reports about itself.

The usage log, the device clock, the fault flags and the status record are kept
here, with the FAULT event sent whenever the flags change.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from device_link.emulator.outgoing import Outgoing
from device_link.emulator.stimulation import FIELD_LOG_COUNT, Refusal
from device_link.frame import Frame
from device_link.messages import (
    Empty,
    FaultEvent,
    GetLogRequest,
    PingResponse,
    SetTimeRequest,
    Status,
)
from device_link.protocol import MAX_LOG_PAGE, SLOT_NONE, ErrorCode, EventCode, FaultFlag, LogCode

if TYPE_CHECKING:
    from device_link.emulator.core import DeviceCore


class StatusRequests:
    """The log, the clock, the fault flags and the status; mixed into ``DeviceCore``."""

    def _ping(self: DeviceCore, frame: Frame, now: float) -> bytes:
        Empty.decode(frame.payload)
        return PingResponse(self.uptime_ms(now)).encode()

    def _get_status(self: DeviceCore, frame: Frame, now: float) -> bytes:
        Empty.decode(frame.payload)
        return self.status(now).encode()

    def _get_limits(self: DeviceCore, frame: Frame, now: float) -> bytes:
        Empty.decode(frame.payload)
        return self.limits.encode()

    def _get_log(self: DeviceCore, frame: Frame, now: float) -> bytes:
        request = GetLogRequest.decode(frame.payload)
        if not 1 <= request.max_count <= MAX_LOG_PAGE:
            raise Refusal(ErrorCode.OUT_OF_RANGE, FIELD_LOG_COUNT,
                          1 if request.max_count == 0 else MAX_LOG_PAGE)
        entries = self.log.page(request.first_index, request.max_count)
        return struct.pack("<IB", self.log.total, len(entries)) + b"".join(entries)

    def _set_time(self: DeviceCore, frame: Frame, now: float) -> bytes:
        request = SetTimeRequest.decode(frame.payload)
        old = self.device_time(now)
        self._time_base = request.unix_seconds
        self._time_set_at = now if request.unix_seconds else None
        self._log(now, LogCode.CLOCK_SET, c=old)
        return b""

    def _log(self: DeviceCore, now: float, code: LogCode, a: int = 0, b: int = 0,
             c: int = 0) -> None:
        self.log.append(self.device_time(now), code, a, b, c)

    def uptime_ms(self: DeviceCore, now: float) -> int:
        return int((now - self._boot_time) * 1000) & 0xFFFFFFFF

    def device_time(self: DeviceCore, now: float) -> int:
        if self._time_set_at is None:
            return 0
        return (self._time_base + int(now - self._time_set_at)) & 0xFFFFFFFF

    def fault_flags(self: DeviceCore) -> int:
        flags = FaultFlag(0)
        if self.battery.low:
            flags |= FaultFlag.BATTERY_LOW
        if self._lead_fault[0]:
            flags |= FaultFlag.LEAD0_IMPEDANCE
        if self._lead_fault[1]:
            flags |= FaultFlag.LEAD1_IMPEDANCE
        if self._compliance:
            flags |= FaultFlag.COMPLIANCE_LIMIT
        if self._time_set_at is None:
            flags |= FaultFlag.CLOCK_NOT_SET
        return int(flags)

    def _report_faults(self: DeviceCore, out: list[Outgoing]) -> None:
        flags = self.fault_flags()
        if flags != self._reported_flags:
            self._reported_flags = flags
            self._events = []
            self._event(EventCode.FAULT, FaultEvent(flags).encode())
            out += self._events
            self._events = []

    def status(self: DeviceCore, now: float) -> Status:
        therapy = self._therapy
        return Status(
            state=self.state, battery_pct=self.battery.pct, battery_mv=self.battery.mv,
            active_slot=therapy.slot if therapy else SLOT_NONE,
            last_stop_reason=self.last_stop_reason,
            therapy_remaining_s=therapy.remaining_s(now) if therapy else 0,
            device_time=self.device_time(now), fault_flags=self.fault_flags(),
            link_errors=self.link_errors,
            test_amp_ua=self._test.amp_ua if self._test else 0)
