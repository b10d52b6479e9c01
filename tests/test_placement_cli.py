"""``mfconsole placement`` against emulator processes: exit status, JSON, report, record, STOP."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from console.cli.main import main
from console.safety.profile import SAFETY_PROFILE
from console.storage import ClinicalRecord, InstallationKey
from tests.emulator_harness import ROOT, STOP_TIMEOUT_S, EmulatorProcess
from tests.record_fixtures import FAST_HASHER

PASSWORD = "theatre password 1"
STEP_S = "0.05"  # automatic steps this far apart keep a whole run to a few seconds


def _quick_safety_profile(directory: Path) -> Path:
    """A clinic allowing increases STEP_S apart (the shipped one waits 1.0 s)."""
    path = directory / "quick-safety.toml"
    path.write_text(SAFETY_PROFILE.shipped_text().replace("min_interval_s = 1.0",
                                                   f"min_interval_s = {STEP_S}"),
                    encoding="utf-8")
    return path


def _argv(emulator: EmulatorProcess, key_file: Path, *extra: str) -> list[str]:
    return ["placement", "--port", emulator.port, "--key-file", str(key_file),
            "--observer", "simulated", "--control", emulator.control_address,
            "--every", STEP_S, "--safety-profile",
            str(_quick_safety_profile(key_file.parent)), *extra]


def test_good_placement_exits_0_with_the_whole_result_and_a_report(key_file, tmp_path,
                                                                   capsys):
    report = tmp_path / "placement.pdf"
    with EmulatorProcess("--scenario", "good", key_file=key_file) as emulator:
        code = main(_argv(emulator, key_file, "--json", "--report", str(report),
                          "--operator", "eng", "--patient", "P9"))
        assert emulator.control.state()["state"] == "IDLE"
    out, err = capsys.readouterr()
    assert code == 0, err
    printed = json.loads(out)
    assert printed["overall"] == "pass" and printed["passed"] is True
    result = printed["result"]
    assert result["simulated"] is True and result["status"] == "complete"
    assert [v["threshold_ma"] for v in result["verdicts"]] == ["3.0", "4.0"]
    assert result["operator"] == "eng" and result["patient"] == "P9"
    text = PdfReader(io.BytesIO(report.read_bytes())).pages[0].extract_text()
    assert "PASS — both leads meet the placement criteria" in text
    assert "multifidus contraction at 3.0 mA" in text


def test_migrated_lead_exits_1_and_says_why(key_file, capsys):
    with EmulatorProcess("--scenario", "migrated-lead", key_file=key_file) as emulator:
        code = main(_argv(emulator, key_file))
    out, _ = capsys.readouterr()
    assert code == 1
    assert "SIMULATED observations" in out
    assert "Left lead (0): PASS" in out
    assert "Right lead (1): FAIL on threshold" in out
    assert "what to do: Reposition the lead" in out
    assert out.rstrip().endswith("overall: FAIL")


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    monkeypatch.setenv("MFCONSOLE_INSTALLATION_KEY", str(tmp_path / "installation.key"))
    monkeypatch.delenv("MFCONSOLE_DB", raising=False)
    monkeypatch.setenv("MFCONSOLE_USER", "th")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", PASSWORD)
    url = f"sqlite:///{tmp_path / 'record.sqlite'}"
    record = ClinicalRecord.open(url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey.load_or_create())
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    theatre = record.add_user(admin, "th", "theatre", PASSWORD)
    record.add_patient(theatre, "P001")
    record.close()
    return url


def _placements(url: str) -> list:
    record = ClinicalRecord.open(url, installation_key=InstallationKey.load_or_create())
    try:
        user = record.authenticate("th", PASSWORD)
        return list(record.timeline(user, "P001").placement_tests)
    finally:
        record.close()


def test_with_a_database_the_result_is_stored_as_the_logged_in_user(key_file, clinic, capsys):
    with EmulatorProcess("--scenario", "fractured-lead", key_file=key_file) as emulator:
        code = main(_argv(emulator, key_file, "--db", clinic, "--patient", "P001",
                          "--fluoroscopy-confirmed"))
    out, err = capsys.readouterr()
    assert code == 1, err
    assert "Right lead (1): FAIL on impedance" in out
    assert "recorded as placement tests" in out
    stored = _placements(clinic)
    assert [(p.lead, p.outcome, p.operator) for p in stored] == [
        (0, "pass", "th"), (1, "fail: impedance", "th")]
    assert (stored[1].electrode_a, stored[1].electrode_b) == (2, None)  # the open contact
    assert stored[0].data["fluoroscopy_confirmed"] is True


def test_ctrl_c_stops_at_once_and_the_record_says_incomplete(key_file, clinic):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with EmulatorProcess("--scenario", "good", key_file=key_file) as emulator:
        argv = _argv(emulator, key_file, "--db", clinic, "--patient", "P001")
        argv[argv.index("--every") + 1] = "1"  # slow enough to be caught mid-ramp
        with subprocess.Popen([sys.executable, "-m", "console.cli.main", *argv], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as process:
            emulator.control.await_trace(lambda e: e["dir"] == "rx"
                                         and e["opcode"] == "TEST_STIM_ADJUST", timeout=60)
            process.send_signal(2)
            out, err = process.communicate(timeout=STOP_TIMEOUT_S * 3)
        state = emulator.control.state()
    assert process.returncode == 130, err
    assert state["state"] == "IDLE" and state["last_stop_reason"] == 0
    assert "test ended incomplete: STOP by the operator (SIGINT)" in out
    assert "overall: INCOMPLETE" in out
    stored = _placements(clinic)
    assert [p.outcome for p in stored] == ["incomplete", "incomplete"]
    assert stored[0].data["status"] == "incomplete"


def test_an_unreachable_control_channel_is_one_line(key_file, capsys):
    code = main(["placement", "--port", "/dev/null", "--key-file", str(key_file),
                 "--observer", "simulated", "--control", "127.0.0.1:1"])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.startswith("mfconsole: cannot reach the emulator's control channel at "
                          "127.0.0.1:1")
    assert err.count("\n") == 1
