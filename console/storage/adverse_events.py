"""Adverse events in the clinical record: append-only, corrected by amendment, audited.

An event belongs to a patient and, where it concerns one, to the patient's device. A
resolution or a Yellow Card reference learnt later is recorded as an amendment that gives
the event whole again. The free-text notes stay out of the audit trail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from console.accounts import Action, User
from console.audit.events import AuditEvent
from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    EventDetails,
    ExplantReason,
    Relatedness,
    checked_details,
)
from console.outcomes.entries import AdverseEvent
from console.outcomes.refusal import EntryRefused
from console.storage import transactions
from console.storage.amendments import amendment_of, checked_reason, current, head_to_amend
from console.storage.errors import ConflictError, InvalidRecord
from console.storage.models import AdverseEventRow, DeviceRow, PatientRow, UserRow
from console.storage.service import RecordService, device_row, open_visit, patient_row
from console.storage.types import utc_now


def _checked(details: EventDetails) -> EventDetails:
    try:
        return checked_details(details, utc_now().date())
    except EntryRefused as exc:
        raise InvalidRecord(f"adverse event {exc}") from None


EVENT_COLUMNS = ("category", "onset_on", "serious", "related", "action", "explant_reason",
                 "resolved_on", "yellow_card", "notes")


def _columns(details: EventDetails) -> dict[str, object]:
    reason = None if details.explant_reason is None else details.explant_reason.value
    return dict(zip(EVENT_COLUMNS, (
        details.category.value, details.onset, details.serious, details.related.value,
        details.action.value, reason, details.resolved, details.yellow_card, details.notes),
        strict=True))


def event_from_row(row: Any, clinic_id: str, serial: str | None,
                   recorded_by: str) -> AdverseEvent:
    """The event of a stored row (ORM object or plain row with the table's columns)."""
    reason = None if row.explant_reason is None else ExplantReason(row.explant_reason)
    details = EventDetails(EventCategory(row.category), row.onset_on, row.serious,
                           Relatedness(row.related), EventAction(row.action), reason,
                           row.resolved_on, row.yellow_card, row.notes)
    return AdverseEvent(row.id, clinic_id, serial, details, row.recorded_at, recorded_by,
                        row.visit_id, amendment_of(row))


def _audit_details(row: AdverseEventRow) -> dict[str, object]:
    return {"adverse_event": row.id, "category": row.category, "serious": row.serious,
            "related": row.related, "action": row.action,
            "explant_reason": row.explant_reason,
            "resolved": None if row.resolved_on is None else row.resolved_on.isoformat(),
            "yellow_card": row.yellow_card is not None, "notes": row.notes is not None}


class AdverseEventsMixin(RecordService):
    def record_adverse_event(self, actor: User, clinic_id: str, details: EventDetails, *,
                             device_serial: str | None = None,
                             visit_id: int | None = None) -> AdverseEvent:
        """Store one event; InvalidRecord names a refused field and stores nothing."""
        details = _checked(details)
        with transactions.write(self.engine) as tx:
            operator = self._acting(tx.session, actor, Action.RECORD_OUTCOMES)
            patient = patient_row(tx.session, clinic_id)
            device = None if device_serial is None else device_row(tx.session, device_serial)
            if device is not None and device.patient_id != patient.id:
                raise ConflictError(f"device {device_serial} is not patient {clinic_id}'s")
            open_visit(tx.session, visit_id, patient.id)
            row = AdverseEventRow(patient_id=patient.id, device_id=device and device.id,
                                  recorded_at=utc_now(), actor_id=operator.id,
                                  visit_id=visit_id, **_columns(details))
            tx.session.add(row)
            tx.session.flush()
            tx.audit(AuditEvent.ADVERSE_EVENT_RECORDED, actor, {
                **_audit_details(row), "patient": clinic_id, "device": device_serial,
                "onset": details.onset.isoformat(), "visit": visit_id})
            return event_from_row(row, clinic_id, device_serial, operator.username)

    def amend_adverse_event(self, actor: User, event_id: int, details: EventDetails,
                            reason: str, *, visit_id: int | None = None) -> AdverseEvent:
        """The event ``event_id`` corrected or completed (resolution, Yellow Card)."""
        return self._amend_event(actor, event_id, checked_reason(reason), _checked(details),
                                 visit_id, withdrawn=False)

    def withdraw_adverse_event(self, actor: User, event_id: int, reason: str) -> AdverseEvent:
        """Withdraw event ``event_id`` as recorded in error (kept in the record, uncounted)."""
        return self._amend_event(actor, event_id, checked_reason(reason), None, None,
                                 withdrawn=True)

    def _amend_event(self, actor: User, event_id: int, reason: str,
                     details: EventDetails | None, visit_id: int | None, *,
                     withdrawn: bool) -> AdverseEvent:
        with transactions.write(self.engine) as tx:
            operator = self._acting(tx.session, actor, Action.RECORD_OUTCOMES)
            old = head_to_amend(tx.session, AdverseEventRow, event_id, "adverse event")
            patient = tx.session.get_one(PatientRow, old.patient_id)
            open_visit(tx.session, visit_id, patient.id)
            columns = (_columns(details) if details is not None
                       else {name: getattr(old, name) for name in EVENT_COLUMNS})
            row = AdverseEventRow(patient_id=old.patient_id, device_id=old.device_id,
                                  recorded_at=utc_now(), actor_id=operator.id,
                                  visit_id=visit_id, amends_id=old.id, amend_reason=reason,
                                  withdrawn=withdrawn, **columns)
            tx.session.add(row)
            tx.session.flush()
            serial = (None if row.device_id is None
                      else tx.session.get_one(DeviceRow, row.device_id).serial)
            tx.audit(AuditEvent.ADVERSE_EVENT_AMENDED, actor, {
                **_audit_details(row), "amends": old.id, "patient": patient.clinic_id,
                "withdrawn": withdrawn})
            return event_from_row(row, patient.clinic_id, serial, operator.username)

    def adverse_events(self, actor: User, clinic_id: str, *,
                       with_corrections: bool = False) -> list[AdverseEvent]:
        """The patient's current events by onset (``with_corrections``: every entry, in the
        order recorded)."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            patient = patient_row(session, clinic_id)
            query = (select(AdverseEventRow, DeviceRow.serial, UserRow.username)
                     .join(UserRow, UserRow.id == AdverseEventRow.actor_id)
                     .outerjoin(DeviceRow, DeviceRow.id == AdverseEventRow.device_id)
                     .where(AdverseEventRow.patient_id == patient.id))
            if with_corrections:
                query = query.order_by(AdverseEventRow.id)
            else:
                query = current(query, AdverseEventRow).order_by(AdverseEventRow.onset_on,
                                                                 AdverseEventRow.id)
            return [event_from_row(row, clinic_id, serial, username)
                    for row, serial, username in session.execute(query)]

