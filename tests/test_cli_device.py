"""``mfconsole device …`` against the emulator on a real pseudo-terminal: the command contract.

Most commands run in-process through ``console.cli.main.main`` (the same code path as the
``mfconsole`` script, without paying a Python start-up per call); the one-line-error cases
also run as real processes, where a traceback would show. What reached the device is
checked through the emulator's control channel: its trace and the programs it holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from console.cli.main import main
from console.safety.profile import SAFETY_PROFILE
from device_link.client import DeviceClient
from device_link.emulator import ControlClient
from device_link.keystore import KeyFileStore
from device_link.program_record import ProgramRecord
from tests.emulator_harness import ROOT, EmulatorProcess

SPEC_LIMITS = {  # MFL/1 section 5, GET_LIMITS "emulator default" column
    "amp_max_ua": 25000, "amp_step_ua": 100, "pw_min_us": 50, "pw_max_us": 500,
    "pw_step_us": 1, "freq_min_hz": 1, "freq_max_hz": 50, "max_charge_nc": 6000,
    "electrode_area_mm2_x100": 1225, "compliance_mv": 15000, "test_start_max_ua": 1000,
    "titration_step_max_ua": 1000, "test_duration_max_s": 120, "watchdog_ms": 1000,
    "ramp_max_ds": 50, "on_min_ds": 10, "on_max_ds": 600, "off_min_ds": 10,
    "off_max_ds": 1200, "session_min_min": 1, "session_max_min": 60,
}
CLOCK_NOT_SET = 1 << 4
BIPOLAR_ORDER = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
PROCESS_TIMEOUT_S = 120.0
STIM = ("test-stim", "--lead", "0", "--anode", "1", "--cathode", "2", "--pw", "214",
        "--freq", "20")


def program_json(left_ma: str = "8.0", right_ma: str = "7.5") -> str:
    """The issue's program file, amplitudes written exactly as given."""
    return (
        '{"leads": ['
        f'{{"enabled": true, "anode": 1, "cathode": 2, "amplitude_ma": {left_ma}, '
        '"pulse_width_us": 214}, '
        f'{{"enabled": true, "anode": 2, "cathode": 1, "amplitude_ma": {right_ma}, '
        '"pulse_width_us": 300}], '
        '"frequency_hz": 20, "ramp_up_s": 1.0, "ramp_down_s": 1.0, "on_s": 10.0, '
        '"off_s": 20.0, "session_min": 30}\n')


def write_program_file(directory: Path, name: str, left_ma: str = "8.0") -> Path:
    path = directory / f"{name}.json"
    path.write_text(program_json(left_ma), encoding="utf-8")
    return path


class Device:
    """A running emulator plus the options that reach it from the command line."""

    def __init__(self, process: EmulatorProcess, key_file: Path) -> None:
        self.process = process
        self.key_file = key_file

    @property
    def port(self) -> str:
        return self.process.port

    @property
    def control(self) -> ControlClient:
        return self.process.control

    def options(self, *, key: bool = True) -> list[str]:
        return ["--port", self.port] + (["--key-file", str(self.key_file)] if key else [])

    def fresh_trace(self) -> None:
        """Forget the trace so far: what follows is what the next command sent."""
        self.control.clear_trace()

    def received(self) -> list[dict[str, Any]]:
        """Decoded request frames the device received since ``fresh_trace``."""
        entries = self.control.trace(since=0)["entries"]
        return [e for e in entries if e["dir"] == "rx" and e["kind"] == "REQUEST"]

    def received_opcodes(self) -> list[str]:
        return [e["opcode"] for e in self.received()]

    def slots(self) -> dict[int, bytes]:
        """What the device really holds, slot by slot (control channel, read-only)."""
        return {s["slot"]: bytes.fromhex(s["program"]) for s in self.control.programs()["slots"]}


