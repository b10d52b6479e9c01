"""Link faults an engineer injects between the device and the wire: noise, loss, delay."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass

DIRECTIONS = ("both", "tx", "rx")


@dataclass(frozen=True, slots=True)
class LinkFaults:
    """``corrupt_rate``: chance per byte of a flipped bit; ``drop_rate``: chance per frame of
    being lost; both apply to ``direction`` (device output ``tx``, input ``rx`` or both).
    ``delay_ms`` holds back every output frame."""

    corrupt_rate: float = 0.0
    drop_rate: float = 0.0
    delay_ms: float = 0.0
    direction: str = "both"

    def __post_init__(self) -> None:
        for name in ("corrupt_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")
        if self.delay_ms < 0:
            raise ValueError(f"delay_ms must not be negative, got {self.delay_ms}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, "
                             f"got {self.direction!r}")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class LinkShaper:
    """Applies the present ``LinkFaults``; random but reproducible for a seed."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"link-{seed}")
        self._lock = threading.Lock()
        self.faults = LinkFaults()

    def set(self, faults: LinkFaults) -> None:
        self.faults = faults

    def _applies(self, direction: str) -> bool:
        return self.faults.direction in ("both", direction)

    def drop(self, direction: str) -> bool:
        faults = self.faults
        if not faults.drop_rate or not self._applies(direction):
            return False
        with self._lock:
            return self._rng.random() < faults.drop_rate

    def corrupt(self, data: bytes, direction: str) -> tuple[bytes, bool]:
        """``data`` with random bit flips at the configured rate, and whether any happened."""
        rate = self.faults.corrupt_rate
        if not rate or not self._applies(direction):
            return data, False
        with self._lock:
            hits = [i for i in range(len(data)) if self._rng.random() < rate]
            if not hits:
                return data, False
            mangled = bytearray(data)
            for i in hits:
                mangled[i] ^= 1 << self._rng.randrange(8)
        return bytes(mangled), True

    @property
    def delay_s(self) -> float:
        return self.faults.delay_ms / 1000
