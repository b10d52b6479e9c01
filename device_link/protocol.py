"""MFL/1 constants: frame kinds, opcodes, error codes, states and flags (spec sections 2-8)."""

from __future__ import annotations

from enum import IntEnum, IntFlag

PROTOCOL_VERSION = 1
MAX_PAYLOAD = 512
HEADER_SIZE = 8
MAC_SIZE = 8
CRC_SIZE = 2
MIN_BODY = HEADER_SIZE + CRC_SIZE
MAX_BODY = HEADER_SIZE + MAX_PAYLOAD + MAC_SIZE + CRC_SIZE
RESYNC_LIMIT = 600
FLAG_MAC = 0x01

ORDINARY_TIMEOUT_S = 0.250
IMPEDANCE_TIMEOUT_PER_MEASUREMENT_S = 0.060
RETRANSMISSIONS = 3
SESSION_IDLE_TIMEOUT_S = 300
AUTH_LOCKOUT_FAILURES = 5
AUTH_LOCKOUT_S = 60
SEQ_MAX = 0xFFFF
MAX_LOG_PAGE = 30
LOG_ENTRY_SIZE = 16
PROGRAM_SIZE = 28
ELECTRODE_CASE = 0xFF
OHMS_OPEN = 0xFFFF
SLOT_NONE = 0xFF
STOP_REASON_NONE = 0xFF


class Kind(IntEnum):
    REQUEST = 0
    RESPONSE = 1
    ERROR = 2
    EVENT = 3


class Opcode(IntEnum):
    HELLO = 0x01
    AUTH = 0x02
    PING = 0x03
    GET_STATUS = 0x04
    GET_LIMITS = 0x05
    MEASURE_IMPEDANCE = 0x06
    READ_PROGRAM = 0x07
    WRITE_PROGRAM = 0x08
    TEST_STIM_START = 0x09
    TEST_STIM_ADJUST = 0x0A
    STOP = 0x0B
    THERAPY_START = 0x0C
    GET_LOG = 0x0D
    SET_TIME = 0x0E


OPEN_OPCODES = frozenset({Opcode.HELLO, Opcode.AUTH, Opcode.PING, Opcode.STOP})


class EventCode(IntEnum):
    STIM_STOPPED = 0x81
    IMPEDANCE_PROGRESS = 0x82
    STIM_TELEMETRY = 0x83
    FAULT = 0x84


class ErrorCode(IntEnum):
    UNKNOWN_OPCODE = 1
    BAD_LENGTH = 2
    NOT_AUTHENTICATED = 3
    AUTH_FAILED = 4
    LOCKED_OUT = 5
    OUT_OF_RANGE = 6
    STEP_TOO_LARGE = 7
    BUSY = 8
    INVALID_STATE = 9
    REPLAY = 10
    ABORTED = 11
    NOT_FOUND = 12
    BAD_VALUE = 13


class DeviceState(IntEnum):
    IDLE = 0
    THERAPY = 1
    TEST_STIM = 2
    MEASURING = 3


class StopReason(IntEnum):
    STOP_REQUEST = 0
    WATCHDOG = 1
    DURATION_ELAPSED = 2
    FAULT = 3
    SESSION_COMPLETE = 4


class FaultFlag(IntFlag):
    BATTERY_LOW = 0x01
    LEAD0_IMPEDANCE = 0x02
    LEAD1_IMPEDANCE = 0x04
    COMPLIANCE_LIMIT = 0x08
    CLOCK_NOT_SET = 0x10


class ImpedanceMode(IntEnum):
    MONOPOLAR = 0
    BIPOLAR = 1


class StimPhase(IntEnum):
    OFF = 0
    RAMP_UP = 1
    ON = 2
    RAMP_DOWN = 3


class LogCode(IntEnum):
    BOOT = 1
    THERAPY_START = 2
    THERAPY_END = 3
    TEST_STIM_START = 4
    STIM_STOPPED = 5
    PROGRAM_WRITTEN = 6
    IMPEDANCE_ALERT = 7
    BATTERY_LOW = 8
    AUTH_FAILED = 9
    AUTH_LOCKED = 10
    CLOCK_SET = 11


# Bipolar pairs of one lead, in the order the device measures them (section 5, 0x06).
BIPOLAR_PAIRS: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))

# Program-record field ids used by OUT_OF_RANGE / BAD_VALUE (section 7).
PROGRAM_FIELD_NAMES: dict[int, str] = {
    0: "reserved",
    1: "lead 0 enabled",
    2: "lead 0 anode",
    3: "lead 0 cathode",
    4: "lead 0 amplitude",
    5: "lead 0 pulse width",
    6: "lead 1 enabled",
    7: "lead 1 anode",
    8: "lead 1 cathode",
    9: "lead 1 amplitude",
    10: "lead 1 pulse width",
    11: "frequency",
    12: "ramp up",
    13: "ramp down",
    14: "on time",
    15: "off time",
    16: "session length",
    17: "lead 0 charge per phase",
    18: "lead 1 charge per phase",
    19: "enabled leads",
    20: "slot",
}
