"""Outcome assessments in the clinical record: append-only, corrected by amendment, audited.

One current entry per patient and scheduled timepoint (``other`` may repeat). A follow-up
cannot be dated before the implant, nor any entry after today. The audit entry names the
measures given, not their values: the record holds them, the trail says who did what.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.accounts import Action, User
from console.audit.events import AuditEvent
from console.outcomes.entries import OutcomeEntry
from console.outcomes.measures import (
    AnalgesicUse,
    OutcomeMeasures,
    WorkStatus,
    checked_date,
    checked_measures,
    checked_pgic_timepoint,
)
from console.outcomes.odi import items_from_text, items_text
from console.outcomes.refusal import Code, EntryRefused
from console.outcomes.timepoints import Timepoint, timepoint
from console.storage import transactions
from console.storage.amendments import amendment_of, checked_reason, current, head_to_amend
from console.storage.errors import ConflictError, InvalidRecord
from console.storage.models import DeviceRow, OutcomeEntryRow, PatientRow, UserRow
from console.storage.service import RecordService, open_visit, patient_row
from console.storage.types import utc_now

MEASURE_COLUMNS = ("nrs", "odi_items", "eq5d", "eq_vas", "pgic", "analgesics", "work_status")


def measure_columns(measures: OutcomeMeasures) -> dict[str, object]:
    odi = None if measures.odi is None else items_text(measures.odi)
    return dict(zip(MEASURE_COLUMNS, (measures.nrs, odi, measures.eq5d, measures.eq_vas,
                                      measures.pgic, measures.analgesics, measures.work),
                    strict=True))


def outcome_from_row(row: Any, clinic_id: str, recorded_by: str) -> OutcomeEntry:
    """The entry of a stored row (ORM object or plain row with the table's columns).

    Ranges are the database's CHECK constraints (the same as the console's); the codes are
    turned back into their enums, which refuses one the console does not know."""
    measures = OutcomeMeasures(
        row.nrs, None if row.odi_items is None else items_from_text(row.odi_items), row.eq5d,
        row.eq_vas, row.pgic, _code(_ANALGESICS, row.analgesics),
        _code(_WORK, row.work_status))
    return OutcomeEntry(row.id, clinic_id, _TIMEPOINTS[row.timepoint], row.collected_on,
                        measures, row.recorded_at, recorded_by, row.visit_id,
                        amendment_of(row))


_TIMEPOINTS = {point.value: point for point in Timepoint}
_ANALGESICS = {code.value: code for code in AnalgesicUse}
_WORK = {code.value: code for code in WorkStatus}
"""Codes by their stored text: a dictionary is many times quicker than the enum's own
lookup, and an audit reads every entry of the clinic."""


def _code(codes: Mapping[str, Code], value: str | None) -> Code | None:
    return None if value is None else codes[value]


def first_implant(session: Session, patient_id: int) -> date | None:
    """The patient's first implant date (a replaced device does not restart the follow-up)."""
    return session.execute(select(DeviceRow.implant_date).where(
        DeviceRow.patient_id == patient_id, DeviceRow.implant_date.is_not(None)).order_by(
        DeviceRow.implant_date)).scalar()


def _checked(point: Timepoint | str, collected_on: date, measures: OutcomeMeasures,
             ) -> tuple[Timepoint, date, OutcomeMeasures]:
    try:
        point = timepoint(point) if not isinstance(point, Timepoint) else point
        checked = checked_measures(measures)
        checked_pgic_timepoint(point, checked)
        return point, checked_date("date", collected_on, utc_now().date()), checked
    except (EntryRefused, ValueError) as exc:
        raise InvalidRecord(f"outcome {exc}") from None


def _against_implant(point: Timepoint, collected_on: date, implant: date | None) -> None:
    if (implant is not None and point not in (Timepoint.BASELINE, Timepoint.OTHER)
            and collected_on < implant):
        raise InvalidRecord(f"outcome date = {collected_on}: a {point.value} follow-up is "
                            f"collected after the implant ({implant})")


