"""A period's usage report from paired sessions: pure and quick (docs/usage.md).

Each dated session counts on the local calendar day of its start (the console's time
zone, ``TZ`` respected). Adherence caps each day at the prescription, so extra sessions
on one day never make up for a missed day.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from console.usage.period import Period
from console.usage.report import DayUsage, UsageReport
from console.usage.sessions import UNDATED, TherapySession


def local_day(device_time: int) -> date:
    """The console's local calendar day of a device time (Unix seconds, UTC)."""
    return datetime.fromtimestamp(device_time).astimezone().date()


@dataclass(frozen=True, slots=True)
class DatedSessions:
    """The sessions of a period by local day of their start, and how many are undated."""

    by_day: dict[date, list[TherapySession]]
    undated: int

    def sessions(self) -> list[TherapySession]:
        """Every session of the period, oldest first."""
        return sorted((s for day in self.by_day.values() for s in day), key=_index)


def sessions_by_day(sessions: Iterable[TherapySession], period: Period) -> DatedSessions:
    """Place each dated session on its local day; count the undated ones, wherever they are.

    The local midnights that bound the period's days are worked out once (DST included),
    and each start is placed between them by bisection: the same day ``local_day`` gives,
    without a time-zone conversion per session (an audit places tens of thousands).
    """
    days = list(period.dates())
    edges = [_local_midnight(day) for day in days]
    edges.append(_local_midnight(period.end + timedelta(days=1)))
    low, high = edges[0], edges[-1]
    by_day: dict[date, list[TherapySession]] = {}
    undated = 0
    for session in sessions:
        start = session.start_time
        if start == UNDATED:
            undated += 1
        elif low <= start < high:
            by_day.setdefault(days[bisect_right(edges, start) - 1], []).append(session)
    return DatedSessions(by_day, undated)


def usage_report(sessions: Iterable[TherapySession], period: Period,
                 prescribed_per_day: int) -> UsageReport:
    """Sessions started, completed and minutes by day, and adherence over ``period``.

    ``undated`` counts every session whose start was logged while the device clock was not
    set, wherever in the log: it cannot be placed in this period or any other.
    """
    return report_of(sessions_by_day(sessions, period), period, prescribed_per_day)


def period_adherence(sessions: Iterable[TherapySession], period: Period,
                     prescribed_per_day: int) -> float:
    """Only the adherence of ``usage_report``, by the same definition, without the rest
    of the report: the clinic's audit works it out for every patient."""
    dated = sessions_by_day(sessions, period)
    return adherence_pct(_capped(dated, prescribed_per_day), prescribed_per_day, period.days)


def _capped(dated: DatedSessions, prescribed_per_day: int) -> int:
    """Completed sessions, each day counting at most the prescription."""
    if prescribed_per_day < 1:
        raise ValueError(f"prescribed sessions per day must be at least 1, "
                         f"got {prescribed_per_day}")
    return sum(min(sum(s.completed for s in day), prescribed_per_day)
               for day in dated.by_day.values())


def report_of(dated: DatedSessions, period: Period, prescribed_per_day: int) -> UsageReport:
    """The report of sessions already placed on their days (``sessions_by_day``)."""
    capped = _capped(dated, prescribed_per_day)
    daily = tuple(_day(day, dated.by_day.get(day, ())) for day in period.dates())
    seconds = sum(s.seconds for day in dated.by_day.values() for s in day)
    return UsageReport(
        start=period.start, end=period.end, days=period.days,
        prescribed_per_day=prescribed_per_day,
        sessions_started=sum(day.started for day in daily),
        sessions_completed=sum(day.completed for day in daily),
        minutes_delivered=minutes(seconds),
        adherence_pct=adherence_pct(capped, prescribed_per_day, period.days),
        undated=dated.undated, daily=daily)


def _day(day: date, sessions: Sequence[TherapySession]) -> DayUsage:
    return DayUsage(day, len(sessions), sum(s.completed for s in sessions),
                    minutes(sum(s.seconds for s in sessions)))


def _local_midnight(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time()).timestamp())


def _index(session: TherapySession) -> int:
    return session.index


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
