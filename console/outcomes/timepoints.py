"""Follow-up timepoints and when each is due, counted from the implant date.

Baseline is collected before the implant; the follow-ups at 6 weeks and 3, 6, 12 and 24
months after it; ``other`` is any extra assessment and is never due. A timepoint is
*due* from its date and *overdue* once its window has passed without an entry.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum


class Timepoint(StrEnum):
    BASELINE = "baseline"
    WEEK_6 = "6w"
    MONTH_3 = "3m"
    MONTH_6 = "6m"
    MONTH_12 = "12m"
    MONTH_24 = "24m"
    OTHER = "other"


FOLLOW_UPS: tuple[Timepoint, ...] = (Timepoint.WEEK_6, Timepoint.MONTH_3, Timepoint.MONTH_6,
                                     Timepoint.MONTH_12, Timepoint.MONTH_24)
"""The timepoints after the implant, in order: the ones the audit counts and charts."""

SCHEDULED: tuple[Timepoint, ...] = (Timepoint.BASELINE, *FOLLOW_UPS)
"""Every timepoint with a due date: one entry of each is expected per patient."""

_MONTHS = {Timepoint.MONTH_3: 3, Timepoint.MONTH_6: 6, Timepoint.MONTH_12: 12,
           Timepoint.MONTH_24: 24}

WINDOW_DAYS: dict[Timepoint, int] = {Timepoint.WEEK_6: 14,
                                     Timepoint.MONTH_3: 30, Timepoint.MONTH_6: 30,
                                     Timepoint.MONTH_12: 60, Timepoint.MONTH_24: 60}
"""Days after the due date an entry still counts as on time; after them it is overdue.
Baseline has none: it is due until the implant and overdue after it."""


class FollowUpState(StrEnum):
    COLLECTED = "collected"
    NOT_DUE = "not due"
    DUE = "due"
    OVERDUE = "overdue"


def timepoint(text: str) -> Timepoint:
    """The timepoint named ``text``; ValueError naming the choices otherwise."""
    try:
        return Timepoint(text)
    except ValueError:
        raise ValueError(f"timepoint {text!r}: must be one of "
                         f"{', '.join(t.value for t in Timepoint)}") from None


def add_months(start: date, months: int) -> date:
    """``start`` moved on by whole calendar months; the 31st becomes the month's last day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_date(implant: date, point: Timepoint) -> date | None:
    """When ``point`` falls for an implant on ``implant``; None for ``other``."""
    if point is Timepoint.BASELINE:
        return implant
    if point is Timepoint.WEEK_6:
        return implant + timedelta(weeks=6)
    months = _MONTHS.get(point)
    return None if months is None else add_months(implant, months)


def follow_up_state(implant: date | None, point: Timepoint, collected: bool,
                    today: date) -> FollowUpState:
    """Where ``point`` stands for a patient on ``today``."""
    if collected:
        return FollowUpState.COLLECTED
    if point is Timepoint.BASELINE:  # expected before the implant, late once it is done
        return (FollowUpState.OVERDUE if implant is not None and today > implant
                else FollowUpState.DUE)
    due = None if implant is None else due_date(implant, point)
    if due is None or today < due:
        return FollowUpState.NOT_DUE
    if today > due + timedelta(days=WINDOW_DAYS[point]):
        return FollowUpState.OVERDUE
    return FollowUpState.DUE
