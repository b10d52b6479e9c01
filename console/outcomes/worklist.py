"""Which scheduled assessments a patient is waiting for: due, or overdue.

A timepoint counts as collected when the patient has a current entry for it; the states
and windows are ``console.outcomes.timepoints``'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from console.outcomes.clinic import ClinicFacts
from console.outcomes.entries import OutcomeEntry
from console.outcomes.timepoints import (
    SCHEDULED,
    WINDOW_DAYS,
    FollowUpState,
    Timepoint,
    due_date,
    follow_up_state,
)

WAITING = (FollowUpState.DUE, FollowUpState.OVERDUE)


@dataclass(frozen=True, slots=True)
class Waiting:
    """One assessment not yet collected that is due or overdue on the day asked about."""

    clinic_id: str
    implant: date | None
    timepoint: Timepoint
    due_on: date | None  # None: a baseline before any implant date is known
    state: FollowUpState

    @property
    def late_after(self) -> date | None:
        """The last day an entry counts as on time (a baseline's is the implant day)."""
        if self.due_on is None:
            return None
        return self.due_on + timedelta(days=WINDOW_DAYS.get(self.timepoint, 0))

    def as_json(self) -> dict[str, object]:
        return {"patient": self.clinic_id, "implant_date": _iso(self.implant),
                "timepoint": self.timepoint.value, "due_date": _iso(self.due_on),
                "late_after": _iso(self.late_after), "state": self.state.value}


def waiting(clinic_id: str, implant: date | None, entries: Iterable[OutcomeEntry],
            today: date) -> list[Waiting]:
    """The patient's scheduled timepoints still to collect that are due or overdue."""
    collected = {entry.timepoint for entry in entries}
    found = []
    for point in SCHEDULED:
        state = follow_up_state(implant, point, point in collected, today)
        if state in WAITING:
            due = None if implant is None else due_date(implant, point)
            found.append(Waiting(clinic_id, implant, point, due, state))
    return found


def clinic_worklist(facts: ClinicFacts, today: date) -> list[Waiting]:
    """Every patient's waiting assessments, patient by patient in clinic ID order."""
    return [item for patient in facts.patients
            for item in waiting(patient.clinic_id, patient.implant_date, patient.outcomes,
                                today)]


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