@pytest.fixture(scope="module")
def shared_device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Device]:
    """One emulator for the tests that do not depend on the device's starting state."""
    key_file = tmp_path_factory.mktemp("shared-key") / "pairing.key"
    key_file.write_text(os.urandom(32).hex() + "\n", encoding="ascii")
    key_file.chmod(0o600)
    with EmulatorProcess(key_file=key_file) as process:
        yield Device(process, key_file)


@pytest.fixture
def device(shared_device: Device) -> Device:
    shared_device.fresh_trace()
    return shared_device


@pytest.fixture
def fresh_device(emulator: EmulatorProcess, key_file: Path) -> Device:
    """An emulator just started: clock not set, nothing written since its history."""
    return Device(emulator, key_file)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``mfconsole ARGV`` in this process; returns (exit status, stdout, stderr)."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cli_process(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``mfconsole ARGV`` as its own process, as a clinician would."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "console.cli.main", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
                          check=False)


def one_line(stderr: str) -> str:
    """The single stderr line of an expected failure (asserting there is exactly one)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {stderr!r}"
    assert "Traceback" not in stderr
    assert lines[0].startswith("mfconsole: ")
    return lines[0]


# -- interrogate, impedance -----------------------------------------------------------------


def test_interrogate_json_gives_identity_status_and_the_spec_limits(device, capsys):
    code, out, err = cli(capsys, "device", *device.options(), "--json", "interrogate")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"identity", "status", "limits", "warnings"}
    assert data["warnings"] == [{"priority": "low", "text": "device clock not set",
                                 "action": "Set clock",
                                 "line": "! low priority: device clock not set"}]
    identity = data["identity"]
    assert identity["serial"] == "EMU-000001"
    assert identity["model"] == "EMU-IPG"
    assert identity["firmware"] == "1.0.0"
    assert data["limits"] == SPEC_LIMITS
    assert data["status"]["state"] == "IDLE"
    assert data["status"]["battery_pct"] == device.control.state()["battery_pct"]


def test_impedance_json_monopolar_lists_every_contact_against_the_case(device, capsys):
    code, out, err = cli(capsys, "device", *device.options(), "--json", "impedance")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert [(r["lead"], r["a"], r["b"]) for r in rows] == [
        (lead, e, None) for lead in (0, 1) for e in range(4)]
    assert all(set(r) == {"lead", "a", "b", "ohms"} for r in rows)
    model = device.control.impedances()["leads"]
    assert [r["ohms"] for r in rows] == [ohms for lead in model for ohms in lead["monopolar"]]


def test_impedance_json_bipolar_lists_the_six_pairs_of_each_lead(device, capsys):
    code, out, err = cli(capsys, "device", *device.options(), "--json", "impedance",
                         "--mode", "bipolar")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert len(rows) == 12
    assert [(r["lead"], r["a"], r["b"]) for r in rows] == [
        (lead, a, b) for lead in (0, 1) for a, b in BIPOLAR_ORDER]
    assert all(isinstance(r["ohms"], int) and 100 < r["ohms"] < 5000 for r in rows)


def test_impedance_shows_an_open_contact_as_null(key_file, capsys):
    with EmulatorProcess("--open", "0:2", key_file=key_file) as process:
        code, out, err = cli(capsys, "device", "--port", process.port, "--key-file",
                             str(key_file), "--json", "impedance")
        assert (code, err) == (0, "")
        monopolar = {(r["lead"], r["a"]): r["ohms"] for r in json.loads(out)}
        assert monopolar.pop((0, 2)) is None
        assert all(isinstance(ohms, int) for ohms in monopolar.values())

        code, out, err = cli(capsys, "device", "--port", process.port, "--key-file",
                             str(key_file), "--json", "impedance", "--mode", "bipolar")
        assert (code, err) == (0, "")
        bipolar = {(r["lead"], r["a"], r["b"]): r["ohms"] for r in json.loads(out)}
    open_pairs = {(0, a, b) for a, b in BIPOLAR_ORDER if 2 in (a, b)}
    assert {key for key, ohms in bipolar.items() if ohms is None} == open_pairs


# -- program write / read ---------------------------------------------------------------------


def test_program_write_then_read_round_trips_the_file(device, tmp_path, capsys):
    path = write_program_file(tmp_path, "ok")
    code, out, err = cli(capsys, "device", *device.options(), "program", "write", "2", str(path))
    assert (code, err) == (0, "")
    assert "verified" in out and "slot 2" in out
    assert device.received_opcodes().count("WRITE_PROGRAM") == 1
    assert device.received_opcodes()[-1] == "READ_PROGRAM"  # reported only after read-back

    code, out, err = cli(capsys, "device", *device.options(), "--json", "program", "read", "2")
    assert (code, err) == (0, "")
    shown = json.loads(out)
    assert shown["slot"] == 2
    assert shown["program"] == json.loads(path.read_text())
    held = device.slots()[2]
    assert int(shown["crc"], 16) == next(s["crc"] for s in device.control.programs()["slots"]
                                         if s["slot"] == 2)
    record = ProgramRecord.decode(held)
    assert (record.leads[0].amp_ua, record.leads[1].amp_ua) == (8000, 7500)
    assert (record.leads[0].pw_us, record.leads[1].pw_us) == (214, 300)
    assert (record.freq_hz, record.ramp_up_ds, record.on_ds, record.off_ds,
            record.session_min) == (20, 10, 100, 200, 30)


def test_blocked_program_exits_4_naming_field_value_and_limit_and_writes_nothing(
        device, tmp_path, capsys):
    path = write_program_file(tmp_path, "blocked", left_ma="30.0")
    before = device.slots()
    code, out, err = cli(capsys, "device", *device.options(), "program", "write", "1", str(path))
    assert code == 4 and out == ""
    line = one_line(err)
    assert "Left amplitude 30.0 mA" in line and "25.0 mA" in line and "nothing written" in line
    received = device.received_opcodes()
    assert "GET_LIMITS" in received  # the device's own limits were consulted …
    assert "WRITE_PROGRAM" not in received  # … and nothing was sent to be written
    assert device.slots() == before


def test_off_step_amplitude_is_refused_naming_the_nearest_allowed_values(
        device, tmp_path, capsys):
    path = write_program_file(tmp_path, "off-step", left_ma="8.05")
    code, _, err = cli(capsys, "device", *device.options(), "program", "write", "1", str(path))
    assert code == 4
    line = one_line(err)
    assert "8.05 mA" in line and "0.1 mA" in line and "8.0 or 8.1 mA" in line
    assert "WRITE_PROGRAM" not in device.received_opcodes()


def test_program_needing_confirmation_exits_3_then_writes_with_a_reason(
        device, tmp_path, capsys):
    path = write_program_file(tmp_path, "confirm", left_ma="11.0")
    before = device.slots()
    code, out, err = cli(capsys, "device", *device.options(), "program", "write", "3", str(path))
    assert code == 3 and out == ""
    line = one_line(err)
    assert "11.0 mA" in line and "10.0 mA" in line and "--confirm" in line
    assert "WRITE_PROGRAM" not in device.received_opcodes()
    assert device.slots() == before

    code, out, err = cli(capsys, "device", *device.options(), "program", "write", "3", str(path),
                         "--confirm", "threshold above 10 mA on this patient")
    assert (code, err) == (0, "")
    assert "verified" in out
    assert ProgramRecord.decode(device.slots()[3]).leads[0].amp_ua == 11000


def test_read_of_an_empty_slot_is_one_line(fresh_device, capsys):
    code, out, err = cli(capsys, "device", *fresh_device.options(), "program", "read", "1")
    assert code != 0 and out == ""
    assert "slot never written" in one_line(err)


# -- keys and ports ---------------------------------------------------------------------------


def test_wrong_key_fails_with_one_line_and_no_traceback(device, tmp_path):
    wrong = tmp_path / "wrong.key"
    wrong.write_text(os.urandom(32).hex() + "\n", encoding="ascii")
    wrong.chmod(0o600)
    result = cli_process("device", "--port", device.port, "--key-file", str(wrong),
                         "interrogate")
    assert result.returncode != 0 and result.stdout == ""
    assert "rejected the pairing key" in one_line(result.stderr)
    assert "AUTH" in device.received_opcodes()
    assert "GET_STATUS" not in device.received_opcodes()


def test_key_file_with_bad_content_is_a_clear_one_liner(device, tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("this is not a key\n", encoding="ascii")
    bad.chmod(0o600)
    result = cli_process("device", "--port", device.port, "--key-file", str(bad), "interrogate")
    assert result.returncode != 0 and result.stdout == ""
    line = one_line(result.stderr)
    assert str(bad) in line and "64 hex" in line


def test_missing_port_is_a_one_liner(tmp_path, key_file):
    missing = tmp_path / "no-such-port"
    result = cli_process("device", "--port", str(missing), "--key-file", str(key_file),
                         "interrogate")
    assert result.returncode != 0 and result.stdout == ""
    line = one_line(result.stderr)
    assert "cannot open port" in line and str(missing) in line


def test_stop_needs_no_key_file(fresh_device, capsys):
    with DeviceClient.connect(fresh_device.port, KeyFileStore(fresh_device.key_file)) as client:
        client.start_therapy(0)  # slot 0 holds the implant program; therapy outlives HELLO
    assert fresh_device.control.state()["state"] == "THERAPY"

    code, out, err = cli(capsys, "device", *fresh_device.options(key=False), "--json", "stop")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"stopped": True, "previous_state": "THERAPY"}
    state = fresh_device.control.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == 0
    assert not state["session"]


# -- log, clock ---------------------------------------------------------------------------------


def test_log_json_lists_every_entry(device, capsys):
    total = device.control.state()["log_total"]
    code, out, err = cli(capsys, "device", *device.options(), "--json", "log")
    assert (code, err) == (0, "")
    entries = json.loads(out)
    assert [e["index"] for e in entries] == list(range(total))
    assert all(set(e) == {"index", "time", "code", "event", "a", "b", "c"} for e in entries)
    assert entries[0]["event"] == "boot"
    assert {e["event"] for e in entries} >= {"therapy session start", "therapy session end"}


def test_log_from_an_index_starts_there(device, capsys):
    total = device.control.state()["log_total"]
    code, out, err = cli(capsys, "device", *device.options(), "--json", "log", "--from",
                         str(total - 3))
    assert (code, err) == (0, "")
    assert [e["index"] for e in json.loads(out)] == [total - 3, total - 2, total - 1]


def test_set_clock_sets_device_time_and_clears_the_clock_fault(fresh_device, capsys):
    code, out, _ = cli(capsys, "device", *fresh_device.options(), "--json", "interrogate")
    status = json.loads(out)["status"]
    assert code == 0 and status["device_time"] is None
    assert status["fault_flags"] & CLOCK_NOT_SET and "device clock not set" in status["faults"]

    code, out, err = cli(capsys, "device", *fresh_device.options(), "--json", "set-clock")
    assert (code, err) == (0, "")
    set_to = json.loads(out)["device_time"]

    code, out, _ = cli(capsys, "device", *fresh_device.options(), "--json", "interrogate")
    status = json.loads(out)["status"]
    assert code == 0
    assert datetime.fromisoformat(status["device_time"]).timestamp() >= set_to
    assert not status["fault_flags"] & CLOCK_NOT_SET
    assert "device clock not set" not in status["faults"]


# -- test stimulation: refusals before sending, titration ---------------------------------------


@pytest.mark.parametrize(("amp", "limit"), [("0.8", "0.5 mA"), ("1.5", "0.5 mA")])
def test_test_stim_above_the_start_limit_exits_4_before_sending(device, capsys, amp, limit):
    code, out, err = cli(capsys, "device", *device.options(), *STIM, "--amp", amp,
                         "--seconds", "10")
    assert code == 4 and out == ""
    line = one_line(err)
    assert f"{amp} mA" in line and f"starting limit {limit}" in line
    received = device.received_opcodes()
    assert "GET_LIMITS" in received and "TEST_STIM_START" not in received
    assert device.control.state()["state"] == "IDLE"


def test_titration_step_beyond_the_device_step_exits_4_before_sending(
        device, tmp_path, capsys):
    profile = tmp_path / "wide-steps.toml"
    profile.write_text(SAFETY_PROFILE.shipped_text().replace("step_ma = 0.5", "step_ma = 2.0"),
                       encoding="utf-8")
    code, out, err = cli(capsys, "device", *device.options(), *STIM, "--amp", "0.5",
                         "--seconds", "10", "--step", "1.5", "--every", "1",
                         "--profile", str(profile))
    assert code == 4 and out == ""
    line = one_line(err)
    assert "--step 1.5 mA" in line and "1.0" in line  # the device's 1.0 mA, not the clinic's 2.0
    assert "TEST_STIM_START" not in device.received_opcodes()


def test_titration_rises_then_holds_where_the_clinic_profile_asks_for_confirmation(
        device, tmp_path, capsys):
    profile = tmp_path / "low-soft-max.toml"
    profile.write_text(SAFETY_PROFILE.shipped_text()
                       .replace("soft_max_ma = 10.0", "soft_max_ma = 1.5")
                       .replace("min_interval_s = 1.0", "min_interval_s = 0.3"), encoding="utf-8")
    code, out, err = cli(capsys, "device", *device.options(), *STIM, "--amp", "0.5",
                         "--seconds", "6", "--step", "0.5", "--every", "0.3",
                         "--profile", str(profile))
    assert (code, err) == (0, "")
    lines = out.strip().splitlines()
    assert lines[0] == "measuring impedance of the pairs in use (bipolar, one lead) ..."
    assert lines[1].startswith("measured impedance first: left E1–E2: ")
    assert lines[2] == "stimulating lead 0 (left E1+ E2−) at 0.5 mA"
    assert lines[3:5] == ["amplitude 1.0 mA", "amplitude 1.5 mA"]
    assert lines[5].startswith("holding at 1.5 mA:") and "soft maximum 1.5 mA" in lines[5]
    assert lines[6:] == ["stimulation ended: test duration elapsed"]
    adjusts = [e["payload"] for e in device.received() if e["opcode"] == "TEST_STIM_ADJUST"]
    assert [int.from_bytes(bytes.fromhex(p), "little") for p in adjusts] == [1000, 1500]
    state = device.control.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == 2  # duration elapsed


TOO_FAST = ("is shorter than the shortest interval between increases, 1.0 s (clinic profile), "
            "which lets the person watching the patient see the response to each step")


@pytest.mark.parametrize(("every", "why"), [
    ("0.000001", TOO_FAST),
    ("0.3", TOO_FAST),
    ("nan", "is not a number of seconds"),
    ("inf", "is not a number of seconds"),
    ("3601", "is longer than the longest schedule taken, 3600 s"),
])
def test_a_titration_schedule_no_one_can_follow_is_refused_before_contacting_the_device(
        device, capsys, every, why):
    code, out, err = cli(capsys, "device", *device.options(), *STIM, "--amp", "0.5",
                         "--seconds", "2", "--step", "0.5", "--every", every)
    assert (code, out) == (2, "")
    assert one_line(err) == f"mfconsole: --every {every} s {why}"
    assert device.received_opcodes() == []  # not even HELLO
    assert device.control.state()["state"] == "IDLE"


def test_a_titration_step_less_often_than_the_device_can_stimulate_is_refused(device, capsys):
    code, out, err = cli(capsys, "device", *device.options(), *STIM, "--amp", "0.5",
                         "--seconds", "2", "--step", "0.5", "--every", "121")
    assert (code, out) == (2, "")
    assert one_line(err) == ("mfconsole: --every 121 s is longer than the longest test "
                             "stimulation the device allows, 120 s")
    received = device.received_opcodes()
    assert "GET_LIMITS" in received and "TEST_STIM_START" not in received
