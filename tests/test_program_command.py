"""``mfconsole program check``: exit codes, text and JSON output, as the model assesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from console.cli.main import main
from console.programming.program import LeadProgram, Program
from console.programming.program_file import load_program, save_program
from console.safety import SafetyEngine, load_profile
from console.safety.profile import SAFETY_PROFILE
from device_link.emulator.config import EmulatorConfig
from device_link.emulator.server import EmulatorServer
from device_link.messages import Limits

D = Decimal
ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_LINE = "limits: MFL/1 emulator defaults (no device consulted)"


def make(left_ma: str = "4.0", width: int = 214, right: LeadProgram | None = None) -> Program:
    return Program((LeadProgram(True, 1, 2, D(left_ma), width), right or LeadProgram.off()),
                   20, D("1.0"), D("1.0"), D("10.0"), D("20.0"), 30)


def saved(tmp_path: Path, program: Program, name: str = "program.json") -> str:
    path = tmp_path / name
    save_program(program, path)
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["program", "check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("program", "ohms", "code", "conclusion"), [
    (make("4.0"), ["0:650"], 0, "OK: writable as it is"),
    (make("10.5", 100), ["0:650"], 3, "NEEDS CONFIRMATION"),
    (make("8.05"), ["0:650"], 4, "BLOCKED: this program must not be written"),
    (make("4.0"), ["0:open"], 4, "BLOCKED"),
    (make("14.0"), [], 4, "BLOCKED"),
    (make("4.0"), [], 0, "OK"),  # unmeasured pair: information only
])
def test_exit_code_and_text_verdict(tmp_path, capsys, program, ohms, code, conclusion):
    options = [item for value in ohms for item in ("--impedance-ohms", value)]
    status, out, err = run(capsys, saved(tmp_path, program), *options)
    assert status == code
    assert err == ""
    lines = out.splitlines()
    assert lines[1] == DEFAULTS_LINE
    assert lines[2] == "profile: Default clinic profile"
    assert lines[-1].startswith(conclusion)


def test_text_lists_each_finding_with_its_severity(tmp_path, capsys):
    _, out, _ = run(capsys, saved(tmp_path, make("8.05")))
    assert ("BLOCK   Left amplitude 8.05 mA is not a multiple of the device step 0.1 mA: use "
            "8.0 or 8.1 mA.") in out.splitlines()
    assert any(line.startswith("INFO    Left E1–E2: no impedance measurement")
               for line in out.splitlines())


@pytest.mark.parametrize("suffix", [".json", ".toml"])
@pytest.mark.parametrize(("program", "ohms"), [
    (make("8.05", right=LeadProgram(True, 2, 2, D("12.0"), 300)), {0: 2000}),
    (make("10.5", 100), {0: 650, 1: 700}),
    (make("4.0"), {}),
])
def test_the_same_verdict_through_model_file_and_command_line(tmp_path, capsys, suffix,
                                                             program, ohms):
    model_verdict = SafetyEngine(Limits(), load_profile()).check_program(program, ohms)
    path = saved(tmp_path, program, "program" + suffix)
    file_verdict = SafetyEngine().check_program(load_program(path), ohms)
    assert file_verdict == model_verdict
    options = [item for lead, value in ohms.items()
               for item in ("--impedance-ohms", f"{lead}:{value}")]
    status, out, _ = run(capsys, path, "--json", *options)
    report = json.loads(out)
    assert report["findings"] == model_verdict.to_dict()["findings"]
    assert report["blocked"] == model_verdict.blocked
    assert report["needs_confirmation"] == model_verdict.needs_confirmation
    assert report["limits"] == "MFL/1 emulator defaults (no device consulted)"
    assert report["exit_code"] == status == (
        4 if model_verdict.blocked else 3 if model_verdict.needs_confirmation else 0)


def test_a_bad_file_is_one_line_naming_file_and_field(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"leads": [], "frequency_hz": 20}))
    status, out, err = run(capsys, str(path))
    assert status == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"mfconsole: {path}: ramp_up_s: missing")


@pytest.mark.parametrize("argument", ["2:650", "0:", "0:-5", "0:6.5e2", "left:650"])
def test_bad_impedance_arguments_are_usage_errors(tmp_path, capsys, argument):
    with pytest.raises(SystemExit) as caught:
        main(["program", "check", saved(tmp_path, make()), "--impedance-ohms", argument])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "expected LEAD:OHMS" in err or "ohms must be a whole number or 'open'" in err


def test_impedance_given_twice_for_a_lead(tmp_path, capsys):
    status, _, err = run(capsys, saved(tmp_path, make()), "--impedance-ohms", "0:650",
                         "--impedance-ohms", "0:700")
    assert status == 2 and "given twice for lead 0" in err


def test_an_installation_profile_is_used_and_a_bad_one_refused(tmp_path, capsys):
    profile = tmp_path / "clinic.toml"
    profile.write_text(SAFETY_PROFILE.shipped_text()
                       .replace("soft_max_ma = 10.0", "soft_max_ma = 3.0"))
    program = saved(tmp_path, make("4.0"))
    status, out, _ = run(capsys, program, "--impedance-ohms", "0:650", "--profile",
                         str(profile))
    assert status == 3 and "soft maximum 3.0 mA" in out
    profile.write_text(SAFETY_PROFILE.shipped_text().replace("shannon_k_block = 1.85",
                                                      "shannon_k_block = 2.0"))
    status, out, err = run(capsys, program, "--profile", str(profile))
    assert status == 1 and out == ""
    assert err.strip() == (f"mfconsole: {profile}: charge.shannon_k_block: 2.0 is above the "
                           f"Shannon limit 1.85; it may only be lower")


def test_device_options_must_come_together(tmp_path, capsys):
    program = saved(tmp_path, make())
    status, _, err = run(capsys, program, "--limits-from", "/dev/null")
    assert status == 2 and "--limits-from needs --key-file" in err
    status, _, err = run(capsys, program, "--key-file", "k")
    assert status == 2 and "--key-file is only used with --limits-from" in err


@pytest.fixture
def small_contact_device(pairing_key):
    """An in-process emulated device whose limits differ from the spec's table."""
    limits = Limits(amp_step_ua=250, electrode_area_mm2_x100=500)
    with EmulatorServer(EmulatorConfig(key=pairing_key, limits=limits, serial="EMU-LIMITS",
                                       log_entries=0)) as server:
        yield server


