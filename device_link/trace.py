"""A protocol trace record: what crossed the link, decoded, for engineers' eyes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from device_link.frame import Frame
from device_link.protocol import EventCode, Kind, Opcode


@dataclass(frozen=True, slots=True)
class TraceRecord:
    direction: str  # "tx" or "rx"
    frame: Frame
    note: str = ""
    t: float = field(default_factory=time.perf_counter)

    @property
    def opcode_name(self) -> str:
        names = EventCode if self.frame.kind == Kind.EVENT else Opcode
        try:
            return names(self.frame.opcode).name
        except ValueError:
            return f"0x{self.frame.opcode:02x}"

    def summary(self) -> str:
        frame = self.frame
        mac = " mac" if frame.has_mac else ""
        note = f" ({self.note})" if self.note else ""
        return (f"{self.direction} {frame.kind.name:<8} seq={frame.seq:<5} "
                f"{self.opcode_name:<17} {len(frame.payload):>3} B{mac}{note}")
