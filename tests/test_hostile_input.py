"""Hostile numbers and files: a prompt one-line refusal, never a hang, a traceback or a
memory error.

The command-line cases run ``mfconsole`` as real processes, as the adversarial tester
did, with a timeout (a hang fails the test) and an address-space limit (reading
/dev/zero into memory fails with MemoryError instead of exhausting the machine).
"""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.cli import program_command
from console.cli.main import main
from console.safety.profile import SAFETY_PROFILE
from tests.emulator_harness import ROOT, EmulatorProcess

PROCESS_TIMEOUT_S = 60.0
ADDRESS_SPACE_BYTES = 1 << 30
BOUNDS = "is outside the bounds of any clinical value (-1000000 to 1000000)"


def program_json(amplitude: str = "8.0", pulse_width: str = "214") -> str:
    """The README's program file with the left lead's numbers written exactly as given."""
    return ('{"leads": [{"enabled": true, "anode": 1, "cathode": 2, '
            f'"amplitude_ma": {amplitude}, "pulse_width_us": {pulse_width}}}, '
            '{"enabled": true, "anode": 1, "cathode": 2, "amplitude_ma": 7.5, '
            '"pulse_width_us": 214}], "frequency_hz": 20, "ramp_up_s": 1.0, '
            '"ramp_down_s": 1.0, "on_s": 10.0, "off_s": 20.0, "session_min": 30}\n')


def written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


def run_python(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python ARGV`` from the checkout, its log directory under ``tmp_path``."""
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=PROCESS_TIMEOUT_S, check=False,
                          preexec_fn=_limit_address_space)


def mfconsole(tmp_path: Path, *argv: str | Path) -> subprocess.CompletedProcess[str]:
    return run_python(tmp_path, "-m", "console.cli.main", *map(str, argv))


def one_line(result: subprocess.CompletedProcess[str], status: int = 1) -> str:
    """The single stderr line of a refusal (no traceback, nothing on stdout)."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert (result.returncode, result.stdout) == (status, ""), result.stderr
    return lines[0]


def usage_error(result: subprocess.CompletedProcess[str]) -> str:
    """argparse's own refusal: usage, then one ``error:`` line; status 2."""
    assert "Traceback" not in result.stderr, result.stderr
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    return result.stderr.strip().splitlines()[-1]


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def zero(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


def private(path: Path, text: str) -> Path:
    written(path, text).chmod(0o600)
    return path


class Device:
    """A running emulator, its key file and what it received (control channel)."""

    def __init__(self, process: EmulatorProcess, key_file: Path) -> None:
        self.process = process
        self.key_file = key_file

    def options(self) -> list[str]:
        return ["--port", self.process.port, "--key-file", str(self.key_file)]

    def received_opcodes(self) -> list[str]:
        entries: list[dict[str, Any]] = self.process.control.trace(since=0)["entries"]
        return [e["opcode"] for e in entries if e["dir"] == "rx" and e["kind"] == "REQUEST"]


@pytest.fixture(scope="module")
def shared_device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Device]:
    key_file = private(tmp_path_factory.mktemp("key") / "pairing.key", os.urandom(32).hex())
    with EmulatorProcess(key_file=key_file) as process:
        yield Device(process, key_file)


@pytest.fixture
def device(shared_device: Device) -> Device:
    shared_device.process.control.clear_trace()
    return shared_device


# -- numbers in program files ---------------------------------------------------------------


@pytest.mark.parametrize(("amplitude", "pulse_width", "expected"), [
    ("1e999999999", "214", f"leads[0].amplitude_ma: 1E+999999999 {BOUNDS}"),
    ("8.0e-999999", "214", "leads[0].amplitude_ma: 8.0E-999999 has more than 6 decimal places"),
    ("1e308", "214", f"leads[0].amplitude_ma: 1E+308 {BOUNDS}"),
    ("1" + "0" * 29, "214", f"leads[0].amplitude_ma: 1{'0' * 29} {BOUNDS}"),
    ("8.0", "1e30", f"leads[0].pulse_width_us: 1E+30 {BOUNDS}"),
    ("8.0", "9" * 5000, f"leads[0].pulse_width_us: {'9' * 20}… (5000 characters) {BOUNDS}"),
])
def test_program_check_refuses_a_hostile_number_naming_field_value_and_limit(
        tmp_path, amplitude, pulse_width, expected):
    path = written(tmp_path / "program.json", program_json(amplitude, pulse_width))
    result = mfconsole(tmp_path, "program", "check", path)
    assert one_line(result) == f"mfconsole: {path}: {expected}"


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply to be a program file"),
    ("deep.toml", "leads = " + "[" * 100_000 + "]" * 100_000,
     "nested too deeply to be a program file"),
    ("long.toml", "frequency_hz = " + "7" * 5000, "holds a whole number too long to read"),
])
def test_program_check_refuses_a_file_no_parser_should_chew_on(tmp_path, name, text,
                                                               expected):
    path = written(tmp_path / name, text)
    assert one_line(mfconsole(tmp_path, "program", "check", path)) == \
        f"mfconsole: {path}: {expected}"


