"""A period's usage report from paired sessions: pure and quick (docs/usage.md).

Each dated session counts on the local calendar day of its start (the console's time
zone, ``TZ`` respected). Adherence caps each day at the prescription, so extra sessions
on one day never make up for a missed day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from console.usage.period import Period
from console.usage.report import DayUsage, UsageReport
from console.usage.sessions import TherapySession


def local_day(device_time: int) -> date:
    """The console's local calendar day of a device time (Unix seconds, UTC)."""
    return datetime.fromtimestamp(device_time).astimezone().date()


def usage_report(sessions: Iterable[TherapySession], period: Period,
                 prescribed_per_day: int) -> UsageReport:
    """Sessions started, completed and minutes by day, and adherence over ``period``.

    ``undated`` counts every session whose start was logged while the device clock was not
    set, wherever in the log: it cannot be placed in this period or any other.
    """
    if prescribed_per_day < 1:
        raise ValueError(f"prescribed sessions per day must be at least 1, "
                         f"got {prescribed_per_day}")
    started: dict[date, int] = {}
    completed: dict[date, int] = {}
    seconds: dict[date, int] = {}
    undated = 0
    for session in sessions:
        if session.undated:
            undated += 1
            continue
        day = local_day(session.start_time)
        if not period.start <= day <= period.end:
            continue
        started[day] = started.get(day, 0) + 1
        seconds[day] = seconds.get(day, 0) + session.seconds
        if session.completed:
            completed[day] = completed.get(day, 0) + 1
    daily = tuple(DayUsage(day, started.get(day, 0), completed.get(day, 0),
                           minutes(seconds.get(day, 0))) for day in period.dates())
    capped = sum(min(day.completed, prescribed_per_day) for day in daily)
    return UsageReport(
        start=period.start, end=period.end, days=period.days,
        prescribed_per_day=prescribed_per_day, sessions_started=sum(started.values()),
        sessions_completed=sum(completed.values()),
        minutes_delivered=minutes(sum(seconds.values())),
        adherence_pct=adherence_pct(capped, prescribed_per_day, period.days),
        undated=undated, daily=daily)


def minutes(seconds: int) -> float:
    """Seconds delivered as minutes, to one decimal."""
    return _tenths(seconds, 60)


def adherence_pct(capped_completed: int, prescribed_per_day: int, days: int) -> float:
    """100 × capped completed / (prescribed × days), to one decimal (halves rounded up)."""
    if days < 1:
        raise ValueError(f"a period needs at least one day, got {days}")
    return _tenths(100 * capped_completed, prescribed_per_day * days)


def _tenths(numerator: int, denominator: int) -> float:
    """numerator / denominator to one decimal, exactly, halves rounded up."""
    tenths = (20 * numerator + denominator) // (2 * denominator)
    return tenths / 10
