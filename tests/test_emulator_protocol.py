"""Every MFL/1 device rule, checked with raw frames over the emulator's real pseudo-terminal."""

from __future__ import annotations

import random
import secrets
import struct
from collections.abc import Iterator

import pytest

from device_link import auth
from device_link.crc import crc16_ccitt_false
from device_link.emulator import EmulatorConfig, EmulatorServer
from device_link.emulator.core import IMPLANT_PROGRAM
from device_link.frame import Frame, build_wire
from device_link.keystore import PairingKey
from device_link.messages import (
    Amplitude,
    AuthRequest,
    GetLogRequest,
    ImpedanceProgress,
    ImpedanceResult,
    Limits,
    LogPage,
    ReadProgramResponse,
    SlotRequest,
    Status,
    StimStopped,
    StimTelemetry,
    StopResponse,
    TestStimStart,
    WriteProgramResponse,
)
from device_link.program_record import LeadRecord, ProgramRecord
from device_link.protocol import (
    OHMS_OPEN,
    DeviceState,
    ErrorCode,
    EventCode,
    FaultFlag,
    Kind,
    LogCode,
    Opcode,
    StopReason,
)
from tests.emulator_harness import RawLink, assert_error

KEY = secrets.token_bytes(32)


def _server(**overrides: object) -> EmulatorServer:
    options: dict[str, object] = {"key": PairingKey(KEY), "log_entries": 40}
    options.update(overrides)
    return EmulatorServer(EmulatorConfig(**options))  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with _server() as running:
        yield running


@pytest.fixture
def link(server: EmulatorServer) -> Iterator[RawLink]:
    with RawLink(server.port, KEY) as raw:
        assert raw.authenticate().kind == Kind.RESPONSE
        yield raw


def _start_test(link: RawLink, amp: int = 500, duration: int = 60, lead: int = 0) -> None:
    reply = link.request(Opcode.TEST_STIM_START,
                         TestStimStart(lead, 2, 1, 20, 214, amp, duration).encode())
    assert reply.kind == Kind.RESPONSE, reply


# -- authentication ---------------------------------------------------------------------------

def test_hello_identity_and_fresh_nonce(server):
    with RawLink(server.port) as raw:
        first, second = raw.hello(), raw.hello()
    assert (first.model, first.serial, first.firmware) == ("EMU-IPG", "EMU-000001", "1.0.0")
    assert (first.leads, first.electrodes_per_lead, first.program_slots) == (2, 4, 4)
    assert first.nonce_d != second.nonce_d


def test_mutual_authentication_and_signed_replies(link):
    reply = link.request(Opcode.GET_STATUS)
    assert reply.has_mac and reply.mac_valid(link.ks)


def test_wrong_tag_is_refused_and_five_failures_lock_out(server):
    with RawLink(server.port) as raw:
        identity = raw.hello()
        for _ in range(5):
            reply = raw.request(Opcode.AUTH, AuthRequest(bytes(16), bytes(16)).encode())
            assert_error(reply, ErrorCode.AUTH_FAILED)
        nonce_c = bytes(16)  # now even the correct tag is refused
        tag = auth.console_tag(KEY, identity.nonce_d, nonce_c)
        locked = assert_error(raw.request(Opcode.AUTH, AuthRequest(nonce_c, tag).encode()),
                              ErrorCode.LOCKED_OUT)
        assert 55 <= locked.extra <= 60
    assert server.state()["locked_out_s"] > 0


def test_open_requests_work_without_a_session_and_others_do_not(server):
    with RawLink(server.port) as raw:
        raw.hello()
        assert raw.request(Opcode.PING).kind == Kind.RESPONSE
        assert raw.request(Opcode.STOP).kind == Kind.RESPONSE
        for opcode, payload in ((Opcode.GET_STATUS, b""), (Opcode.GET_LIMITS, b""),
                                (Opcode.READ_PROGRAM, b"\x00"), (Opcode.SET_TIME, bytes(4))):
            assert_error(raw.request(opcode, payload), ErrorCode.NOT_AUTHENTICATED)


