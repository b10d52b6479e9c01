"""The emulated device's protocol logic (MFL/1 sections 3–8): pure state, clock-driven.

``DeviceCore`` takes decoded request frames and returns the frames the device
sends (replies and events). It never blocks and does no I/O: time comes from an
injected clock, and work that takes time (a measurement, stimulation, timers) is
advanced by ``tick()`` whenever ``next_deadline()`` is reached. The caller
serialises calls (the engine holds one lock around it).
"""

from __future__ import annotations

import math
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from ..auth import console_tag, device_tag, session_key, tags_equal
from ..crc import crc16_ccitt_false
from ..frame import Frame, build_body
from ..messages import (
    Amplitude,
    AuthRequest,
    AuthResponse,
    Empty,
    ErrorPayload,
    FaultEvent,
    GetLogRequest,
    HelloRequest,
    Identity,
    ImpedanceProgress,
    ImpedanceRecord,
    ImpedanceResult,
    MeasureImpedanceRequest,
    PayloadError,
    PingResponse,
    ReadProgramResponse,
    SetTimeRequest,
    SlotRequest,
    Status,
    StimStopped,
    StimTelemetry,
    StopResponse,
    TestStimStart,
    TherapyStartResponse,
    WriteProgramRequest,
    WriteProgramResponse,
)
from ..program_record import LeadRecord, ProgramRecord, ProgramRejected, validate_program
from ..protocol import (
    AUTH_LOCKOUT_FAILURES,
    AUTH_LOCKOUT_S,
    BIPOLAR_PAIRS,
    HEADER_SIZE,
    MAC_SIZE,
    MAX_LOG_PAGE,
    OHMS_OPEN,
    OPEN_OPCODES,
    PROTOCOL_VERSION,
    SESSION_IDLE_TIMEOUT_S,
    SLOT_NONE,
    STOP_REASON_NONE,
    DeviceState,
    ErrorCode,
    EventCode,
    FaultFlag,
    Kind,
    LogCode,
    Opcode,
    StimPhase,
    StopReason,
)
from .battery import Battery
from .clock import Clock
from .config import EmulatorConfig
from .patient import LeadPatient
from .scenarios import scenario
from .stimulation import (
    FIELD_LEAD_MASK,
    FIELD_LOG_COUNT,
    FIELD_MODE,
    FIELD_SLOT,
    Measurement,
    Refusal,
    TestStim,
    Therapy,
    measurement_plan,
    validate_test_start,
)
from .tissue import ELECTRODES, LEADS, Tissue, deliver, in_normal_range
from .usage_log import UsageLog, generate_history

TELEMETRY_PERIOD_S = 0.1
_KNOWN_OPCODES = frozenset(int(op) for op in Opcode)

