"""Usage-log download: entries per second and the share of the line rate it achieves.

Line rate share = bytes received × 10 / (elapsed × baud): a UART byte is ten bit
times (start, 8 data, stop), so 1.0 means the line never idled while downloading.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from console.bench.errors import BenchError
from console.bench.report import Row, Target
from device_link.client import DeviceClient

LINE_RATE_TARGET = Target("value", 0.85, at_most=False, text="≥ 85 % of line rate")
BITS_PER_BYTE = 10


@dataclass(frozen=True, slots=True)
class LogDownload:
    entries: int
    device_total: int
    elapsed_s: float
    bytes_received: int
    baud: int

    @property
    def entries_per_s(self) -> float:
        return self.entries / self.elapsed_s

    @property
    def line_rate_share(self) -> float:
        return self.bytes_received * BITS_PER_BYTE / (self.elapsed_s * self.baud)

    def _detail(self) -> dict[str, float | int]:
        return {"entries_per_s": round(self.entries_per_s, 1),
                "line_rate_share": round(self.line_rate_share, 4),
                "elapsed_s": round(self.elapsed_s, 3), "bytes_received": self.bytes_received,
                "baud": self.baud, "device_total": self.device_total}

    def line_rate_row(self, name: str, title: str, target: Target | None) -> Row:
        """The figure is the share of the line rate (for a paced or real line)."""
        return Row(name, title, self.entries, "of line rate", value=self.line_rate_share,
                   target=target, detail=self._detail())

    def speed_row(self, name: str, title: str) -> Row:
        """The figure is entries per second (for an unpaced pseudo-terminal)."""
        return Row(name, title, self.entries, "entries/s", value=self.entries_per_s,
                   detail=self._detail())


def download_log(client: DeviceClient, baud: int, require_all: bool = False) -> LogDownload:
    """Download every entry with ``iter_log`` from index 0 and time it.

    ``require_all``: the count must equal the device's total (an emulator logs
    nothing while it is read; a real device might).
    """
    rx_before, _ = client.wire_bytes
    entries = total = 0
    start = time.perf_counter()
    for _entry, device_total in client.iter_log(0):
        entries += 1
        total = device_total
    elapsed = time.perf_counter() - start
    if require_all and entries != total:
        raise BenchError(f"downloaded {entries} log entries of the device's {total}")
    return LogDownload(entries, total, elapsed, client.wire_bytes[0] - rx_before, baud)
