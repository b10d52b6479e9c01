"""From stored (or just downloaded) log entries to the usage report and its sessions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from console.usage.adherence import report_of, sessions_by_day
from console.usage.period import Period
from console.usage.report import UsageReport
from console.usage.sessions import LogLine, TherapySession, pair_sessions


@dataclass(frozen=True, slots=True)
class LogUsage:
    """The report, the sessions it counts (for their details) and ends with no start."""

    report: UsageReport
    sessions: tuple[TherapySession, ...]
    unmatched_ends: int


def usage_from_log(entries: Iterable[LogLine], period: Period,
                   prescribed_per_day: int) -> LogUsage:
    """``entries`` in device index order: every entry of the device the record holds."""
    pairing = pair_sessions(entries)
    dated = sessions_by_day(pairing.sessions, period)
    return LogUsage(report_of(dated, period, prescribed_per_day), tuple(dated.sessions()),
                    pairing.unmatched_ends)
