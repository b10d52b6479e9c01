"""Typed failures of the device link. Device ERROR frames become ``DeviceRefused`` subclasses."""

from __future__ import annotations

from device_link.messages import ErrorPayload
from device_link.protocol import PROGRAM_FIELD_NAMES, DeviceState, ErrorCode


class DeviceLinkError(Exception):
    """Base of every failure the link reports."""


class PortError(DeviceLinkError):
    """The port could not be opened, or vanished."""


class LinkLost(DeviceLinkError):
    """No reply after every retransmission, or the port closed under us."""


class AuthenticationError(DeviceLinkError):
    """Mutual authentication failed: wrong key, forged device, or lockout."""


class ProtocolViolation(DeviceLinkError):
    """The device answered with something the spec does not allow."""


class ReadBackMismatch(DeviceLinkError):
    """A written program did not read back byte for byte: it is NOT applied."""

    def __init__(self, message: str, device_crc: int | None = None) -> None:
        super().__init__(message)
        self.device_crc = device_crc


class DeviceRefused(DeviceLinkError):
    """The device answered ERROR. Carries code, detail (field id or state) and extra (limit)."""

    code: ErrorCode

    def __init__(self, opcode: int, error: ErrorPayload) -> None:
        self.opcode = opcode
        self.detail = error.detail
        self.extra = error.extra
        self.code = ErrorCode(error.code) if error.code in ErrorCode._value2member_map_ else \
            error.code  # type: ignore[assignment]
        super().__init__(self.describe())

    @property
    def field_name(self) -> str:
        return PROGRAM_FIELD_NAMES.get(self.detail, f"field {self.detail}")

    def describe(self) -> str:
        name = getattr(self.code, "name", f"error {self.code}")
        return f"device refused ({name})"


class OutOfRange(DeviceRefused):
    def describe(self) -> str:
        return f"device refused {self.field_name}: out of range (limit {self.extra})"


class BadValue(DeviceRefused):
    def describe(self) -> str:
        return f"device refused {self.field_name}: invalid value"


class StepTooLarge(DeviceRefused):
    def describe(self) -> str:
        return (f"device refused the amplitude step: highest amplitude allowed now is "
                f"{self.extra / 1000:g} mA")


class Busy(DeviceRefused):
    def describe(self) -> str:
        return f"device is busy ({_state_name(self.detail)})"


class InvalidState(DeviceRefused):
    def describe(self) -> str:
        return f"not allowed in device state {_state_name(self.detail)}"


class LockedOut(DeviceRefused):
    def describe(self) -> str:
        return f"authentication locked out for {self.extra} s after repeated failures"


class NotFound(DeviceRefused):
    def describe(self) -> str:
        return "nothing stored there (slot never written)"


class Aborted(DeviceRefused):
    def describe(self) -> str:
        return "operation aborted by STOP"


class NotAuthenticated(DeviceRefused):
    def describe(self) -> str:
        return "device requires authentication"


class Replay(DeviceRefused):
    def describe(self) -> str:
        return "device refused a replayed sequence number"


def _state_name(value: int) -> str:
    return DeviceState(value).name if value in DeviceState._value2member_map_ else str(value)


_BY_CODE: dict[int, type[DeviceRefused]] = {
    ErrorCode.OUT_OF_RANGE: OutOfRange,
    ErrorCode.BAD_VALUE: BadValue,
    ErrorCode.STEP_TOO_LARGE: StepTooLarge,
    ErrorCode.BUSY: Busy,
    ErrorCode.INVALID_STATE: InvalidState,
    ErrorCode.LOCKED_OUT: LockedOut,
    ErrorCode.NOT_FOUND: NotFound,
    ErrorCode.ABORTED: Aborted,
    ErrorCode.NOT_AUTHENTICATED: NotAuthenticated,
    ErrorCode.REPLAY: Replay,
}


def refusal_from(opcode: int, error: ErrorPayload) -> DeviceRefused:
    """The typed exception for a device ERROR payload."""
    return _BY_CODE.get(error.code, DeviceRefused)(opcode, error)
