"""The period a usage report covers: whole local calendar days, both ends included.

By default the 28 days ending yesterday: today is not over, so it would always look short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

DEFAULT_DAYS = 28
MAX_DAYS = 3660
"""About ten years: a longer period is a typing mistake, not a follow-up interval."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class PeriodError(ValueError):
    """A period that cannot be reported, said in the words of the options given."""


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError(f"the period starts on {self.start} after it ends on {self.end}")
        if self.days > MAX_DAYS:
            raise PeriodError(f"the period {self.start} to {self.end} is {self.days} days, "
                              f"above the limit of {MAX_DAYS}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


def default_period(today: date) -> Period:
    """The 28 days ending yesterday."""
    end = today - timedelta(days=1)
    return Period(end - timedelta(days=DEFAULT_DAYS - 1), end)


def parse_date(option: str, text: str) -> date:
    """``YYYY-MM-DD`` exactly; anything else is refused naming the option and the text."""
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise PeriodError(f"{option} {text}: not a date (YYYY-MM-DD)")


def period_from_options(first: str | None, last: str | None, today: date) -> Period:
    """``--from``/``--to`` as given; a missing end defaults as in ``default_period``.

    Only ``--from``: up to yesterday. Only ``--to``: the 28 days ending then.
    """
    default = default_period(today)
    start = parse_date("--from", first) if first is not None else None
    end = parse_date("--to", last) if last is not None else None
    if start is None and end is None:
        return default
    if end is None:
        end = default.end
        if start is not None and start > end:
            raise PeriodError(f"--from {first} is after yesterday ({end}), where the period "
                              f"ends without --to")
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise PeriodError(f"--from {first} is after --to {last}")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise PeriodError(f"--from {start} --to {end}: {days} days, above the limit of "
                          f"{MAX_DAYS}")
    return Period(start, end)
