"""Patients, devices, visits, measurements, device logs, pairing keys and the timeline."""

from __future__ import annotations

import os
import stat
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from console.accounts import PermissionDenied
from console.programming.program import LeadProgram, Program, TestStimulus
from console.storage import (
    ClinicalRecord,
    ConflictError,
    InstallationKey,
    InstallationKeyError,
    InvalidRecord,
    NotFound,
    VisitKind,
)
from console.storage.installation_key import installation_key_path
from device_link.keystore import KeyStoreError, PairingKey
from device_link.messages import ImpedanceRecord, LogEntry
from tests.record_fixtures import staff_by_role, table_rows

SECRET = bytes(range(100, 132))


@pytest.fixture()
def staff(record):
    users = staff_by_role(record)
    record.add_patient(users["clinician"], "P001", name="Ann Example",
                       date_of_birth=date(1970, 5, 1))
    record.register_device(users["clinician"], "SN1", "MF-1", "1.0.0",
                           patient_clinic_id="P001", implant_date=date(2024, 3, 4))
    return users


def test_patients_are_pseudonymous_and_the_audit_never_names_them(record, staff):
    doc = staff["clinician"]
    patient = record.patient(doc, "P001")
    assert (patient.name, patient.date_of_birth) == ("Ann Example", date(1970, 5, 1))
    record.add_patient(doc, "P002")
    assert [p.clinic_id for p in record.list_patients(doc)] == ["P001", "P002"]
    with pytest.raises(ConflictError, match="exists already"):
        record.add_patient(doc, "P002")
    details = " ".join(row[0] for row in table_rows(record, "SELECT details FROM audit_entries"))
    assert "Ann" not in details and "1970" not in details


def test_a_device_is_registered_once_and_firmware_changes_are_recorded(record, staff):
    doc = staff["clinician"]
    again = record.register_device(doc, "SN1", "MF-1", "1.0.0", patient_clinic_id="P001")
    assert again.revision == 1
    updated = record.register_device(doc, "SN1", "MF-1", "1.1.0")
    assert (updated.firmware, updated.revision, updated.patient_clinic_id) == (
        "1.1.0", 2, "P001")
    changes = table_rows(record, "SELECT details FROM audit_entries WHERE event = 'device_updated'")
    assert changes == [('{"firmware":["1.0.0","1.1.0"],"serial":"SN1"}',)]


def test_a_device_never_moves_to_another_patient(record, staff):
    record.add_patient(staff["clinician"], "P002")
    with pytest.raises(ConflictError, match="belongs to patient P001"):
        record.register_device(staff["clinician"], "SN1", "MF-1", "1.0.0",
                               patient_clinic_id="P002")


def test_visits_have_a_kind_an_operator_and_end_once(record, staff):
    theatre = staff["theatre"]
    visit = record.start_visit(theatre, "P001", VisitKind.IMPLANT, device_serial="SN1")
    assert (visit.kind, visit.operator, visit.ended_at) == ("implant", "theatre", None)
    ended = record.end_visit(theatre, visit.id, expected_revision=visit.revision)
    assert ended.ended_at is not None and ended.ended_at >= ended.started_at
    with pytest.raises(ConflictError):
        record.end_visit(theatre, visit.id, expected_revision=visit.revision)
    with pytest.raises(InvalidRecord, match="visit kind 'surgery'"):
        record.start_visit(theatre, "P001", "surgery")


def test_a_closed_visit_takes_no_new_entries_but_a_stop_is_always_kept(record, staff):
    doc = staff["clinician"]
    visit = record.start_visit(doc, "P001", VisitKind.FOLLOW_UP, device_serial="SN1")
    record.end_visit(doc, visit.id, expected_revision=visit.revision)
    before = table_rows(record, "SELECT count(*) FROM impedance_measurements")

    with pytest.raises(ConflictError, match=f"visit {visit.id} ended at .* a closed visit "
                                            "takes no new entries"):
        record.record_impedance(staff["engineer"], "SN1", [ImpedanceRecord(0, 0, 1, 900)],
                                visit_id=visit.id)
    with pytest.raises(ConflictError, match="closed visit"):
        record.record_test_stimulation(doc, "SN1", TestStimulus(
            lead=0, anode=2, cathode=1, amplitude_ma=Decimal("0.5"), pulse_width_us=200,
            frequency_hz=20, duration_s=10), visit_id=visit.id)

    assert table_rows(record, "SELECT count(*) FROM impedance_measurements") == before
    record.record_stop(doc, "SN1", reason="stopped on request")  # never refused


