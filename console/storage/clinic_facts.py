"""The whole clinic in a handful of queries: for the audit and the registry export.

Loads every patient (or one), their devices, current outcome entries and current adverse
events with one query per table, so the cost grows with the rows, not with round trips.
Rows are read as plain tuples, not ORM objects: an audit reads tens of thousands.
Identifying details are read only when asked for.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.outcomes.clinic import ClinicDevice, ClinicFacts, ClinicPatient
from console.storage.adverse_events import event_from_row
from console.storage.amendments import current
from console.storage.models import (
    AdverseEventRow,
    DeviceRow,
    OutcomeEntryRow,
    PatientRow,
    UserRow,
)
from console.storage.outcomes import outcome_from_row
from console.storage.service import patient_row


def load_clinic_facts(session: Session, *, clinic_id: str | None = None,
                      identifiable: bool = False) -> ClinicFacts:
    """Every patient's facts (or only ``clinic_id``'s; NotFound if unknown)."""
    rows = session.connection()  # Core rows, fetched whole (``all``), not one at a time
    patients = ([patient_row(session, clinic_id)] if clinic_id is not None else
                rows.execute(select(*PatientRow.__table__.c).order_by(
                    PatientRow.clinic_id)).all())
    ids = {p.id: p.clinic_id for p in patients}
    one = patients[0].id if clinic_id is not None else None
    users = dict(rows.execute(select(UserRow.id, UserRow.username)).all())
    devices: dict[int, list[ClinicDevice]] = defaultdict(list)
    serials: dict[int, str] = {}
    for row in rows.execute(select(*DeviceRow.__table__.c).join(
            PatientRow, PatientRow.id == DeviceRow.patient_id).where(
            *_of(DeviceRow, one)).order_by(DeviceRow.id)).all():
        devices[row.patient_id or 0].append(ClinicDevice(row.serial, row.model,
                                                         row.implant_date))
        serials[row.id] = row.serial
    outcomes: dict[int, list[Any]] = defaultdict(list)
    for row in rows.execute(current(select(*OutcomeEntryRow.__table__.c),
                                       OutcomeEntryRow).where(
            *_of(OutcomeEntryRow, one)).order_by(OutcomeEntryRow.collected_on,
                                                   OutcomeEntryRow.id)).all():
        outcomes[row.patient_id].append(outcome_from_row(row, ids[row.patient_id],
                                                         users[row.actor_id]))
    events: dict[int, list[Any]] = defaultdict(list)
    for row in rows.execute(current(select(*AdverseEventRow.__table__.c),
                                       AdverseEventRow).where(
            *_of(AdverseEventRow, one)).order_by(AdverseEventRow.onset_on,
                                                   AdverseEventRow.id)).all():
        events[row.patient_id].append(event_from_row(
            row, ids[row.patient_id], serials.get(row.device_id or 0), users[row.actor_id]))
    return ClinicFacts(tuple(
        ClinicPatient(p.clinic_id, tuple(devices[p.id]), tuple(outcomes[p.id]),
                      tuple(events[p.id]), p.name if identifiable else None,
                      p.date_of_birth if identifiable else None)
        for p in patients))


def _of(row_class: Any, patient_id: int | None) -> list[Any]:
    """The condition that keeps one patient's rows (none: every patient's)."""
    return [] if patient_id is None else [row_class.patient_id == patient_id]
