"""Program versions: immutable, a status that advances as separate facts, conflicts, history."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import text

from console.accounts import PermissionDenied
from console.audit import verify_chain
from console.programming.program import LeadProgram, Program
from console.storage import (
    Confirmation,
    ConflictError,
    InvalidRecord,
    NotFound,
    VersionStatus,
)
from device_link.program_record import LeadRecord, ProgramRecord
from tests.record_fixtures import staff_by_role, table_rows


def program(amplitude: str = "2.5", frequency: int = 20) -> Program:
    return Program((LeadProgram(True, 0, 1, Decimal(amplitude), 200), LeadProgram.off()),
                   frequency, Decimal("0.5"), Decimal("0.5"), Decimal(5), Decimal(10), 30)


@pytest.fixture()
def staff(record):
    users = staff_by_role(record)
    doc = users["clinician"]
    record.add_patient(doc, "P001")
    record.add_patient(doc, "P002")
    record.register_device(doc, "SN1", "MF-1", "1.0.0", patient_clinic_id="P001")
    record.register_device(doc, "SN2", "MF-1", "1.0.0", patient_clinic_id="P002")
    return users


def test_a_version_stores_the_exact_record_and_clinical_values(record, staff):
    doc = staff["clinician"]
    version = record.create_program_version(doc, "SN1", 0, program("2.5"), reason="first",
                                            expected_latest=None)
    assert version.record.encode() == program("2.5").to_record().encode()
    assert version.record_crc == program("2.5").to_record().crc
    assert version.program == program("2.5")
    assert (version.status, version.revision, version.author) == (VersionStatus.DRAFT, 1,
                                                                  "clinician")
    stored = table_rows(record, "SELECT record, left_amplitude_ma, left_pulse_width_us, "
                           "frequency_hz, on_s FROM program_versions")
    assert stored == [(program("2.5").to_record().encode(), 2.5, 200, 20, 5.0)]


def test_a_plain_program_record_is_accepted_too(record, staff):
    raw = program("3.1").to_record()
    version = record.create_program_version(staff["clinician"], "SN1", 1, raw, reason="r",
                                            expected_latest=None)
    assert version.record == raw


def test_a_record_no_device_would_store_is_refused_naming_the_field(record, staff):
    bad = ProgramRecord((LeadRecord(0, 1, 2, 100, 100), LeadRecord()), 20, 5, 5, 50, 100, 30)
    with pytest.raises(InvalidRecord, match=r"left\.enabled"):
        record.create_program_version(staff["clinician"], "SN1", 0, bad, reason="r",
                                      expected_latest=None)
    with pytest.raises(InvalidRecord, match="reason"):
        record.create_program_version(staff["clinician"], "SN1", 0, program(), reason="  ",
                                      expected_latest=None)


def test_status_advances_draft_written_verified_as_separate_facts(record, staff):
    doc = staff["clinician"]
    draft = record.create_program_version(doc, "SN1", 0, program(), reason="first",
                                          expected_latest=None)
    written = record.mark_written(doc, draft.id, draft.record_crc, expected_revision=1)
    verified = record.mark_verified(doc, draft.id, draft.record_crc, expected_revision=2)
    assert [s.status for s in verified.history] == ["draft", "written", "verified"]
    assert written.status is VersionStatus.WRITTEN and verified.revision == 3
    assert verified.device_crc == draft.record_crc
    assert table_rows(record, "SELECT revision, status FROM program_status_events ORDER BY id") == [
        (1, "draft"), (2, "written"), (3, "verified")]


def test_a_wrong_device_crc_is_refused_and_the_write_can_be_recorded_as_failed(record, staff):
    doc = staff["clinician"]
    draft = record.create_program_version(doc, "SN1", 0, program(), reason="first",
                                          expected_latest=None)
    wrong = draft.record_crc ^ 0x1234
    with pytest.raises(InvalidRecord, match="differs"):
        record.mark_written(doc, draft.id, wrong, expected_revision=1)
    failed = record.mark_failed(doc, draft.id, "device reported another CRC",
                                expected_revision=1, device_crc=wrong)
    assert failed.status is VersionStatus.FAILED and failed.device_crc == wrong
    with pytest.raises(ConflictError, match="cannot become written"):
        record.mark_written(doc, draft.id, draft.record_crc, expected_revision=2)


def test_verifying_a_draft_that_was_never_written_is_refused(record, staff):
    doc = staff["clinician"]
    draft = record.create_program_version(doc, "SN1", 0, program(), reason="first",
                                          expected_latest=None)
    with pytest.raises(ConflictError, match="draft; it cannot become verified"):
        record.mark_verified(doc, draft.id, draft.record_crc, expected_revision=1)


def test_a_stale_revision_is_a_conflict_not_a_lost_update(record, staff):
    doc = staff["clinician"]
    draft = record.create_program_version(doc, "SN1", 0, program(), reason="first",
                                          expected_latest=None)
    record.mark_written(doc, draft.id, draft.record_crc, expected_revision=1)
    with pytest.raises(ConflictError, match=r"now written \(step 2, by clinician\)"):
        record.mark_failed(doc, draft.id, "timeout", expected_revision=1)
    assert record.version(doc, draft.id).status is VersionStatus.WRITTEN


def test_a_version_based_on_an_old_latest_is_a_conflict(record, staff):
    doc = staff["clinician"]
    first = record.create_program_version(doc, "SN1", 0, program("1.0"), reason="a",
                                          expected_latest=None)
    record.create_program_version(doc, "SN1", 0, program("2.0"), reason="b",
                                  expected_latest=first.id)
    with pytest.raises(ConflictError, match=r"now holds version .* based on version"):
        record.create_program_version(doc, "SN1", 0, program("3.0"), reason="c",
                                      expected_latest=first.id)
    with pytest.raises(ConflictError, match="based on an empty slot"):
        record.create_program_version(doc, "SN1", 0, program("3.0"), reason="c",
                                      expected_latest=None)
    assert len(record.list_versions(doc, device_serial="SN1")) == 2


def test_slots_and_devices_have_independent_latest_versions(record, staff):
    doc = staff["clinician"]
    a = record.create_program_version(doc, "SN1", 0, program(), reason="a", expected_latest=None)
    b = record.create_program_version(doc, "SN1", 1, program(), reason="b", expected_latest=None)
    c = record.create_program_version(doc, "SN2", 0, program(), reason="c", expected_latest=None)
    assert (a.slot_sequence, b.slot_sequence, c.slot_sequence) == (1, 1, 1)
    assert record.latest_version(doc, "SN1", 1).id == b.id
    assert record.latest_version(doc, "SN1", 3) is None


def test_versions_are_immutable_in_the_database(record, staff):
    doc = staff["clinician"]
    draft = record.create_program_version(doc, "SN1", 0, program(), reason="first",
                                          expected_latest=None)
    for sql in ("UPDATE program_versions SET reason = 'changed'",
                "DELETE FROM program_versions",
                "UPDATE program_status_events SET status = 'verified'",
                "DELETE FROM program_status_events"):
        with pytest.raises(Exception, match="append-only"), record.engine.begin() as conn:
            conn.execute(text(sql))
    assert record.version(doc, draft.id).reason == "first"


def test_restore_makes_a_new_draft_from_an_old_version(record, staff):
    doc = staff["clinician"]
    old = record.create_program_version(doc, "SN1", 0, program("1.5"), reason="a",
                                        expected_latest=None)
    newer = record.create_program_version(doc, "SN1", 0, program("4.0"), reason="b",
                                          expected_latest=old.id)
    restored = record.restore_version(doc, old.id, reason="back to 1.5 mA",
                                      expected_latest=newer.id)
    assert restored.id not in (old.id, newer.id)
    assert (restored.parent_id, restored.status, restored.slot_sequence) == (old.id, "draft", 3)
    assert restored.record == old.record


def test_confirmed_safety_findings_are_kept_with_their_reasons_and_audited(record, staff):
    doc = staff["clinician"]
    confirmation = Confirmation("charge_density", "30 µC/cm² exceeded", "trial, observed")
    version = record.create_program_version(doc, "SN1", 0, program(), reason="a",
                                            expected_latest=None, confirmations=[confirmation])
    assert version.confirmations == (confirmation,)
    events = table_rows(record, "SELECT event, details FROM audit_entries "
                           "WHERE event = 'safety_finding_confirmed'")
    assert len(events) == 1 and "trial, observed" in events[0][1]
    with pytest.raises(InvalidRecord, match="without a reason"):
        record.create_program_version(doc, "SN1", 0, program(), reason="a",
                                      expected_latest=version.id,
                                      confirmations=[Confirmation("x", "y", " ")])


def test_only_clinicians_program(record, staff):
    for role in ("theatre", "engineer", "admin"):
        with pytest.raises(PermissionDenied, match=f"role {role}"):
            record.create_program_version(staff[role], "SN1", 0, program(), reason="a",
                                          expected_latest=None)
    assert table_rows(record, "SELECT count(*) FROM program_versions") == [(0,)]


def test_a_refused_operation_leaves_no_row_and_no_audit_entry(record, staff):
    before = table_rows(record, "SELECT count(*) FROM audit_entries")
    with pytest.raises(NotFound):
        record.create_program_version(staff["clinician"], "NOPE", 0, program(), reason="a",
                                      expected_latest=None)
    assert table_rows(record, "SELECT count(*) FROM audit_entries") == before
    assert table_rows(record, "SELECT count(*) FROM program_versions") == [(0,)]


def test_a_parent_must_belong_to_the_same_device(record, staff):
    doc = staff["clinician"]
    other = record.create_program_version(doc, "SN2", 0, program(), reason="a",
                                          expected_latest=None)
    with pytest.raises(InvalidRecord, match="not a version of device SN1"):
        record.create_program_version(doc, "SN1", 0, program(), reason="a",
                                      expected_latest=None, parent_id=other.id)


def test_history_lists_by_patient_and_device_and_diffs_in_clinical_units(record, staff):
    doc = staff["clinician"]
    a = record.create_program_version(doc, "SN1", 0, program("2.5", 20), reason="a",
                                      expected_latest=None)
    b = record.create_program_version(doc, "SN1", 0, program("3.0", 25), reason="b",
                                      expected_latest=a.id)
    record.create_program_version(doc, "SN2", 0, program(), reason="c", expected_latest=None)
    assert [v.id for v in record.list_versions(doc, patient_clinic_id="P001")] == [a.id, b.id]
    assert len(record.list_versions(doc)) == 3
    _, _, changes = record.diff_versions(doc, a.id, b.id)
    assert [(c.field, c.old_text, c.new_text) for c in changes] == [
        ("left.amplitude_ma", "2.5 mA", "3.0 mA"), ("frequency_hz", "20 Hz", "25 Hz")]
    assert record.diff_versions(doc, a.id, a.id)[2] == []


def test_export_writes_every_version_as_csv_and_is_audited(record, staff):
    doc = staff["clinician"]
    a = record.create_program_version(doc, "SN1", 0, program("2.5"), reason="=HYPERLINK(x)",
                                      expected_latest=None)
    record.mark_written(doc, a.id, a.record_crc, expected_revision=1)
    out = io.StringIO()
    assert record.export_history_csv(doc, out) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["patient"] == "P001" and rows[0]["status"] == "written"
    assert rows[0]["left.amplitude_ma"] == "2.5"
    assert rows[0]["reason"] == "'=HYPERLINK(x)"
    assert table_rows(record, "SELECT event, actor FROM audit_entries WHERE event = 'export'") == [
        ("export", "clinician")]
    with pytest.raises(PermissionDenied):
        record.export_history_csv(staff["theatre"], io.StringIO())


def test_every_step_is_in_the_audit_chain(record, staff):
    doc = staff["clinician"]
    draft = record.create_program_version(doc, "SN1", 0, program(), reason="first",
                                          expected_latest=None)
    record.mark_written(doc, draft.id, draft.record_crc, expected_revision=1)
    record.mark_verified(doc, draft.id, draft.record_crc, expected_revision=2)
    events = [row[0] for row in table_rows(record, "SELECT event FROM audit_entries ORDER BY seq")]
    assert events[-3:] == ["version_created", "program_written", "program_verified"]
    assert verify_chain(record.engine).ok
