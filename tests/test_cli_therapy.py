"""``mfconsole device therapy start SLOT`` as a real process against the emulator process:
the phases printed as they change, ``--max-seconds`` sending STOP, Ctrl-C sending STOP,
JSON lines, the device ending the session by itself. Waits are on output and exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from device_link.client import DeviceClient
from device_link.keystore import KeyFileStore
from device_link.protocol import StopReason
from tests.emulator_harness import ROOT, EmulatorProcess
from tests.test_cli_device import cli_process
from tests.test_therapy_trial import BLOCKED, SHORT

PHASES = ["ramp up", "ON", "ramp down", "off"]


def _prepared(process: EmulatorProcess, key_file: Path) -> EmulatorProcess:
    with DeviceClient.connect(process.port, KeyFileStore(key_file)) as client:
        client.apply_program(1, SHORT.encode())
        client.apply_program(2, BLOCKED.encode())
    return process


@pytest.fixture
def device(key_file: Path) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(key_file=key_file) as process:
        yield _prepared(process, key_file)


def _argv(device: EmulatorProcess, key_file: Path, *rest: str) -> list[str]:
    return ["device", "--port", device.port, "--key-file", str(key_file), *rest]


def _phases(lines: list[str]) -> list[str]:
    """The phase of each phase line ("   2.4 s  cycle 2  ramp up: left set …")."""
    return [line.split("  ")[-1].split(":")[0] for line in lines if "  cycle " in line]


def test_phases_are_printed_and_max_seconds_sends_stop_and_says_so(device, key_file):
    done = cli_process(*_argv(device, key_file, "therapy", "start", "1", "--max-seconds", "3"))

    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "measuring impedance of the pairs in use (bipolar, one lead) ..."
    assert lines[2] == "therapy session of slot 1 started (60 s):"
    assert lines[3] == "  left E1+ E2−: 2.0 mA, 214 µs"
    phases = _phases(lines)
    assert phases[:5] == [*PHASES, "ramp up"]
    on = next(line for line in lines if line.endswith("ON: left set 2.0 mA, delivered 2.0 mA"))
    assert "cycle 1" in on
    assert lines[-1] == "STOP sent: therapy session stopped after --max-seconds 3"
    state = device.control.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == StopReason.STOP_REQUEST


def test_json_prints_one_object_per_line_and_the_stop_reason_last(device, key_file):
    done = cli_process(*_argv(device, key_file, "--json", "therapy", "start", "1",
                              "--max-seconds", "3"))

    assert done.returncode == 0, done.stderr
    objects = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert objects[0]["event"] == "started" and objects[0]["slot"] == 1
    assert objects[0]["program"]["left.amplitude_ma"] == "2.0"
    phases = [o for o in objects if o["event"] == "phase"]
    assert [o["phase"] for o in phases[:4]] == PHASES
    assert phases[1]["leads"] == [{"lead": "left", "set_ma": "2.0", "delivered_ma": "2.0",
                                   "load_mv": phases[1]["leads"][0]["load_mv"]}]
    assert objects[-1] == {"event": "stopped", "reason": "stopped on request", "code": 0,
                           "by": "STOP sent after --max-seconds 3"}
    assert "measured impedance first" in done.stderr  # notes go to stderr with --json


def test_ctrl_c_sends_stop_and_the_device_ends_idle(device, key_file):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with subprocess.Popen([sys.executable, "-m", "console.cli.main",
                           *_argv(device, key_file, "therapy", "start", "1")], cwd=ROOT,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as command:
        assert command.stdout is not None
        for line in command.stdout:  # until the device reports current rising
            if line.rstrip().endswith("ON: left set 2.0 mA, delivered 2.0 mA"):
                break
        assert device.control.state()["state"] == "THERAPY"
        command.send_signal(signal.SIGINT)
        rest, err = command.communicate(timeout=30)

    assert command.returncode == 130, err
    assert rest.strip().splitlines()[-1] == (
        "STOP sent: therapy session stopped by the operator (SIGINT)")
    state = device.control.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == StopReason.STOP_REQUEST
    assert any(e["dir"] == "rx" and e["opcode"] == "STOP"
               for e in device.control.trace()["entries"])


def test_the_device_ending_the_session_exits_0_with_its_reason(key_file):
    with EmulatorProcess("--time-scale", "60", key_file=key_file) as process:
        _prepared(process, key_file)
        done = cli_process(*_argv(process, key_file, "therapy", "start", "1"))
        state = process.control.state()

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == (
        "therapy session ended: therapy session complete")
    assert state["last_stop_reason"] == StopReason.SESSION_COMPLETE


def test_a_blocked_program_exits_4_naming_the_finding_before_sending(device, key_file):
    done = cli_process(*_argv(device, key_file, "therapy", "start", "2"))

    assert done.returncode == 4 and done.stdout == ""
    assert done.stderr.startswith("mfconsole: therapy session not started: slot 2 refused by "
                                  "the safety engine: ")
    assert not any(e["opcode"] == "THERAPY_START" for e in device.control.trace()["entries"])
