"""The clinical-record commands: patients, history, audit verify and export."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from sqlalchemy import text

from console.cli.main import main
from console.programming.program import LeadProgram, Program
from console.storage import ClinicalRecord, Confirmation, InstallationKey
from tests.record_fixtures import FAST_HASHER


def program(amplitude: str, frequency: int = 20) -> Program:
    return Program((LeadProgram(True, 0, 1, Decimal(amplitude), 200), LeadProgram.off()),
                   frequency, Decimal("0.5"), Decimal("0.5"), Decimal(5), Decimal(10), 30)


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic(request, tmp_path, monkeypatch):
    """A record with two versions of one device; the CLI acts as the clinician."""
    url = (f"sqlite:///{tmp_path / 'record.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("fresh_postgres_url"))
    record = ClinicalRecord.open(url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    record.add_patient(doc, "P001")
    record.register_device(doc, "SN1", "MF-1", "1.0", patient_clinic_id="P001")
    first = record.create_program_version(doc, "SN1", 0, program("2.5"), reason="initial",
                                          expected_latest=None)
    record.mark_written(doc, first.id, first.record_crc, expected_revision=1)
    record.mark_verified(doc, first.id, first.record_crc, expected_revision=2)
    record.create_program_version(
        doc, "SN1", 0, program("3.0", 25), reason="stronger contraction",
        expected_latest=first.id, parent_id=first.id,
        confirmations=[Confirmation("charge_density", "above 30 µC/cm²", "observed, fine")])
    record.close()
    monkeypatch.setenv("MFCONSOLE_DB", url)
    monkeypatch.setenv("MFCONSOLE_USER", "doc")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", "doctor password 1")
    return url


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_patients_add_and_list(clinic, capsys):
    assert _cli(capsys, "patients", "add", "P002", "--name", "Bo", "--dob", "1981-02-03")[0] == 0
    code, out, _ = _cli(capsys, "patients", "list", "--json")
    assert json.loads(out) == [
        {"clinic_id": "P001", "name": None, "date_of_birth": None},
        {"clinic_id": "P002", "name": "Bo", "date_of_birth": "1981-02-03"}]
    code, _, err = _cli(capsys, "patients", "add", "P003", "--dob", "yesterday")
    assert (code, err) == (1, "mfconsole: date of birth 'yesterday' is not a date like "
                              "1970-05-31\n")


def test_history_list_filters_by_patient_and_device(clinic, capsys):
    code, out, _ = _cli(capsys, "history", "list", "--patient", "P001", "--json")
    listed = json.loads(out)
    assert [(v["status"], v["reason"]) for v in listed] == [
        ("verified", "initial"), ("draft", "stronger contraction")]
    code, out, _ = _cli(capsys, "history", "list", "--device", "SN1")
    assert code == 0 and "stronger contraction" in out and "verified" in out
    code, _, err = _cli(capsys, "history", "list", "--device", "SN9")
    assert (code, err) == (1, "mfconsole: no device with serial 'SN9'\n")


def test_history_show_gives_every_parameter_and_step(clinic, capsys):
    code, out, _ = _cli(capsys, "history", "show", "1")
    assert code == 0
    assert "Left amplitude" in out and "2.5 mA" in out and "Session length" in out
    assert "verified" in out and "written" in out
    code, out, _ = _cli(capsys, "history", "show", "2", "--json")
    shown = json.loads(out)
    assert shown["parameters"]["left.amplitude_ma"] == "3.0"
    assert shown["confirmations"][0]["reason"] == "observed, fine"
    assert shown["parent"] == 1 and len(shown["record"]) == 56


def test_history_diff_is_field_by_field_in_clinical_units(clinic, capsys):
    code, out, _ = _cli(capsys, "history", "diff", "1", "2")
    assert code == 0
    assert "Left amplitude  2.5 mA  3.0 mA" in out and "Frequency       20 Hz   25 Hz" in out
    code, out, _ = _cli(capsys, "history", "diff", "1", "2", "--json")
    assert [(c["field"], c["old"], c["new"]) for c in json.loads(out)["changes"]] == [
        ("left.amplitude_ma", "2.5", "3.0"), ("frequency_hz", 20, 25)]
    code, _, err = _cli(capsys, "history", "diff", "1", "99")
    assert (code, err) == (1, "mfconsole: no program version 99\n")


def test_audit_verify_passes_then_names_the_changed_entry(clinic, capsys, monkeypatch):
    monkeypatch.setenv("MFCONSOLE_USER", "admin")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", "admin password 1")
    code, out, _ = _cli(capsys, "audit", "verify")
    assert code == 0 and out.startswith("audit chain intact:")
    record = ClinicalRecord.open(clinic)
    with record.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_entries_no_update"))
        connection.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 4"))
    record.close()
    code, _, err = _cli(capsys, "audit", "verify")
    assert (code, err) == (3, "mfconsole: audit chain broken at entry 4: entry 4 was changed\n")
    code, out, _ = _cli(capsys, "audit", "verify", "--json")
    assert code == 3 and json.loads(out)["broken_at"] == 4


def test_export_history_csv_to_stdout_and_file(clinic, capsys, tmp_path):
    code, out, _ = _cli(capsys, "export", "history", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["status"] for r in rows] == ["verified", "draft"]
    assert rows[1]["confirmed_findings"] == "charge_density"
    target = tmp_path / "history.csv"
    code, _, err = _cli(capsys, "export", "history", "-o", str(target), "--patient", "P001")
    assert code == 0 and "exported 2 versions" in err
    assert target.read_text().startswith("version,patient,device")
    code, _, err = _cli(capsys, "export", "history", "-o", str(target))
    assert (code, err) == (1, f"mfconsole: {target} exists already: choose another file\n")
    assert not list(tmp_path.glob(".*.partial"))


def test_a_foreign_file_and_a_down_server_are_one_line_errors(clinic, capsys, tmp_path):
    foreign = tmp_path / "notes.txt"
    foreign.write_text("shopping list\n" * 20)
    code, _, err = _cli(capsys, "patients", "list", "--db", str(foreign))
    assert code == 1 and err.count("\n") == 1 and "left untouched" in err
    assert foreign.read_text() == "shopping list\n" * 20
    code, _, err = _cli(capsys, "patients", "list", "--db",
                        "postgresql+psycopg://doc@127.0.0.1:1/record")
    assert code == 1 and err.count("\n") == 1 and "refused" in err