class OutcomesMixin(RecordService):
    def record_outcome(self, actor: User, clinic_id: str, point: Timepoint | str,
                       collected_on: date, measures: OutcomeMeasures, *,
                       visit_id: int | None = None) -> OutcomeEntry:
        """Store one assessment; InvalidRecord names a refused field and stores nothing."""
        point, collected_on, measures = _checked(point, collected_on, measures)
        with transactions.write(self.engine) as tx:
            operator = self._acting(tx.session, actor, Action.RECORD_OUTCOMES)
            patient = patient_row(tx.session, clinic_id)
            open_visit(tx.session, visit_id, patient.id)
            _against_implant(point, collected_on, first_implant(tx.session, patient.id))
            if point is not Timepoint.OTHER:
                self._refuse_second(tx.session, patient, point)
            row = OutcomeEntryRow(patient_id=patient.id, timepoint=point.value,
                                  collected_on=collected_on, recorded_at=utc_now(),
                                  actor_id=operator.id, visit_id=visit_id,
                                  **measure_columns(measures))
            tx.session.add(row)
            tx.session.flush()
            tx.audit(AuditEvent.OUTCOME_RECORDED, actor, {
                "outcome": row.id, "patient": clinic_id, "timepoint": point.value,
                "date": collected_on.isoformat(), "measures": measures.given(),
                "visit": visit_id})
            return outcome_from_row(row, clinic_id, operator.username)

    @staticmethod
    def _refuse_second(session: Session, patient: PatientRow, point: Timepoint) -> None:
        earlier = session.execute(current(select(OutcomeEntryRow), OutcomeEntryRow).where(
            OutcomeEntryRow.patient_id == patient.id,
            OutcomeEntryRow.timepoint == point.value)).scalar()
        if earlier is not None:
            raise ConflictError(f"patient {patient.clinic_id} has a {point.value} assessment "
                                f"already (outcome {earlier.id}, {earlier.collected_on}): "
                                "amend it instead")

    def amend_outcome(self, actor: User, entry_id: int, collected_on: date,
                      measures: OutcomeMeasures, reason: str, *,
                      visit_id: int | None = None) -> OutcomeEntry:
        """A corrected assessment replacing entry ``entry_id`` (its timepoint kept)."""
        reason = checked_reason(reason)
        return self._amend(actor, entry_id, reason, visit_id, collected_on, measures)

    def withdraw_outcome(self, actor: User, entry_id: int, reason: str) -> OutcomeEntry:
        """Withdraw entry ``entry_id`` as made in error (it stays in the record, uncounted)."""
        return self._amend(actor, entry_id, checked_reason(reason), None, None, None)

    def _amend(self, actor: User, entry_id: int, reason: str, visit_id: int | None,
               collected_on: date | None, measures: OutcomeMeasures | None) -> OutcomeEntry:
        with transactions.write(self.engine) as tx:
            operator = self._acting(tx.session, actor, Action.RECORD_OUTCOMES)
            old = head_to_amend(tx.session, OutcomeEntryRow, entry_id, "outcome")
            patient = tx.session.get_one(PatientRow, old.patient_id)
            point = Timepoint(old.timepoint)
            withdrawn = measures is None
            if measures is None or collected_on is None:
                columns = {name: getattr(old, name) for name in MEASURE_COLUMNS}
                collected_on = old.collected_on
            else:
                _, collected_on, measures = _checked(point, collected_on, measures)
                _against_implant(point, collected_on, first_implant(tx.session, patient.id))
                columns = measure_columns(measures)
            open_visit(tx.session, visit_id, patient.id)
            row = OutcomeEntryRow(patient_id=patient.id, timepoint=point.value,
                                  collected_on=collected_on, recorded_at=utc_now(),
                                  actor_id=operator.id, visit_id=visit_id, amends_id=old.id,
                                  amend_reason=reason, withdrawn=withdrawn, **columns)
            tx.session.add(row)
            tx.session.flush()
            tx.audit(AuditEvent.OUTCOME_AMENDED, actor, {
                "outcome": row.id, "amends": old.id, "patient": patient.clinic_id,
                "timepoint": point.value, "withdrawn": withdrawn,
                "measures": [] if measures is None else measures.given()})
            return outcome_from_row(row, patient.clinic_id, operator.username)

    def outcomes(self, actor: User, clinic_id: str, *,
                 with_corrections: bool = False) -> list[OutcomeEntry]:
        """The patient's current assessments by date (``with_corrections``: every entry,
        amended and withdrawn ones too, in the order they were recorded)."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            patient = patient_row(session, clinic_id)
            query = (select(OutcomeEntryRow, UserRow.username)
                     .join(UserRow, UserRow.id == OutcomeEntryRow.actor_id)
                     .where(OutcomeEntryRow.patient_id == patient.id))
            if with_corrections:
                query = query.order_by(OutcomeEntryRow.id)
            else:
                query = current(query, OutcomeEntryRow).order_by(
                    OutcomeEntryRow.collected_on, OutcomeEntryRow.id)
            return [outcome_from_row(row, clinic_id, username)
                    for row, username in session.execute(query)]

    def implant_date(self, actor: User, clinic_id: str) -> date | None:
        """The patient's first implant date, which the follow-up timepoints count from."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            return first_implant(session, patient_row(session, clinic_id).id)
