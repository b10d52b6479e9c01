"""Device events delivered to subscribers, and the link's own status notices."""

from __future__ import annotations

from dataclasses import dataclass

from device_link.frame import Frame
from device_link.messages import FaultEvent, ImpedanceProgress, StimStopped, StimTelemetry
from device_link.protocol import EventCode

DeviceEvent = StimStopped | ImpedanceProgress | StimTelemetry | FaultEvent


@dataclass(frozen=True, slots=True)
class LinkDown:
    """Not a device event: the link is gone (no reply after retransmissions, or port lost)."""

    reason: str


Notice = DeviceEvent | LinkDown

_EVENT_TYPES: dict[int, type[DeviceEvent]] = {
    EventCode.STIM_STOPPED: StimStopped,
    EventCode.IMPEDANCE_PROGRESS: ImpedanceProgress,
    EventCode.STIM_TELEMETRY: StimTelemetry,
    EventCode.FAULT: FaultEvent,
}


def decode_event(frame: Frame) -> DeviceEvent | None:
    """The typed event of an EVENT frame, or None for an unknown or malformed one."""
    event_type = _EVENT_TYPES.get(frame.opcode)
    if event_type is None:
        return None
    try:
        return event_type.decode(frame.payload)
    except ValueError:
        return None
