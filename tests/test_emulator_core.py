"""The emulator's device core driven frame by frame with a manual clock (no waiting)."""

from __future__ import annotations

import itertools
import secrets
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device_link import auth
from device_link.emulator import EmulatorConfig, ManualClock
from device_link.emulator.core import IMPLANT_PROGRAM, DeviceCore
from device_link.frame import Frame, build_body, parse_body
from device_link.framing import Discarded, FrameDecoder
from device_link.keystore import PairingKey
from device_link.messages import (
    AuthRequest,
    ErrorPayload,
    FaultEvent,
    GetLogRequest,
    ImpedanceProgress,
    ImpedanceResult,
    LogPage,
    SlotRequest,
    StimStopped,
    StimTelemetry,
    TestStimStart,
    TherapyStartResponse,
)
from device_link.program_record import LeadRecord, ProgramRecord
from device_link.protocol import (
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
from tests.emulator_harness import BareConsole

KEY = bytes(range(32))


class CoreDriver(BareConsole):
    """A console talking straight to a ``DeviceCore``; time moves only on ``advance``."""

    def __init__(self, **overrides: object) -> None:
        self.clock = ManualClock()
        options: dict[str, object] = {"key": PairingKey(KEY), "history_end": 1_800_000_000,
                                      "log_entries": 20}
        options.update(overrides)
        self.core = DeviceCore(EmulatorConfig(**options), self.clock)  # type: ignore[arg-type]
        self.key = KEY
        self.seq = 0
        self.ks: bytes | None = None
        self.events: list[Frame] = []
        self.last_received = None

    def send(self, opcode: int, payload: bytes = b"", *, seq: int | None = None,
             ks: bytes | bool | None = True) -> list[Frame]:
        if seq is None:
            self.seq += 1
            seq = self.seq
        key = self.ks if ks is True else (ks or None)
        frame = parse_body(build_body(Kind.REQUEST, seq, opcode, payload, key))
        self.last_received = self.core.receive(frame)
        return self._sort([out.frame for out in self.last_received.outputs])

    def _sort(self, frames: list[Frame]) -> list[Frame]:
        replies = [f for f in frames if f.kind != Kind.EVENT]
        self.events += [f for f in frames if f.kind == Kind.EVENT]
        return replies

    def request(self, opcode: int, payload: bytes = b"", **options: object) -> Frame:
        replies = self.send(opcode, payload, **options)  # type: ignore[arg-type]
        assert len(replies) == 1, replies
        return replies[0]

    def advance(self, seconds: float) -> list[Frame]:
        self.clock.advance(seconds)
        return self._sort([out.frame for out in self.core.tick()])

    def ping_every(self, seconds: float, *, times: int) -> None:
        """Let ``seconds`` pass ``times`` over, each ended by a PING that feeds the watchdog."""
        for _ in range(times):
            self.advance(seconds)
            self.request(Opcode.PING)

    def take_events(self, code: int) -> list[Frame]:
        taken = [f for f in self.events if f.opcode == code]
        self.events = [f for f in self.events if f.opcode != code]
        return taken


def error(frame: Frame) -> ErrorPayload:
    assert frame.kind == Kind.ERROR, frame
    return ErrorPayload.decode(frame.payload)


def test_signed_in_session_and_each_event_carries_a_mac():
    d = CoreDriver()
    d.authenticate()
    reply = d.request(Opcode.GET_STATUS)
    assert reply.mac_valid(d.ks)
    d.request(Opcode.SET_TIME, struct.pack("<I", 1_700_000_000))
    (fault,) = d.take_events(EventCode.FAULT)
    assert fault.mac_valid(d.ks)
    assert FaultEvent.decode(fault.payload).fault_flags & FaultFlag.CLOCK_NOT_SET == 0


def test_lockout_after_five_failures_reports_seconds_left_and_expires():
    d = CoreDriver()
    identity = d.hello()
    bad = AuthRequest(bytes(16), bytes(16)).encode()
    for _ in range(5):
        assert error(d.request(Opcode.AUTH, bad)).code == ErrorCode.AUTH_FAILED
    locked = error(d.request(Opcode.AUTH, bad))
    assert (locked.code, locked.extra) == (ErrorCode.LOCKED_OUT, 60)
    d.advance(20.5)
    nonce_c = bytes(16)
    good = AuthRequest(nonce_c, auth.console_tag(KEY, identity.nonce_d, nonce_c)).encode()
    still = error(d.request(Opcode.AUTH, good))
    assert (still.code, still.extra) == (ErrorCode.LOCKED_OUT, 40)
    d.advance(40)
    assert d.request(Opcode.AUTH, good).kind == Kind.RESPONSE
    codes = [e.code for e in d.core.log.entries()]
    assert codes.count(LogCode.AUTH_FAILED) == 5 and codes.count(LogCode.AUTH_LOCKED) == 1


def test_successful_auth_resets_the_failure_count():
    d = CoreDriver()
    d.hello()
    for _ in range(4):
        d.request(Opcode.AUTH, AuthRequest(bytes(16), bytes(16)).encode())
    d.authenticate()
    d.hello()
    reply = d.request(Opcode.AUTH, AuthRequest(bytes(16), bytes(16)).encode())
    assert error(reply).code == ErrorCode.AUTH_FAILED  # one failure, not the sixth


def test_session_ends_after_300_s_without_a_valid_frame():
    d = CoreDriver()
    d.authenticate()
    d.advance(299)
    assert d.request(Opcode.PING).kind == Kind.RESPONSE  # a valid frame restarts the 300 s
    d.advance(299)
    d.send(Opcode.PING, ks=secrets.token_bytes(32))  # bad MAC: discarded, keeps nothing alive
    d.advance(1.5)
    assert not d.core.in_session
    assert error(d.request(Opcode.GET_STATUS)).code == ErrorCode.NOT_AUTHENTICATED


def test_measurement_takes_time_and_reports_progress():
    d = CoreDriver(measure_ms=30)
    d.authenticate()
    assert d.send(Opcode.MEASURE_IMPEDANCE, bytes([3, 0])) == []
    assert d.core.state == DeviceState.MEASURING
    assert d.advance(0.029) == []
    d.advance(0.002)
    progress = [ImpedanceProgress.decode(f.payload) for f in d.take_events(
        EventCode.IMPEDANCE_PROGRESS)]
    assert [(p.done, p.total) for p in progress] == [(1, 8)]
    (reply,) = d.advance(0.030 * 7)
    result = ImpedanceResult.decode(reply.payload)
    assert [(r.lead, r.electrode_a, r.electrode_b) for r in result.records] == \
        [(lead, e, None) for lead in (0, 1) for e in range(4)]
    assert len(d.take_events(EventCode.IMPEDANCE_PROGRESS)) == 7
    assert d.core.state == DeviceState.IDLE


def test_retransmitted_measurement_is_not_restarted_and_then_answered_from_memory():
    d = CoreDriver(measure_ms=30)
    d.authenticate()
    seq = d.seq + 1
    d.send(Opcode.MEASURE_IMPEDANCE, bytes([1, 1]), seq=seq)
    d.advance(0.1)
    assert d.send(Opcode.MEASURE_IMPEDANCE, bytes([1, 1]), seq=seq) == []
    (reply,) = d.advance(0.1)
    again = d.request(Opcode.MEASURE_IMPEDANCE, bytes([1, 1]), seq=seq)
    assert again.payload == reply.payload and d.core.state == DeviceState.IDLE


def test_stop_during_measurement_aborts_it():
    d = CoreDriver(measure_ms=30)
    d.authenticate()
    measure_seq = d.seq + 1
    d.send(Opcode.MEASURE_IMPEDANCE, bytes([3, 1]))
    d.advance(0.07)
    replies = d.send(Opcode.STOP)
    assert replies[0].opcode == Opcode.STOP and replies[0].payload == bytes([DeviceState.MEASURING])
    assert replies[1].seq == measure_seq and error(replies[1]).code == ErrorCode.ABORTED
    assert d.advance(1.0) == [] and d.core.state == DeviceState.IDLE
    retransmitted = d.request(Opcode.MEASURE_IMPEDANCE, bytes([3, 1]), seq=measure_seq)
    assert error(retransmitted).code == ErrorCode.ABORTED


def _start_test(d: CoreDriver, amp: int = 500, duration: int = 30) -> None:
    reply = d.request(Opcode.TEST_STIM_START,
                      TestStimStart(0, 2, 1, 20, 214, amp, duration).encode())
    assert reply.kind == Kind.RESPONSE, reply


def test_watchdog_stops_test_stimulation_unless_fed():
    d = CoreDriver()
    d.authenticate()
    _start_test(d)
    d.advance(0.9)
    d.request(Opcode.PING)
    d.advance(0.9)
    assert d.core.state == DeviceState.TEST_STIM
    d.advance(0.2)
    (stopped,) = d.take_events(EventCode.STIM_STOPPED)
    assert StimStopped.decode(stopped.payload).reason == StopReason.WATCHDOG
    assert d.status().last_stop_reason == StopReason.WATCHDOG


def test_discarded_frames_do_not_feed_the_watchdog():
    d = CoreDriver()
    d.authenticate()
    _start_test(d)
    d.advance(0.9)
    d.send(Opcode.PING, ks=False)  # unsigned in session: discarded
    d.advance(0.2)
    assert d.core.state == DeviceState.IDLE
    assert d.status().link_errors == 1


def test_test_stimulation_ends_when_its_duration_elapses():
    d = CoreDriver()
    d.authenticate()
    _start_test(d, duration=2)
    d.ping_every(0.5, times=4)
    (stopped,) = d.take_events(EventCode.STIM_STOPPED)
    assert StimStopped.decode(stopped.payload).reason == StopReason.DURATION_ELAPSED
    entries = d.log_entries()
    assert (entries[-2].code, entries[-2].a, entries[-2].b) == (LogCode.TEST_STIM_START, 0, 500)
    assert (entries[-1].code, entries[-1].a) == (LogCode.STIM_STOPPED,
                                                 StopReason.DURATION_ELAPSED)


def test_telemetry_is_sent_ten_times_a_second_per_active_lead():
    d = CoreDriver()
    d.authenticate()
    _start_test(d, amp=800)
    d.ping_every(0.1, times=10)
    telemetry = [StimTelemetry.decode(f.payload) for f in d.take_events(
        EventCode.STIM_TELEMETRY)]
    assert len(telemetry) == 10
    assert {(t.lead, t.phase, t.amp_set_ua, t.amp_delivered_ua) for t in telemetry} == \
        {(0, StimPhase.ON, 800, 800)}


def _write(d: CoreDriver, slot: int, program: ProgramRecord) -> Frame:
    return d.request(Opcode.WRITE_PROGRAM, bytes([slot]) + program.encode())


def test_therapy_session_cycles_ramps_and_completes():
    d = CoreDriver(time_scale=10.0)  # a one-minute session lasts six seconds
    d.authenticate()
    program = ProgramRecord((LeadRecord(1, 0, 1, 2000, 200), LeadRecord()), freq_hz=20,
                            ramp_up_ds=20, ramp_down_ds=20, on_ds=100, off_ds=100,
                            session_min=1)
    assert _write(d, 1, program).kind == Kind.RESPONSE
    reply = d.request(Opcode.THERAPY_START, SlotRequest(1).encode())
    assert TherapyStartResponse.decode(reply.payload).session_s == 60
    status = d.status()
    assert (status.state, status.active_slot, status.therapy_remaining_s) == (
        DeviceState.THERAPY, 1, 60)
    for _ in range(20):
        d.advance(0.1)
    telemetry = [StimTelemetry.decode(f.payload) for f in d.take_events(
        EventCode.STIM_TELEMETRY)]
    # one sample per second of session: ramp up (0-2 s), on (2-8), ramp down (8-10), off (10-20)
    phases = [t.phase for t in telemetry]
    assert {StimPhase.RAMP_UP, StimPhase.ON, StimPhase.RAMP_DOWN, StimPhase.OFF} <= set(phases)
    assert all(t.lead == 0 for t in telemetry)
    assert max(t.amp_set_ua for t in telemetry) == 2000
    assert all(t.amp_set_ua == 0 for t in telemetry if t.phase == StimPhase.OFF)
    assert d.take_events(EventCode.STIM_STOPPED) == []
    d.advance(4.0)
    (stopped,) = d.take_events(EventCode.STIM_STOPPED)
    assert StimStopped.decode(stopped.payload).reason == StopReason.SESSION_COMPLETE
    end = d.log_entries()[-1]
    assert (end.code, end.a, end.b, end.c) == (LogCode.THERAPY_END, 1,
                                               StopReason.SESSION_COMPLETE, 60)


def test_write_program_is_busy_only_for_the_slot_in_therapy():
    d = CoreDriver()
    d.authenticate()
    d.request(Opcode.THERAPY_START, SlotRequest(0).encode())
    busy = error(_write(d, 0, IMPLANT_PROGRAM))
    assert (busy.code, busy.detail) == (ErrorCode.BUSY, DeviceState.THERAPY)
    assert _write(d, 2, IMPLANT_PROGRAM).kind == Kind.RESPONSE
    replies = d.send(Opcode.STOP)
    assert replies[0].payload == bytes([DeviceState.THERAPY])
    end = d.log_entries()[-1]
    assert (end.code, end.a, end.b) == (LogCode.THERAPY_END, 0, StopReason.STOP_REQUEST)


def test_hello_ends_session_and_test_stimulation_but_not_therapy():
    d = CoreDriver()
    d.authenticate()
    _start_test(d)
    d.hello()
    (stopped,) = d.take_events(EventCode.STIM_STOPPED)
    assert StimStopped.decode(stopped.payload).reason == StopReason.STOP_REQUEST
    assert not d.core.in_session
    d.authenticate()
    d.request(Opcode.THERAPY_START, SlotRequest(0).encode())
    d.hello()
    assert d.core.state == DeviceState.THERAPY


def test_hello_drops_a_measurement_of_the_previous_connection():
    d = CoreDriver(measure_ms=30)
    d.authenticate()
    d.send(Opcode.MEASURE_IMPEDANCE, bytes([3, 1]))
    d.hello()
    assert d.advance(1.0) == [] and d.core.state == DeviceState.IDLE


def test_unsigned_auth_retransmission_in_session_is_answered_from_memory():
    d = CoreDriver()
    identity = d.hello()
    nonce_c = secrets.token_bytes(16)
    payload = AuthRequest(nonce_c, auth.console_tag(KEY, identity.nonce_d, nonce_c)).encode()
    first = d.request(Opcode.AUTH, payload, seq=2)
    again = d.request(Opcode.AUTH, payload, seq=2)
    assert again == first and d.core.in_session


def test_device_clock_and_clock_set_log_entry():
    d = CoreDriver()
    d.authenticate()
    assert d.status().device_time == 0
    d.request(Opcode.SET_TIME, struct.pack("<I", 1_700_000_000))
    d.advance(5)
    assert d.status().device_time == 1_700_000_005
    d.request(Opcode.SET_TIME, struct.pack("<I", 1_700_100_000))
    entry = d.log_entries()[-1]
    assert (entry.code, entry.time, entry.c) == (LogCode.CLOCK_SET, 1_700_100_000,
                                                 1_700_000_005)


def test_battery_low_raises_flag_fault_event_and_log_entry():
    d = CoreDriver()
    d.authenticate()
    outputs = d._sort([o.frame for o in d.core.set_battery(10)])
    assert outputs == []
    (fault,) = d.take_events(EventCode.FAULT)
    assert FaultEvent.decode(fault.payload).fault_flags & FaultFlag.BATTERY_LOW
    status = d.status()
    assert status.battery_pct == 10 and status.fault_flags & FaultFlag.BATTERY_LOW
    entry = d.log_entries()[-1]
    assert (entry.code, entry.a) == (LogCode.BATTERY_LOW, 10)


def test_stimulation_drains_the_battery():
    d = CoreDriver(time_scale=1.0)
    d.authenticate()
    before = d.core.battery.percent
    d.request(Opcode.THERAPY_START, SlotRequest(0).encode())
    for _ in range(60):
        d.advance(10)
    assert d.core.battery.percent < before


def test_reboot_ends_everything_and_logs_a_boot():
    d = CoreDriver()
    d.authenticate()
    _start_test(d)
    d.core.reboot()
    assert d.core.state == DeviceState.IDLE and not d.core.in_session
    assert error(d.request(Opcode.GET_STATUS)).code == ErrorCode.NOT_AUTHENTICATED
    assert d.core.log.entries()[-1].code == LogCode.BOOT


def test_usage_history_is_deterministic_and_sized_as_asked():
    first = CoreDriver(log_entries=10_000, seed=7).core.log.entries()
    second = CoreDriver(log_entries=10_000, seed=7).core.log.entries()
    assert len(first) == 10_000 and first == second
    assert first != CoreDriver(log_entries=10_000, seed=8).core.log.entries()
    assert [e.index for e in first] == list(range(10_000))
    assert all(a.time <= b.time for a, b in itertools.pairwise(first))
    codes = {e.code for e in first}
    assert {LogCode.BOOT, LogCode.PROGRAM_WRITTEN, LogCode.THERAPY_START,
            LogCode.THERAPY_END} <= codes


def test_log_page_bounds():
    d = CoreDriver(log_entries=50)
    d.authenticate()
    page = LogPage.decode(d.request(Opcode.GET_LOG, GetLogRequest(40, 30).encode()).payload)
    assert page.total == 50 and [e.index for e in page.entries] == list(range(40, 50))
    empty = LogPage.decode(d.request(Opcode.GET_LOG, GetLogRequest(500, 5).encode()).payload)
    assert empty.entries == ()
    for count, limit in ((0, 1), (31, 30)):
        refused = error(d.request(Opcode.GET_LOG, GetLogRequest(0, count).encode()))
        assert (refused.code, refused.extra) == (ErrorCode.OUT_OF_RANGE, limit)


@settings(max_examples=300, deadline=None)
@given(chunks=st.lists(st.binary(max_size=700), max_size=8))
def test_random_bytes_never_crash_the_device(chunks):
    d = CoreDriver()
    decoder = FrameDecoder()
    d.authenticate()
    for chunk in chunks:
        for item in decoder.feed_with_discards(chunk):
            if isinstance(item, Discarded):
                d.core.count_link_error()
            else:
                d.core.receive(item)
    # Whatever came before, a fresh HELLO and AUTH still work.
    decoder.feed(b"\x00")
    d.authenticate()
    assert d.status().state in set(DeviceState)


@pytest.mark.parametrize("opcode, payload", [
    (Opcode.GET_STATUS, b"\x00"), (Opcode.GET_LIMITS, b"\x00"), (Opcode.PING, b"\x01"),
    (Opcode.MEASURE_IMPEDANCE, b"\x03"), (Opcode.READ_PROGRAM, b""),
    (Opcode.WRITE_PROGRAM, bytes(28)), (Opcode.TEST_STIM_START, bytes(9)),
    (Opcode.TEST_STIM_ADJUST, b"\x01"), (Opcode.THERAPY_START, b"\x00\x00"),
    (Opcode.GET_LOG, bytes(4)), (Opcode.SET_TIME, bytes(5)), (Opcode.HELLO, b""),
    (Opcode.AUTH, bytes(31)),
])
def test_wrong_payload_sizes_get_bad_length(opcode, payload):
    d = CoreDriver()
    d.authenticate()
    assert error(d.request(opcode, payload)).code == ErrorCode.BAD_LENGTH
    assert d.core.in_session


def test_stop_with_a_wrong_size_still_stops():
    d = CoreDriver()
    d.authenticate()
    _start_test(d)
    replies = d.send(Opcode.STOP, b"\x01")
    assert error(replies[0]).code == ErrorCode.BAD_LENGTH
    assert d.core.state == DeviceState.IDLE
