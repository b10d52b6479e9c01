"""Outcome and adverse event entries as the clinical record hands them back.

Entries are never changed: a correction is a new entry that ``amends`` the one before,
with a reason, and an entry made in error is withdrawn the same way. The current
entries of a patient are those no later entry amends and that are not withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from console.outcomes.adverse_events import EventDetails
from console.outcomes.measures import OutcomeMeasures
from console.outcomes.odi import odi_percent
from console.outcomes.timepoints import Timepoint


@dataclass(frozen=True, slots=True)
class Amendment:
    """What an entry corrects: the entry it replaces and why (None for a first entry)."""

    amends: int
    reason: str
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class OutcomeEntry:
    id: int
    patient_clinic_id: str
    timepoint: Timepoint
    collected_on: date
    measures: OutcomeMeasures
    recorded_at: datetime
    recorded_by: str
    visit_id: int | None
    amendment: Amendment | None

    @property
    def odi_pct(self) -> Decimal | None:
        """The ODI in percent (one decimal); None without an ODI or when not scored."""
        return None if self.measures.odi is None else odi_percent(self.measures.odi)


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    id: int
    patient_clinic_id: str
    device_serial: str | None
    details: EventDetails
    recorded_at: datetime
    recorded_by: str
    visit_id: int | None
    amendment: Amendment | None
