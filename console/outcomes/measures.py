"""What one outcome assessment holds, and the ranges each measure must lie in.

Every check names the field, the value and the limit; a refused entry is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from console.outcomes.odi import OdiItems, checked_items
from console.outcomes.refusal import EntryRefused, coded
from console.outcomes.timepoints import Timepoint

EQ5D_DIMENSIONS: tuple[str, ...] = ("Mobility", "Self-care", "Usual activities",
                                    "Pain / discomfort", "Anxiety / depression")

PGIC_WORDS: dict[int, str] = {1: "very much improved", 2: "much improved",
                              3: "minimally improved", 4: "no change", 5: "minimally worse",
                              6: "much worse", 7: "very much worse"}
"""Patient Global Impression of Change, 1–7 as IMMPACT words it."""


class AnalgesicUse(StrEnum):
    """The strongest pain medicine taken regularly for the back pain."""

    NONE = "none"
    NON_OPIOID = "non-opioid"
    WEAK_OPIOID = "weak-opioid"
    STRONG_OPIOID = "strong-opioid"


class WorkStatus(StrEnum):
    WORKING = "working"
    WORKING_REDUCED = "working-reduced"
    OFF_WORK_BACK_PAIN = "off-work-back-pain"
    NOT_WORKING_OTHER = "not-working-other"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class OutcomeMeasures:
    """The measures of one assessment; any may be missing, but not all of them."""

    nrs: int | None = None
    odi: OdiItems | None = None
    eq5d: str | None = None
    eq_vas: int | None = None
    pgic: int | None = None
    analgesics: AnalgesicUse | None = None
    work: WorkStatus | None = None

    def given(self) -> list[str]:
        """The names of the measures this assessment has (for the audit trail)."""
        return [name for name in self.__slots__ if getattr(self, name) is not None]


def _whole(field: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise EntryRefused(field, value, f"must be a whole number from {low} to {high}")


def checked_measures(measures: OutcomeMeasures) -> OutcomeMeasures:
    """``measures`` once each is in range; EntryRefused names the first that is not."""
    if measures.nrs is not None:
        _whole("nrs", measures.nrs, 0, 10)
    odi = None if measures.odi is None else checked_items(measures.odi)
    if measures.eq5d is not None and (
            not isinstance(measures.eq5d, str) or len(measures.eq5d) != 5
            or any(char not in "12345" for char in measures.eq5d)):
        raise EntryRefused("eq5d", measures.eq5d,
                           "must be five digits, each from 1 to 5 (e.g. 21321)")
    if measures.eq_vas is not None:
        _whole("eq_vas", measures.eq_vas, 0, 100)
    if (measures.eq5d is None) != (measures.eq_vas is None):
        given = "eq5d" if measures.eq_vas is None else "eq_vas"
        raise EntryRefused(given, measures.eq5d if measures.eq_vas is None else measures.eq_vas,
                           "EQ-5D-5L is entered whole: the five-digit profile with the VAS")
    if measures.pgic is not None:
        _whole("pgic", measures.pgic, 1, 7)
    analgesics = (None if measures.analgesics is None
                  else coded("analgesics", measures.analgesics, AnalgesicUse))
    work = None if measures.work is None else coded("work", measures.work, WorkStatus)
    checked = OutcomeMeasures(measures.nrs, odi, measures.eq5d, measures.eq_vas, measures.pgic,
                              analgesics, work)
    if not checked.given():
        raise EntryRefused("measures", None, "an assessment needs at least one measure")
    return checked


def checked_pgic_timepoint(point: Timepoint, measures: OutcomeMeasures) -> None:
    """PGIC asks about change since the implant, so a baseline cannot have one."""
    if point is Timepoint.BASELINE and measures.pgic is not None:
        raise EntryRefused("pgic", measures.pgic, "a baseline assessment has no impression of "
                           "change (it is asked after the implant)")


def checked_date(field: str, value: object, today: date) -> date:
    """A real date that is not in the future."""
    if not isinstance(value, date):
        raise EntryRefused(field, value, "must be a date (YYYY-MM-DD)")
    if value > today:
        raise EntryRefused(field, value.isoformat(), f"is after today ({today.isoformat()})")
    return value
