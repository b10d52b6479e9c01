"""The emulated device's protocol logic (MFL/1 sections 3–8): pure state, clock-driven.

``DeviceCore`` takes decoded request frames and returns the frames the device
sends (replies and events). It never blocks and does no I/O: time comes from an
injected clock, and work that takes time (a measurement, stimulation, timers) is
advanced by ``tick()`` whenever ``next_deadline()`` is reached. The caller
serialises calls (the engine holds one lock around it).

This module holds the reception rules every frame passes and the device's state;
each request family's handlers live in their own module and are mixed in here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from device_link.emulator.battery import Battery
from device_link.emulator.clock import Clock
from device_link.emulator.config import EmulatorConfig
from device_link.emulator.engineering import EngineeringAccess
from device_link.emulator.impedance_requests import ImpedanceRequests
from device_link.emulator.outgoing import Outgoing, Received, Remembered
from device_link.emulator.patient import LeadPatient
from device_link.emulator.program_requests import IMPLANT_PROGRAM, ProgramRequests
from device_link.emulator.scenarios import scenario
from device_link.emulator.session_requests import SessionRequests
from device_link.emulator.status_requests import StatusRequests
from device_link.emulator.stimulation import Measurement, Refusal, TestStim, Therapy
from device_link.emulator.stimulation_requests import TELEMETRY_PERIOD_S, StimulationRequests
from device_link.emulator.tissue import Tissue
from device_link.emulator.usage_log import UsageLog, generate_history
from device_link.frame import Frame, build_body
from device_link.messages import ErrorPayload, PayloadError
from device_link.program_record import ProgramRejected
from device_link.protocol import (
    HEADER_SIZE,
    MAC_SIZE,
    OPEN_OPCODES,
    SESSION_IDLE_TIMEOUT_S,
    STOP_REASON_NONE,
    DeviceState,
    ErrorCode,
    EventCode,
    Kind,
    LogCode,
    Opcode,
    StopReason,
)

__all__ = ["IMPLANT_PROGRAM", "DeviceCore", "Outgoing", "Received"]

_KNOWN_OPCODES = frozenset(int(op) for op in Opcode)


class DeviceCore(SessionRequests, ProgramRequests, StimulationRequests, ImpedanceRequests,
                 StatusRequests, EngineeringAccess):
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
        self._remembered: Remembered | None = None
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
        except ProgramRejected as rejected:  # a program's or a stimulus's rule broken
            reply = self._error(frame, ks,
                                Refusal(rejected.code, rejected.field_id, rejected.extra))
        except PayloadError:
            reply = self._error(frame, ks, Refusal(ErrorCode.BAD_LENGTH))
        else:
            if payload is None:  # answered later (measurement)
                return self._events
            reply = self._frame(Kind.RESPONSE, frame.seq, frame.opcode, payload, ks)
        self._remembered = Remembered(frame.seq, frame.opcode, reply, frame.signed)
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

    _handlers: ClassVar[dict[Opcode, Callable[[DeviceCore, Frame, float], bytes | None]]] = {
        Opcode.AUTH: SessionRequests._auth,
        Opcode.PING: StatusRequests._ping,
        Opcode.GET_STATUS: StatusRequests._get_status,
        Opcode.GET_LIMITS: StatusRequests._get_limits,
        Opcode.MEASURE_IMPEDANCE: ImpedanceRequests._measure_impedance,
        Opcode.READ_PROGRAM: ProgramRequests._read_program,
        Opcode.WRITE_PROGRAM: ProgramRequests._write_program,
        Opcode.TEST_STIM_START: StimulationRequests._test_stim_start,
        Opcode.TEST_STIM_ADJUST: StimulationRequests._test_stim_adjust,
        Opcode.THERAPY_START: StimulationRequests._therapy_start,
        Opcode.GET_LOG: StatusRequests._get_log,
        Opcode.SET_TIME: StatusRequests._set_time,
    }

    def _require_idle(self) -> None:
        if self.state != DeviceState.IDLE:
            raise Refusal(ErrorCode.BUSY, self.state)

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
