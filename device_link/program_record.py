"""The 28-byte MFL/1 program record (spec section 7) and the device's validation of it."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from device_link.crc import crc16_ccitt_false
from device_link.messages import Limits
from device_link.protocol import PROGRAM_SIZE, ErrorCode

_LEAD = struct.Struct("<BBBBHH")
_TAIL = struct.Struct("<BBHHHHH")
FIELD_FREQUENCY = 11


@dataclass(frozen=True, slots=True)
class LeadRecord:
    enabled: int = 0
    anode: int = 0
    cathode: int = 0
    amp_ua: int = 0
    pw_us: int = 0
    reserved: int = 0

    def encode(self) -> bytes:
        return _LEAD.pack(self.enabled, self.anode, self.cathode, self.reserved,
                          self.amp_ua, self.pw_us)

    @classmethod
    def decode(cls, raw: bytes) -> LeadRecord:
        enabled, anode, cathode, reserved, amp, pw = _LEAD.unpack(raw)
        return cls(enabled, anode, cathode, amp, pw, reserved)


@dataclass(frozen=True, slots=True)
class ProgramRecord:
    """Integer units exactly as on the wire: µA, µs, Hz, deciseconds, minutes."""

    leads: tuple[LeadRecord, LeadRecord]
    freq_hz: int
    ramp_up_ds: int
    ramp_down_ds: int
    on_ds: int
    off_ds: int
    session_min: int
    reserved: int = 0

    def encode(self) -> bytes:
        return (self.leads[0].encode() + self.leads[1].encode()
                + _TAIL.pack(self.freq_hz, self.reserved, self.ramp_up_ds, self.ramp_down_ds,
                             self.on_ds, self.off_ds, self.session_min))

    @classmethod
    def decode(cls, raw: bytes) -> ProgramRecord:
        if len(raw) != PROGRAM_SIZE:
            raise ValueError(f"program record is {len(raw)} bytes, expected {PROGRAM_SIZE}")
        freq, reserved, up, down, on, off, session = _TAIL.unpack(raw[16:])
        return cls((LeadRecord.decode(raw[:8]), LeadRecord.decode(raw[8:16])),
                   freq, up, down, on, off, session, reserved)

    @property
    def crc(self) -> int:
        return crc16_ccitt_false(self.encode())


class ProgramRejected(ValueError):
    """The device's refusal of a program: an MFL/1 error code, field id and limit."""

    def __init__(self, code: ErrorCode, field_id: int, extra: int = 0) -> None:
        super().__init__(f"{code.name} field {field_id} limit {extra}")
        self.code = code
        self.field_id = field_id
        self.extra = extra


def check_range(ok: bool, field_id: int, limit: int) -> None:
    """OUT_OF_RANGE for ``field_id`` with ``limit`` unless ``ok``."""
    if not ok:
        raise ProgramRejected(ErrorCode.OUT_OF_RANGE, field_id, limit)


def _bad_value(ok: bool, field_id: int) -> None:
    if not ok:
        raise ProgramRejected(ErrorCode.BAD_VALUE, field_id)


def check_contacts(anode: int, cathode: int, base_id: int, electrodes: int) -> None:
    """Both contacts on the lead and distinct; ``base_id`` is the lead's enabled field."""
    check_range(anode < electrodes, base_id + 1, electrodes - 1)
    check_range(cathode < electrodes, base_id + 2, electrodes - 1)
    _bad_value(anode != cathode, base_id + 1)


def check_amplitude(amp_ua: int, field_id: int, limits: Limits) -> None:
    """At most the device's maximum, on its amplitude step."""
    check_range(amp_ua <= limits.amp_max_ua, field_id, limits.amp_max_ua)
    check_range(amp_ua % limits.amp_step_ua == 0, field_id, limits.amp_step_ua)


def check_pulse_width(pw_us: int, field_id: int, limits: Limits) -> None:
    """Within the device's pulse-width range, on its step."""
    check_range(pw_us >= limits.pw_min_us, field_id, limits.pw_min_us)
    check_range(pw_us <= limits.pw_max_us, field_id, limits.pw_max_us)
    check_range(pw_us % limits.pw_step_us == 0, field_id, limits.pw_step_us)


def check_charge(amp_ua: int, pw_us: int, field_id: int, limits: Limits) -> None:
    """Charge per phase within the electrode's safe limit (nC)."""
    check_range(amp_ua * pw_us <= limits.max_charge_nc * 1000, field_id, limits.max_charge_nc)


def check_frequency(freq_hz: int, limits: Limits) -> None:
    """Within the device's frequency range."""
    check_range(freq_hz >= limits.freq_min_hz, FIELD_FREQUENCY, limits.freq_min_hz)
    check_range(freq_hz <= limits.freq_max_hz, FIELD_FREQUENCY, limits.freq_max_hz)


def _validate_lead(lead: LeadRecord, base_id: int, limits: Limits, electrodes: int) -> None:
    if lead.enabled not in (0, 1):
        raise ProgramRejected(ErrorCode.OUT_OF_RANGE, base_id, 1)
    if not lead.enabled:
        _bad_value(lead == LeadRecord(), base_id)
        return
    _bad_value(lead.reserved == 0, 0)
    check_contacts(lead.anode, lead.cathode, base_id, electrodes)
    check_amplitude(lead.amp_ua, base_id + 3, limits)
    check_pulse_width(lead.pw_us, base_id + 4, limits)


def validate_program(raw: bytes, limits: Limits, electrodes_per_lead: int = 4) -> ProgramRecord:
    """Validate a record as the device does; return it decoded or raise ProgramRejected.

    Fields are checked in field-id order and the first broken rule is reported.
    """
    program = ProgramRecord.decode(raw)
    _validate_lead(program.leads[0], 1, limits, electrodes_per_lead)
    _validate_lead(program.leads[1], 6, limits, electrodes_per_lead)
    check_frequency(program.freq_hz, limits)
    _bad_value(program.reserved == 0, 0)
    check_range(program.ramp_up_ds <= limits.ramp_max_ds, 12, limits.ramp_max_ds)
    check_range(program.ramp_down_ds <= limits.ramp_max_ds, 13, limits.ramp_max_ds)
    check_range(program.on_ds >= limits.on_min_ds, 14, limits.on_min_ds)
    check_range(program.on_ds <= limits.on_max_ds, 14, limits.on_max_ds)
    ramps = program.ramp_up_ds + program.ramp_down_ds
    check_range(program.on_ds >= ramps, 14, ramps)
    check_range(program.off_ds >= limits.off_min_ds, 15, limits.off_min_ds)
    check_range(program.off_ds <= limits.off_max_ds, 15, limits.off_max_ds)
    check_range(program.session_min >= limits.session_min_min, 16, limits.session_min_min)
    check_range(program.session_min <= limits.session_max_min, 16, limits.session_max_min)
    for field_id, lead in ((17, program.leads[0]), (18, program.leads[1])):
        check_charge(lead.amp_ua, lead.pw_us, field_id, limits)
    _bad_value(any(lead.enabled for lead in program.leads), 19)
    return program
