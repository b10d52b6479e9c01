"""The usage report in words, for the command line (and anyone printing it for people)."""

from __future__ import annotations

from datetime import datetime

from console.usage.report import UsageReport
from console.usage.sessions import Starter, TherapySession
from device_link.protocol import StopReason

STARTED_BY: dict[int, str] = {Starter.ACTIVATOR: "with the activator",
                               Starter.CONSOLE: "from the console"}
STOPPED_BY: dict[int, str] = {StopReason.STOP_REQUEST: "a STOP (activator or console)",
                              StopReason.WATCHDOG: "the watchdog",
                              StopReason.DURATION_ELAPSED: "its time limit",
                              StopReason.FAULT: "a device fault"}


def started_by(session: TherapySession) -> str:
    return STARTED_BY.get(session.started_by, f"by starter code {session.started_by}")


def stopped_by(session: TherapySession) -> str:
    reason = session.stop_reason
    if reason is None:
        return "nothing logged"
    return STOPPED_BY.get(reason, f"stop reason {reason}")


def summary_lines(report: UsageReport, sessions: list[TherapySession]) -> list[str]:
    """The summary above the per-day table; ``sessions``: those the report counts."""
    by_activator = sum(s.started_by == Starter.ACTIVATOR for s in sessions)
    by_console = sum(s.started_by == Starter.CONSOLE for s in sessions)
    lines = [
        f"Period: {report.start} to {report.end} ({_count(report.days, 'day')})",
        f"Sessions started: {report.sessions_started} ({by_activator} with the activator, "
        f"{by_console} from the console)",
        f"Sessions completed: {report.sessions_completed}",
        f"Therapy delivered: {report.minutes_delivered:.1f} minutes",
        f"Adherence: {report.adherence_pct:.1f} % of the prescribed "
        f"{report.prescribed_per_day} a day",
        _undated_line(report.undated),
    ]
    early = [s for s in sessions if s.stopped_early]
    lines.append(f"Stopped early: {len(early)}")
    lines += [f"  {_local(s.start_time)}  started {started_by(s)}, stopped by {stopped_by(s)} "
              f"after {s.minutes:.1f} minutes" for s in early]
    unended = [s for s in sessions if not s.ended]
    if unended:
        lines.append(f"Not ended: {_count(len(unended), 'session')} with no end in the log "
                     "(still running, or its end was not logged): counted as started, not "
                     "completed, 0 minutes")
    return lines


def _undated_line(undated: int) -> str:
    if not undated:
        return "Undated: 0 sessions (none was logged while the device clock was not set)"
    return (f"Undated: {_count(undated, 'session')} logged while the device clock was not set, "
            "so not placed on any day; set the device clock to date the next ones")


def _local(device_time: int) -> str:
    return f"{datetime.fromtimestamp(device_time):%Y-%m-%d %H:%M}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def daily_rows(report: UsageReport) -> list[tuple[str, int, int, str]]:
    """The per-day table: date, started, completed, minutes."""
    return [(day.day.isoformat(), day.started, day.completed, f"{day.minutes:.1f}")
            for day in report.daily]


DAILY_HEADERS = ("date", "started", "completed", "minutes")
