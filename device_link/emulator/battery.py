"""Primary-cell battery: a percentage, its voltage, and slow drain by stimulation."""

from __future__ import annotations

from dataclasses import dataclass

EMPTY_MV = 2600
FULL_MV = 3200
LOW_PCT = 15
# Percent drained per hour of stimulation at 1 mA, 200 µs, 20 Hz (scaled by charge rate).
DRAIN_PCT_PER_HOUR = 0.05
REFERENCE_CHARGE_RATE = 1000 * 200 * 20  # µA · µs · Hz


@dataclass
class Battery:
    percent: float = 82.0

    @property
    def pct(self) -> int:
        return max(0, min(100, int(self.percent)))

    @property
    def mv(self) -> int:
        return EMPTY_MV + round((FULL_MV - EMPTY_MV) * max(0.0, min(100.0, self.percent)) / 100)

    @property
    def low(self) -> bool:
        return self.percent < LOW_PCT

    def drain(self, seconds: float, amp_ua: int, pw_us: int, freq_hz: int) -> None:
        """Spend the charge of ``seconds`` of biphasic pulses at the given settings."""
        rate = amp_ua * pw_us * freq_hz * 2 / REFERENCE_CHARGE_RATE
        self.percent = max(0.0, self.percent - DRAIN_PCT_PER_HOUR * rate * seconds / 3600)
