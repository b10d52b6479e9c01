"""Whose device is connected, asked of the clinical record, and the answers to a mismatch."""

from __future__ import annotations

import pytest

from console.device.matching import (
    DeviceMatch,
    Ownership,
    change_to_owner,
    match_device,
    register_to_patient,
)
from console.storage import ConflictError, NotFound, VisitKind
from device_link.messages import Identity

pytestmark = pytest.mark.parametrize("backend_url", ["sqlite"], indirect=True)


def _identity(serial: str) -> Identity:
    return Identity(1, "MF-1", serial, "1.2.0", bytes(16))


@pytest.fixture()
def clinician(record):
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    clinician = record.add_user(admin, "doc", "clinician", "clinician password 1")
    for clinic_id in ("P001", "P002"):
        record.add_patient(clinician, clinic_id)
    record.register_device(clinician, "SN1", "MF-1", "1.0.0", patient_clinic_id="P001")
    record.register_device(clinician, "SN2", "MF-1", "1.0.0")
    return clinician


def test_the_record_tells_whose_device_it_is(record, clinician):
    own = match_device(record, clinician, _identity("SN1"), "P001")
    assert own == DeviceMatch("SN1", "MF-1", "1.2.0", Ownership.PATIENTS, "P001")
    other = match_device(record, clinician, _identity("SN1"), "P002")
    assert (other.ownership, other.owner) == (Ownership.OTHER_PATIENT, "P001")
    assert not other.registrable, "a device never moves to another patient"
    unassigned = match_device(record, clinician, _identity("SN2"), "P002")
    assert (unassigned.ownership, unassigned.owner) == (Ownership.UNASSIGNED, None)
    assert unassigned.registrable
    unknown = match_device(record, clinician, _identity("SN9"), "P002")
    assert (unknown.ownership, unknown.owner) == (Ownership.UNREGISTERED, None)
    assert unknown.registrable


@pytest.mark.parametrize("serial", ["SN2", "SN9"])
def test_a_registrable_device_is_registered_to_the_patient(record, clinician, serial):
    match = match_device(record, clinician, _identity(serial), "P002")
    device = register_to_patient(record, clinician, match, "P002")
    assert device.patient_clinic_id == "P002"
    again = match_device(record, clinician, _identity(serial), "P002")
    assert again.ownership is Ownership.PATIENTS


def test_another_patients_device_is_never_registered_to_this_one(record, clinician):
    match = match_device(record, clinician, _identity("SN1"), "P002")
    with pytest.raises(ConflictError, match="belongs to patient P001"):
        register_to_patient(record, clinician, match, "P002")
    assert record.device(clinician, "SN1").patient_clinic_id == "P001"


def test_changing_to_the_owner_starts_a_visit_with_the_device(record, clinician):
    match = match_device(record, clinician, _identity("SN1"), "P002")
    patient, visit = change_to_owner(record, clinician, match, VisitKind.FOLLOW_UP)
    assert patient.clinic_id == "P001"
    assert (visit.patient_clinic_id, visit.device_serial, visit.kind) == (
        "P001", "SN1", VisitKind.FOLLOW_UP)
    assert visit.operator == clinician.username
    assert [v.id for v in record.timeline(clinician, "P001").visits] == [visit.id]


def test_a_device_of_no_one_has_no_owner_to_change_to(record, clinician):
    match = match_device(record, clinician, _identity("SN2"), "P002")
    with pytest.raises(NotFound, match="not assigned to a patient"):
        change_to_owner(record, clinician, match, VisitKind.PROGRAMMING)
    assert not record.timeline(clinician, "P002").visits
