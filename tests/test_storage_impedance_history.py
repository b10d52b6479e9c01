"""The impedance history of one device: every reading, oldest first, for trend plots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from console.accounts import PermissionDenied
from console.storage import NotFound, VisitKind
from device_link.messages import ImpedanceRecord


@pytest.fixture()
def clinician(record):
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    doc = record.add_user(admin, "doc", "clinician", "doc password 12")
    record.add_patient(doc, "P001")
    for serial in ("SN1", "SN2"):
        record.register_device(doc, serial, "MF-1", "1.0.0", patient_clinic_id="P001",
                               implant_date=date(2024, 3, 4))
    return doc


def test_history_is_one_devices_readings_oldest_first_with_visits(record, clinician):
    visit = record.start_visit(clinician, "P001", VisitKind.FOLLOW_UP, device_serial="SN1")
    earlier = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
    record.record_impedance(clinician, "SN1", [ImpedanceRecord(0, 2, None, 700)],
                            measured_at=earlier + timedelta(days=30), visit_id=visit.id)
    record.record_impedance(clinician, "SN1", [ImpedanceRecord(0, 2, None, 520),
                                               ImpedanceRecord(0, 1, 2, None)],
                            measured_at=earlier)
    record.record_impedance(clinician, "SN2", [ImpedanceRecord(1, 0, None, 400)])

    history = record.impedance_history(clinician, "SN1")

    assert [(m.measured_at, m.lead, m.electrode_a, m.electrode_b, m.ohms, m.visit_id)
            for m in history] == [
        (earlier, 0, 2, None, 520, None),
        (earlier, 0, 1, 2, None, None),
        (earlier + timedelta(days=30), 0, 2, None, 700, visit.id)]
    assert {m.device_serial for m in history} == {"SN1"}
    assert record.impedance_history(clinician, "SN2")[0].ohms == 400


def test_history_of_an_unknown_device_or_a_disabled_user_is_refused(record, clinician):
    with pytest.raises(NotFound):
        record.impedance_history(clinician, "SN9")
    admin = record.authenticate("admin", "admin password 1")
    record.disable_user(admin, "doc")
    with pytest.raises(PermissionDenied):
        record.impedance_history(clinician, "SN1")
