"""From stored (or just downloaded) log entries to the usage report and its sessions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from console.usage.adherence import usage_report
from console.usage.period import Period
from console.usage.report import UsageReport
from console.usage.sessions import LogLine, TherapySession, pair_sessions
from console.usage.wording import in_period


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
    report = usage_report(pairing.sessions, period, prescribed_per_day)
    return LogUsage(report, tuple(in_period(pairing.sessions, period)),
                    pairing.unmatched_ends)