# The program written to slot 0 at implant (the usage history refers to it).
IMPLANT_PROGRAM = ProgramRecord(
    leads=(LeadRecord(1, 2, 1, 4000, 214), LeadRecord(1, 1, 2, 4500, 214)),
    freq_hz=20, ramp_up_ds=5, ramp_down_ds=5, on_ds=100, off_ds=200, session_min=30)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A frame the device sends; ``urgent`` ones go ahead of queued output (STOP's reply)."""

    frame: Frame
    body: bytes
    urgent: bool = False


@dataclass(slots=True)
class Received:
    """What the device made of one incoming frame, for the port and the trace.

    ``mac_valid`` is None when no session key could check it, ``note`` says why a
    frame was discarded or answered unusually.
    """

    outputs: list[Outgoing]
    mac_valid: bool | None
    note: str = ""
    discarded: bool = False


@dataclass(frozen=True, slots=True)
class _Remembered:
    seq: int
    opcode: int
    reply: Outgoing
    request: bytes


@dataclass(frozen=True, slots=True)
class _LeadDrive:
    """One lead's stimulation at this instant."""

    lead: int
    phase: StimPhase
    set_ua: int
    anode: int
    cathode: int
    pw_us: int
    freq_hz: int


class DeviceCore:
    """One implantable pulse generator as seen through its MFL/1 port."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.limits = config.limits
        chosen = scenario(config.scenario)
        self.patients: tuple[LeadPatient, LeadPatient] = chosen.patients
        self.tissue = Tissue.seeded(config.seed)
        for lead, electrode in chosen.open_contacts + config.open_contacts:
            self.tissue.set_open(lead, electrode)
        for lead, a, b in chosen.shorts + config.shorts:
            self.tissue.short(lead, a, b)
        percent = chosen.battery_percent if config.battery_percent is None \
            else config.battery_percent
        self.battery = Battery(percent)
        self.log = UsageLog(max(config.log_capacity, config.log_entries))
        self.programs: dict[int, bytes] = {}
        # Wall time only dates the usage history; the device's clock starts unset.
        end = config.history_end if config.history_end is not None else int(time.time())
        self._load_history(end)
        self._time_base = 0
        self._time_set_at: float | None = None
        now = clock.now()
        self._boot(now)
        self._battery_low_logged = self.battery.low
        self._last_account = now
        self._reported_flags = self.fault_flags()

    def _load_history(self, end_time: int) -> None:
        program = IMPLANT_PROGRAM
        history = generate_history(self.config.log_entries, end_time, self.config.seed,
                                   program.crc, program.session_min * 60)
        for entry in history:
            self.log.append(*entry)
            if entry[1] == LogCode.PROGRAM_WRITTEN:
                self.programs[0] = program.encode()

    def _boot(self, now: float) -> None:
        """Power-on state: what survives a reboot is the log, the programs and the clock."""
        self._boot_time = now
        self._ks: bytes | None = None
        self._nonce_d: bytes | None = None
        self._session_seen = now
        self._last_seq: int | None = None
        self._remembered: _Remembered | None = None
        self._auth_failures = 0
        self._locked_until: float | None = None
        self._event_seq = 0
        self.link_errors = 0
        self.last_stop_reason = STOP_REASON_NONE
        self.last_stop_at: float | None = None
        self._last_feed = now
        self._test: TestStim | None = None
        self._therapy: Therapy | None = None
        self._measurement: Measurement | None = None
        self._next_telemetry: float | None = None
        self._lead_fault = [False, False]
        self._compliance = False
        self._events: list[Outgoing] = []

    # -- public: frames in, frames out -----------------------------------------------------

    @property
    def state(self) -> DeviceState:
        if self._measurement is not None:
            return DeviceState.MEASURING
        if self._test is not None:
            return DeviceState.TEST_STIM
        if self._therapy is not None:
            return DeviceState.THERAPY
        return DeviceState.IDLE

    @property
    def in_session(self) -> bool:
        return self._ks is not None

    def receive(self, frame: Frame) -> Received:
        """Act on one decoded frame; timers that fell due before it are run first."""
        now = self.clock.now()
        before: list[Outgoing] = []
        self._advance(now, before)
        self._events = []
        received = self._receive(frame, now)
        received.outputs = before + received.outputs
        self._report_faults(received.outputs)
        return received

    def count_link_error(self) -> None:
        """A frame the de-framer discarded (COBS, CRC, length, version)."""
        self.link_errors = min(0xFFFF, self.link_errors + 1)

    def tick(self) -> list[Outgoing]:
        """Run everything that is due now: measurement steps, timers, telemetry."""
        out: list[Outgoing] = []
        self._advance(self.clock.now(), out)
        self._report_faults(out)
        return out

    def next_deadline(self) -> float | None:
        """When ``tick`` next has work to do (clock seconds), or None."""
        times: list[float] = []
        if self._measurement is not None:
            times.append(self._measurement.next_at)
        if self._test is not None:
            times.append(min(self._watchdog_at(), self._test.ends_at))
        if self._therapy is not None:
            times.append(self._therapy.ends_at)
        if self._next_telemetry is not None:
            times.append(self._next_telemetry)
        if self._ks is not None:
            times.append(self._session_seen + SESSION_IDLE_TIMEOUT_S)
        return min(times) if times else None

    # -- reception rules (sections 3 and 4) --------------------------------------------------

    def _receive(self, frame: Frame, now: float) -> Received:
        if frame.kind != Kind.REQUEST:
            self.count_link_error()
            return Received([], None, f"discarded: {frame.kind.name} from the console", True)
        ks = self._ks
        mac_valid = None if ks is None else frame.mac_valid(ks)
        valid = ks is None or bool(mac_valid)
        if frame.opcode == Opcode.STOP:
            if valid:
                self._feed(now)
            note = "" if valid else "executed although its MAC is not valid"
            return Received(self._stop(frame, now, ks), mac_valid, note)
        if frame.opcode == Opcode.HELLO:
            return Received(self._hello(frame, now, ks), mac_valid)
        if not valid:
            if self._is_auth_retransmission(frame):
                assert self._remembered is not None
                return Received([self._remembered.reply], mac_valid,
                                "AUTH retransmission: answered from memory")
            self.count_link_error()
            reason = "no MAC" if frame.mac is None else "bad MAC"
            return Received([], mac_valid, f"discarded: {reason} in session", True)
        self._feed(now)
        remembered = self._remembered
        if remembered and remembered.seq == frame.seq and remembered.opcode == frame.opcode:
            return Received([remembered.reply], mac_valid,
                            "retransmission: answered from memory")
        measuring = self._measurement
        if measuring and measuring.seq == frame.seq and frame.opcode == Opcode.MEASURE_IMPEDANCE:
            return Received([], mac_valid, "retransmission: measurement in progress")
        if ks is not None and self._last_seq is not None and frame.seq <= self._last_seq:
            return Received([self._error(frame, ks, Refusal(ErrorCode.REPLAY))], mac_valid,
                            "replay")
        if ks is not None:
            self._last_seq = frame.seq
        return Received(self._execute(frame, now, ks), mac_valid)

    def _execute(self, frame: Frame, now: float, ks: bytes | None) -> list[Outgoing]:
        try:
            if frame.opcode not in _KNOWN_OPCODES:
                raise Refusal(ErrorCode.UNKNOWN_OPCODE)
            if ks is None and frame.opcode not in OPEN_OPCODES:
                raise Refusal(ErrorCode.NOT_AUTHENTICATED)
            payload = self._handlers[Opcode(frame.opcode)](self, frame, now)
        except Refusal as refusal:
            reply = self._error(frame, ks, refusal)
        except PayloadError:
            reply = self._error(frame, ks, Refusal(ErrorCode.BAD_LENGTH))
        else:
            if payload is None:  # answered later (measurement)
                return self._events
            reply = self._frame(Kind.RESPONSE, frame.seq, frame.opcode, payload, ks)
        self._remembered = _Remembered(frame.seq, frame.opcode, reply, frame.signed)
        return [reply, *self._events]

    def _is_auth_retransmission(self, frame: Frame) -> bool:
        """The unsigned AUTH whose RESPONSE (our first session frame) the console missed."""
        remembered = self._remembered
        return (remembered is not None and remembered.opcode == Opcode.AUTH
                and remembered.seq == frame.seq and frame.opcode == Opcode.AUTH
                and frame.mac is None and frame.signed == remembered.request)

    def _feed(self, now: float) -> None:
        """A valid frame: feeds the watchdog and keeps the session alive."""
        self._last_feed = now
        self._session_seen = now

    def _watchdog_at(self) -> float:
        return self._last_feed + self.limits.watchdog_ms / 1000

    def _end_session(self) -> None:
        self._ks = None
        self._last_seq = None
        self._remembered = None

    # -- frame building ------------------------------------------------------------------------

    def _frame(self, kind: Kind, seq: int, opcode: int, payload: bytes, ks: bytes | None,
               urgent: bool = False) -> Outgoing:
        body = build_body(kind, seq, opcode, payload, ks)
        end = HEADER_SIZE + len(payload)
        mac = body[end:end + MAC_SIZE] if ks is not None else None
        return Outgoing(Frame(kind, seq, opcode, payload, mac, body[:end]), body, urgent)

    def _error(self, frame: Frame, ks: bytes | None, refusal: Refusal) -> Outgoing:
        return self._error_for(frame.seq, frame.opcode, ks, refusal)

    def _error_for(self, seq: int, opcode: int, ks: bytes | None, refusal: Refusal) -> Outgoing:
        payload = ErrorPayload(refusal.code, refusal.detail, refusal.extra).encode()
        return self._frame(Kind.ERROR, seq, opcode, payload, ks)

    def _event(self, code: EventCode, payload: bytes) -> None:
        self._event_seq = (self._event_seq + 1) & 0xFFFF
        self._events.append(self._frame(Kind.EVENT, self._event_seq, code, payload, self._ks))

    # -- HELLO, AUTH, STOP: the requests outside the ordinary rules ------------------------

    def _hello(self, frame: Frame, now: float, ks: bytes | None) -> list[Outgoing]:
        try:
            HelloRequest.decode(frame.payload)
        except PayloadError:
            return [self._error(frame, ks, Refusal(ErrorCode.BAD_LENGTH))]
        self._end_session()
        self._measurement = None  # its reply belonged to the connection that just ended
        if self._test is not None:
            self._stop_stimulation(StopReason.STOP_REQUEST, now)
        self._nonce_d = os.urandom(16)
        identity = Identity(PROTOCOL_VERSION, self.config.model, self.config.serial,
                            self.config.firmware, self._nonce_d, LEADS, ELECTRODES,
                            self.config.program_slots)
        return [self._frame(Kind.RESPONSE, frame.seq, frame.opcode, identity.encode(), None),
                *self._events]

    def _stop(self, frame: Frame, now: float, ks: bytes | None) -> list[Outgoing]:
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

    def _abort_measurement(self) -> None:
        measurement = self._measurement
        if measurement is None:
            return
        self._measurement = None
        reply = self._error_for(measurement.seq, Opcode.MEASURE_IMPEDANCE, self._ks,
                                Refusal(ErrorCode.ABORTED))
        self._remembered = _Remembered(measurement.seq, Opcode.MEASURE_IMPEDANCE, reply, b"")
        self._events.append(reply)

    def _stop_stimulation(self, reason: StopReason, now: float) -> None:
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

    def _auth(self, frame: Frame, now: float) -> bytes:
        request = AuthRequest.decode(frame.payload)
        if self._locked_until is not None:
            if now < self._locked_until:
                raise Refusal(ErrorCode.LOCKED_OUT, 0, math.ceil(self._locked_until - now))
            self._locked_until = None
            self._auth_failures = 0
        key = self.config.key.reveal()
        nonce_d = self._nonce_d
        if nonce_d is None or not tags_equal(request.tag_c,
                                             console_tag(key, nonce_d, request.nonce_c)):
            self._auth_failures += 1
            self._log(now, LogCode.AUTH_FAILED)
            if self._auth_failures >= AUTH_LOCKOUT_FAILURES:
                self._locked_until = now + AUTH_LOCKOUT_S
                self._log(now, LogCode.AUTH_LOCKED)
            raise Refusal(ErrorCode.AUTH_FAILED)
        self._auth_failures = 0
        self._nonce_d = None
        self._ks = session_key(key, nonce_d, request.nonce_c)
        self._session_seen = now
        self._last_seq = frame.seq
        return AuthResponse(device_tag(key, request.nonce_c, nonce_d)).encode()

    # -- ordinary requests (section 5) -------------------------------------------------------

    def _ping(self, frame: Frame, now: float) -> bytes:
        Empty.decode(frame.payload)
        return PingResponse(self.uptime_ms(now)).encode()

    def _get_status(self, frame: Frame, now: float) -> bytes:
        Empty.decode(frame.payload)
        return self.status(now).encode()

    def _get_limits(self, frame: Frame, now: float) -> bytes:
        Empty.decode(frame.payload)
        return self.limits.encode()

    def _measure_impedance(self, frame: Frame, now: float) -> None:
        request = MeasureImpedanceRequest.decode(frame.payload)
        self._require_idle()
        if not 1 <= request.lead_mask <= 3:
            raise Refusal(ErrorCode.OUT_OF_RANGE, FIELD_LEAD_MASK,
                          1 if request.lead_mask == 0 else 3)
        if request.mode > 1:
            raise Refusal(ErrorCode.OUT_OF_RANGE, FIELD_MODE, 1)
        plan = measurement_plan(request.lead_mask, request.mode)
        self._measurement = Measurement(frame.seq, plan, now + self.config.measure_ms / 1000)

    def _read_program(self, frame: Frame, now: float) -> bytes:
        slot = SlotRequest.decode(frame.payload).slot
        raw = self._stored_program(slot)
        return ReadProgramResponse(slot, raw, crc16_ccitt_false(raw)).encode()

    def _write_program(self, frame: Frame, now: float) -> bytes:
        request = WriteProgramRequest.decode(frame.payload)
        self._check_slot(request.slot)
        state = self.state
        if state in (DeviceState.TEST_STIM, DeviceState.MEASURING) or (
                self._therapy is not None and self._therapy.slot == request.slot):
            raise Refusal(ErrorCode.BUSY, state)
        try:
            validate_program(request.program, self.limits, ELECTRODES)
        except ProgramRejected as rejected:
            raise Refusal(rejected.code, rejected.field_id, rejected.extra) from None
        self.programs[request.slot] = request.program
        crc = crc16_ccitt_false(request.program)
        self._log(now, LogCode.PROGRAM_WRITTEN, request.slot, crc)
        return WriteProgramResponse(request.slot, crc).encode()

    def _test_stim_start(self, frame: Frame, now: float) -> bytes:
        request = TestStimStart.decode(frame.payload)
        self._require_idle()
        validate_test_start(request, self.limits, LEADS, ELECTRODES)
        self._test = TestStim(request.lead, request.anode, request.cathode, request.freq_hz,
                              request.pw_us, request.amp_ua, now, now + request.duration_s)
        self._start_stimulation(now)
        self._log(now, LogCode.TEST_STIM_START, request.lead, request.amp_ua)
        return b""

    def _test_stim_adjust(self, frame: Frame, now: float) -> bytes:
        request = Amplitude.decode(frame.payload)
        if self._test is None:
            raise Refusal(ErrorCode.INVALID_STATE, self.state)
        self._test.adjust(request.amp_ua, self.limits)
        return Amplitude(self._test.amp_ua).encode()

    def _therapy_start(self, frame: Frame, now: float) -> bytes:
        slot = SlotRequest.decode(frame.payload).slot
        self._check_slot(slot)
        self._require_idle()
        program = ProgramRecord.decode(self._stored_program(slot))
        self._therapy = Therapy(slot, program, now, self.config.time_scale)
        self._start_stimulation(now)
        self._log(now, LogCode.THERAPY_START, slot, 1)
        return TherapyStartResponse(self._therapy.session_s).encode()

    def _get_log(self, frame: Frame, now: float) -> bytes:
        request = GetLogRequest.decode(frame.payload)
        if not 1 <= request.max_count <= MAX_LOG_PAGE:
            raise Refusal(ErrorCode.OUT_OF_RANGE, FIELD_LOG_COUNT,
                          1 if request.max_count == 0 else MAX_LOG_PAGE)
        entries = self.log.page(request.first_index, request.max_count)
        return struct.pack("<IB", self.log.total, len(entries)) + b"".join(entries)

    def _set_time(self, frame: Frame, now: float) -> bytes:
        request = SetTimeRequest.decode(frame.payload)
        old = self.device_time(now)
        self._time_base = request.unix_seconds
        self._time_set_at = now if request.unix_seconds else None
        self._log(now, LogCode.CLOCK_SET, c=old)
        return b""

    _handlers: ClassVar[dict[Opcode, Callable[[DeviceCore, Frame, float], bytes | None]]] = {
        Opcode.AUTH: _auth,
        Opcode.PING: _ping,
        Opcode.GET_STATUS: _get_status,
        Opcode.GET_LIMITS: _get_limits,
        Opcode.MEASURE_IMPEDANCE: _measure_impedance,
        Opcode.READ_PROGRAM: _read_program,
        Opcode.WRITE_PROGRAM: _write_program,
        Opcode.TEST_STIM_START: _test_stim_start,
        Opcode.TEST_STIM_ADJUST: _test_stim_adjust,
        Opcode.THERAPY_START: _therapy_start,
        Opcode.GET_LOG: _get_log,
        Opcode.SET_TIME: _set_time,
    }

    def _require_idle(self) -> None:
        if self.state != DeviceState.IDLE:
            raise Refusal(ErrorCode.BUSY, self.state)

    def _check_slot(self, slot: int) -> None:
        if slot >= self.config.program_slots:
            raise Refusal(ErrorCode.OUT_OF_RANGE, FIELD_SLOT, self.config.program_slots - 1)

    def _stored_program(self, slot: int) -> bytes:
        self._check_slot(slot)
        try:
            return self.programs[slot]
        except KeyError:
            raise Refusal(ErrorCode.NOT_FOUND) from None

    def _start_stimulation(self, now: float) -> None:
        self._compliance = False
        self._last_account = now
        self._next_telemetry = now + TELEMETRY_PERIOD_S

    # -- time: measurement, stimulation, telemetry, session ----------------------------------

    def _advance(self, now: float, out: list[Outgoing]) -> None:
        self._events = []
        if self._ks is not None and now >= self._session_seen + SESSION_IDLE_TIMEOUT_S:
            self._end_session()
        self._account_battery(now)
        self._advance_measurement(now)
        test = self._test
        if test is not None:
            watchdog_at = self._watchdog_at()
            if min(watchdog_at, test.ends_at) <= now:
                reason = StopReason.WATCHDOG if watchdog_at < test.ends_at \
                    else StopReason.DURATION_ELAPSED
                self._stop_stimulation(reason, min(watchdog_at, test.ends_at))
        therapy = self._therapy
        if therapy is not None and now >= therapy.ends_at:
            self._stop_stimulation(StopReason.SESSION_COMPLETE, now)
        if self._next_telemetry is not None and now >= self._next_telemetry:
            self._telemetry(now)
            self._next_telemetry += TELEMETRY_PERIOD_S
            if self._next_telemetry <= now:
                self._next_telemetry = now + TELEMETRY_PERIOD_S
        out += self._events
        self._events = []

    def _advance_measurement(self, now: float) -> None:
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

    def _finish_measurement(self, measurement: Measurement, now: float) -> None:
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
        self._remembered = _Remembered(measurement.seq, Opcode.MEASURE_IMPEDANCE, reply, b"")
        self._events.append(reply)

    def _drives(self, now: float) -> list[_LeadDrive]:
        """What each stimulating lead is doing now."""
        if self._test is not None:
            t = self._test
            return [_LeadDrive(t.lead, StimPhase.ON, t.amp_ua, t.anode, t.cathode, t.pw_us,
                               t.freq_hz)]
        therapy = self._therapy
        if therapy is None:
            return []
        phase, fraction = therapy.phase(now)
        return [_LeadDrive(lead, phase, therapy.lead_amp_ua(lead, fraction,
                                                            self.limits.amp_step_ua),
                           record.anode, record.cathode, record.pw_us, therapy.program.freq_hz)
                for lead, record in enumerate(therapy.program.leads) if record.enabled]

    def _telemetry(self, now: float) -> None:
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

    def _account_battery(self, now: float) -> None:
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

    # -- state -----------------------------------------------------------------------------------

    def _log(self, now: float, code: LogCode, a: int = 0, b: int = 0, c: int = 0) -> None:
        self.log.append(self.device_time(now), code, a, b, c)

    def uptime_ms(self, now: float) -> int:
        return int((now - self._boot_time) * 1000) & 0xFFFFFFFF

    def device_time(self, now: float) -> int:
        if self._time_set_at is None:
            return 0
        return (self._time_base + int(now - self._time_set_at)) & 0xFFFFFFFF

    def fault_flags(self) -> int:
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

    def _report_faults(self, out: list[Outgoing]) -> None:
        flags = self.fault_flags()
        if flags != self._reported_flags:
            self._reported_flags = flags
            self._events = []
            self._event(EventCode.FAULT, FaultEvent(flags).encode())
            out += self._events
            self._events = []

    def status(self, now: float) -> Status:
        therapy = self._therapy
        return Status(
            state=self.state, battery_pct=self.battery.pct, battery_mv=self.battery.mv,
            active_slot=therapy.slot if therapy else SLOT_NONE,
            last_stop_reason=self.last_stop_reason,
            therapy_remaining_s=therapy.remaining_s(now) if therapy else 0,
            device_time=self.device_time(now), fault_flags=self.fault_flags(),
            link_errors=self.link_errors,
            test_amp_ua=self._test.amp_ua if self._test else 0)

    # -- engineering access (control channel) -----------------------------------------------

    def observe(self) -> dict[str, object]:
        """The simulated observation: what a person watching the patient would see."""
        now = self.clock.now()
        drives = {drive.lead: drive for drive in self._drives(now)}
        leads = []
        for lead in range(LEADS):
            drive = drives.get(lead)
            entry: dict[str, object] = {"lead": lead, "active": drive is not None,
                                        "phase": "OFF", "anode": None, "cathode": None,
                                        "amp_set_ua": 0, "amp_delivered_ua": 0, "pw_us": 0,
                                        "freq_hz": 0, "contraction": 0.0, "unwanted": []}
            if drive is not None:
                ohms = self.tissue.measure(lead, drive.anode, drive.cathode, now)
                delivery = deliver(drive.set_ua, ohms, self.limits.compliance_mv)
                strength, unwanted = self.patients[lead].respond(
                    drive.anode, drive.cathode, drive.pw_us, delivery.delivered_ua)
                entry.update(phase=drive.phase.name, anode=drive.anode, cathode=drive.cathode,
                             amp_set_ua=delivery.set_ua,
                             amp_delivered_ua=delivery.delivered_ua, pw_us=drive.pw_us,
                             freq_hz=drive.freq_hz, contraction=round(strength, 3),
                             unwanted=unwanted)
            leads.append(entry)
        return {"state": self.state.name, "leads": leads}

    def snapshot(self) -> dict[str, object]:
        now = self.clock.now()
        status = self.status(now)
        test, therapy = self._test, self._therapy
        locked = 0 if self._locked_until is None else max(0, math.ceil(self._locked_until - now))
        return {
            "state": self.state.name, "session": self.in_session,
            "uptime_ms": self.uptime_ms(now), "device_time": status.device_time,
            "battery_pct": status.battery_pct, "battery_mv": status.battery_mv,
            "fault_flags": status.fault_flags, "link_errors": status.link_errors,
            "active_slot": status.active_slot, "last_stop_reason": status.last_stop_reason,
            "last_stop_t": self.last_stop_at,
            "therapy_remaining_s": status.therapy_remaining_s,
            "test_stim": None if test is None else {
                "lead": test.lead, "anode": test.anode, "cathode": test.cathode,
                "freq_hz": test.freq_hz, "pw_us": test.pw_us, "amp_ua": test.amp_ua,
                "remaining_s": max(0.0, round(test.ends_at - now, 3))},
            "therapy": None if therapy is None else {
                "slot": therapy.slot, "elapsed_s": round(therapy.elapsed_s(now), 1),
                "session_s": therapy.session_s},
            "programs": sorted(self.programs), "log_total": self.log.total,
            "auth_failures": self._auth_failures, "locked_out_s": locked,
            "serial": self.config.serial, "scenario": self.config.scenario,
        }

    def stored_programs(self) -> dict[str, object]:
        """Every written slot's 28 program bytes (hex) and CRC: what the device really holds."""
        return {"slots": [{"slot": slot, "program": raw.hex(), "crc": crc16_ccitt_false(raw)}
                          for slot, raw in sorted(self.programs.items())]}

    def patient_table(self, pw_us: int) -> dict[str, object]:
        if pw_us <= 0:
            raise ValueError(f"pulse width must be positive, got {pw_us}")
        return {"pw_us": pw_us,
                "leads": [{"lead": lead, "pairs": patient.thresholds(pw_us, ELECTRODES)}
                          for lead, patient in enumerate(self.patients)]}

    def impedances(self) -> dict[str, object]:
        now = self.clock.now()
        leads = []
        for lead in range(LEADS):
            leads.append({
                "lead": lead,
                "monopolar": [self.tissue.measure(lead, e, None, now) for e in range(ELECTRODES)],
                "bipolar": [{"electrodes": [a, b], "ohms": self.tissue.measure(lead, a, b, now)}
                            for a, b in BIPOLAR_PAIRS],
            })
        return {"leads": leads, **self.tissue.summary(now)}

    def set_battery(self, percent: float) -> list[Outgoing]:
        if not 0 <= percent <= 100:
            raise ValueError(f"battery percent must be 0..100, got {percent}")
        self.battery.percent = percent
        if not self.battery.low:
            self._battery_low_logged = False  # crossing the threshold again is logged again
        return self.tick()

    def reboot(self) -> list[Outgoing]:
        """Power cycle: session, stimulation and measurement end without a word."""
        now = self.clock.now()
        self._account_battery(now)
        self._boot(now)
        self._log(now, LogCode.BOOT)
        self._reported_flags = self.fault_flags()
        return []
