"""``mfconsole cohort`` and ``mfconsole bench cohort`` as real processes.

The clinic is small and built through the record's own API; the figures checked are the
ones that can be worked out by hand from it (docs/outcomes-audit.md).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from console.bench.clinic_data import populate_clinic
from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    EventDetails,
    ExplantReason,
    Relatedness,
)
from console.outcomes.clinic import ClinicDevice, ClinicFacts, ClinicPatient
from console.outcomes.cohort import CohortReport, cohort_report
from console.outcomes.measures import OutcomeMeasures
from console.outcomes.responders import ResponderRules
from console.report import cohort_csv
from console.report.cohort_pdf import DEMO_BANNER, cohort_report_pdf
from console.report.marking import DEMO_MARK
from console.storage import ClinicalRecord, InstallationKey
from tests.emulator_harness import ROOT
from tests.record_fixtures import FAST_HASHER, table_rows

TIMEOUT_S = 120.0
TODAY = date.today()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("MFCONSOLE_DB", "MFCONSOLE_CLINIC_PROFILE")}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                              os.environ.get("PYTHONPATH")]))
    environment["MFCONSOLE_INSTALLATION_KEY"] = str(tmp_path / "installation.key")
    environment["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    environment["XDG_DATA_HOME"] = str(tmp_path / "data")
    environment["MFCONSOLE_DB"] = f"sqlite:///{tmp_path / 'record.sqlite3'}"
    environment["MFCONSOLE_USER"] = "doc"
    environment["MFCONSOLE_PASSWORD"] = "doctor password 1"
    return environment


def mfconsole(env: dict[str, str], *argv: str, cwd: Path = ROOT,
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console.cli.main", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def _open(env: dict[str, str]) -> ClinicalRecord:
    return ClinicalRecord.open(env["MFCONSOLE_DB"], password_hasher=FAST_HASHER,
                               installation_key=InstallationKey(bytes(32)))


@pytest.fixture
def clinic(env: dict[str, str]) -> dict[str, str]:
    """Two patients implanted 100 days ago: A responds at 6 weeks (NRS 8 -> 4), B does not
    (7 -> 6) and has a serious wound infection; C, implanted today, has only a baseline.
    A theatre user, who may not see the audit."""
    record = _open(env)
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    record.add_user(admin, "th", "theatre", "theatre password 1")
    implanted = TODAY - timedelta(days=100)
    for n, (clinic_id, implant) in enumerate((("A", implanted), ("B", implanted),
                                              ("C", TODAY)), start=1):
        record.add_patient(doc, clinic_id)
        record.register_device(doc, f"SN{n}", "MF-1", "1.0", patient_clinic_id=clinic_id,
                               implant_date=implant)
        record.record_outcome(doc, clinic_id, "baseline", implanted - timedelta(days=5),
                              OutcomeMeasures(nrs=8 if clinic_id == "A" else 7))
    record.record_outcome(doc, "A", "6w", implanted + timedelta(days=45),
                          OutcomeMeasures(nrs=4))
    record.record_outcome(doc, "B", "6w", implanted + timedelta(days=46),
                          OutcomeMeasures(nrs=6))
    record.record_adverse_event(doc, "B", EventDetails(
        EventCategory.WOUND_INFECTION, implanted + timedelta(days=10), True,
        Relatedness.PROCEDURE, EventAction.NONE))
    record.record_adverse_event(doc, "B", EventDetails(
        EventCategory.INADEQUATE_STIMULATION, implanted + timedelta(days=60), False,
        Relatedness.DEVICE, EventAction.EXPLANT, ExplantReason.LACK_OF_EFFICACY))
    record.close()
    return env


def _exports(env: dict[str, str]) -> list[dict]:
    record = _open(env)
    try:
        return [json.loads(details) for (details,) in table_rows(
            record, "SELECT details FROM audit_entries WHERE event = 'export' ORDER BY seq")]
    finally:
        record.close()


def test_cohort_json_has_the_issues_keys_and_the_figures(clinic):
    done = mfconsole(clinic, "cohort", "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert list(figures) == ["patients", "followup", "responders", "adverse_events",
                             "explants", "adherence"]
    assert figures["patients"] == 3
    assert figures["followup"]["baseline"] == {"due": 3, "collected": 3}  # C: implanted today
    assert figures["followup"]["6w"] == {"due": 2, "collected": 2}
    assert figures["followup"]["3m"] == {"due": 2, "collected": 0}  # 100 days > 3 months
    # A: 8 -> 4 responds, B: 7 -> 6 does not: 1 of 2, Wilson 9.5-90.5 %
    assert figures["responders"]["6w"]["pain"] == {"n": 1, "of": 2, "pct": 50.0,
                                                   "ci95": [9.5, 90.5]}
    assert figures["responders"]["6w"]["function"] == {"n": 0, "of": 0, "pct": None,
                                                       "ci95": None}
    assert figures["adverse_events"]["serious"] == 1
    assert figures["adverse_events"]["by_category"]["wound-infection"] == 1
    assert figures["explants"]["by_reason"]["lack-of-efficacy"] == 1
    assert figures["adherence"] == {"mean_pct": None, "patients": 0}


def test_as_of_moves_the_audit_date(clinic):
    earlier = (TODAY - timedelta(days=80)).isoformat()  # 20 days after the implants
    figures = json.loads(mfconsole(clinic, "cohort", "--json", "--as-of", earlier).stdout)
    assert figures["followup"]["6w"] == {"due": 0, "collected": 0}
    assert figures["adverse_events"]["serious"] == 1  # the infection on day 10
    assert figures["explants"]["by_reason"]["lack-of-efficacy"] == 0  # on day 60
    wrong = mfconsole(clinic, "cohort", "--as-of", "2025-02-30")
    assert (wrong.returncode, wrong.stderr) == (
        2, "mfconsole: --as-of 2025-02-30: not a date (YYYY-MM-DD)\n")


def test_the_plain_output_is_a_table_people_read(clinic):
    done = mfconsole(clinic, "cohort")
    assert done.returncode == 0, done.stderr
    assert f"Clinic audit as of {TODAY.isoformat()}: 3 patients." in done.stdout
    assert "6 weeks    1 of 2 (50.0 %)  9.5-90.5 %" in done.stdout
    assert "wound-infection" in done.stdout and "haematoma" not in done.stdout  # zeros left out


def test_pdf_report_holds_the_figures_and_is_audited(clinic, tmp_path):
    target = tmp_path / "audit.pdf"
    done = mfconsole(clinic, "cohort", "--pdf", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"wrote the audit report to {target}\n"
    reader = PdfReader(target)
    words = " ".join(page.extract_text() for page in reader.pages)
    assert "Clinic audit — outcomes and safety" in words
    assert "1 of 2 = 50.0 %" in words and "9.5–90.5 %" in words
    assert "NRS down by at least 2 points" in words
    assert "DEMONSTRATION" not in words
    assert not list(tmp_path.glob(".*partial"))
    assert _exports(clinic) == [{"what": "clinic audit", "format": "pdf",
                                 "as_of": TODAY.isoformat(), "patients": 3, "rows": None,
                                 "file": "audit.pdf"}]


def test_csv_figures_one_per_row_and_audited(clinic, tmp_path):
    target = tmp_path / "figures.csv"
    done = mfconsole(clinic, "cohort", "--csv", str(target), "--json")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["section", "item", "measure", "value"]
    assert ["responders", "6w", "pain_n", "1"] in rows
    assert ["responders", "6w", "pain_ci95_high", "90.5"] in rows
    assert ["responders", "6w", "function_pct", ""] in rows
    assert ["followup", "3m", "due", "2"] in rows
    assert ["adverse_events", "", "serious", "1"] in rows
    assert ["explants", "lack-of-efficacy", "count", "1"] in rows
    assert _exports(clinic)[-1]["rows"] == len(rows) - 1


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(monkeypatch):
    report = object.__new__(CohortReport)  # the rows are what matters here
    monkeypatch.setattr(cohort_csv, "cohort_rows", lambda _report: iter(
        [("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)")]))
    data, count = cohort_csv.cohort_csv(report)
    assert count == 1
    assert list(csv.reader(io.StringIO(data.decode())))[1] == [
        "'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)"]


def test_an_existing_file_is_never_overwritten_nor_the_export_audited(clinic, tmp_path):
    target = tmp_path / "audit.pdf"
    target.write_text("the clinic's own file")
    done = mfconsole(clinic, "cohort", "--pdf", str(target))
    assert (done.returncode, done.stderr) == (
        1, f"mfconsole: {target} exists already: choose another file\n")
    assert target.read_text() == "the clinic's own file"
    assert _exports(clinic) == []


def test_a_theatre_user_may_not_see_the_audit(clinic, tmp_path):
    done = mfconsole({**clinic, "MFCONSOLE_USER": "th",
                      "MFCONSOLE_PASSWORD": "theatre password 1"}, "cohort")
    assert done.returncode == 1 and "see the clinic's audit" in done.stderr


def test_a_generated_clinic_is_a_valid_record(env, tmp_path):
    record = _open(env)
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    record.add_user(admin, "doc", "clinician", "doctor password 1")
    generated = populate_clinic(record, admin, patients=40, adverse_events=25, seed=3)
    record.close()
    assert (generated.patients, generated.adverse_events) == (40, 25)
    assert 40 < generated.outcomes <= 6 * 40
    verify = mfconsole({**env, "MFCONSOLE_USER": "admin",
                        "MFCONSOLE_PASSWORD": "admin password 1"}, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert "audit chain intact" in verify.stdout
    figures = json.loads(mfconsole(env, "cohort", "--json").stdout)
    assert figures["patients"] == 40
    assert sum(figures["adverse_events"]["by_category"].values()) == 25
    assert figures["adherence"]["patients"] == generated.logged_devices


def test_bench_cohort_reports_its_figures_at_a_small_size(env):
    done = mfconsole({k: v for k, v in env.items() if k != "MFCONSOLE_DB"}, "bench", "cohort",
                     "--patients", "30", "--adverse-events", "12", "--runs", "2",
                     "--export-runs", "1", "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert list(figures) == ["backend", "patients", "outcomes", "adverse_events",
                             "logged_devices", "log_entries", "runs", "generate_s",
                             "cohort_first_ms", "cohort_median_ms", "cohort_p99_ms",
                             "count_median_ms", "ratio", "target", "pass", "export_runs",
                             "fhir_median_s", "csv_median_s", "fhir_target", "fhir_pass"]
    assert figures["export_runs"] == 1 and figures["fhir_median_s"] > 0
    assert figures["fhir_target"] == "≤ 10 s median"
    assert (figures["backend"], figures["patients"], figures["adverse_events"],
            figures["runs"], figures["target"]) == ("sqlite", 30, 12, 2, "≤ 500 ms median")
    ratio = figures["cohort_median_ms"] / figures["count_median_ms"]
    assert abs(figures["ratio"] - ratio) < 0.01 * ratio + 0.01


def test_bench_cohort_refuses_a_record_that_exists(clinic):
    done = mfconsole(clinic, "bench", "cohort", "--db", clinic["MFCONSOLE_DB"],
                     "--patients", "5", "--runs", "1")
    assert done.returncode == 1
    assert "holds a record already" in done.stderr


def test_an_audit_of_a_record_holding_the_emulator_is_marked_on_every_page():
    def pdf_text(model: str) -> list[str]:
        facts = ClinicFacts((ClinicPatient("D1", (ClinicDevice("EMU-1", model, TODAY),),
                                           (), ()),))
        report = cohort_report(facts, ResponderRules(2, 10), TODAY)
        data = cohort_report_pdf(report, clinic_name="Clinic", made_by="doc",
                                 made_at=datetime.now(UTC))
        return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]

    marked = pdf_text("EMU-MF1")
    assert all(DEMO_MARK in page for page in marked) and DEMO_BANNER[:13] in marked[0]
    assert not any(DEMO_MARK in page for page in pdf_text("MF-1"))
