"""Everything that shapes one emulated device and how it is served."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

from device_link.keystore import PairingKey
from device_link.messages import Limits

DEMO_KEY_RESOURCE = "demo-emulator.key"


def load_demo_key() -> PairingKey:
    """The packaged demo emulator's pairing key (not secret: it ships with the console)."""
    text = resources.files("resources").joinpath(DEMO_KEY_RESOURCE).read_text("ascii")
    return PairingKey.from_hex(text)


@dataclass
class EmulatorConfig:
    """Device identity, limits, model and serving options. Defaults: the demo device."""

    key: PairingKey = field(default_factory=load_demo_key)
    serial: str = "EMU-000001"
    model: str = "EMU-IPG"
    firmware: str = "1.0.0"
    program_slots: int = 4
    limits: Limits = field(default_factory=Limits)
    scenario: str = "good"
    seed: int = 1
    # Usage log: entries of history present at start, and how many the device keeps.
    log_entries: int = 1000
    log_capacity: int = 10_000
    history_end: int | None = None  # Unix seconds the history runs up to; None = now
    # Therapy runs this many times faster than real time (tests shorten sessions).
    time_scale: float = 1.0
    measure_ms: float = 30.0
    battery_percent: float | None = None  # None = the scenario's
    open_contacts: tuple[tuple[int, int], ...] = ()  # (lead, electrode), besides the scenario's
    shorts: tuple[tuple[int, int, int], ...] = ()  # (lead, a, b)
    # Serving: a TCP "HOST:PORT" instead of a pseudo-terminal; output pacing in baud.
    socket: str | None = None
    pace_baud: int | None = None
    control: str | None = None  # JSON control channel on TCP "HOST:PORT"
    control_unix: str | None = None  # ... and/or on a Unix socket path
    trace_capacity: int = 20_000

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError(f"time scale must be positive, got {self.time_scale}")
        if self.measure_ms < 0:
            raise ValueError(f"measurement time must not be negative, got {self.measure_ms}")
        if self.log_entries < 0:
            raise ValueError(f"log entries must not be negative, got {self.log_entries}")
        if self.pace_baud is not None and self.pace_baud <= 0:
            raise ValueError(f"pacing baud rate must be positive, got {self.pace_baud}")
        if not 1 <= self.program_slots <= 254:
            raise ValueError(f"program slots must be 1..254, got {self.program_slots}")