def test_unknown_opcode(link):
    assert_error(link.request(0x55), ErrorCode.UNKNOWN_OPCODE)


# -- MAC, replay, retransmission --------------------------------------------------------------

def test_frames_without_a_valid_mac_are_discarded_and_counted(link):
    errors_before = link.status().link_errors
    unsigned = link.send(Opcode.GET_STATUS, sign=False)
    forged = link.send(Opcode.GET_STATUS, ks=secrets.token_bytes(32))
    ping = link.send(Opcode.PING)
    reply = link.reply(ping)  # the two bad frames got no reply at all
    assert reply.opcode == Opcode.PING and unsigned < forged < ping
    assert link.status().link_errors == errors_before + 2


def test_corrupted_frames_are_counted_as_link_errors(link):
    wire = bytearray(build_wire(Kind.REQUEST, link.next_seq(), Opcode.PING, b"", link.ks))
    wire[4] = 0x55 if wire[4] != 0x55 else 0x56  # still no delimiter inside the frame
    link.send_wire(bytes(wire))
    link.send_wire(b"\x00\x00\x05\x01\x02\x00")  # empty frames are ignored, garbage counted
    assert link.status().link_errors == 2


def test_replayed_seq_is_refused(link):
    seq = link.send(Opcode.PING)
    link.reply(seq)
    link.reply(link.send(Opcode.GET_STATUS))
    assert_error(link.request(Opcode.PING, seq=seq), ErrorCode.REPLAY)
    assert_error(link.request(Opcode.GET_LIMITS, seq=seq - 1), ErrorCode.REPLAY)


def test_retransmitted_write_is_answered_from_memory_not_executed_again(link):
    program = bytes([2]) + IMPLANT_PROGRAM.encode()
    seq = link.send(Opcode.WRITE_PROGRAM, program)
    first = link.reply(seq)
    again = link.request(Opcode.WRITE_PROGRAM, program, seq=seq)
    assert again == first
    written = [e for e in link.log_entries() if e.code == LogCode.PROGRAM_WRITTEN and e.a == 2]
    assert len(written) == 1


def test_stop_does_not_spoil_the_remembered_reply(link):
    program = bytes([3]) + IMPLANT_PROGRAM.encode()
    seq = link.send(Opcode.WRITE_PROGRAM, program)
    first = link.reply(seq)
    assert link.request(Opcode.STOP).kind == Kind.RESPONSE
    assert link.request(Opcode.WRITE_PROGRAM, program, seq=seq) == first


def test_hello_resets_the_remembered_reply(server):
    with RawLink(server.port) as raw:
        raw.hello()
        seq = raw.send(Opcode.PING)
        first = raw.reply(seq)
        assert raw.request(Opcode.PING, seq=seq) == first  # outside a session too
        raw.hello()
        assert raw.request(Opcode.PING, seq=seq).kind == Kind.RESPONSE
    pings = [e["note"] for e in server.trace()["entries"]
             if e["dir"] == "rx" and e["opcode"] == "PING"]
    assert pings == ["", "retransmission: answered from memory", ""]


def test_stop_is_executed_whatever_its_mac(link):
    _start_test(link)
    reply = link.request(Opcode.STOP, sign=False)
    assert StopResponse.decode(reply.payload).previous_state == DeviceState.TEST_STIM
    assert reply.mac_valid(link.ks)  # still in session: the reply is signed
    stopped = link.event(EventCode.STIM_STOPPED)
    assert StimStopped.decode(stopped.payload).reason == StopReason.STOP_REQUEST
    assert link.status().state == DeviceState.IDLE


def test_hello_with_a_mac_is_accepted_and_ends_the_session_and_test_stim(link):
    _start_test(link)
    reply = link.request(Opcode.HELLO, b"\x01")  # signed with the session key
    assert reply.kind == Kind.RESPONSE and not reply.has_mac
    assert StimStopped.decode(link.event(EventCode.STIM_STOPPED).payload).reason == 0
    assert_error(link.request(Opcode.GET_STATUS), ErrorCode.NOT_AUTHENTICATED)


