"""``mfconsole bench usage``: the usage report over a long stored log, timed in-process.

The entries are the stored form (``DeviceLogRecord``) of the emulator's realistic history
(two sessions a day, some missed, a few stopped early), so what is timed is exactly the
pure computation ``mfconsole usage`` and the window run once the entries are read. The
baseline is the plain pairing pass over the same entries in the same process: the ratio
says what the day-by-day counting adds, whatever the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from console.bench.stats import timed_interleaved
from console.storage.entities import DeviceLogRecord
from console.usage.adherence import local_day
from console.usage.log_report import usage_from_log
from console.usage.period import default_period
from console.usage.sessions import pair_sessions
from device_link.emulator.program_requests import IMPLANT_PROGRAM
from device_link.emulator.usage_log import generate_history

DEFAULT_ENTRIES = 10_000
DEFAULT_RUNS = 51
TARGET_MS = 50.0
HISTORY_END = 1_767_225_600  # 2026-01-01 00:00 UTC: the same history on every run
MS = 1000.0


@dataclass(frozen=True, slots=True)
class UsageBenchReport:
    entries: int
    sessions: int
    runs: int
    period: tuple[date, date]
    report_median_ms: float
    report_p99_ms: float
    pairing_median_ms: float

    @property
    def ratio(self) -> float:
        return self.report_median_ms / self.pairing_median_ms

    @property
    def met(self) -> bool:
        return self.report_median_ms <= TARGET_MS

    def as_dict(self) -> dict[str, Any]:
        return {"entries": self.entries, "sessions": self.sessions, "runs": self.runs,
                "period": [self.period[0].isoformat(), self.period[1].isoformat()],
                "report_median_ms": round(self.report_median_ms, 3),
                "report_p99_ms": round(self.report_p99_ms, 3),
                "pairing_median_ms": round(self.pairing_median_ms, 3),
                "ratio": round(self.ratio, 2), "target": f"≤ {TARGET_MS:.0f} ms median",
                "pass": self.met}


def stored_history(entries: int, serial: str = "BENCH-1") -> list[DeviceLogRecord]:
    """``entries`` log entries as the record returns them, in device index order."""
    history = generate_history(entries, HISTORY_END, 1, IMPLANT_PROGRAM.crc,
                               IMPLANT_PROGRAM.session_min * 60)
    return [DeviceLogRecord(serial, index, *entry) for index, entry in enumerate(history)]


def run_usage_bench(entries: int = DEFAULT_ENTRIES, runs: int = DEFAULT_RUNS
                    ) -> UsageBenchReport:
    """Median of ``runs`` reports (default period ending at the history's end) after a
    warm-up, and of as many plain pairing passes."""
    if entries < 1 or runs < 1:
        raise ValueError("entries and runs must each be at least 1")
    log = stored_history(entries)
    period = default_period(local_day(HISTORY_END))
    prescribed = 2
    report, pairing = timed_interleaved(
        lambda: usage_from_log(log, period, prescribed), lambda: pair_sessions(log), runs)
    sessions = len(pair_sessions(log).sessions)
    return UsageBenchReport(entries, sessions, runs, (period.start, period.end),
                            report.median * MS, report.p99 * MS, pairing.median * MS)


