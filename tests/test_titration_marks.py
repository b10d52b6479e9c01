"""Titration marks in the clinical record: stored exactly, audited, append-only, refused for
a closed visit or a role that may not stimulate; and their table, the latest per kind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from console.accounts import PermissionDenied
from console.audit import verify_chain
from console.storage import ClinicalRecord, ConflictError, InstallationKey, InvalidRecord, VisitKind
from console.titration.marks import MarkKind, TitrationMark
from console.titration.table import pair_rows, this_and_earlier
from tests.emulator_harness import ROOT
from tests.record_fixtures import FAST_HASHER, staff_by_role, table_rows

D = Decimal


def mark(kind: MarkKind = MarkKind.THRESHOLD, amplitude: str = "1.5", *, lead: int = 0,
         anode: int = 2, cathode: int = 1, note: str | None = None) -> TitrationMark:
    return TitrationMark(kind, lead, anode, cathode, D(amplitude), 214, 20, note)


@pytest.fixture()
def staff(record):
    users = staff_by_role(record)
    doc = users["clinician"]
    record.add_patient(doc, "P001", name="Ada Example")
    record.register_device(doc, "SN1", "MF-1", "1.0.0", patient_clinic_id="P001")
    return users


def test_a_mark_is_stored_with_its_stimulus_time_operator_and_visit(record, staff):
    doc = staff["clinician"]
    visit = record.start_visit(doc, "P001", VisitKind.FOLLOW_UP, device_serial="SN1")
    before = datetime.now(UTC)
    stored = record.record_titration_mark(doc, "SN1", mark(note="  slight twitch  "),
                                          visit_id=visit.id)
    assert (stored.kind, stored.amplitude_ma, stored.note, stored.operator,
            stored.visit_id) == (MarkKind.THRESHOLD, D("1.5"), "slight twitch", "clinician",
                                 visit.id)
    assert stored.marked_at is not None and stored.marked_at >= before - timedelta(seconds=1)
    assert table_rows(record, "SELECT kind, lead, anode, cathode, amp_ua, pulse_width_us, "
                              "frequency_hz, note, visit_id FROM titration_marks") == [
        ("threshold", 0, 2, 1, 1500, 214, 20, "slight twitch", visit.id)]
    assert record.titration_marks(staff["engineer"], "SN1") == [stored]  # any role reads
    assert record.titration_marks(doc, "SN1", visit_id=visit.id + 1) == []


def test_a_mark_is_audited_without_the_patient_or_the_note(record, staff):
    doc = staff["clinician"]
    stored = record.record_titration_mark(doc, "SN1", mark(MarkKind.TARGET, "3.25",
                                                           note="Ada felt it"))
    (details,) = table_rows(record, "SELECT details FROM audit_entries WHERE event = "
                                    "'titration_marked'")
    logged = json.loads(details[0])
    assert logged == {"titration_mark": 1, "device": "SN1", "visit": None, "kind": "target",
                      "lead": 0, "anode": 2, "cathode": 1, "amplitude_ma": "3.25",
                      "pulse_width_us": 214, "frequency_hz": 20, "note": True}
    assert "Ada" not in details[0] and "P001" not in details[0]
    assert stored.amplitude_ma == D("3.25")
    assert verify_chain(record.engine).ok


def test_marks_are_append_only_in_the_database(record, staff):
    record.record_titration_mark(staff["clinician"], "SN1", mark())
    for sql in ("UPDATE titration_marks SET amp_ua = 9000", "DELETE FROM titration_marks"):
        with pytest.raises(Exception, match="append-only"), record.engine.begin() as conn:
            conn.execute(text(sql))
    assert table_rows(record, "SELECT amp_ua FROM titration_marks") == [(1500,)]


def test_a_closed_visit_takes_no_mark(record, staff):
    doc = staff["clinician"]
    visit = record.start_visit(doc, "P001", VisitKind.FOLLOW_UP, device_serial="SN1")
    record.end_visit(doc, visit.id, expected_revision=visit.revision)
    with pytest.raises(ConflictError, match="closed visit takes no new entries"):
        record.record_titration_mark(doc, "SN1", mark(), visit_id=visit.id)
    assert table_rows(record, "SELECT count(*) FROM titration_marks") == [(0,)]


@pytest.mark.parametrize("role", ["engineer", "admin"])
def test_a_role_that_may_not_stimulate_may_not_mark(record, staff, role):
    with pytest.raises(PermissionDenied, match="deliver test stimulation"):
        record.record_titration_mark(staff[role], "SN1", mark())
    record.record_titration_mark(staff["theatre"], "SN1", mark())  # theatre stimulates
    assert table_rows(record, "SELECT count(*) FROM titration_marks") == [(1,)]


@pytest.mark.parametrize(("changed", "words"), [
    ({"amplitude_ma": D("65.536")}, r"amplitude_ma = 65\.536 mA: must be from 0 to 65\.535"),
    ({"amplitude_ma": D("-0.1")}, r"amplitude_ma = -0\.1 mA: must be from 0"),
    ({"amplitude_ma": D("1.0005")}, r"amplitude_ma = 1\.0005 mA: not a whole number of µA"),
    ({"amplitude_ma": D("NaN")}, "amplitude_ma: NaN is not a finite number"),
    ({"lead": 2}, "lead = 2: must be a whole number from 0 to 1"),
    ({"anode": 1, "cathode": 1}, "anode = cathode = 1"),
    ({"pulse_width_us": 0}, r"pulse_width_us = 0: must be .* from 1 to 65535 µs"),
    ({"frequency_hz": 256}, r"frequency_hz = 256: must be .* from 1 to 255 Hz"),
    ({"kind": "comfortable"}, "kind = 'comfortable': must be one of threshold, target"),
    ({"note": "x" * 501}, "note is 501 characters long: at most 500"),
])
def test_a_mark_out_of_range_is_refused_naming_the_field(record, staff, changed, words):
    with pytest.raises(InvalidRecord, match=words):
        record.record_titration_mark(staff["clinician"], "SN1", replace(mark(), **changed))
    assert table_rows(record, "SELECT count(*) FROM titration_marks") == [(0,)]


def test_the_keeper_marks_in_its_visit(keeper):
    doc = keeper.actor
    keeper.record.add_patient(doc, "P001")
    keeper.record.register_device(doc, "SN1", "MF-1", "1.0.0", patient_clinic_id="P001")
    keeper.visit_id = keeper.record.start_visit(doc, "P001", VisitKind.PROGRAMMING).id
    stored = keeper.record_titration_mark("SN1", mark(MarkKind.MAXIMUM, "6.0"))
    assert (stored.visit_id, stored.kind, stored.amplitude_ma) == (keeper.visit_id,
                                                                   MarkKind.MAXIMUM, D("6.0"))


# -- the table -------------------------------------------------------------------------------

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def at(minutes: int, kind: MarkKind, amplitude: str, *, visit: int = 2, anode: int = 2,
       cathode: int = 1, lead: int = 0, note: str | None = None) -> TitrationMark:
    return replace(mark(kind, amplitude, lead=lead, anode=anode, cathode=cathode, note=note),
                   marked_at=T0 + timedelta(minutes=minutes), visit_id=visit)


def test_the_table_shows_the_latest_of_each_kind_per_pair():
    marks = [at(0, MarkKind.THRESHOLD, "1.0", note="flicker"),
             at(1, MarkKind.TARGET, "3.0"),
             at(2, MarkKind.THRESHOLD, "1.5", note="visible"),  # marked again: this counts
             at(3, MarkKind.TARGET, "2.0", anode=1, cathode=2),  # the other polarity
             at(4, MarkKind.MAXIMUM, "4.0", lead=1, anode=0, cathode=3)]
    rows = pair_rows(marks)
    assert [(r.where, r.amplitude_text(MarkKind.THRESHOLD), r.amplitude_text(MarkKind.TARGET),
             r.amplitude_text(MarkKind.MAXIMUM), r.notes) for r in rows] == [
        ("left E1+ E2−", "", "2.0 mA", "", ""),  # the same electrodes: anode order
        ("left E1− E2+", "1.5 mA", "3.0 mA", "", "threshold: visible"),
        ("right E0+ E3−", "", "", "4.0 mA", "")]
    assert rows[1].last_marked_at == T0 + timedelta(minutes=2)
    assert rows[1].mark(MarkKind.MAXIMUM) is None


def test_each_visit_has_its_own_rows_newest_visit_first():
    marks = [at(0, MarkKind.TARGET, "2.5", visit=1), at(60, MarkKind.THRESHOLD, "1.0"),
             at(61, MarkKind.TARGET, "3.5")]
    this, earlier = this_and_earlier(marks, 2)
    assert [m.amplitude_ma for m in this] == [D("1.0"), D("3.5")]
    assert [m.amplitude_ma for m in earlier] == [D("2.5")]
    rows = pair_rows(marks)
    assert [(r.visit_id, r.amplitude_text(MarkKind.TARGET)) for r in rows] == [
        (2, "3.5 mA"), (1, "2.5 mA")]


# -- the command line -------------------------------------------------------------------------

def test_history_titration_lists_a_devices_marks_as_text_and_json(tmp_path):
    url = f"sqlite:///{tmp_path / 'record.sqlite3'}"
    record = ClinicalRecord.open(url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    doc = staff_by_role(record)["clinician"]
    record.add_patient(doc, "P001")
    record.register_device(doc, "SN1", "MF-1", "1.0.0", patient_clinic_id="P001")
    record.register_device(doc, "SN2", "MF-1", "1.0.0", patient_clinic_id="P001")
    visit = record.start_visit(doc, "P001", VisitKind.FOLLOW_UP, device_serial="SN1")
    record.record_titration_mark(doc, "SN1", mark(), visit_id=visit.id)
    record.record_titration_mark(doc, "SN1", mark(MarkKind.TARGET, "3.5", note="good"),
                                 visit_id=visit.id)
    record.close()
    env = {**os.environ, "MFCONSOLE_DB": url, "MFCONSOLE_USER": "engineer",
           "MFCONSOLE_PASSWORD": "engineer password 1",
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "XDG_STATE_HOME": str(tmp_path / "state"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}

    def mfconsole(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ui.shell.entry", "history", "titration",
                               *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    listed = mfconsole("SN1", "--json")
    assert (listed.returncode, listed.stderr) == (0, "")
    marks = json.loads(listed.stdout)
    assert [{k: m[k] for k in ("kind", "lead", "anode", "cathode", "amplitude_ma",
                               "pulse_width_us", "frequency_hz", "note", "visit", "operator")}
            for m in marks] == [
        {"kind": "threshold", "lead": 0, "anode": 2, "cathode": 1, "amplitude_ma": "1.5",
         "pulse_width_us": 214, "frequency_hz": 20, "note": None, "visit": visit.id,
         "operator": "clinician"},
        {"kind": "target", "lead": 0, "anode": 2, "cathode": 1, "amplitude_ma": "3.5",
         "pulse_width_us": 214, "frequency_hz": 20, "note": "good", "visit": visit.id,
         "operator": "clinician"}]
    assert datetime.fromisoformat(marks[0]["marked_at"]).tzinfo is not None

    table = mfconsole("SN1")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["marked", "(UTC)", "visit", "by", "kind", "pair", "amplitude",
                                "pulse", "frequency", "note"]
    assert "target" in lines[2] and "left E1− E2+" in lines[2] and "3.5 mA" in lines[2]
    assert lines[2].endswith("good")
    assert mfconsole("SN2").stdout == "no titration marks for device SN2\n"
    unknown = mfconsole("SN9")
    assert (unknown.returncode, unknown.stdout, unknown.stderr) == (
        1, "", "mfconsole: no device with serial 'SN9'\n")
