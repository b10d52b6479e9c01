"""MEASURE_IMPEDANCE: a measurement that takes time and answers when it is done (section 5).

The request only starts it; the clock advances it one electrode pair at a time with
progress events, and STOP or HELLO can end it before its reply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from device_link.emulator.outgoing import Remembered
from device_link.emulator.stimulation import (
    FIELD_LEAD_MASK,
    FIELD_MODE,
    Measurement,
    Refusal,
    measurement_plan,
)
from device_link.emulator.tissue import in_normal_range
from device_link.frame import Frame
from device_link.messages import (
    ImpedanceProgress,
    ImpedanceRecord,
    ImpedanceResult,
    MeasureImpedanceRequest,
)
from device_link.protocol import OHMS_OPEN, ErrorCode, EventCode, Kind, LogCode, Opcode

if TYPE_CHECKING:
    from device_link.emulator.core import DeviceCore


class ImpedanceRequests:
    """Starting, stepping, finishing and aborting a measurement; mixed into ``DeviceCore``."""

    def _measure_impedance(self: DeviceCore, frame: Frame, now: float) -> None:
        request = MeasureImpedanceRequest.decode(frame.payload)
        self._require_idle()
        if not 1 <= request.lead_mask <= 3:
            raise Refusal(ErrorCode.OUT_OF_RANGE, FIELD_LEAD_MASK,
                          1 if request.lead_mask == 0 else 3)
        if request.mode > 1:
            raise Refusal(ErrorCode.OUT_OF_RANGE, FIELD_MODE, 1)
        plan = measurement_plan(request.lead_mask, request.mode)
        self._measurement = Measurement(frame.seq, plan, now + self.config.measure_ms / 1000)

    def _abort_measurement(self: DeviceCore) -> None:
        measurement = self._measurement
        if measurement is None:
            return
        self._measurement = None
        reply = self._error_for(measurement.seq, Opcode.MEASURE_IMPEDANCE, self._ks,
                                Refusal(ErrorCode.ABORTED))
        self._remembered = Remembered(measurement.seq, Opcode.MEASURE_IMPEDANCE, reply, b"")
        self._events.append(reply)

    def _advance_measurement(self: DeviceCore, now: float) -> None:
        measurement = self._measurement
        step = self.config.measure_ms / 1000
        while measurement is not None and measurement.next_at <= now:
            lead, a, b = measurement.plan[len(measurement.results)]
            measurement.results.append((lead, a, b,
                                        self.tissue.measure(lead, a, b, measurement.next_at)))
            self._event(EventCode.IMPEDANCE_PROGRESS,
                        ImpedanceProgress(len(measurement.results),
                                          len(measurement.plan)).encode())
            if measurement.done:
                self._finish_measurement(measurement, now)
                return
            measurement.next_at += step

    def _finish_measurement(self: DeviceCore, measurement: Measurement, now: float) -> None:
        self._measurement = None
        for lead in {lead for lead, _, _, _ in measurement.results}:
            self._lead_fault[lead] = False
        for lead, a, _b, ohms in measurement.results:
            if not in_normal_range(ohms):
                self._lead_fault[lead] = True
                self._log(now, LogCode.IMPEDANCE_ALERT, lead * 16 + a, ohms)
        records = tuple(ImpedanceRecord(lead, a, b, None if ohms == OHMS_OPEN else ohms)
                        for lead, a, b, ohms in measurement.results)
        reply = self._frame(Kind.RESPONSE, measurement.seq, Opcode.MEASURE_IMPEDANCE,
                            ImpedanceResult(records).encode(), self._ks)
        self._remembered = Remembered(measurement.seq, Opcode.MEASURE_IMPEDANCE, reply, b"")
        self._events.append(reply)
