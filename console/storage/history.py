"""Reading the record back: program history, a patient's timeline, diffs and CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from console.accounts import Action, User
from console.audit.events import AuditEvent
from console.files.csv_cells import neutral_cell
from console.programming.program import PROGRAM_FIELDS, FieldValue
from console.storage import transactions
from console.storage.entities import ImpedanceMeasurement, PlacementTest, ProgramVersion, Timeline
from console.storage.models import (
    DeviceRow,
    ImpedanceRow,
    PatientRow,
    PlacementTestRow,
    ProgramVersionRow,
    UserRow,
    VisitRow,
)
from console.storage.patients import device_from_row, patient_from_row, visit_from_row
from console.storage.programs import ProgramsMixin, load_versions
from console.storage.service import device_row, patient_row

EXPORT_CHUNK = 1000
EXPORT_COLUMNS = ("version", "patient", "device", "slot", "slot_sequence", "created_at",
                  "author", "reason", "parent", "status", "status_at", "record_crc",
                  "device_crc", "confirmed_findings", *PROGRAM_FIELDS)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One program field that differs between two versions, in clinical units."""

    field: str
    label: str
    unit: str
    old: FieldValue
    new: FieldValue

    @property
    def old_text(self) -> str:
        return PROGRAM_FIELDS[self.field].format(self.old)

    @property
    def new_text(self) -> str:
        return PROGRAM_FIELDS[self.field].format(self.new)


def diff_programs(old: ProgramVersion, new: ProgramVersion) -> list[FieldChange]:
    """Every field whose value differs, in display order."""
    before, after = old.program.as_fields(), new.program.as_fields()
    return [FieldChange(name, info.label, info.unit, before[name], after[name])
            for name, info in PROGRAM_FIELDS.items() if before[name] != after[name]]


def _versions_query(session: Session, patient_clinic_id: str | None,
                    device_serial: str | None) -> Select[tuple[ProgramVersionRow]]:
    query = select(ProgramVersionRow).order_by(ProgramVersionRow.id)
    if device_serial is not None:
        query = query.where(ProgramVersionRow.device_id == device_row(session, device_serial).id)
    if patient_clinic_id is not None:
        patient = patient_row(session, patient_clinic_id)
        query = query.where(ProgramVersionRow.device_id.in_(
            select(DeviceRow.id).where(DeviceRow.patient_id == patient.id)))
    return query


def _chunks(session: Session, query: Select[tuple[ProgramVersionRow]],
            ) -> Iterator[list[ProgramVersion]]:
    """Versions in id order, a chunk at a time (keyset paging keeps memory flat)."""
    after = 0
    while True:
        rows = list(session.execute(query.where(ProgramVersionRow.id > after).limit(
            EXPORT_CHUNK)).scalars())
        if not rows:
            return
        yield load_versions(session, rows)
        after = rows[-1].id


def _export_row(version: ProgramVersion, clinic_id: str | None) -> list[object]:
    last = version.history[-1]
    fields = version.program.as_fields()
    return [version.id, clinic_id or "", version.device_serial, version.slot,
            version.slot_sequence, version.created_at.isoformat(), version.author,
            neutral_cell(version.reason), version.parent_id or "", last.status.value,
            last.at.isoformat(), f"{version.record_crc:#06x}",
            f"{version.device_crc:#06x}" if version.device_crc is not None else "",
            ";".join(c.finding for c in version.confirmations),
            *(str(fields[name]) for name in PROGRAM_FIELDS)]


class HistoryMixin(ProgramsMixin):
    def list_versions(self, actor: User, *, patient_clinic_id: str | None = None,
                      device_serial: str | None = None) -> list[ProgramVersion]:
        """Versions oldest first, optionally of one patient's devices or of one device."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            query = _versions_query(session, patient_clinic_id, device_serial)
            return [v for chunk in _chunks(session, query) for v in chunk]

    def diff_versions(self, actor: User, old_id: int, new_id: int,
                      ) -> tuple[ProgramVersion, ProgramVersion, list[FieldChange]]:
        old, new = self.version(actor, old_id), self.version(actor, new_id)
        return old, new, diff_programs(old, new)

    def timeline(self, actor: User, patient_clinic_id: str) -> Timeline:
        """Everything about one patient, loaded in a handful of indexed queries."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            patient = patient_row(session, patient_clinic_id)
            devices = list(session.execute(select(DeviceRow).where(
                DeviceRow.patient_id == patient.id).order_by(DeviceRow.id)).scalars())
            serials = {d.id: d.serial for d in devices}
            device_ids = list(serials)
            users = dict(session.execute(select(UserRow.id, UserRow.username)).all())
            visits = session.execute(select(VisitRow).where(
                VisitRow.patient_id == patient.id).order_by(VisitRow.started_at)).scalars()
            versions = session.execute(select(ProgramVersionRow).where(
                ProgramVersionRow.device_id.in_(device_ids)).order_by(
                ProgramVersionRow.id)).scalars() if device_ids else []
            impedance = session.execute(select(ImpedanceRow).where(
                ImpedanceRow.device_id.in_(device_ids)).order_by(
                ImpedanceRow.measured_at, ImpedanceRow.id)).scalars() if device_ids else []
            placements = session.execute(select(PlacementTestRow).where(
                PlacementTestRow.patient_id == patient.id).order_by(
                PlacementTestRow.tested_at)).scalars()
            clinic_id = patient.clinic_id
            return Timeline(
                patient_from_row(patient),
                tuple(device_from_row(d, clinic_id) for d in devices),
                tuple(visit_from_row(v, clinic_id, serials.get(v.device_id or -1),
                                     users[v.operator_id]) for v in visits),
                tuple(load_versions(session, versions)),
                tuple(ImpedanceMeasurement(serials[m.device_id], m.visit_id, m.measured_at,
                                           m.lead, m.electrode_a, m.electrode_b, m.ohms)
                      for m in impedance),
                tuple(PlacementTest(p.id, clinic_id, p.visit_id,
                                    serials.get(p.device_id) if p.device_id else None,
                                    p.tested_at, users[p.operator_id], p.lead, p.electrode_a,
                                    p.electrode_b, p.threshold_ma, p.outcome, p.data)
                      for p in placements))

    def export_history_csv(self, actor: User, out: TextIO, *,
                           patient_clinic_id: str | None = None,
                           device_serial: str | None = None) -> int:
        """Write program history as CSV (one row per version); audited. Returns rows written.

        The export and its audit entry share one transaction: an export that fails
        half-way is not recorded as done.
        """
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.EXPORT)
            query = _versions_query(tx.session, patient_clinic_id, device_serial)
            owners = dict(tx.session.execute(select(DeviceRow.serial, PatientRow.clinic_id).join(
                PatientRow, DeviceRow.patient_id == PatientRow.id)).all())
            writer = csv.writer(out)
            writer.writerow(EXPORT_COLUMNS)
            count = 0
            for chunk in _chunks(tx.session, query):
                writer.writerows(_export_row(v, owners.get(v.device_serial)) for v in chunk)
                count += len(chunk)
            tx.audit(AuditEvent.EXPORT, actor, {
                "what": "program history", "format": "csv", "rows": count,
                "patient": patient_clinic_id, "device": device_serial})
            return count
