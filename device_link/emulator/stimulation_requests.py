"""Stimulation requests and their effects: test stimulation, therapy, STOP (MFL/1 section 5).

Also what stimulation does while it runs: telemetry events, battery drain, and the
one place where every kind of stimulation ends and is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from device_link.emulator.outgoing import Outgoing
from device_link.emulator.stimulation import Refusal, TestStim, Therapy, validate_test_start
from device_link.emulator.tissue import ELECTRODES, LEADS, deliver
from device_link.frame import Frame
from device_link.messages import (
    Amplitude,
    SlotRequest,
    StimStopped,
    StimTelemetry,
    StopResponse,
    TestStimStart,
    TherapyStartResponse,
)
from device_link.program_record import ProgramRecord
from device_link.protocol import (
    OHMS_OPEN,
    ErrorCode,
    EventCode,
    Kind,
    LogCode,
    StimPhase,
    StopReason,
)

if TYPE_CHECKING:
    from device_link.emulator.core import DeviceCore

TELEMETRY_PERIOD_S = 0.1


@dataclass(frozen=True, slots=True)
class LeadDrive:
    """One lead's stimulation at this instant."""

    lead: int
    phase: StimPhase
    set_ua: int
    anode: int
    cathode: int
    pw_us: int
    freq_hz: int


class StimulationRequests:
    """Starting, adjusting, running and stopping stimulation; mixed into ``DeviceCore``."""

    def _stop(self: DeviceCore, frame: Frame, now: float, ks: bytes | None) -> list[Outgoing]:
        """STOP: always executed, ahead of everything; its reply jumps the output queue."""
        previous = self.state
        self._abort_measurement()
        self._stop_stimulation(StopReason.STOP_REQUEST, now)
        if frame.payload:
            reply = self._error(frame, ks, Refusal(ErrorCode.BAD_LENGTH))
        else:
            reply = self._frame(Kind.RESPONSE, frame.seq, frame.opcode,
                                StopResponse(previous).encode(), ks)
        return [Outgoing(reply.frame, reply.body, urgent=True), *self._events]

    def _stop_stimulation(self: DeviceCore, reason: StopReason, now: float) -> None:
        test, therapy = self._test, self._therapy
        if test is None and therapy is None:
            return
        if test is not None:
            self._log(now, LogCode.STIM_STOPPED, int(reason))
        if therapy is not None:
            self._log(now, LogCode.THERAPY_END, therapy.slot, int(reason),
                      round(therapy.elapsed_s(now)))
        self._account_battery(now)
        self._test = self._therapy = None
        self._next_telemetry = None
        self.last_stop_reason = int(reason)
        self.last_stop_at = now
        self._event(EventCode.STIM_STOPPED, StimStopped(reason).encode())

    def _test_stim_start(self: DeviceCore, frame: Frame, now: float) -> bytes:
        request = TestStimStart.decode(frame.payload)
        self._require_idle()
        validate_test_start(request, self.limits, LEADS, ELECTRODES)
        self._test = TestStim(request.lead, request.anode, request.cathode, request.freq_hz,
                              request.pw_us, request.amp_ua, now, now + request.duration_s)
        self._start_stimulation(now)
        self._log(now, LogCode.TEST_STIM_START, request.lead, request.amp_ua)
        return b""

    def _test_stim_adjust(self: DeviceCore, frame: Frame, now: float) -> bytes:
        request = Amplitude.decode(frame.payload)
        if self._test is None:
            raise Refusal(ErrorCode.INVALID_STATE, self.state)
        self._test.adjust(request.amp_ua, self.limits)
        return Amplitude(self._test.amp_ua).encode()

    def _therapy_start(self: DeviceCore, frame: Frame, now: float) -> bytes:
        slot = SlotRequest.decode(frame.payload).slot
        self._check_slot(slot)
        self._require_idle()
        program = ProgramRecord.decode(self._stored_program(slot))
        self._therapy = Therapy(slot, program, now, self.config.time_scale)
        self._start_stimulation(now)
        self._log(now, LogCode.THERAPY_START, slot, 1)
        return TherapyStartResponse(self._therapy.session_s).encode()

    def _start_stimulation(self: DeviceCore, now: float) -> None:
        self._compliance = False
        self._last_account = now
        self._next_telemetry = now + TELEMETRY_PERIOD_S

    def _drives(self: DeviceCore, now: float) -> list[LeadDrive]:
        """What each stimulating lead is doing now."""
        if self._test is not None:
            t = self._test
            return [LeadDrive(t.lead, StimPhase.ON, t.amp_ua, t.anode, t.cathode, t.pw_us,
                               t.freq_hz)]
        therapy = self._therapy
        if therapy is None:
            return []
        phase, fraction = therapy.phase(now)
        return [LeadDrive(lead, phase, therapy.lead_amp_ua(lead, fraction,
                                                            self.limits.amp_step_ua),
                           record.anode, record.cathode, record.pw_us, therapy.program.freq_hz)
                for lead, record in enumerate(therapy.program.leads) if record.enabled]

    def _telemetry(self: DeviceCore, now: float) -> None:
        for drive in self._drives(now):
            ohms = self.tissue.measure(drive.lead, drive.anode, drive.cathode, now)
            delivery = deliver(drive.set_ua, ohms, self.limits.compliance_mv)
            if delivery.limited:
                self._compliance = True
            if drive.set_ua > 0 and ohms == OHMS_OPEN:
                self._lead_fault[drive.lead] = True
            self._event(EventCode.STIM_TELEMETRY,
                        StimTelemetry(drive.lead, drive.phase, delivery.set_ua,
                                      delivery.delivered_ua, delivery.load_mv).encode())

    def _account_battery(self: DeviceCore, now: float) -> None:
        """Drain the battery for the stimulation delivered since the last call."""
        seconds = now - self._last_account
        self._last_account = now
        if seconds > 0 and self._test is not None:
            t = self._test
            self.battery.drain(seconds, t.amp_ua, t.pw_us, t.freq_hz)
        elif seconds > 0 and self._therapy is not None:
            therapy = self._therapy
            for lead in therapy.program.leads:
                self.battery.drain(seconds * therapy.time_scale * therapy.duty, lead.amp_ua,
                                   lead.pw_us, therapy.program.freq_hz)
        if self.battery.low and not self._battery_low_logged:
            self._battery_low_logged = True
            self._log(now, LogCode.BATTERY_LOW, self.battery.pct)
        if self.battery.percent <= 0 and (self._test or self._therapy):
            self._stop_stimulation(StopReason.FAULT, now)
