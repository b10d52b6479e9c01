"""What the device and the theatre team report: impedance, placement tests, the device's log,
and the audited acts that store nothing else (test stimulation, stop).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from console.accounts import Action, User
from console.audit.chain import canonical_details
from console.audit.events import AuditEvent
from console.programming.program import Program, TestStimulus
from console.storage import transactions
from console.storage.entities import (
    DeviceLogRecord,
    ImpedanceMeasurement,
    PlacementLeadSummary,
    PlacementTest,
)
from console.storage.errors import InvalidRecord
from console.storage.models import DeviceLogRow, ImpedanceRow, PlacementTestRow
from console.storage.service import RecordService, device_row, open_visit, patient_row
from console.storage.types import utc_now
from device_link.messages import ImpedanceRecord, LogEntry


def _json_safe(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


class MeasurementsMixin(RecordService):
    def record_impedance(self, actor: User, device_serial: str,
                         measurements: Sequence[ImpedanceRecord], *, visit_id: int | None = None,
                         measured_at: datetime | None = None) -> int:
        """Store one measurement run (per contact or per pair) as data; returns rows stored."""
        if not measurements:
            raise InvalidRecord("an impedance run needs at least one measurement")
        at = measured_at or utc_now()
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.MEASURE_IMPEDANCE)
            device = device_row(tx.session, device_serial)
            open_visit(tx.session, visit_id, device.patient_id)
            tx.session.add_all(ImpedanceRow(
                device_id=device.id, visit_id=visit_id, measured_at=at, lead=m.lead,
                electrode_a=m.electrode_a, electrode_b=m.electrode_b, ohms=m.ohms)
                for m in measurements)
            tx.audit(AuditEvent.IMPEDANCE_RECORDED, actor, {
                "device": device_serial, "visit": visit_id, "count": len(measurements),
                "open_circuits": sum(m.ohms is None for m in measurements)})
            return len(measurements)

    def impedance_history(self, actor: User, device_serial: str,
                          ) -> list[ImpedanceMeasurement]:
        """Every stored impedance reading of one device, oldest first, to draw trends."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            device = device_row(session, device_serial)
            rows = session.execute(select(ImpedanceRow).where(
                ImpedanceRow.device_id == device.id).order_by(
                ImpedanceRow.measured_at, ImpedanceRow.id))
            return [ImpedanceMeasurement(device_serial, r.visit_id, r.measured_at, r.lead,
                                         r.electrode_a, r.electrode_b, r.ohms)
                    for r in rows.scalars()]

    def record_placement_test(self, actor: User, patient_clinic_id: str, *, lead: int,
                              electrode_a: int, electrode_b: int | None,
                              data: Mapping[str, Any], threshold_ma: Decimal | None = None,
                              outcome: str | None = None, visit_id: int | None = None,
                              device_serial: str | None = None) -> PlacementTest:
        """One intraoperative placement test: key values in columns, everything in ``data``."""
        try:
            stored = json.loads(json.dumps(dict(data), allow_nan=False, default=_json_safe))
        except (TypeError, ValueError) as exc:
            raise InvalidRecord(f"placement test data is not storable as JSON: {exc}") from None
        with transactions.write(self.engine) as tx:
            operator = self._acting(tx.session, actor, Action.RECORD_PLACEMENT)
            patient = patient_row(tx.session, patient_clinic_id)
            device = device_row(tx.session, device_serial) if device_serial else None
            open_visit(tx.session, visit_id, patient.id)
            row = PlacementTestRow(
                patient_id=patient.id, visit_id=visit_id,
                device_id=device.id if device else None, tested_at=utc_now(),
                operator_id=operator.id, lead=lead, electrode_a=electrode_a,
                electrode_b=electrode_b,
                threshold_ma=float(threshold_ma) if threshold_ma is not None else None,
                outcome=outcome, data=stored)
            tx.session.add(row)
            tx.session.flush()
            tx.audit(AuditEvent.PLACEMENT_RECORDED, actor, {
                "placement_test": row.id, "patient": patient_clinic_id, "visit": visit_id,
                "lead": lead, "electrode_a": electrode_a, "electrode_b": electrode_b,
                "threshold_ma": str(threshold_ma) if threshold_ma is not None else None,
                "outcome": outcome})
            return PlacementTest(row.id, patient_clinic_id, visit_id, device_serial,
                                 row.tested_at, operator.username, lead, electrode_a,
                                 electrode_b, row.threshold_ma, outcome, stored)

    def record_placement_result(
            self, actor: User, patient_clinic_id: str, *,
            leads: Sequence[PlacementLeadSummary], data: Mapping[str, Any],
            impedance_runs: Sequence[tuple[datetime, Sequence[ImpedanceRecord]]] = (),
            visit_id: int | None = None,
            device_serial: str | None = None) -> tuple[PlacementTest, ...]:
        """A whole placement test in one transaction: its impedance runs, and one row per
        lead whose ``data`` holds the full result, so either row tells the whole story."""
        try:
            stored = json.loads(json.dumps(dict(data), allow_nan=False, default=_json_safe))
        except (TypeError, ValueError) as exc:
            raise InvalidRecord(f"placement test data is not storable as JSON: {exc}") from None
        if not leads:
            raise InvalidRecord("a placement test needs at least one lead")
        if impedance_runs and device_serial is None:
            raise InvalidRecord("impedance runs are stored against a device: give its serial")
        with transactions.write(self.engine) as tx:
            operator = self._acting(tx.session, actor, Action.RECORD_PLACEMENT)
            patient = patient_row(tx.session, patient_clinic_id)
            device = device_row(tx.session, device_serial) if device_serial else None
            if device is not None and device.patient_id not in (None, patient.id):
                raise InvalidRecord(f"device {device_serial} belongs to another patient, not "
                                    f"{patient_clinic_id}")
            open_visit(tx.session, visit_id, patient.id)
            for measured_at, records in impedance_runs:
                assert device is not None
                self._impedance_rows(tx, actor, device.id, device_serial, visit_id,
                                     measured_at, records)
            tested_at = utc_now()
            rows = [PlacementTestRow(
                patient_id=patient.id, visit_id=visit_id,
                device_id=device.id if device else None, tested_at=tested_at,
                operator_id=operator.id, lead=lead.lead, electrode_a=lead.electrode_a,
                electrode_b=lead.electrode_b,
                threshold_ma=float(lead.threshold_ma) if lead.threshold_ma is not None
                else None, outcome=lead.outcome, data=stored) for lead in leads]
            tx.session.add_all(rows)
            tx.session.flush()
            for row, lead in zip(rows, leads, strict=True):
                tx.audit(AuditEvent.PLACEMENT_RECORDED, actor, {
                    "placement_test": row.id, "patient": patient_clinic_id, "visit": visit_id,
                    "lead": lead.lead, "electrode_a": lead.electrode_a,
                    "electrode_b": lead.electrode_b,
                    "threshold_ma": str(lead.threshold_ma) if lead.threshold_ma is not None
                    else None, "outcome": lead.outcome})
            return tuple(PlacementTest(row.id, patient_clinic_id, visit_id, device_serial,
                                       row.tested_at, operator.username, row.lead,
                                       row.electrode_a, row.electrode_b, row.threshold_ma,
                                       row.outcome, stored) for row in rows)

    @staticmethod
    def _impedance_rows(tx: transactions.Tx, actor: User, device_id: int,
                        device_serial: str | None, visit_id: int | None, measured_at: datetime,
                        records: Sequence[ImpedanceRecord]) -> None:
        """One impedance run inside another operation's transaction, with its audit entry."""
        tx.session.add_all(ImpedanceRow(
            device_id=device_id, visit_id=visit_id, measured_at=measured_at, lead=m.lead,
            electrode_a=m.electrode_a, electrode_b=m.electrode_b, ohms=m.ohms)
            for m in records)
        tx.audit(AuditEvent.IMPEDANCE_RECORDED, actor, {
            "device": device_serial, "visit": visit_id, "count": len(records),
            "open_circuits": sum(m.ohms is None for m in records)})

    def record_log_entries(self, actor: User, device_serial: str,
                           entries: Sequence[LogEntry]) -> int:
        """Store downloaded log entries once each; returns how many were new."""
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.DOWNLOAD_DEVICE_LOG)
            device = device_row(tx.session, device_serial)
            by_index = {entry.index: entry for entry in entries}
            known: set[int] = set()
            if by_index:
                known = set(tx.session.execute(select(DeviceLogRow.device_index).where(
                    DeviceLogRow.device_id == device.id,
                    DeviceLogRow.device_index.between(min(by_index), max(by_index)))).scalars())
            new = [entry for index, entry in sorted(by_index.items()) if index not in known]
            now = utc_now()
            tx.session.add_all(DeviceLogRow(
                device_id=device.id, device_index=e.index, device_time=e.time, code=e.code,
                a=e.a, b=e.b, c=e.c, downloaded_at=now) for e in new)
            tx.audit(AuditEvent.DEVICE_LOG_DOWNLOADED, actor, {
                "device": device_serial, "received": len(entries), "new": len(new),
                "first_index": min(by_index) if by_index else None,
                "last_index": max(by_index) if by_index else None})
            return len(new)

    def device_log(self, actor: User, device_serial: str) -> list[DeviceLogRecord]:
        """The stored log entries of a device, in device index order."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            device = device_row(session, device_serial)
            rows = session.execute(select(DeviceLogRow).where(
                DeviceLogRow.device_id == device.id).order_by(DeviceLogRow.device_index))
            return [DeviceLogRecord(device_serial, r.device_index, r.device_time, r.code, r.a,
                                    r.b, r.c) for r in rows.scalars()]

    def record_test_stimulation(self, actor: User, device_serial: str,
                                stimulus: TestStimulus, *, visit_id: int | None = None) -> None:
        """Audit a test stimulation about to be delivered (refused if the role may not)."""
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.TEST_STIMULATION)
            device = device_row(tx.session, device_serial)
            open_visit(tx.session, visit_id, device.patient_id)
            fields = {name: _json_safe(value) for name, value in stimulus.as_fields().items()}
            tx.audit(AuditEvent.TEST_STIMULATION, actor,
                     {"device": device_serial, "visit": visit_id, **fields})

    def record_therapy_session(self, actor: User, device_serial: str, slot: int,
                               program: Program, *, visit_id: int | None = None) -> None:
        """Audit a therapy session the console is about to start (refused if the role may
        not): the slot and the program as read from the device just before."""
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.PROGRAM_DEVICE)
            device = device_row(tx.session, device_serial)
            open_visit(tx.session, visit_id, device.patient_id)
            fields = {name: _json_safe(value) for name, value in program.as_fields().items()}
            tx.audit(AuditEvent.THERAPY_SESSION, actor,
                     {"device": device_serial, "visit": visit_id, "slot": slot, **fields})

    def record_stop(self, actor: User | None, device_serial: str | None, *,
                    reason: str) -> None:
        """Audit a stop. Never refused: stopping is always allowed, even without a login."""
        with transactions.write(self.engine) as tx:
            tx.audit(AuditEvent.STOP, actor, {"device": device_serial, "reason": reason})

    def audit(self, event: str, actor: User | None, details: Mapping[str, Any]) -> int:
        """Append one audit entry on its own; returns its sequence number.

        ``actor`` must be an enabled user of this record (None for the console itself).
        """
        try:
            canonical_details(details)
        except (TypeError, ValueError) as exc:
            raise InvalidRecord(f"audit details are not canonical JSON: {exc}") from None
        with transactions.write(self.engine) as tx:
            if actor is not None:
                self._acting(tx.session, actor, Action.VIEW_RECORD)
            return tx.audit(event, actor, details).seq