# -- payload sizes, state rules ---------------------------------------------------------------

@pytest.mark.parametrize("opcode, payload", [
    (Opcode.GET_STATUS, b"\x00"), (Opcode.MEASURE_IMPEDANCE, b"\x03"),
    (Opcode.WRITE_PROGRAM, bytes(30)), (Opcode.TEST_STIM_START, bytes(11)),
    (Opcode.TEST_STIM_ADJUST, b""), (Opcode.GET_LOG, bytes(4)), (Opcode.SET_TIME, b""),
])
def test_bad_length(link, opcode, payload):
    assert_error(link.request(opcode, payload), ErrorCode.BAD_LENGTH)


def test_busy_and_invalid_state(link):
    assert_error(link.request(Opcode.TEST_STIM_ADJUST, Amplitude(600).encode()),
                 ErrorCode.INVALID_STATE, detail=DeviceState.IDLE)
    _start_test(link)
    for opcode, payload in ((Opcode.MEASURE_IMPEDANCE, bytes([1, 0])),
                            (Opcode.WRITE_PROGRAM, bytes([1]) + IMPLANT_PROGRAM.encode()),
                            (Opcode.THERAPY_START, b"\x00"),
                            (Opcode.TEST_STIM_START, TestStimStart(1, 0, 1, 20, 214, 0, 5)
                             .encode())):
        assert_error(link.request(opcode, payload), ErrorCode.BUSY, detail=DeviceState.TEST_STIM)
    link.request(Opcode.STOP)
    assert link.request(Opcode.THERAPY_START, b"\x00").kind == Kind.RESPONSE
    assert_error(link.request(Opcode.TEST_STIM_ADJUST, Amplitude(600).encode()),
                 ErrorCode.INVALID_STATE, detail=DeviceState.THERAPY)
    assert_error(link.request(Opcode.MEASURE_IMPEDANCE, bytes([1, 0])), ErrorCode.BUSY,
                 detail=DeviceState.THERAPY)
    status = link.status()
    assert (status.state, status.active_slot) == (DeviceState.THERAPY, 0)
    assert 0 < status.therapy_remaining_s <= 1800
    link.request(Opcode.STOP)


# -- measurement --------------------------------------------------------------------------------

def test_bipolar_measurement_order_and_progress(link):
    reply = link.request(Opcode.MEASURE_IMPEDANCE, bytes([3, 1]), timeout=5)
    records = ImpedanceResult.decode(reply.payload).records
    expected = [(lead, a, b) for lead in (0, 1)
                for a, b in ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))]
    assert [(r.lead, r.electrode_a, r.electrode_b) for r in records] == expected
    assert all(400 < r.ohms < 1200 for r in records)
    progress = [ImpedanceProgress.decode(e.payload) for e in link.events
                if e.opcode == EventCode.IMPEDANCE_PROGRESS]
    assert [(p.done, p.total) for p in progress] == [(i, 12) for i in range(1, 13)]


def test_monopolar_measurement_of_one_lead(link):
    reply = link.request(Opcode.MEASURE_IMPEDANCE, bytes([2, 0]), timeout=5)
    records = ImpedanceResult.decode(reply.payload).records
    assert [(r.lead, r.electrode_a, r.electrode_b) for r in records] == \
        [(1, e, None) for e in range(4)]


def test_measurement_refuses_bad_mask_and_mode(link):
    assert_error(link.request(Opcode.MEASURE_IMPEDANCE, bytes([0, 0])), ErrorCode.OUT_OF_RANGE)
    assert_error(link.request(Opcode.MEASURE_IMPEDANCE, bytes([1, 2])), ErrorCode.OUT_OF_RANGE)


