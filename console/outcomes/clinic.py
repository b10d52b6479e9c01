"""Everything the clinic's audit and the registry export read, loaded at once.

Plain values (no database), so the cohort figures and the export are pure functions of
it and can be tested on a hand-built clinic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from console.outcomes.entries import AdverseEvent, OutcomeEntry


@dataclass(frozen=True, slots=True)
class ClinicDevice:
    serial: str
    model: str
    implant_date: date | None


@dataclass(frozen=True, slots=True)
class ClinicPatient:
    """One patient with their devices, current outcome entries (by date) and current
    adverse events (by onset). ``name`` and ``date_of_birth`` are only ever filled in for
    an identifiable export; otherwise None whatever the record holds."""

    clinic_id: str
    devices: tuple[ClinicDevice, ...]
    outcomes: tuple[OutcomeEntry, ...]
    adverse_events: tuple[AdverseEvent, ...]
    name: str | None = None
    date_of_birth: date | None = None

    @property
    def implant_date(self) -> date | None:
        """The first implant: the follow-up timepoints count from it."""
        dates = [d.implant_date for d in self.devices if d.implant_date is not None]
        return min(dates) if dates else None


@dataclass(frozen=True, slots=True)
class ClinicFacts:
    patients: tuple[ClinicPatient, ...]  # by clinic ID