def test_impedance_is_stored_per_contact_and_pair_with_open_circuits(record, staff):
    eng = staff["engineer"]
    run = [ImpedanceRecord(0, 0, None, 650), ImpedanceRecord(0, 1, None, None),
           ImpedanceRecord(1, 0, 1, 1200)]
    assert record.record_impedance(eng, "SN1", run) == 3
    stored = record.timeline(eng, "P001").impedance
    assert [(m.lead, m.electrode_a, m.electrode_b, m.ohms) for m in stored] == [
        (0, 0, None, 650), (0, 1, None, None), (1, 0, 1, 1200)]
    with pytest.raises(PermissionDenied):
        record.record_impedance(staff["admin"], "SN1", run)


def test_placement_tests_keep_key_columns_and_structured_data(record, staff):
    theatre = staff["theatre"]
    visit = record.start_visit(theatre, "P001", VisitKind.IMPLANT)
    test = record.record_placement_test(
        theatre, "P001", lead=0, electrode_a=1, electrode_b=2, threshold_ma=Decimal("1.8"),
        outcome="multifidus contraction", visit_id=visit.id,
        data={"pulse_width_us": 200, "observations": [{"ma": Decimal("1.8"), "seen": True}]})
    assert test.data == {"pulse_width_us": 200, "observations": [{"ma": "1.8", "seen": True}]}
    timeline = record.timeline(theatre, "P001")
    assert timeline.placement_tests[0].threshold_ma == pytest.approx(1.8)
    assert timeline.placement_tests[0].outcome == "multifidus contraction"
    with pytest.raises(InvalidRecord, match="JSON"):
        record.record_placement_test(theatre, "P001", lead=0, electrode_a=1, electrode_b=None,
                                     data={"bad": float("nan")})


def test_device_log_entries_are_stored_once_whatever_how_often_downloaded(record, staff):
    eng = staff["engineer"]
    first = [LogEntry(i, 1_700_000_000 + i, 2, 0, 1, 0) for i in range(5)]
    overlap = [LogEntry(i, 1_700_000_000 + i, 2, 0, 1, 0) for i in range(3, 8)]
    assert record.record_log_entries(eng, "SN1", first) == 5
    assert record.record_log_entries(eng, "SN1", overlap) == 3
    assert record.record_log_entries(eng, "SN1", overlap) == 0
    assert [e.index for e in record.device_log(eng, "SN1")] == list(range(8))
    big = LogEntry(9, 4_294_967_295, 3, 1, 2, 4_294_967_295)
    record.record_log_entries(eng, "SN1", [big])
    assert record.device_log(eng, "SN1")[-1].c == 4_294_967_295


def test_pairing_keys_are_encrypted_at_rest_and_never_audited(record, staff):
    record.store_pairing_key(staff["engineer"], "SN1", PairingKey(SECRET))
    assert record.key_store().key_for("SN1").reveal() == SECRET
    blobs = b"".join(bytes(r[0]) + bytes(r[1]) for r in table_rows(
        record, "SELECT nonce, ciphertext FROM pairing_keys"))
    assert SECRET not in blobs
    audit = " ".join(r[0] for r in table_rows(record, "SELECT details FROM audit_entries"))
    assert SECRET.hex() not in audit
    with pytest.raises(KeyStoreError, match="no pairing key for device SN9"):
        record.key_store().key_for("SN9")
    with pytest.raises(PermissionDenied):
        record.store_pairing_key(staff["clinician"], "SN1", PairingKey(SECRET))


def test_a_pairing_key_needs_the_installation_key_it_was_stored_with(record, staff):
    record.store_pairing_key(staff["engineer"], "SN1", PairingKey(SECRET))
    other = ClinicalRecord(record.engine, installation_key=InstallationKey(bytes([7]) * 32))
    with pytest.raises(KeyStoreError, match="another installation key"):
        other.key_store().key_for("SN1")


