"""What the emulated device sends back, and what it remembers of its last reply.

Shared by every request family of ``DeviceCore`` and by the engine that writes the
frames to the port, so none of them has to import the core itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from device_link.frame import Frame


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
class Remembered:
    """The last reply, kept so that a retransmitted request gets the same answer (section 3)."""

    seq: int
    opcode: int
    reply: Outgoing
    request: bytes
