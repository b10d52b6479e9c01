"""The usage definitions of docs/usage.md, on hand-made log entries: pure, no device."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from console.usage.adherence import adherence_pct, local_day, minutes, usage_report
from console.usage.log_report import usage_from_log
from console.usage.period import (
    MAX_DAYS,
    Period,
    PeriodError,
    default_period,
    period_from_options,
)
from console.usage.sessions import Starter, pair_sessions
from console.usage.wording import summary_lines
from device_link.messages import LogEntry
from device_link.protocol import LogCode, StopReason

COMPLETE = StopReason.SESSION_COMPLETE


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The console's zone set to UTC for the test, then put back."""
    yield from _zone(monkeypatch, "UTC")


def _zone(monkeypatch: pytest.MonkeyPatch, name: str) -> Iterator[None]:
    monkeypatch.setenv("TZ", name)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def at(text: str) -> int:
    """Unix seconds of a UTC ``YYYY-MM-DD HH:MM``."""
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
               .timestamp())


class Log:
    """Entries with consecutive indexes, written the way the device logs them."""

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []

    def add(self, time_s: int, code: int, a: int = 0, b: int = 0, c: int = 0) -> Log:
        self.entries.append(LogEntry(len(self.entries), time_s, code, a, b, c))
        return self

    def session(self, start: int, seconds: int = 1800, reason: int = COMPLETE, slot: int = 0,
                by: int = Starter.ACTIVATOR) -> Log:
        self.add(start, LogCode.THERAPY_START, slot, by)
        return self.add(start + seconds, LogCode.THERAPY_END, slot, reason, seconds)


def report(log: Log, first: str, last: str, prescribed: int = 2):
    period = Period(date.fromisoformat(first), date.fromisoformat(last))
    return usage_report(pair_sessions(log.entries).sessions, period, prescribed)


# -- pairing -----------------------------------------------------------------------------------

def test_a_start_and_its_end_make_one_completed_session_with_its_starter():
    log = Log().session(at("2026-03-02 07:30"), 1800, by=Starter.CONSOLE)
    (session,) = pair_sessions(log.entries).sessions
    assert (session.slot, session.started_by, session.completed, session.minutes,
            session.undated) == (0, Starter.CONSOLE, True, 30.0, False)


@pytest.mark.parametrize("reason", [StopReason.STOP_REQUEST, StopReason.WATCHDOG,
                                    StopReason.DURATION_ELAPSED, StopReason.FAULT])
def test_every_other_stop_reason_is_started_not_completed_with_its_minutes(utc, reason):
    log = Log().session(at("2026-03-02 07:30"), 600, reason=reason)
    result = report(log, "2026-03-02", "2026-03-02")
    assert (result.sessions_started, result.sessions_completed, result.minutes_delivered,
            result.adherence_pct) == (1, 0, 10.0, 0.0)
    assert pair_sessions(log.entries).sessions[0].stopped_early


def test_a_start_without_an_end_is_started_not_completed_and_zero_minutes(utc):
    log = Log().session(at("2026-03-02 07:30")).add(at("2026-03-02 19:30"),
                                                    LogCode.THERAPY_START)
    result = report(log, "2026-03-02", "2026-03-02")
    assert (result.sessions_started, result.sessions_completed, result.minutes_delivered) == \
        (2, 1, 30.0)
    assert not pair_sessions(log.entries).sessions[-1].ended


def test_a_second_start_or_a_reboot_leaves_the_open_start_unended():
    log = Log()
    log.add(at("2026-03-02 07:00"), LogCode.THERAPY_START)
    log.session(at("2026-03-02 08:00"))  # a new start: the first one's end was never logged
    log.add(at("2026-03-02 09:00"), LogCode.THERAPY_START)
    log.add(at("2026-03-02 09:10"), LogCode.BOOT)
    log.add(at("2026-03-02 09:20"), LogCode.THERAPY_END, 0, COMPLETE, 1800)  # no start now
    pairing = pair_sessions(log.entries)
    assert [(s.ended, s.completed) for s in pairing.sessions] == [
        (False, False), (True, True), (False, False)]
    assert pairing.unmatched_ends == 1


def test_an_end_before_any_start_is_unmatched_and_counts_nothing(utc):
    log = Log().add(at("2026-03-02 07:30"), LogCode.THERAPY_END, 0, COMPLETE, 1800)
    assert pair_sessions(log.entries).unmatched_ends == 1
    result = report(log, "2026-03-02", "2026-03-02")
    assert (result.sessions_started, result.sessions_completed, result.minutes_delivered) == \
        (0, 0, 0.0)