def test_stop_during_measurement_aborts_it(link):
    seq = link.send(Opcode.MEASURE_IMPEDANCE, bytes([3, 1]))
    link.event(EventCode.IMPEDANCE_PROGRESS)  # it is under way
    stop = link.request(Opcode.STOP)
    assert StopResponse.decode(stop.payload).previous_state == DeviceState.MEASURING
    assert_error(link.reply(seq), ErrorCode.ABORTED)
    assert link.status().state == DeviceState.IDLE


# -- test stimulation -----------------------------------------------------------------------

def test_watchdog_stops_test_stimulation(link):
    _start_test(link)
    stopped = link.event(EventCode.STIM_STOPPED, timeout=5)
    assert StimStopped.decode(stopped.payload).reason == StopReason.WATCHDOG
    assert link.status().last_stop_reason == StopReason.WATCHDOG


def test_duration_elapsed_while_the_watchdog_is_fed(link):
    _start_test(link, duration=1)
    stopped = _feed_until_stopped(link)
    assert StimStopped.decode(stopped.payload).reason == StopReason.DURATION_ELAPSED


def _feed_until_stopped(link: RawLink) -> Frame:
    """Answer each telemetry event with a PING (feeding the watchdog) until STIM_STOPPED."""
    while True:
        frame = link.next_frame(timeout=5)
        assert frame is not None, "the device went silent before stopping"
        if frame.kind == Kind.EVENT and frame.opcode == EventCode.STIM_STOPPED:
            return frame
        if frame.kind == Kind.EVENT and frame.opcode == EventCode.STIM_TELEMETRY:
            link.send(Opcode.PING)


def test_titration_step_limit_and_decrease(link):
    _start_test(link, amp=1000)
    assert Amplitude.decode(link.request(Opcode.TEST_STIM_ADJUST,
                                         Amplitude(2000).encode()).payload).amp_ua == 2000
    assert_error(link.request(Opcode.TEST_STIM_ADJUST, Amplitude(3100).encode()),
                 ErrorCode.STEP_TOO_LARGE, extra=3000)
    assert Amplitude.decode(link.request(Opcode.TEST_STIM_ADJUST,
                                         Amplitude(0).encode()).payload).amp_ua == 0
    assert_error(link.request(Opcode.TEST_STIM_ADJUST, Amplitude(550).encode()),
                 ErrorCode.OUT_OF_RANGE, detail=4, extra=100)
    assert link.status().test_amp_ua == 0
    link.request(Opcode.STOP)


@pytest.mark.parametrize("fields, code, detail, extra", [
    ({"amp_ua": 1100}, ErrorCode.OUT_OF_RANGE, 4, 1000),
    ({"lead": 1, "amp_ua": 1100}, ErrorCode.OUT_OF_RANGE, 9, 1000),
    ({"amp_ua": 550}, ErrorCode.OUT_OF_RANGE, 4, 100),
    ({"lead": 2}, ErrorCode.OUT_OF_RANGE, 21, 1),
    ({"anode": 4}, ErrorCode.OUT_OF_RANGE, 2, 3),
    ({"cathode": 7}, ErrorCode.OUT_OF_RANGE, 3, 3),
    ({"anode": 1, "cathode": 1}, ErrorCode.BAD_VALUE, 2, 0),
    ({"pw_us": 40}, ErrorCode.OUT_OF_RANGE, 5, 50),
    ({"pw_us": 501}, ErrorCode.OUT_OF_RANGE, 5, 500),
    ({"freq_hz": 0}, ErrorCode.OUT_OF_RANGE, 11, 1),
    ({"freq_hz": 51}, ErrorCode.OUT_OF_RANGE, 11, 50),
    ({"duration_s": 0}, ErrorCode.OUT_OF_RANGE, 22, 1),
    ({"duration_s": 121}, ErrorCode.OUT_OF_RANGE, 22, 120),
])
def test_test_stim_start_validation(link, fields, code, detail, extra):
    values = {"lead": 0, "anode": 0, "cathode": 1, "freq_hz": 20, "pw_us": 214, "amp_ua": 500,
              "duration_s": 10}
    values.update(fields)
    reply = link.request(Opcode.TEST_STIM_START, TestStimStart(**values).encode())
    assert_error(reply, code, detail=detail, extra=extra)