def test_a_hostile_program_is_refused_before_anything_reaches_the_device(tmp_path, device):
    path = written(tmp_path / "program.json", program_json("1e999999999"))
    result = mfconsole(tmp_path, "device", *device.options(), "program", "write", "1", path)
    assert one_line(result) == f"mfconsole: {path}: leads[0].amplitude_ma: 1E+999999999 {BOUNDS}"
    assert "WRITE_PROGRAM" not in device.received_opcodes()


def test_a_profile_number_is_bounded_before_the_engine_uses_it(tmp_path):
    profile = written(tmp_path / "profile.toml", SAFETY_PROFILE.shipped_text().replace(
        "soft_max_ma = 10.0", "soft_max_ma = 1e999999999"))
    program = written(tmp_path / "program.json", program_json())
    result = mfconsole(tmp_path, "program", "check", program, "--profile", profile)
    assert one_line(result) == f"mfconsole: {profile}: amplitude.soft_max_ma: 1E+999999999 {BOUNDS}"


# -- numbers on the command line ------------------------------------------------------------


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--amp", "1e999999999", f"argument --amp: 1E+999999999 {BOUNDS}"),
    ("--amp", "8.0e-999999", "argument --amp: 8.0E-999999 has more than 6 decimal places"),
    ("--step", "1" * 100, "argument --step: 11111111111111111111… (100 characters) is too "
                          "long for a number (at most 40 characters)"),
])
def test_test_stim_refuses_a_hostile_amplitude_before_connecting(tmp_path, device, option,
                                                                 value, expected):
    amplitudes = {"--amp": "0.5", option: value}
    result = mfconsole(tmp_path, "device", *device.options(), "test-stim", "--lead", "0",
                       "--anode", "1", "--cathode", "2", "--pw", "214", "--freq", "20",
                       "--seconds", "5", *[w for item in amplitudes.items() for w in item])
    assert usage_error(result).endswith(expected)
    assert device.received_opcodes() == []


@pytest.mark.parametrize(("option", "field"), [
    ("--pw", "pulse_width_us"), ("--freq", "frequency_hz"), ("--seconds", "duration_s")])
def test_test_stim_refuses_a_30_digit_whole_number_before_connecting(tmp_path, device, option,
                                                                     field):
    values = {"--pw": "214", "--freq": "20", "--seconds": "5", option: "1" + "0" * 29}
    result = mfconsole(tmp_path, "device", *device.options(), "test-stim", "--lead", "0",
                       "--anode", "1", "--cathode", "2", "--amp", "0.5",
                       *[w for item in values.items() for w in item])
    assert one_line(result, status=2) == f"mfconsole: {field}: 1{'0' * 29} {BOUNDS}"
    assert device.received_opcodes() == []


def test_a_slot_that_cannot_travel_in_a_byte_is_a_usage_error(tmp_path, device):
    result = mfconsole(tmp_path, "device", *device.options(), "program", "read", "300")
    assert usage_error(result).endswith("argument slot: '300' is not a whole number from 0 "
                                        "to 255")
    assert device.received_opcodes() == []