def test_a_key_moved_to_another_device_row_does_not_decrypt(record, staff):
    record.register_device(staff["clinician"], "SN2", "MF-1", "1.0.0")
    record.store_pairing_key(staff["engineer"], "SN1", PairingKey(SECRET))
    record.store_pairing_key(staff["engineer"], "SN2", PairingKey(bytes(32)))
    with record.engine.begin() as connection:
        connection.execute(text(
            "UPDATE pairing_keys SET nonce = (SELECT nonce FROM pairing_keys p JOIN devices d "
            "ON p.device_id = d.id WHERE d.serial = 'SN1'), ciphertext = (SELECT ciphertext "
            "FROM pairing_keys p JOIN devices d ON p.device_id = d.id WHERE d.serial = 'SN1') "
            "WHERE device_id = (SELECT id FROM devices WHERE serial = 'SN2')"))
    with pytest.raises(KeyStoreError, match="integrity check"):
        record.key_store().key_for("SN2")


def test_the_installation_key_file_is_created_once_with_mode_0600(tmp_path, monkeypatch):
    path = tmp_path / "config" / "installation.key"
    monkeypatch.setenv("MFCONSOLE_INSTALLATION_KEY", str(path))
    assert installation_key_path() == path
    first = InstallationKey.load_or_create()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert InstallationKey.load_or_create().key_id == first.key_id
    assert path.read_text().strip() not in repr(first)
    os.chmod(path, 0o644)
    with pytest.raises(InstallationKeyError, match="chmod 600"):
        InstallationKey.load_or_create()


def test_test_stimulation_and_stop_are_audited_and_stop_is_never_refused(record, staff):
    stimulus = TestStimulus(0, 1, 2, 20, 200, Decimal("0.8"), 30)
    record.record_test_stimulation(staff["theatre"], "SN1", stimulus)
    with pytest.raises(PermissionDenied):
        record.record_test_stimulation(staff["engineer"], "SN1", stimulus)
    record.record_stop(None, "SN1", reason="stop button")
    record.record_stop(staff["admin"], None, reason="stop button")
    rows = table_rows(record, "SELECT event, actor, details FROM audit_entries "
                         "WHERE event IN ('test_stimulation', 'stop') ORDER BY seq")
    assert [(e, a) for e, a, _ in rows] == [("test_stimulation", "theatre"), ("stop", None),
                                             ("stop", "admin")]
    assert '"amplitude_ma":"0.8"' in rows[0][2]


def test_the_timeline_gathers_one_patients_record(record, staff):
    doc = staff["clinician"]
    visit = record.start_visit(doc, "P001", "programming", device_serial="SN1")
    prog = Program((LeadProgram(True, 0, 1, Decimal("2.5"), 200), LeadProgram.off()), 20,
                   Decimal("0.5"), Decimal("0.5"), Decimal(5), Decimal(10), 30)
    record.create_program_version(doc, "SN1", 0, prog, reason="a", expected_latest=None,
                                  visit_id=visit.id)
    record.add_patient(doc, "P002")
    record.register_device(doc, "SN2", "MF-1", "1.0.0", patient_clinic_id="P002")
    record.create_program_version(doc, "SN2", 0, prog, reason="b", expected_latest=None)
    timeline = record.timeline(doc, "P001")
    assert [d.serial for d in timeline.devices] == ["SN1"]
    assert [v.kind for v in timeline.visits] == ["programming"]
    assert [(v.device_serial, v.visit_id) for v in timeline.versions] == [("SN1", visit.id)]
    with pytest.raises(NotFound, match="P404"):
        record.timeline(doc, "P404")


def test_generic_audit_entries_must_be_canonical_json(record, staff):
    seq = record.audit("console_started", staff["admin"], {"version": "0.1.0"})
    assert table_rows(record, f"SELECT event, actor FROM audit_entries WHERE seq = {seq}") == [
        ("console_started", "admin")]
    with pytest.raises(InvalidRecord, match="canonical JSON"):
        record.audit("x", None, {"value": float("inf")})