def test_telemetry_is_limited_by_compliance(server, link):
    server.set_contact_ohms(0, 1, 20_000)
    measured = ImpedanceResult.decode(link.request(
        Opcode.MEASURE_IMPEDANCE, bytes([1, 1]), timeout=5).payload).records
    pair_ohms = next(r.ohms for r in measured if (r.electrode_a, r.electrode_b) == (1, 2))
    _start_test(link, amp=1000)
    telemetry = StimTelemetry.decode(link.event(EventCode.STIM_TELEMETRY).payload)
    assert telemetry.amp_set_ua == 1000
    assert telemetry.amp_delivered_ua == min(1000, 15000 * 1000 // pair_ohms) < 1000
    assert telemetry.load_mv <= 15000
    flags = 0
    while not flags & FaultFlag.COMPLIANCE_LIMIT:  # the measurement raised the lead flag first
        flags = struct.unpack("<H", link.event(EventCode.FAULT).payload)[0]
    assert flags & FaultFlag.LEAD0_IMPEDANCE
    assert link.status().fault_flags & FaultFlag.COMPLIANCE_LIMIT
    link.request(Opcode.STOP)


def test_telemetry_delivers_the_set_current_into_normal_tissue(link):
    _start_test(link, amp=900)
    telemetry = StimTelemetry.decode(link.event(EventCode.STIM_TELEMETRY).payload)
    assert (telemetry.lead, telemetry.amp_set_ua, telemetry.amp_delivered_ua) == (0, 900, 900)
    link.request(Opcode.STOP)


# -- programs -----------------------------------------------------------------------------------

def _program(**changes: object) -> ProgramRecord:
    lead0 = LeadRecord(1, 2, 1, 4000, 214)
    fields: dict[str, object] = {"leads": (lead0, LeadRecord()), "freq_hz": 20,
                                 "ramp_up_ds": 5, "ramp_down_ds": 5, "on_ds": 100,
                                 "off_ds": 200, "session_min": 30}
    fields.update(changes)
    return ProgramRecord(**fields)  # type: ignore[arg-type]


def test_write_then_read_program(link):
    raw = _program().encode()
    reply = WriteProgramResponse.decode(
        link.request(Opcode.WRITE_PROGRAM, bytes([1]) + raw).payload)
    assert (reply.slot, reply.crc) == (1, crc16_ccitt_false(raw))
    read = ReadProgramResponse.decode(link.request(Opcode.READ_PROGRAM, b"\x01").payload)
    assert (read.slot, read.program, read.crc) == (1, raw, crc16_ccitt_false(raw))
    entry = link.log_entries()[-1]
    assert (entry.code, entry.a, entry.b) == (LogCode.PROGRAM_WRITTEN, 1, reply.crc)


def test_never_written_slot_and_slot_range(link):
    assert_error(link.request(Opcode.READ_PROGRAM, b"\x03"), ErrorCode.NOT_FOUND)
    assert_error(link.request(Opcode.THERAPY_START, b"\x02"), ErrorCode.NOT_FOUND)
    for opcode, payload in ((Opcode.READ_PROGRAM, b"\x04"), (Opcode.THERAPY_START, b"\x09"),
                            (Opcode.WRITE_PROGRAM, bytes([4]) + _program().encode())):
        assert_error(link.request(opcode, payload), ErrorCode.OUT_OF_RANGE, detail=20, extra=3)


@pytest.mark.parametrize("program, code, detail, extra", [
    (_program(leads=(LeadRecord(1, 2, 1, 25100, 214), LeadRecord())),
     ErrorCode.OUT_OF_RANGE, 4, 25000),
    (_program(leads=(LeadRecord(1, 2, 1, 4050, 214), LeadRecord())),
     ErrorCode.OUT_OF_RANGE, 4, 100),
    (_program(leads=(LeadRecord(1, 2, 1, 4000, 600), LeadRecord())),
     ErrorCode.OUT_OF_RANGE, 5, 500),
    (_program(leads=(LeadRecord(1, 2, 2, 4000, 214), LeadRecord())), ErrorCode.BAD_VALUE, 2, 0),
    (_program(leads=(LeadRecord(1, 2, 1, 4000, 214), LeadRecord(0, 1, 0, 0, 0))),
     ErrorCode.BAD_VALUE, 6, 0),
    (_program(leads=(LeadRecord(), LeadRecord(1, 0, 5, 1000, 214))),
     ErrorCode.OUT_OF_RANGE, 8, 3),
    (_program(freq_hz=60), ErrorCode.OUT_OF_RANGE, 11, 50),
    (_program(ramp_up_ds=60), ErrorCode.OUT_OF_RANGE, 12, 50),
    (_program(on_ds=8, ramp_up_ds=0, ramp_down_ds=0), ErrorCode.OUT_OF_RANGE, 14, 10),
    (_program(on_ds=20, ramp_up_ds=15, ramp_down_ds=15), ErrorCode.OUT_OF_RANGE, 14, 30),
    (_program(off_ds=1300), ErrorCode.OUT_OF_RANGE, 15, 1200),
    (_program(session_min=0), ErrorCode.OUT_OF_RANGE, 16, 1),
    (_program(leads=(LeadRecord(1, 2, 1, 20000, 400), LeadRecord())),
     ErrorCode.OUT_OF_RANGE, 17, 6000),
    (_program(leads=(LeadRecord(), LeadRecord())), ErrorCode.BAD_VALUE, 19, 0),
])
def test_program_validation_reports_field_and_limit(link, program, code, detail, extra):
    reply = link.request(Opcode.WRITE_PROGRAM, bytes([1]) + program.encode())
    assert_error(reply, code, detail=detail, extra=extra)
    assert_error(link.request(Opcode.READ_PROGRAM, b"\x01"), ErrorCode.NOT_FOUND)


# -- status, limits, log, clock -----------------------------------------------------------------

def test_status_and_clock(link):
    status = link.status()
    assert status.state == DeviceState.IDLE and status.device_time == 0
    assert status.fault_flags & FaultFlag.CLOCK_NOT_SET
    assert (status.battery_pct, status.active_slot, status.last_stop_reason) == (82, 0xFF, 0xFF)
    assert 2600 < status.battery_mv < 3200
    assert link.request(Opcode.SET_TIME, struct.pack("<I", 1_750_000_000)).payload == b""
    status = link.status()
    assert status.device_time >= 1_750_000_000
    assert not status.fault_flags & FaultFlag.CLOCK_NOT_SET
    entry = link.log_entries()[-1]
    assert (entry.code, entry.c) == (LogCode.CLOCK_SET, 0)


def test_limits_are_the_spec_defaults(link):
    assert Limits.decode(link.request(Opcode.GET_LIMITS).payload) == Limits()


def test_limits_are_configurable():
    limits = Limits(test_start_max_ua=500, watchdog_ms=2000)
    with _server(limits=limits) as running, RawLink(running.port, KEY) as raw:
        raw.authenticate()
        assert Limits.decode(raw.request(Opcode.GET_LIMITS).payload) == limits
        reply = raw.request(Opcode.TEST_STIM_START,
                            TestStimStart(0, 0, 1, 20, 214, 600, 10).encode())
        assert_error(reply, ErrorCode.OUT_OF_RANGE, detail=4, extra=500)


def test_log_pages(link):
    first = LogPage.decode(link.request(Opcode.GET_LOG, GetLogRequest(0, 30).encode()).payload)
    assert first.total == 40 and [e.index for e in first.entries] == list(range(30))
    assert (first.entries[0].code, first.entries[1].code) == (LogCode.BOOT,
                                                              LogCode.PROGRAM_WRITTEN)
    rest = LogPage.decode(link.request(Opcode.GET_LOG, GetLogRequest(30, 30).encode()).payload)
    assert [e.index for e in rest.entries] == list(range(30, 40))
    assert_error(link.request(Opcode.GET_LOG, GetLogRequest(0, 31).encode()),
                 ErrorCode.OUT_OF_RANGE, extra=30)


# -- scenarios over the wire ------------------------------------------------------------------

def _bipolar(raw: RawLink) -> dict[tuple[int, int, int], int | None]:
    reply = raw.request(Opcode.MEASURE_IMPEDANCE, bytes([3, 1]), timeout=5)
    return {(r.lead, r.electrode_a, r.electrode_b): r.ohms
            for r in ImpedanceResult.decode(reply.payload).records}


def test_fractured_lead_reads_open_and_raises_its_flag():
    with _server(scenario="fractured-lead") as running, RawLink(running.port, KEY) as raw:
        raw.authenticate()
        ohms = _bipolar(raw)
        assert {k for k, v in ohms.items() if v is None} == \
            {(1, 0, 2), (1, 1, 2), (1, 2, 3)}
        flags = Status.decode(raw.request(Opcode.GET_STATUS).payload).fault_flags
        assert flags & FaultFlag.LEAD1_IMPEDANCE and not flags & FaultFlag.LEAD0_IMPEDANCE
        codes = [(e.code, e.a, e.b) for e in raw.log_entries()]
        assert (LogCode.IMPEDANCE_ALERT, 16 + 0, OHMS_OPEN) in codes


def test_shorted_pair_reads_very_low():
    with _server(scenario="shorted-pair") as running, RawLink(running.port, KEY) as raw:
        raw.authenticate()
        ohms = _bipolar(raw)
        assert ohms[(0, 1, 2)] < 50
        assert all(400 < v < 1200 for k, v in ohms.items() if k[0] == 1)


def test_injected_open_contact_delivers_no_current(server, link):
    server.inject_open(0, 1)
    _start_test(link, amp=800)
    telemetry = StimTelemetry.decode(link.event(EventCode.STIM_TELEMETRY).payload)
    assert (telemetry.amp_set_ua, telemetry.amp_delivered_ua) == (800, 0)
    assert server.observe()["leads"][0]["amp_delivered_ua"] == 0
    link.request(Opcode.STOP)


# -- robustness -------------------------------------------------------------------------------

def test_random_bytes_do_not_upset_the_device(server):
    rng = random.Random(1234)
    with RawLink(server.port, KEY) as raw:
        for _ in range(50):
            raw.send_wire(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))))
        raw.send_wire(bytes(700) + bytes([7] * 700))  # over-long run without a delimiter
        raw.send_wire(b"\x00")
        raw.seq = 0
        assert raw.authenticate().kind == Kind.RESPONSE
        assert raw.status().link_errors > 0


def test_log_download_of_ten_thousand_entries():
    with _server(log_entries=10_000) as running, RawLink(running.port, KEY) as raw:
        raw.authenticate()
        index, entries = 0, []
        while True:
            page = LogPage.decode(raw.request(Opcode.GET_LOG,
                                              GetLogRequest(index, 30).encode()).payload)
            entries += page.entries
            if not page.entries:
                break
            index = page.entries[-1].index + 1
        assert page.total == 10_000 and [e.index for e in entries] == list(range(10_000))


def test_therapy_completes_with_a_time_scale():
    with _server(time_scale=600.0) as running, RawLink(running.port, KEY) as raw:
        raw.authenticate()
        program = _program(session_min=1)
        raw.request(Opcode.WRITE_PROGRAM, bytes([1]) + program.encode())
        assert raw.request(Opcode.THERAPY_START, SlotRequest(1).encode()).payload == \
            struct.pack("<H", 60)
        stopped = _feed_until_stopped(raw)
        assert StimStopped.decode(stopped.payload).reason == StopReason.SESSION_COMPLETE
        assert Status.decode(raw.request(Opcode.GET_STATUS).payload).state == DeviceState.IDLE