def test_limits_come_from_the_device_when_asked(tmp_path, capsys, small_contact_device,
                                                key_file):
    # 9.75 mA is off the spec table's 0.1 mA step but on this device's 0.25 mA step, and on
    # its 5 mm² contacts 9.75 mA × 160 µs = 1.56 µC is 31.2 µC/cm²: confirmation, not a block.
    program = saved(tmp_path, make("9.75", 160))
    status, out, _ = run(capsys, program, "--impedance-ohms", "0:650")
    assert status == 4 and "device step 0.1 mA" in out
    status, out, _ = run(capsys, program, "--impedance-ohms", "0:650", "--limits-from",
                         small_contact_device.port, "--key-file", str(key_file))
    lines = out.splitlines()
    assert status == 3, out
    assert lines[1] == (f"limits: device EMU-IPG serial EMU-LIMITS on "
                        f"{small_contact_device.port}")
    assert "31.2 µC/cm²" in out and "5.0 mm² contact" in out


def test_a_device_that_rejects_the_key_is_a_one_line_error(tmp_path, capsys,
                                                           small_contact_device):
    wrong = tmp_path / "wrong.key"
    wrong.write_text("00" * 32 + "\n")
    wrong.chmod(0o600)
    status, out, err = run(capsys, saved(tmp_path, make()), "--limits-from",
                           small_contact_device.port, "--key-file", str(wrong))
    assert status == 1 and out == ""
    assert err.startswith("mfconsole: ") and err.count("\n") == 1


def test_the_installed_entry_point_exits_with_the_verdict(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "console.cli.main", "program", "check",
                             saved(tmp_path, make("10.5", 100)), "--impedance-ohms", "0:650"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
                            check=False)
    assert result.returncode == 3, result.stderr
    assert DEFAULTS_LINE in result.stdout
