"""What the Usage tab shows: the last 28 days, the time since the last visit, the whole
history for the calendar, sessions stopped early, and the flags the clinic asked for.

Built from the log entries the record holds, with the same definitions as
``mfconsole usage`` (docs/usage.md), so the tab and the command line never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from console.clinic.profile import ClinicProfile
from console.usage.log_report import LogUsage, usage_from_log
from console.usage.period import MAX_DAYS, Period, default_period
from console.usage.report import UsageReport
from console.usage.sessions import LogLine, TherapySession


@dataclass(frozen=True, slots=True)
class UsageOverview:
    last_28_days: UsageReport
    since_last_visit: UsageReport | None  # None: no earlier visit, or it was yesterday/today
    history: UsageReport  # from the first dated session (or the implant) to yesterday
    stopped_early: tuple[TherapySession, ...]  # in the last 28 days
    flags: tuple[str, ...]


def usage_overview(entries: Sequence[LogLine], clinic: ClinicProfile, *, today: date,
                   implanted: date | None, last_visit: date | None) -> UsageOverview:
    prescribed = clinic.prescribed_sessions_per_day
    recent = usage_from_log(entries, default_period(today), prescribed)
    yesterday = today - timedelta(days=1)
    since_visit = None
    if last_visit is not None and last_visit <= yesterday:
        since_visit = usage_from_log(entries, Period(last_visit, yesterday), prescribed).report
    first = implanted or _first_day(recent, entries, prescribed, yesterday)
    start = max(min(first, recent.report.start), yesterday - timedelta(days=MAX_DAYS - 1))
    history = usage_from_log(entries, Period(start, yesterday), prescribed).report
    early = tuple(s for s in recent.sessions if s.stopped_early)
    return UsageOverview(recent.report, since_visit, history, early,
                         _flags(recent.report, history, clinic))


def _first_day(recent: LogUsage, entries: Sequence[LogLine], prescribed: int,
               yesterday: date) -> date:
    """Without an implant date, the calendar starts at the first session the log dates."""
    whole = usage_from_log(entries, Period(yesterday - timedelta(days=MAX_DAYS - 1),
                                           yesterday), prescribed)
    used = [day.day for day in whole.report.daily if day.started]
    return used[0] if used else recent.report.start


def _flags(recent: UsageReport, history: UsageReport, clinic: ClinicProfile) -> tuple[str, ...]:
    flags = []
    threshold = clinic.adherence_flag_below_pct
    if recent.adherence_pct < threshold:
        flags.append(f"Adherence {recent.adherence_pct:.1f} % over the last 28 days is below "
                     f"the clinic's {threshold} %.")
    if history.undated:
        flags.append(f"{history.undated} session(s) were logged while the device clock was "
                     "not set: they are on no day. Set the device clock.")
    return tuple(flags)
