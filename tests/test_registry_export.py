"""``mfconsole export registry``: the FHIR R4 bundle and the CSV, on a hand-built clinic.

The clinic: P001 (named, born 1970-05-31) with a baseline, a 6-week and a 3-month
assessment and a serious lead migration on their device; ``=2+3`` (a clinic ID a
spreadsheet would run) with one 6-week assessment, no baseline and an explant; P003 with
a baseline only and no device. Every figure below is counted from that by hand.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from datetime import date

import pytest
from fhir.resources.bundle import Bundle

from console.accounts import PermissionDenied
from console.cli.main import main
from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    EventDetails,
    ExplantReason,
    Relatedness,
)
from console.outcomes.measures import AnalgesicUse, OutcomeMeasures, WorkStatus
from console.outcomes.responders import ResponderRules
from console.registry import fhir_resources
from console.registry.fhir_validation import InvalidResource
from console.storage import ClinicalRecord, InstallationKey
from console.storage.errors import NotFound
from tests.emulator_harness import ROOT
from tests.record_fixtures import FAST_HASHER, table_rows

NAME, BORN = "Ada Lovelace", "1970-05-31"
OTHER_NAME, OTHER_BORN = "Brian Oswald", "1962-11-04"
DEFAULT_RULES = ResponderRules(pain_nrs_drop=2, function_odi_drop=10)


def build_clinic(record: ClinicalRecord) -> dict[str, object]:
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    theatre = record.add_user(admin, "th", "theatre", "theatre password 1")
    record.add_patient(doc, "P001", name=NAME, date_of_birth=date.fromisoformat(BORN))
    record.add_patient(doc, "=2+3", name=OTHER_NAME,
                       date_of_birth=date.fromisoformat(OTHER_BORN))
    record.add_patient(doc, "P003")
    record.register_device(doc, "SN-A1", "MF-1", "1.0", patient_clinic_id="P001",
                           implant_date=date(2025, 1, 10))
    record.register_device(doc, "SN-B1", "@MF-2", "1.0", patient_clinic_id="=2+3",
                           implant_date=date(2025, 3, 1))
    record.record_outcome(doc, "P001", "baseline", date(2025, 1, 2), OutcomeMeasures(
        nrs=7, odi=(3,) * 10, eq5d="21321", eq_vas=50, analgesics=AnalgesicUse.WEAK_OPIOID,
        work=WorkStatus.OFF_WORK_BACK_PAIN))
    record.record_outcome(doc, "P001", "6w", date(2025, 2, 21), OutcomeMeasures(
        nrs=4, odi=(2,) * 8 + (None, None), pgic=2))
    record.record_outcome(doc, "P001", "3m", date(2025, 4, 10), OutcomeMeasures(
        nrs=6, odi=(1, None, 1, None, 1, None, 1, 1, 1, 1)))
    record.record_outcome(doc, "=2+3", "6w", date(2025, 4, 12), OutcomeMeasures(nrs=3))
    record.record_outcome(doc, "P003", "baseline", date(2025, 5, 5), OutcomeMeasures(nrs=8))
    record.record_adverse_event(doc, "P001", EventDetails(
        EventCategory.LEAD_MIGRATION, date(2025, 2, 1), True, Relatedness.DEVICE,
        EventAction.REVISION, resolved=date(2025, 2, 20), yellow_card="YC/2025-001",
        notes="seen by " + NAME), device_serial="SN-A1")
    record.record_adverse_event(doc, "=2+3", EventDetails(
        EventCategory.EXPLANT, date(2025, 6, 1), False, Relatedness.DEVICE,
        EventAction.EXPLANT, ExplantReason.LACK_OF_EFFICACY))
    return {"doc": doc, "theatre": theatre}


@pytest.fixture
def clinic(tmp_path):
    record = ClinicalRecord.open(f"sqlite:///{tmp_path / 'record.sqlite3'}",
                                 password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    users = build_clinic(record)
    yield record, users["doc"], users
    record.close()


def export(record, actor, fmt: str, **options) -> str:
    out = io.StringIO()
    record.export_registry(actor, out, format=fmt, rules=DEFAULT_RULES, **options)
    return out.getvalue()


def resources(text: str) -> list[dict]:
    return [entry["resource"] for entry in json.loads(text)["entry"]]


def observations(text: str, clinic_id: str, loinc_or_code: str) -> dict[str, dict]:
    """The patient's observations of one code, by timepoint."""
    subject = f"urn:uuid:{fhir_resources.resource_id('Patient', clinic_id)}"
    return {r["extension"][0]["valueCoding"]["code"]: r for r in resources(text)
            if r["resourceType"] == "Observation" and r["subject"]["reference"] == subject
            and r["code"]["coding"][0]["code"] == loinc_or_code}


