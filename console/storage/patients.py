"""Patients, their devices and their visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.accounts import Action, User
from console.audit.events import AuditEvent
from console.storage import transactions
from console.storage.entities import Device, Patient, Visit, VisitKind
from console.storage.errors import ConflictError, InvalidRecord, NotFound
from console.storage.models import DeviceRow, PatientRow, UserRow, VisitRow
from console.storage.service import RecordService, device_row, patient_row
from console.storage.types import utc_now

MAX_CLINIC_ID = 64
MAX_SERIAL = 16  # MFL/1 HELLO carries the serial and the model in 16 ASCII bytes each


@dataclass(frozen=True, slots=True)
class DeviceAddition:
    """What ``add_device`` did: a new device, or what it newly recorded of a known one
    (``changes`` field by field, old and new; empty when the record already said it all)."""

    device: Device
    created: bool
    changes: dict[str, list[str | None]]


def patient_from_row(row: PatientRow) -> Patient:
    return Patient(row.id, row.clinic_id, row.name, row.date_of_birth, row.revision)


def device_from_row(row: DeviceRow, clinic_id: str | None) -> Device:
    return Device(row.id, row.serial, row.model, row.firmware, row.implant_date, clinic_id,
                  row.revision)


def visit_from_row(row: VisitRow, clinic_id: str, serial: str | None, operator: str) -> Visit:
    return Visit(row.id, clinic_id, serial, VisitKind(row.kind), operator, row.started_at,
                 row.ended_at, row.revision)


def _clinic_id_of(session: Session, patient_id: int | None) -> str | None:
    if patient_id is None:
        return None
    return session.get_one(PatientRow, patient_id).clinic_id


def load_visit(session: Session, row: VisitRow) -> Visit:
    serial = session.get_one(DeviceRow, row.device_id).serial if row.device_id else None
    operator = session.get_one(UserRow, row.operator_id).username
    return visit_from_row(row, session.get_one(PatientRow, row.patient_id).clinic_id, serial,
                          operator)


def _check_text(field: str, value: str, limit: int) -> None:
    if not value.strip() or len(value) > limit:
        raise InvalidRecord(f"{field} {value!r} must be 1-{limit} characters, not blank")


def _check_wire_text(field: str, value: str) -> None:
    """A serial or model as the device announces it: 1-16 printable ASCII characters."""
    if not 1 <= len(value) <= MAX_SERIAL or not all("!" <= c <= "~" for c in value):
        raise InvalidRecord(f"{field} {value!r} must be 1-{MAX_SERIAL} printable ASCII "
                            f"characters without spaces, as the device announces it")


class PatientsMixin(RecordService):
    def add_patient(self, actor: User, clinic_id: str, *, name: str | None = None,
                    date_of_birth: date | None = None) -> Patient:
        """A patient under a pseudonymous clinic ID; name and date of birth are optional."""
        _check_text("clinic ID", clinic_id, MAX_CLINIC_ID)
        if name is not None:
            _check_text("name", name, 200)
        if date_of_birth is not None and date_of_birth > utc_now().date():
            raise InvalidRecord(f"date of birth {date_of_birth} is in the future")
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.MANAGE_PATIENTS)
            if tx.session.execute(select(PatientRow.id).where(
                    PatientRow.clinic_id == clinic_id)).first():
                raise ConflictError(f"a patient with clinic ID {clinic_id!r} exists already")
            row = PatientRow(clinic_id=clinic_id, name=name, date_of_birth=date_of_birth,
                             created_at=utc_now())
            tx.session.add(row)
            tx.session.flush()
            # The audit trail names the pseudonymous ID only, never identifying details.
            tx.audit(AuditEvent.PATIENT_ADDED, actor, {"clinic_id": clinic_id})
            return patient_from_row(row)

    def list_patients(self, actor: User) -> list[Patient]:
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            rows = session.execute(select(PatientRow).order_by(PatientRow.clinic_id)).scalars()
            return [patient_from_row(row) for row in rows]

    def patient(self, actor: User, clinic_id: str) -> Patient:
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            return patient_from_row(patient_row(session, clinic_id))

    def register_device(self, actor: User, serial: str, model: str, firmware: str, *,
                        patient_clinic_id: str | None = None,
                        implant_date: date | None = None) -> Device:
        """Record a device as met over the link: created once, firmware updates recorded.

        A device already belonging to one patient is never moved to another.
        """
        _check_text("serial", serial, 16)
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.MANAGE_PATIENTS)
            patient = patient_row(tx.session, patient_clinic_id) if patient_clinic_id else None
            row = tx.session.execute(select(DeviceRow).where(DeviceRow.serial == serial)).scalar()
            if row is None:
                row = DeviceRow(serial=serial, model=model, firmware=firmware,
                                implant_date=implant_date,
                                patient_id=patient.id if patient else None, created_at=utc_now())
                tx.session.add(row)
                tx.session.flush()
                tx.audit(AuditEvent.DEVICE_REGISTERED, actor, {
                    "serial": serial, "model": model, "firmware": firmware,
                    "patient": patient_clinic_id,
                    "implant_date": implant_date.isoformat() if implant_date else None})
                return device_from_row(row, patient_clinic_id)
            changes = self._device_changes(tx.session, row, model, firmware, patient,
                                           implant_date)
            if changes:
                tx.session.flush()
                tx.audit(AuditEvent.DEVICE_UPDATED, actor, {"serial": serial, **changes})
            return device_from_row(row, _clinic_id_of(tx.session, row.patient_id))

    def add_device(self, actor: User, serial: str, patient_clinic_id: str, *,
                   implant_date: date | None = None, model: str | None = None
                   ) -> DeviceAddition:
        """Link a device to its patient before it is first connected (or after).

        A device belongs to one patient for good: one that is another patient's is refused,
        never moved. Adding it again to its own patient records only what is new (an
        implant date, a model), and nothing at all when there is nothing new. The firmware
        stays unknown (empty) until the device is connected and reports it.
        """
        _check_wire_text("serial", serial)
        if model is not None:
            _check_wire_text("model", model)
        if implant_date is not None and implant_date > utc_now().date():
            raise InvalidRecord(f"implant date {implant_date} is in the future")
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.MANAGE_PATIENTS)
            patient = patient_row(tx.session, patient_clinic_id)
            row = tx.session.execute(select(DeviceRow).where(DeviceRow.serial == serial)).scalar()
            if row is None:
                row = DeviceRow(serial=serial, model=model or "", firmware="",
                                implant_date=implant_date, patient_id=patient.id,
                                created_at=utc_now())
                tx.session.add(row)
                tx.session.flush()
                tx.audit(AuditEvent.DEVICE_REGISTERED, actor, {
                    "serial": serial, "model": model, "firmware": None,
                    "patient": patient_clinic_id,
                    "implant_date": implant_date.isoformat() if implant_date else None})
                return DeviceAddition(device_from_row(row, patient_clinic_id), True, {})
            if row.patient_id not in (None, patient.id):
                owner = _clinic_id_of(tx.session, row.patient_id)
                raise ConflictError(
                    f"device {serial} belongs to patient {owner}; a device never moves to "
                    f"another patient, so it cannot be added to patient {patient_clinic_id}")
            if model is not None and row.model not in ("", model):
                raise ConflictError(f"device {serial} is recorded as model {row.model}, "
                                    f"not {model}")
            changes = self._device_changes(tx.session, row, model or row.model, row.firmware,
                                           patient, implant_date)
            if changes:
                tx.session.flush()
                tx.audit(AuditEvent.DEVICE_UPDATED, actor, {"serial": serial, **changes})
            return DeviceAddition(device_from_row(row, patient_clinic_id), False, changes)

    def list_devices(self, actor: User) -> list[Device]:
        """Every device, by serial: those added for a patient and those met over the link."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            rows = session.execute(select(DeviceRow, PatientRow.clinic_id).outerjoin(
                PatientRow, DeviceRow.patient_id == PatientRow.id).order_by(DeviceRow.serial))
            return [device_from_row(row, clinic_id) for row, clinic_id in rows]

    @staticmethod
    def _device_changes(session: Session, row: DeviceRow, model: str, firmware: str,
                        patient: PatientRow | None,
                        implant_date: date | None) -> dict[str, list[str | None]]:
        if patient is not None and row.patient_id not in (None, patient.id):
            owner = _clinic_id_of(session, row.patient_id)
            raise ConflictError(f"device {row.serial} belongs to patient {owner}, "
                                f"not {patient.clinic_id}")
        if implant_date is not None and row.implant_date not in (None, implant_date):
            raise ConflictError(f"device {row.serial} was implanted on {row.implant_date}, "
                                f"not {implant_date}")
        changes: dict[str, list[str | None]] = {}
        if row.model != model:
            changes["model"] = [row.model, model]
            row.model = model
        if row.firmware != firmware:
            changes["firmware"] = [row.firmware, firmware]
            row.firmware = firmware
        if patient is not None and row.patient_id is None:
            changes["patient"] = [None, patient.clinic_id]
            row.patient_id = patient.id
        if implant_date is not None and row.implant_date is None:
            changes["implant_date"] = [None, implant_date.isoformat()]
            row.implant_date = implant_date
        return changes

    def device(self, actor: User, serial: str) -> Device:
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            row = device_row(session, serial)
            return device_from_row(row, _clinic_id_of(session, row.patient_id))

    def start_visit(self, actor: User, patient_clinic_id: str, kind: VisitKind | str, *,
                    device_serial: str | None = None) -> Visit:
        """Open a visit with ``actor`` as operator."""
        try:
            kind = VisitKind(kind)
        except ValueError:
            raise InvalidRecord(f"visit kind {kind!r} is not one of "
                                f"{', '.join(k.value for k in VisitKind)}") from None
        with transactions.write(self.engine) as tx:
            operator = self._acting(tx.session, actor, Action.VIEW_RECORD)
            patient = patient_row(tx.session, patient_clinic_id)
            device = device_row(tx.session, device_serial) if device_serial else None
            if device is not None and device.patient_id != patient.id:
                raise ConflictError(f"device {device_serial} is not patient "
                                    f"{patient_clinic_id}'s")
            row = VisitRow(patient_id=patient.id, device_id=device.id if device else None,
                           kind=kind.value, operator_id=operator.id, started_at=utc_now())
            tx.session.add(row)
            tx.session.flush()
            tx.audit(AuditEvent.VISIT_STARTED, actor, {
                "visit": row.id, "patient": patient_clinic_id, "kind": kind.value,
                "device": device_serial})
            return visit_from_row(row, patient_clinic_id, device_serial, operator.username)

    def visits(self, actor: User, patient: str | None = None) -> list[Visit]:
        """Visits oldest first, of every patient or of the one with clinic ID ``patient``."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            query = select(VisitRow).order_by(VisitRow.started_at, VisitRow.id)
            if patient is not None:
                query = query.where(VisitRow.patient_id == patient_row(session, patient).id)
            return [load_visit(session, row) for row in session.execute(query).scalars()]

    def visit(self, actor: User, visit_id: int) -> Visit:
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            row = session.get(VisitRow, visit_id)
            if row is None:
                raise NotFound(f"no visit {visit_id}")
            return load_visit(session, row)

    def end_visit(self, actor: User, visit_id: int, *, expected_revision: int) -> Visit:
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.VIEW_RECORD)
            row = tx.session.get(VisitRow, visit_id)
            if row is None:
                raise NotFound(f"no visit {visit_id}")
            if row.revision != expected_revision:
                raise ConflictError(f"visit {visit_id} was changed at another console: reload")
            if row.ended_at is not None:
                raise ConflictError(f"visit {visit_id} ended already at {row.ended_at:%H:%M}")
            row.ended_at = utc_now()
            tx.session.flush()
            tx.audit(AuditEvent.VISIT_ENDED, actor, {"visit": visit_id})
            return load_visit(tx.session, row)