@pytest.mark.parametrize(("argument", "expected"), [
    ("0:" + "9" * 5000, "'99999999999999999999… (5000 characters)' is not a whole number "
                        "from 0 to 1000000"),
    ("0:1000001", "'1000001' is not a whole number from 0 to 1000000"),
])
def test_impedance_option_is_bounded(tmp_path, argument, expected):
    program = written(tmp_path / "program.json", program_json())
    result = mfconsole(tmp_path, "program", "check", program, "--impedance-ohms", argument)
    assert usage_error(result).endswith(f"argument --impedance-ohms: {expected}")


# -- files that are not files ----------------------------------------------------------------


@pytest.mark.parametrize(("make", "kind"), [(fifo, "a FIFO"), (zero, "a character device")])
def test_a_program_file_that_is_not_a_regular_file_is_refused_at_once(tmp_path, make, kind):
    path = make(tmp_path / "program.json")
    assert one_line(mfconsole(tmp_path, "program", "check", path)) == \
        f"mfconsole: {path}: cannot read the file: it is not a regular file (it is {kind})"


@pytest.mark.parametrize("make", [fifo, zero])
def test_a_profile_that_is_not_a_regular_file_is_refused_at_once(tmp_path, make):
    profile = make(tmp_path / "profile.toml")
    program = written(tmp_path / "program.json", program_json())
    result = mfconsole(tmp_path, "program", "check", program, "--profile", profile)
    assert one_line(result).startswith(f"mfconsole: {profile}: cannot read the safety "
                                       f"profile: it is not a regular file")


@pytest.mark.parametrize("make", [fifo, zero])
def test_a_key_file_that_is_not_a_regular_file_is_refused_at_once(tmp_path, device, make):
    key = make(tmp_path / "pairing.key")
    result = mfconsole(tmp_path, "device", "--port", device.process.port, "--key-file", key,
                       "interrogate")
    assert one_line(result) == f"mfconsole: key file {key} is not a regular file"
    assert device.received_opcodes() == []


def test_a_key_file_other_users_can_read_is_refused_naming_its_mode(tmp_path, device):
    key = written(tmp_path / "pairing.key", device.key_file.read_text())
    key.chmod(0o644)
    result = mfconsole(tmp_path, "device", "--port", device.process.port, "--key-file", key,
                       "interrogate")
    assert one_line(result) == (f"mfconsole: key file {key} is accessible to other users "
                                f"(mode 0644): chmod 600 it")
    assert device.received_opcodes() == []


@pytest.mark.parametrize(("make", "kind"), [(fifo, "a FIFO"), (zero, "a character device")])
def test_an_installation_key_that_is_not_a_regular_file_is_refused_at_once(tmp_path, make,
                                                                          kind):
    path = make(tmp_path / "installation.key")
    result = run_python(tmp_path, "-c", (
        "import sys; from pathlib import Path\n"
        "from console.storage.installation_key import InstallationKey, InstallationKeyError\n"
        "try:\n    InstallationKey.load_or_create(Path(sys.argv[1]))\n"
        "except InstallationKeyError as exc:\n    print(exc)\n"), str(path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"installation key {path} is not a regular file (it is {kind})\n"


# -- an internal error -----------------------------------------------------------------------


def test_an_internal_error_is_one_line_naming_a_private_log_with_the_traceback(
        tmp_path, monkeypatch, capsys):
    def broken(_args: object) -> int:
        raise ZeroDivisionError("a bug in the check")

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(program_command, "run_check", broken)
    status = main(["program", "check", "program.json"])
    out, err = capsys.readouterr()
    assert (status, out) == (70, "")
    logs = list((tmp_path / "state" / "mfconsole" / "log").glob("internal-error-*.log"))
    assert len(logs) == 1
    assert err == (f"mfconsole: internal error (ZeroDivisionError: a bug in the check); "
                   f"the traceback is in {logs[0]}\n")
    assert stat.S_IMODE(logs[0].stat().st_mode) == 0o600
    text = logs[0].read_text()
    assert text.startswith("Traceback") and "in broken" in text
    assert text.rstrip().endswith("ZeroDivisionError: a bug in the check")