def test_an_end_of_another_slot_does_not_close_the_session():
    log = Log()
    log.add(at("2026-03-02 07:30"), LogCode.THERAPY_START, 1)
    log.add(at("2026-03-02 08:00"), LogCode.THERAPY_END, 2, COMPLETE, 1800)
    log.add(at("2026-03-02 08:01"), LogCode.THERAPY_END, 1, StopReason.FAULT, 1860)
    pairing = pair_sessions(log.entries)
    (session,) = pairing.sessions
    assert (session.slot, session.stop_reason, session.seconds) == (1, StopReason.FAULT, 1860)
    assert pairing.unmatched_ends == 1


def test_other_entries_between_start_and_end_do_not_matter():
    log = Log()
    log.add(at("2026-03-02 07:30"), LogCode.THERAPY_START)
    log.add(at("2026-03-02 07:40"), LogCode.BATTERY_LOW, 20)
    log.add(at("2026-03-02 07:41"), LogCode.CLOCK_SET, c=at("2026-03-02 07:41"))
    log.add(at("2026-03-02 08:00"), LogCode.THERAPY_END, 0, COMPLETE, 1800)
    assert [s.completed for s in pair_sessions(log.entries).sessions] == [True]


# -- days, midnight, time zone ----------------------------------------------------------------

def test_a_session_across_midnight_belongs_to_the_day_it_started(utc):
    log = Log().session(at("2026-03-02 23:50"), 1800)
    result = report(log, "2026-03-02", "2026-03-03")
    assert [(d.day.isoformat(), d.started, d.completed, d.minutes) for d in result.daily] == [
        ("2026-03-02", 1, 1, 30.0), ("2026-03-03", 0, 0, 0.0)]


def test_the_day_is_the_consoles_local_day(monkeypatch):
    log = Log().session(at("2026-03-02 20:00"))  # 09:00 on 3 March in Auckland (UTC+13)
    for _ in _zone(monkeypatch, "Pacific/Auckland"):
        assert local_day(at("2026-03-02 20:00")) == date(2026, 3, 3)
        auckland = report(log, "2026-03-02", "2026-03-03")
    for _ in _zone(monkeypatch, "America/New_York"):  # 15:00 on 2 March
        new_york = report(log, "2026-03-02", "2026-03-03")
    assert [d.started for d in auckland.daily] == [0, 1]
    assert [d.started for d in new_york.daily] == [1, 0]


def test_sessions_outside_the_period_are_not_counted(utc):
    log = Log().session(at("2026-03-01 23:59")).session(at("2026-03-02 07:30")) \
        .session(at("2026-03-03 00:00"))
    result = report(log, "2026-03-02", "2026-03-02")
    assert (result.sessions_started, result.days, len(result.daily)) == (1, 1, 1)


# -- clock not set -----------------------------------------------------------------------------

def test_a_session_started_with_the_clock_unset_is_undated_and_on_no_day(utc):
    log = Log().session(0, 1800).session(at("2026-03-02 07:30"))
    log.add(0, LogCode.THERAPY_START)
    log.add(at("2026-03-02 19:00"), LogCode.THERAPY_END, 0, COMPLETE, 1800)  # set meanwhile
    result = report(log, "2026-03-02", "2026-03-02")
    assert result.undated == 2
    assert (result.sessions_started, result.sessions_completed) == (1, 1)
    assert sum(d.started for d in result.daily) == 1


def test_the_summary_explains_undated_sessions():
    log = Log().session(0, 1800)
    usage = usage_from_log(log.entries, Period(date(2026, 3, 2), date(2026, 3, 2)), 2)
    assert ("Undated: 1 session logged while the device clock was not set, so not placed on "
            "any day; set the device clock to date the next ones") in summary_lines(
                usage.report, list(usage.sessions))


def test_the_summary_names_early_stops_and_who_started_them(utc):
    log = Log().session(at("2026-03-02 07:30"), 600, reason=StopReason.FAULT,
                        by=Starter.CONSOLE).session(at("2026-03-02 19:30"))
    usage = usage_from_log(log.entries, Period(date(2026, 3, 2), date(2026, 3, 2)), 2)
    lines = summary_lines(usage.report, list(usage.sessions))
    assert "Sessions started: 2 (1 with the activator, 1 from the console)" in lines
    assert "Adherence: 50.0 % of the prescribed 2 a day" in lines
    assert lines[lines.index("Stopped early: 1") + 1] == (
        "  2026-03-02 07:30  started from the console, stopped by a device fault after 10.0 "
        "minutes")