def test_the_bundle_is_valid_fhir_r4_with_every_resource_of_the_record(backend_url):
    record = ClinicalRecord.open(backend_url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    try:
        doc = build_clinic(record)["doc"]
        out = io.StringIO()
        assert record.export_registry(doc, out, format="fhir", rules=DEFAULT_RULES) == 3
    finally:
        record.close()
    bundle = Bundle.parse_raw(out.getvalue())
    assert (bundle.type, bundle.resource_type) == ("collection", "Bundle")
    counted = Counter(entry.resource.resource_type for entry in bundle.entry)
    # Observations: P001 6 + 3 + 2, =2+3 1, P003 1.
    assert counted == {"Patient": 3, "Device": 2, "Procedure": 2, "Observation": 13,
                       "AdverseEvent": 2}
    full_urls = [entry.fullUrl for entry in bundle.entry]
    assert len(set(full_urls)) == len(full_urls)
    assert all(url.startswith("urn:uuid:") for url in full_urls)
    cited = {m for m in _references(json.loads(out.getvalue()))}
    assert cited <= set(full_urls)


def _references(node: object):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference":
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_loinc_72514_3_carries_the_pain_nrs_and_the_timepoint_is_coded(clinic):
    record, doc, _ = clinic
    text = export(record, doc, "fhir")
    nrs = observations(text, "P001", "72514-3")
    assert {point: o["valueInteger"] for point, o in nrs.items()} == {
        "baseline": 7, "6w": 4, "3m": 6}
    baseline = nrs["baseline"]
    assert baseline["code"]["coding"][0]["system"] == "http://loinc.org"
    assert (baseline["status"], baseline["effectiveDateTime"]) == ("final", "2025-01-02")
    assert baseline["category"][0]["coding"][0]["code"] == "survey"
    assert baseline["extension"][0]["url"].endswith("/StructureDefinition/outcome-timepoint")


def test_the_odi_is_a_percentage_with_its_ten_sections_and_unscored_past_two_missing(clinic):
    record, doc, _ = clinic
    odi = observations(export(record, doc, "fhir"), "P001", "97909-6")
    assert odi["baseline"]["valueQuantity"] == {
        "value": 60.0, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
    assert odi["6w"]["valueQuantity"]["value"] == 40.0  # 16 / (5 × 8)
    sections = odi["6w"]["component"]
    assert [c["code"]["coding"][0]["code"] for c in sections] == [str(n) for n in range(1, 11)]
    assert [c.get("valueInteger") for c in sections] == [2] * 8 + [None, None]
    assert sections[9]["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert "valueQuantity" not in odi["3m"]  # three sections missing: not scored
    assert odi["3m"]["dataAbsentReason"]["coding"][0]["code"] == "not-performed"


def test_the_other_measures_have_their_own_observations(clinic):
    record, doc, _ = clinic
    text = export(record, doc, "fhir")
    assert observations(text, "P001", "eq5d5l-profile")["baseline"]["valueString"] == "21321"
    vas = observations(text, "P001", "736535009")["baseline"]
    assert (vas["code"]["coding"][0]["system"], vas["valueInteger"]) == (
        "http://snomed.info/sct", 50)
    assert observations(text, "P001", "pgic")["6w"]["valueInteger"] == 2
    analgesics = observations(text, "P001", "analgesic-use")["baseline"]
    assert analgesics["valueCodeableConcept"]["coding"][0]["code"] == "weak-opioid"
    work = observations(text, "P001", "work-status")["baseline"]
    assert work["valueCodeableConcept"]["coding"][0]["code"] == "off-work-back-pain"


def test_devices_implants_and_adverse_events(clinic):
    record, doc, _ = clinic
    found = resources(export(record, doc, "fhir"))
    device_url = f"urn:uuid:{fhir_resources.resource_id('Device', 'SN-A1')}"
    device = next(r for r in found if r["resourceType"] == "Device"
                  and r["serialNumber"] == "SN-A1")
    assert device["deviceName"] == [{"name": "MF-1", "type": "model-name"}]
    implant = next(r for r in found if r["resourceType"] == "Procedure"
                   and r["focalDevice"][0]["manipulated"]["reference"] == device_url)
    assert (implant["status"], implant["performedDateTime"]) == ("completed", "2025-01-10")
    events = {r["event"]["coding"][0]["code"]: r for r in found
              if r["resourceType"] == "AdverseEvent"}
    migration, explant = events["lead-migration"], events["explant"]
    assert (migration["actuality"], migration["date"]) == ("actual", "2025-02-01")
    assert migration["seriousness"]["coding"][0]["code"] == "serious"
    assert migration["outcome"]["coding"][0]["code"] == "resolved"
    assert migration["suspectEntity"] == [{"instance": {"reference": device_url}}]
    assert migration["identifier"]["value"] == "YC/2025-001"
    assert {e["url"].rsplit("/", 1)[1]: e.get("valueCoding", {}).get("code", e.get("valueDate"))
            for e in migration["extension"]} == {
        "adverse-event-relatedness": "device", "adverse-event-action": "revision",
        "adverse-event-resolved": "2025-02-20"}
    assert explant["outcome"]["coding"][0]["code"] == "ongoing"
    assert "suspectEntity" not in explant and "identifier" not in explant
    assert explant["seriousness"]["coding"][0]["code"] == "non-serious"
    assert any(e["url"].endswith("/explant-reason")
               and e["valueCoding"]["code"] == "lack-of-efficacy" for e in explant["extension"])


@pytest.mark.parametrize("fmt", ["fhir", "csv"])
def test_no_name_or_date_of_birth_without_identifiable(clinic, fmt):
    record, doc, _ = clinic
    text = export(record, doc, fmt)
    for identifying in (NAME, "Lovelace", BORN, OTHER_NAME, OTHER_BORN):
        assert identifying not in text
    if fmt == "fhir":
        assert '"name"' not in text.replace('"name":"MF-1"', "").replace(
            '"name":"@MF-2"', "") and "birthDate" not in text
        assert json.loads(text)["meta"]["security"][0]["code"] == "PSEUDED"
    else:
        header = next(csv.reader(io.StringIO(text)))
        assert "name" not in header and "date_of_birth" not in header


@pytest.mark.parametrize("fmt", ["fhir", "csv"])
def test_identifiable_adds_the_name_and_date_of_birth(clinic, fmt):
    record, doc, _ = clinic
    text = export(record, doc, fmt, identifiable=True)
    assert NAME in text and BORN in text and OTHER_NAME in text and OTHER_BORN in text
    assert "seen by" not in text  # an event's notes are never exported
    if fmt == "fhir":
        patient = next(r for r in resources(text) if r["resourceType"] == "Patient"
                       and r["identifier"][0]["value"] == "P001")
        assert (patient["name"], patient["birthDate"]) == ([{"text": NAME}], BORN)
        assert "meta" not in json.loads(text)
    else:
        rows = {r["clinic_id"]: r for r in csv.DictReader(io.StringIO(text))}
        assert (rows["P001"]["name"], rows["P001"]["date_of_birth"]) == (NAME, BORN)
        assert (rows["P003"]["name"], rows["P003"]["date_of_birth"]) == ("", "")


def test_csv_has_one_row_per_patient_and_timepoint_with_change_and_responders(clinic):
    record, doc, _ = clinic
    rows = list(csv.DictReader(io.StringIO(export(record, doc, "csv"))))
    scheduled = ["baseline", "6w", "3m", "6m", "12m", "24m"]
    assert [(r["clinic_id"], r["timepoint"]) for r in rows] == [
        ("'=2+3", point) for point in scheduled] + [
        ("P001", point) for point in scheduled] + [("P003", point) for point in scheduled]
    p001 = {r["timepoint"]: r for r in rows if r["clinic_id"] == "P001"}
    assert [p001[p]["due_date"] for p in scheduled] == [
        "2025-01-10", "2025-02-21", "2025-04-10", "2025-07-10", "2026-01-10", "2027-01-10"]
    six_weeks = p001["6w"]
    assert {k: six_weeks[k] for k in ("collected_on", "nrs", "odi_pct", "pgic", "nrs_change",
                                      "odi_change", "pain_responder", "function_responder",
                                      "adverse_events", "serious_adverse_events",
                                      "explanted")} == {
        "collected_on": "2025-02-21", "nrs": "4", "odi_pct": "40.0", "pgic": "2",
        "nrs_change": "-3", "odi_change": "-20.0", "pain_responder": "true",
        "function_responder": "true", "adverse_events": "1", "serious_adverse_events": "1",
        "explanted": "false"}
    three_months = p001["3m"]
    assert (three_months["odi_pct"], three_months["odi_change"],
            three_months["function_responder"], three_months["nrs_change"],
            three_months["pain_responder"]) == ("", "", "", "-1", "false")
    assert [three_months[f"odi_{n}"] for n in range(1, 11)] == [
        "1", "", "1", "", "1", "", "1", "1", "1", "1"]
    baseline = p001["baseline"]
    assert (baseline["eq5d"], baseline["eq_vas"], baseline["analgesics"],
            baseline["work_status"], baseline["adverse_events"]) == (
        "21321", "50", "weak-opioid", "off-work-back-pain", "0")
    assert (baseline["device_serials"], baseline["implant_date"]) == ("SN-A1", "2025-01-10")
    assert p001["6m"]["collected_on"] == "" and p001["6m"]["nrs"] == ""
    explanted = {r["timepoint"]: r for r in rows if r["clinic_id"] == "'=2+3"}
    assert explanted["6w"]["nrs_change"] == ""  # no baseline: no change, no verdict
    assert (explanted["6w"]["explanted"], explanted["3m"]["explanted"]) == ("false", "true")
    assert explanted["6w"]["device_models"] == "'@MF-2"
    no_device = [r for r in rows if r["clinic_id"] == "P003"]
    assert [(r["due_date"], r["adverse_events"]) for r in no_device][1:] == [("", "")] * 5


def test_responder_columns_follow_the_rules_given(clinic):
    record, doc, _ = clinic
    out = io.StringIO()
    record.export_registry(doc, out, format="csv", rules=ResponderRules(4, 25))
    six_weeks = next(r for r in csv.DictReader(io.StringIO(out.getvalue()))
                     if (r["clinic_id"], r["timepoint"]) == ("P001", "6w"))
    assert (six_weeks["pain_responder"], six_weeks["function_responder"]) == ("false", "false")


def test_formulas_are_neutralised_in_csv_only(clinic):
    record, doc, _ = clinic
    csv_text = export(record, doc, "csv")
    assert "\n=2+3" not in csv_text and ",=2+3" not in csv_text and "'=2+3" in csv_text
    assert ",@MF-2" not in csv_text
    fhir_text = export(record, doc, "fhir")  # JSON is no spreadsheet: kept as recorded
    patient_ids = [r["identifier"][0]["value"] for r in resources(fhir_text)
                   if r["resourceType"] == "Patient"]
    assert patient_ids == ["=2+3", "P001", "P003"]


@pytest.mark.parametrize("fmt", ["fhir", "csv"])
def test_two_exports_of_the_same_record_are_the_same(clinic, fmt):
    record, doc, _ = clinic
    first = export(record, doc, fmt)
    assert first == export(record, doc, fmt) and "P001" in first


def test_resource_ids_are_rfc_name_based_uuids():
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://multifidus-console.org/fhir")
    for kind, key in (("Patient", "P001"), ("Observation", "12/nrs"), ("Device", "SN-é")):
        assert fhir_resources.resource_id(kind, key) == str(uuid.uuid5(namespace,
                                                                       f"{kind}/{key}"))


def test_one_patient_only(clinic):
    record, doc, _ = clinic
    found = resources(export(record, doc, "fhir", clinic_id="P001"))
    assert Counter(r["resourceType"] for r in found) == {
        "Patient": 1, "Device": 1, "Procedure": 1, "Observation": 11, "AdverseEvent": 1}
    rows = list(csv.DictReader(io.StringIO(export(record, doc, "csv", clinic_id="P003"))))
    assert {r["clinic_id"] for r in rows} == {"P003"} and len(rows) == 6


def test_exports_are_audited_and_need_the_export_permission(clinic):
    record, doc, users = clinic
    export(record, doc, "fhir", clinic_id="P001")
    export(record, doc, "csv", identifiable=True)
    entries = table_rows(record, "SELECT actor, details FROM audit_entries "
                                 "WHERE event = 'export' ORDER BY seq")
    assert [(actor, json.loads(details)) for actor, details in entries] == [
        ("doc", {"what": "registry", "format": "fhir", "patients": 1, "patient": "P001",
                 "identifiable": False, "resources": 15}),
        ("doc", {"what": "registry", "format": "csv", "patients": 3, "patient": None,
                 "identifiable": True, "rows": 18})]
    with pytest.raises(PermissionDenied):
        record.export_registry(users["theatre"], io.StringIO(), format="fhir")
    assert len(table_rows(record, "SELECT seq FROM audit_entries WHERE event = 'export'")) == 2


def test_an_invalid_resource_stops_the_export_before_anything_is_written(clinic, monkeypatch):
    record, doc, _ = clinic

    def broken(parts, clinic_id, implanted):
        return {"resourceType": "Device", "id": "device-1", "deviceName": [{"type": "model-name"}]}

    monkeypatch.setattr(fhir_resources, "device", broken)
    out = io.StringIO()
    with pytest.raises(InvalidResource, match="invalid FHIR Device/device-1"):
        record.export_registry(doc, out, format="fhir", rules=DEFAULT_RULES)
    assert out.getvalue() == ""
    assert table_rows(record, "SELECT seq FROM audit_entries WHERE event = 'export'") == []


def test_an_unknown_patient_leaves_no_file_and_no_audit_entry(clinic, capsys, tmp_path,
                                                              monkeypatch):
    record, doc, _ = clinic
    monkeypatch.setenv("MFCONSOLE_DB", str(record.engine.url))
    monkeypatch.setenv("MFCONSOLE_USER", "doc")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", "doctor password 1")
    target = tmp_path / "registry.json"
    code = main(["export", "registry", "--format", "fhir", "-o", str(target),
                 "--patient", "P404"])
    assert (code, capsys.readouterr().err) == (
        1, "mfconsole: no patient with clinic ID 'P404'\n")
    assert not target.exists() and not list(tmp_path.glob(".*.partial"))
    assert table_rows(record, "SELECT seq FROM audit_entries WHERE event = 'export'") == []
    out = io.StringIO()
    with pytest.raises(NotFound):
        record.export_registry(doc, out, format="csv", clinic_id="P404")
    assert out.getvalue() == ""


def test_an_export_failing_while_written_leaves_no_file(clinic, capsys, tmp_path,
                                                        monkeypatch):
    record, _, _ = clinic
    monkeypatch.setenv("MFCONSOLE_DB", str(record.engine.url))
    monkeypatch.setenv("MFCONSOLE_USER", "doc")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", "doctor password 1")

    def disk_full(bundle, out):
        out.write('{"resourceType":"Bundle","entry":[')
        out.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("console.registry.fhir_bundle.write_bundle", disk_full)
    target = tmp_path / "registry.json"
    code = main(["export", "registry", "--format", "fhir", "-o", str(target)])
    assert (code, capsys.readouterr().err) == (
        1, f"mfconsole: cannot write {target}: No space left on device\n")
    assert not target.exists() and not list(tmp_path.glob(".*.partial"))
    assert table_rows(record, "SELECT seq FROM audit_entries WHERE event = 'export'") == []


def _run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ui.shell.entry", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_command_writes_both_formats_as_a_real_process(tmp_path):
    url = f"sqlite:///{tmp_path / 'record.sqlite3'}"
    record = ClinicalRecord.open(url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    try:
        build_clinic(record)
    finally:
        record.close()
    env = {**os.environ, "MFCONSOLE_DB": url, "MFCONSOLE_USER": "doc",
           "MFCONSOLE_PASSWORD": "doctor password 1", "XDG_DATA_HOME": str(tmp_path / "d"),
           "XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_STATE_HOME": str(tmp_path / "s"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    fhir_file, csv_file = tmp_path / "registry.json", tmp_path / "registry.csv"
    result = _run(env, "export", "registry", "--format", "fhir", "-o", str(fhir_file))
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
    assert result.stderr == f"exported 3 patients to {fhir_file}\n"
    bundle = Bundle.parse_file(fhir_file)
    assert len(bundle.entry) == 22 and NAME not in fhir_file.read_text(encoding="utf-8")
    assert fhir_file.stat().st_mode & 0o077 == 0
    result = _run(env, "export", "registry", "--format", "csv", "-o", str(csv_file),
                  "--identifiable")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"exported 3 patients to {csv_file}",
        f"mfconsole: warning: {csv_file} identifies patients by name and date of birth: "
        "keep it as securely as the clinical record"]
    assert NAME in csv_file.read_text(encoding="utf-8")
    before = fhir_file.read_bytes()
    result = _run(env, "export", "registry", "--format", "fhir", "-o", str(fhir_file))
    assert (result.returncode, result.stderr) == (
        1, f"mfconsole: {fhir_file} exists already: choose another file\n")
    assert fhir_file.read_bytes() == before
    assert not list(tmp_path.glob(".*.partial"))


def test_the_record_opens_without_loading_the_fhir_library():
    """Every command and the window open the record; only a FHIR export needs the models."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, console.storage, console.cli.main; "
                               "print(sorted(m for m in sys.modules if m.startswith('fhir.')))"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert loaded.stdout.strip() == "[]"
