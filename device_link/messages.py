"""Typed payloads of every MFL/1 request, response, error and event (spec sections 5, 6, 8).

Each class encodes to and decodes from the exact payload bytes; a payload of
the wrong size raises ``PayloadError`` (the device answers it with BAD_LENGTH).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, fields
from typing import ClassVar, Self

from device_link.protocol import (
    BIPOLAR_PAIRS,
    ELECTRODE_CASE,
    LOG_ENTRY_SIZE,
    MAX_LOG_PAGE,
    OHMS_OPEN,
    PROGRAM_SIZE,
    Opcode,
)


class PayloadError(ValueError):
    """A payload whose size or content does not fit its message."""


def _expect_size(payload: bytes, size: int, name: str) -> None:
    if len(payload) != size:
        raise PayloadError(f"{name} payload is {len(payload)} bytes, expected {size}")


def _ascii(value: str, size: int) -> bytes:
    raw = value.encode("ascii")
    if len(raw) > size:
        raise PayloadError(f"{value!r} is longer than {size} bytes")
    return raw.ljust(size, b"\x00")


def _unpad(raw: bytes) -> str:
    return raw.rstrip(b"\x00").decode("ascii", errors="replace")


def _records(payload: bytes, header: int, size: int, name: str) -> list[bytes]:
    """The ``size``-byte records after a ``header``-byte head whose last byte counts them.

    MEASURE_IMPEDANCE and GET_LOG replies are both laid out so; the caller checks the head is there.
    """
    count = payload[header - 1]
    _expect_size(payload, header + count * size, name)
    return [payload[at:at + size] for at in range(header, header + count * size, size)]


class Packed:
    """A flat message whose dataclass fields map one-to-one onto a struct format."""

    FORMAT: ClassVar[struct.Struct]

    def encode(self) -> bytes:
        # Field by field: dataclasses.astuple deep-copies, which costs more than packing.
        return self.FORMAT.pack(*(getattr(self, f.name) for f in fields(self)))  # type: ignore[arg-type]

    @classmethod
    def decode(cls, payload: bytes) -> Self:
        _expect_size(payload, cls.FORMAT.size, cls.__name__)
        return cls(*cls.FORMAT.unpack(payload))


@dataclass(frozen=True, slots=True)
class Empty(Packed):
    FORMAT = struct.Struct("<")


@dataclass(frozen=True, slots=True)
class HelloRequest(Packed):
    FORMAT = struct.Struct("<B")
    console_protocol: int = 1


@dataclass(frozen=True, slots=True)
class Identity:
    """HELLO response: who the device is, and its nonce for this connection."""

    SIZE: ClassVar[int] = 69
    protocol: int
    model: str
    serial: str
    firmware: str
    nonce_d: bytes
    leads: int = 2
    electrodes_per_lead: int = 4
    program_slots: int = 4

    def encode(self) -> bytes:
        return (bytes([self.protocol]) + _ascii(self.model, 16) + _ascii(self.serial, 16)
                + _ascii(self.firmware, 16) + self.nonce_d
                + bytes([self.leads, self.electrodes_per_lead, self.program_slots, 0]))

    @classmethod
    def decode(cls, payload: bytes) -> Identity:
        _expect_size(payload, cls.SIZE, "HELLO response")
        return cls(payload[0], _unpad(payload[1:17]), _unpad(payload[17:33]),
                   _unpad(payload[33:49]), bytes(payload[49:65]), payload[65], payload[66],
                   payload[67])


@dataclass(frozen=True, slots=True)
class AuthRequest(Packed):
    FORMAT = struct.Struct("<16s16s")
    nonce_c: bytes
    tag_c: bytes


@dataclass(frozen=True, slots=True)
class AuthResponse(Packed):
    FORMAT = struct.Struct("<16s")
    tag_d: bytes


@dataclass(frozen=True, slots=True)
class PingResponse(Packed):
    FORMAT = struct.Struct("<I")
    uptime_ms: int


@dataclass(frozen=True, slots=True)
class Status(Packed):
    FORMAT = struct.Struct("<BBHBBHIHHHH")
    state: int
    battery_pct: int
    battery_mv: int
    active_slot: int
    last_stop_reason: int
    therapy_remaining_s: int
    device_time: int
    fault_flags: int
    link_errors: int
    test_amp_ua: int
    reserved: int = 0


@dataclass(frozen=True, slots=True)
class Limits(Packed):
    """GET_LIMITS: the device's hard limits. Defaults are the spec's emulator table."""

    FORMAT = struct.Struct("<HHHHHBBHHHHHHHHHHHHBBH")
    amp_max_ua: int = 25000
    amp_step_ua: int = 100
    pw_min_us: int = 50
    pw_max_us: int = 500
    pw_step_us: int = 1
    freq_min_hz: int = 1
    freq_max_hz: int = 50
    max_charge_nc: int = 6000
    electrode_area_mm2_x100: int = 1225
    compliance_mv: int = 15000
    test_start_max_ua: int = 1000
    titration_step_max_ua: int = 1000
    test_duration_max_s: int = 120
    watchdog_ms: int = 1000
    ramp_max_ds: int = 50
    on_min_ds: int = 10
    on_max_ds: int = 600
    off_min_ds: int = 10
    off_max_ds: int = 1200
    session_min_min: int = 1
    session_max_min: int = 60
    reserved: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "reserved"}


@dataclass(frozen=True, slots=True)
class MeasureImpedanceRequest(Packed):
    FORMAT = struct.Struct("<BB")
    lead_mask: int
    mode: int


@dataclass(frozen=True, slots=True)
class ImpedanceRecord:
    """One measurement; ``electrode_b`` is None for the case, ``ohms`` None for open circuit."""

    FORMAT: ClassVar[struct.Struct] = struct.Struct("<BBBH")
    lead: int
    electrode_a: int
    electrode_b: int | None
    ohms: int | None

    def encode(self) -> bytes:
        b = ELECTRODE_CASE if self.electrode_b is None else self.electrode_b
        ohms = OHMS_OPEN if self.ohms is None else self.ohms
        return self.FORMAT.pack(self.lead, self.electrode_a, b, ohms)

    @classmethod
    def decode(cls, raw: bytes) -> ImpedanceRecord:
        lead, a, b, ohms = cls.FORMAT.unpack(raw)
        return cls(lead, a, None if b == ELECTRODE_CASE else b, None if ohms == OHMS_OPEN else ohms)


@dataclass(frozen=True, slots=True)
class ImpedanceResult:
    # The longest answer: both leads (a device has 2), bipolar, 6 pairs each.
    MAX_SIZE: ClassVar[int] = 1 + 2 * len(BIPOLAR_PAIRS) * ImpedanceRecord.FORMAT.size
    records: tuple[ImpedanceRecord, ...]

    def encode(self) -> bytes:
        return bytes([len(self.records)]) + b"".join(r.encode() for r in self.records)

    @classmethod
    def decode(cls, payload: bytes) -> ImpedanceResult:
        if not payload:
            raise PayloadError("impedance response is empty")
        records = _records(payload, 1, ImpedanceRecord.FORMAT.size, "impedance response")
        return cls(tuple(ImpedanceRecord.decode(raw) for raw in records))


@dataclass(frozen=True, slots=True)
class SlotRequest(Packed):
    """READ_PROGRAM and THERAPY_START both take just a slot."""

    FORMAT = struct.Struct("<B")
    slot: int


@dataclass(frozen=True, slots=True)
class ReadProgramResponse(Packed):
    FORMAT = struct.Struct(f"<B{PROGRAM_SIZE}sH")
    slot: int
    program: bytes
    crc: int


@dataclass(frozen=True, slots=True)
class WriteProgramRequest(Packed):
    FORMAT = struct.Struct(f"<B{PROGRAM_SIZE}s")
    slot: int
    program: bytes


@dataclass(frozen=True, slots=True)
class WriteProgramResponse(Packed):
    FORMAT = struct.Struct("<BH")
    slot: int
    crc: int


@dataclass(frozen=True, slots=True)
class TestStimStart(Packed):
    FORMAT = struct.Struct("<BBBBHHH")
    lead: int
    anode: int
    cathode: int
    freq_hz: int
    pw_us: int
    amp_ua: int
    duration_s: int


@dataclass(frozen=True, slots=True)
class Amplitude(Packed):
    """TEST_STIM_ADJUST request and response: an absolute amplitude in µA."""

    FORMAT = struct.Struct("<H")
    amp_ua: int


@dataclass(frozen=True, slots=True)
class StopResponse(Packed):
    FORMAT = struct.Struct("<B")
    previous_state: int


@dataclass(frozen=True, slots=True)
class TherapyStartResponse(Packed):
    FORMAT = struct.Struct("<H")
    session_s: int


@dataclass(frozen=True, slots=True)
class GetLogRequest(Packed):
    FORMAT = struct.Struct("<IB")
    first_index: int
    max_count: int


@dataclass(frozen=True, slots=True)
class LogEntry(Packed):
    FORMAT = struct.Struct("<IIBBHI")
    index: int
    time: int
    code: int
    a: int = 0
    b: int = 0
    c: int = 0


@dataclass(frozen=True, slots=True)
class LogPage:
    MAX_SIZE: ClassVar[int] = 5 + MAX_LOG_PAGE * LOG_ENTRY_SIZE
    total: int
    entries: tuple[LogEntry, ...]

    def encode(self) -> bytes:
        head = struct.pack("<IB", self.total, len(self.entries))
        return head + b"".join(e.encode() for e in self.entries)

    @classmethod
    def decode(cls, payload: bytes) -> LogPage:
        if len(payload) < 5:
            raise PayloadError("log response shorter than its 5-byte header")
        (total,) = struct.unpack_from("<I", payload)
        entries = _records(payload, 5, LOG_ENTRY_SIZE, "log response")
        return cls(total, tuple(LogEntry.decode(raw) for raw in entries))


@dataclass(frozen=True, slots=True)
class SetTimeRequest(Packed):
    FORMAT = struct.Struct("<I")
    unix_seconds: int


@dataclass(frozen=True, slots=True)
class ErrorPayload(Packed):
    FORMAT = struct.Struct("<BBH")
    code: int
    detail: int = 0
    extra: int = 0


@dataclass(frozen=True, slots=True)
class StimStopped(Packed):
    FORMAT = struct.Struct("<B")
    reason: int


@dataclass(frozen=True, slots=True)
class ImpedanceProgress(Packed):
    FORMAT = struct.Struct("<BB")
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class StimTelemetry(Packed):
    FORMAT = struct.Struct("<BBHHH")
    lead: int
    phase: int
    amp_set_ua: int
    amp_delivered_ua: int
    load_mv: int


@dataclass(frozen=True, slots=True)
class FaultEvent(Packed):
    FORMAT = struct.Struct("<H")
    fault_flags: int


# The longest RESPONSE payload of each request (section 5), for its response timeout.
_MAX_RESPONSE_SIZE: dict[int, int] = {
    Opcode.HELLO: Identity.SIZE,
    Opcode.AUTH: AuthResponse.FORMAT.size,
    Opcode.PING: PingResponse.FORMAT.size,
    Opcode.GET_STATUS: Status.FORMAT.size,
    Opcode.GET_LIMITS: Limits.FORMAT.size,
    Opcode.MEASURE_IMPEDANCE: ImpedanceResult.MAX_SIZE,
    Opcode.READ_PROGRAM: ReadProgramResponse.FORMAT.size,
    Opcode.WRITE_PROGRAM: WriteProgramResponse.FORMAT.size,
    Opcode.TEST_STIM_START: Empty.FORMAT.size,
    Opcode.TEST_STIM_ADJUST: Amplitude.FORMAT.size,
    Opcode.STOP: StopResponse.FORMAT.size,
    Opcode.THERAPY_START: TherapyStartResponse.FORMAT.size,
    Opcode.GET_LOG: LogPage.MAX_SIZE,
    Opcode.SET_TIME: Empty.FORMAT.size,
}


def max_reply_size(opcode: int) -> int:
    """The longest payload a request can be answered with: its RESPONSE or an ERROR."""
    return max(_MAX_RESPONSE_SIZE[opcode], ErrorPayload.FORMAT.size)
