"""``mfconsole visits start|list|end|report``, each run as its own process as at a clinic;
and a device command refused for a visit that has ended."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from console.paths import shipped
from console.storage import ClinicalRecord, InstallationKey
from console.storage.models import AuditEntryRow, ImpedanceRow
from tests.emulator_harness import ROOT, EmulatorProcess
from tests.record_fixtures import FAST_HASHER

PASSWORDS = {"admin": "admin password 1", "doc": "doctor password 1"}
EMULATOR_SERIAL = "EMU-000001"
PROCESS_TIMEOUT_S = 120.0


@dataclass
class Clinic:
    url: str
    tmp: Path
    env: dict[str, str]

    def run(self, *argv: str, user: str = "doc", **env: str) -> subprocess.CompletedProcess[str]:
        """``mfconsole ARGV`` as its own process, acting as ``user``."""
        environment = {**self.env, "MFCONSOLE_USER": user,
                       "MFCONSOLE_PASSWORD": PASSWORDS[user], **env}
        return subprocess.run([sys.executable, "-m", "console.cli.main", *argv], cwd=ROOT,
                              env=environment, capture_output=True, text=True,
                              timeout=PROCESS_TIMEOUT_S, check=False)

    def ok(self, *argv: str, **env: str) -> str:
        result = self.run(*argv, **env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def refused(self, *argv: str) -> str:
        """The one line of an expected refusal (status 1, nothing on stdout)."""
        result = self.run(*argv)
        assert (result.returncode, result.stdout) == (1, ""), result
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
        return result.stderr

    def open(self) -> ClinicalRecord:
        return ClinicalRecord.open(self.url, password_hasher=FAST_HASHER)

    def events(self, name: str) -> list[dict]:
        record = self.open()
        try:
            with record.engine.connect() as connection:
                rows = connection.execute(select(AuditEntryRow.details).where(
                    AuditEntryRow.event == name).order_by(AuditEntryRow.seq)).scalars().all()
        finally:
            record.close()
        return [json.loads(details) for details in rows]


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clinic:
    """A record with a clinician, patient P001 (with a name) and the emulator's device."""
    monkeypatch.setenv("MFCONSOLE_INSTALLATION_KEY", str(tmp_path / "installation.key"))
    url = f"sqlite:///{tmp_path / 'record.sqlite3'}"
    record = ClinicalRecord.open(url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey.load_or_create())
    try:
        admin = record.add_user(None, "admin", "admin", PASSWORDS["admin"])
        doc = record.add_user(admin, "doc", "clinician", PASSWORDS["doc"])
        record.add_patient(doc, "P001", name="Jane Example")
        record.register_device(doc, EMULATOR_SERIAL, "EMU-IPG", "1.0.0",
                               patient_clinic_id="P001")
    finally:
        record.close()
    environment = {key: value for key, value in os.environ.items()
                   if key != "MFCONSOLE_CLINIC_PROFILE"}
    environment.update({
        "MFCONSOLE_DB": url, "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "state"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    return Clinic(url, tmp_path, environment)


def pdf_text(path: Path) -> str:
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_start_list_end_and_end_again(clinic):
    started = json.loads(clinic.ok("visits", "start", "P001", "--kind", "follow-up",
                                   "--device", EMULATOR_SERIAL, "--json"))
    assert {k: started[k] for k in ("id", "kind", "patient", "device", "operator")} == {
        "id": 1, "kind": "follow-up", "patient": "P001", "device": EMULATOR_SERIAL,
        "operator": "doc"}
    assert started["started_at"] and started["ended_at"] is None
    assert clinic.ok("visits", "start", "P001", "--kind", "programming") == (
        "started visit 2 (programming) of patient P001\n")

    listed = json.loads(clinic.ok("visits", "list", "--patient", "P001", "--json"))
    assert [(v["id"], v["kind"], v["ended_at"], v["patient"], v["operator"]) for v in listed] \
        == [(1, "follow-up", None, "P001", "doc"), (2, "programming", None, "P001", "doc")]
    assert listed[0]["started_at"] == started["started_at"]

    assert clinic.ok("visits", "end", "1") == "ended visit 1 of patient P001\n"
    listed = json.loads(clinic.ok("visits", "list", "--json"))
    assert listed[0]["ended_at"] is not None and listed[1]["ended_at"] is None
    assert clinic.refused("visits", "end", "1").startswith(
        "mfconsole: visit 1 ended already at ")
    assert clinic.events("visit_ended") == [{"visit": 1}]  # ended once, audited once
    table = clinic.ok("visits", "list").splitlines()
    assert table[0].split()[:4] == ["visit", "kind", "patient", "device"]
    assert table[1].split()[-1] != "open" and table[2].split()[-1] == "open"


def test_refusals_name_what_is_wrong(clinic):
    assert clinic.refused("visits", "start", "P009", "--kind", "follow-up") == (
        "mfconsole: no patient with clinic ID 'P009'\n")
    assert clinic.refused("visits", "end", "7") == "mfconsole: no visit 7\n"
    assert clinic.refused("visits", "report", "7", "-o", str(clinic.tmp / "r.pdf")) == (
        "mfconsole: no visit 7\n")
    result = clinic.run("visits", "start", "P001", "--kind", "checkup")
    assert result.returncode == 2 and "invalid choice: 'checkup'" in result.stderr
    assert clinic.refused("visits", "list", "--patient", "P009") == (
        "mfconsole: no patient with clinic ID 'P009'\n")
    assert not (clinic.tmp / "r.pdf").exists()


def test_report_and_handout_name_the_clinic_id_and_the_name_only_if_the_profile_says(clinic):
    clinic.ok("visits", "start", "P001", "--kind", "follow-up", "--device", EMULATOR_SERIAL)
    report, handout = clinic.tmp / "visit.pdf", clinic.tmp / "handout.pdf"
    result = clinic.run("visits", "report", "1", "-o", str(report), "--handout", str(handout),
                        "--next-visit", "2030-01-15")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {report}\nwrote {handout}\n"
    assert result.stderr == ("mfconsole: visit 1 is still open: the report is provisional "
                             "until the visit is ended\n")
    text = pdf_text(report)
    assert "P001" in text and "Jane Example" not in text
    assert "Usage: not downloaded in this visit." in text
    assert "No titration marks recorded." in text
    assert "EMU-IPG, serial EMU-000001" in text and "DEMO — EMULATOR" in text
    handout_text = pdf_text(handout)
    assert "P001" in handout_text and "Jane Example" not in handout_text
    assert "Your next visit is on Tuesday 15 January 2030." in handout_text

    profile = clinic.tmp / "clinic_profile.toml"
    shipped_text = shipped("clinic_profile.toml").read_text(encoding="utf-8")
    assert "show_patient_name = false" in shipped_text
    profile.write_text(shipped_text.replace("show_patient_name = false",
                                            "show_patient_name = true"), encoding="utf-8")
    clinic.ok("visits", "end", "1")
    named = clinic.tmp / "named.pdf"
    result = clinic.run("visits", "report", "1", "-o", str(named),
                        MFCONSOLE_CLINIC_PROFILE=str(profile))
    assert (result.returncode, result.stderr) == (0, "")
    assert "Jane Example (P001)" in pdf_text(named)
    assert "provisional" not in pdf_text(named)


def test_a_device_command_is_refused_for_a_visit_that_has_ended(clinic, key_file):
    clinic.ok("visits", "start", "P001", "--kind", "follow-up", "--device", EMULATOR_SERIAL)
    clinic.ok("visits", "end", "1")
    with EmulatorProcess(key_file=key_file) as emulator:
        result = clinic.run("device", "--port", emulator.port, "--key-file", str(key_file),
                            "--visit", "1", "impedance")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert result.stderr.startswith("mfconsole: visit 1 ended at ")
    assert result.stderr.endswith("UTC: a closed visit takes no new entries; start a new "
                                  "visit\n")
    record = clinic.open()
    try:
        with record.engine.connect() as connection:
            assert connection.execute(select(ImpedanceRow.id)).all() == []
    finally:
        record.close()