# -- adherence ---------------------------------------------------------------------------------

def test_adherence_caps_each_day_at_the_prescription(utc):
    log = Log()
    for hour in (6, 9, 12, 15):  # four on the first day, none on the second
        log.session(at(f"2026-03-02 {hour:02}:00"))
    result = report(log, "2026-03-02", "2026-03-03", prescribed=2)
    assert (result.sessions_completed, result.adherence_pct) == (4, 50.0)


def test_adherence_uses_the_prescription_given(utc):
    log = Log().session(at("2026-03-02 07:00")).session(at("2026-03-02 12:00"))
    assert report(log, "2026-03-02", "2026-03-02", prescribed=3).adherence_pct == 66.7
    assert report(log, "2026-03-02", "2026-03-02", prescribed=1).adherence_pct == 100.0


@pytest.mark.parametrize(("capped", "prescribed", "days", "pct"), [
    (1, 3, 1, 33.3), (2, 3, 1, 66.7), (1, 2, 28, 1.8), (55, 2, 28, 98.2), (56, 2, 28, 100.0),
    (1, 16, 1, 6.3),  # 6.25: a half is rounded up
    (0, 2, 28, 0.0)])
def test_adherence_is_rounded_to_one_decimal(capped, prescribed, days, pct):
    assert adherence_pct(capped, prescribed, days) == pct


def test_minutes_are_seconds_over_sixty_to_one_decimal():
    assert [minutes(s) for s in (0, 60, 1800, 1234, 3)] == [0.0, 1.0, 30.0, 20.6, 0.1]


def test_daily_has_one_entry_per_day_zero_days_included(utc):
    result = report(Log().session(at("2026-03-05 07:00")), "2026-03-01", "2026-03-07")
    assert [d.started for d in result.daily] == [0, 0, 0, 0, 1, 0, 0]
    assert result.days == 7 and result.daily[0].day == date(2026, 3, 1)


def test_zero_day_periods_and_zero_prescriptions_are_refused():
    with pytest.raises(PeriodError, match="starts on 2026-03-02 after it ends on 2026-03-01"):
        Period(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(ValueError, match="at least one day, got 0"):
        adherence_pct(0, 2, 0)
    with pytest.raises(ValueError, match="at least 1, got 0"):
        usage_report((), Period(date(2026, 3, 1), date(2026, 3, 1)), 0)


# -- the period --------------------------------------------------------------------------------

def test_the_default_period_is_the_28_days_ending_yesterday():
    period = default_period(date(2026, 3, 1))
    assert (period.start, period.end, period.days) == (date(2026, 2, 1), date(2026, 2, 28), 28)
    assert period_from_options(None, None, date(2026, 3, 1)) == period


def test_one_end_given_takes_the_other_from_the_default():
    today = date(2026, 3, 1)
    assert period_from_options("2026-02-20", None, today) == Period(date(2026, 2, 20),
                                                                    date(2026, 2, 28))
    assert period_from_options(None, "2026-01-28", today) == Period(date(2026, 1, 1),
                                                                    date(2026, 1, 28))
    assert period_from_options("2026-01-05", "2026-01-05", today).days == 1


@pytest.mark.parametrize(("first", "last", "message"), [
    ("2026-13-01", None, "--from 2026-13-01: not a date (YYYY-MM-DD)"),
    (None, "2026-02-30", "--to 2026-02-30: not a date (YYYY-MM-DD)"),
    ("20260101", None, "--from 20260101: not a date (YYYY-MM-DD)"),
    ("2026-03-10", "2026-03-01", "--from 2026-03-10 is after --to 2026-03-01"),
    ("2026-03-05", None, "--from 2026-03-05 is after yesterday (2026-02-28), where the period "
                         "ends without --to"),
    ("1990-01-01", "2026-01-01", f"--from 1990-01-01 --to 2026-01-01: 13150 days, above the "
                                 f"limit of {MAX_DAYS}"),
])
def test_bad_periods_are_refused_naming_what_was_given(first, last, message):
    with pytest.raises(PeriodError) as refused:
        period_from_options(first, last, date(2026, 3, 1))
    assert str(refused.value) == message
