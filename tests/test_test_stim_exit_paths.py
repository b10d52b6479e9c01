"""Every way a stimulating command ends sends STOP first, and the record notes the stop.

``mfconsole device test-stim`` and ``mfconsole placement`` run as real processes against
the emulator process (the unexpected-exception cases run in this process, where a fault
can be injected). A console that died without STOP would leave the device to its
watchdog, whose stop reason differs: each test asserts the STOP request's reason, seen
in the emulator's trace and state. Waits are on output, the trace and exit, never sleeps.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from console.cli.main import build_parser
from console.cli.stop_requests import OUTPUT_CLOSED, StopRequests
from console.placement import SimulatedObserver
from console.safety.profile import SAFETY_PROFILE
from device_link.client import DeviceClient
from device_link.protocol import StopReason
from tests.emulator_harness import ROOT, EmulatorProcess
from tests.test_cli_device import STIM
from tests.test_device_recording import PASSWORDS, SERIAL, Clinic, clinic  # noqa: F401
from tests.test_placement_cli import _argv as placement_argv
from tests.test_watchdog import (
    EXIT_TIMEOUT_S,
    WATCHDOG_WAIT_S,
    received,
    start_stimulating,
    trace_mark,
)

WAYS_OUT = {  # how the command is ended, its exit status, how it says why it stopped
    "SIGHUP": (129, "because the terminal hung up (SIGHUP)"),
    "SIGQUIT": (131, "by the operator (SIGQUIT)"),
    "closed output": (141, "because the output was closed (broken pipe)"),
}


@pytest.fixture
def recorded(clinic: Clinic, monkeypatch: pytest.MonkeyPatch) -> Clinic:  # noqa: F811
    """Commands started from here record in ``clinic``'s record, as user doc."""
    monkeypatch.setenv("MFCONSOLE_DB", clinic.url)
    monkeypatch.setenv("MFCONSOLE_USER", "doc")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", PASSWORDS["doc"])
    return clinic


def _handle(argv: list[str]) -> int:
    """Run the command's handler itself: an exception comes out as raised, whatever
    ``main`` makes of it for the user."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


def _stopped_since(emulator: EmulatorProcess, mark: int) -> dict:
    """The first STIM_STOPPED after ``mark``, whoever stopped stimulation."""
    return emulator.control.await_trace(
        lambda e: e["dir"] == "tx" and e["opcode"] == "STIM_STOPPED", since=mark,
        timeout=WATCHDOG_WAIT_S)


def _assert_stopped_by_stop(emulator: EmulatorProcess, mark: int) -> None:
    stopped = _stopped_since(emulator, mark)
    assert bytes.fromhex(stopped["payload"])[0] == StopReason.STOP_REQUEST, \
        "stimulation was stopped by the device, not by the console's STOP"
    assert any(received(e, "STOP") for e in emulator.control.trace(since=mark)["entries"])
    state = emulator.control.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == StopReason.STOP_REQUEST


@pytest.mark.parametrize("way", list(WAYS_OUT))
def test_test_stim_sends_stop_then_records_it_however_it_is_ended(recorded, way):
    status, why = WAYS_OUT[way]
    stim = start_stimulating(recorded.emulator, recorded.key_file)
    try:
        mark = trace_mark(recorded.emulator)
        if way == "closed output":
            stim.process.stdout.close()  # as `| head -1` does once it has its line
        else:
            stim.process.send_signal(getattr(signal, way))
        _assert_stopped_by_stop(recorded.emulator, mark)
        assert stim.process.wait(timeout=EXIT_TIMEOUT_S) == status
        assert stim.stderr() == ""  # no traceback, no second broken pipe
        if way != "closed output":
            assert f"STOP sent: stimulation stopped {why}" in stim.finish()[1]
    finally:
        stim.close()
    assert recorded.audit()[-1] == ("stop", "doc", {
        "device": SERIAL, "reason": f"test stimulation ended: STOP sent: stopped {why}"})


def test_an_unexpected_exception_during_test_stim_sends_stop_then_records_it(
        recorded, tmp_path, monkeypatch):
    profile = tmp_path / "quick.toml"
    profile.write_text(SAFETY_PROFILE.shipped_text().replace("min_interval_s = 1.0",
                                                      "min_interval_s = 0.1"), encoding="utf-8")

    def fault(_client: DeviceClient, _amp_ua: int) -> int:
        raise RuntimeError("injected fault")

    monkeypatch.setattr(DeviceClient, "adjust_test_stim", fault)
    mark = trace_mark(recorded.emulator)
    with pytest.raises(RuntimeError, match="injected fault"):
        _handle(recorded.device("doc", *STIM, "--amp", "0.5", "--seconds", "60", "--step", "0.5",
                             "--every", "0.1", "--profile", str(profile)))
    _assert_stopped_by_stop(recorded.emulator, mark)
    assert recorded.audit()[-1] == ("stop", "doc", {
        "device": SERIAL, "reason": "test stimulation ended: ended by an unexpected error "
                                    "(RuntimeError: injected fault)"})


class _ClosedPipe:
    """Standard output whose reader has gone away."""

    def write(self, _text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_write_to_a_closed_output_asks_for_stop_once_and_never_raises(monkeypatch):
    asked = []
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    with StopRequests(asked.append) as stops:
        stops.say("amplitude 1.0 mA")
        assert stops.done.wait(timeout=EXIT_TIMEOUT_S)
        stops.say("STOP sent: stimulation stopped because the output was closed")
    assert asked == [OUTPUT_CLOSED]


# -- mfconsole placement ------------------------------------------------------------------------


def test_placement_sends_stop_when_the_terminal_hangs_up(key_file):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with EmulatorProcess("--scenario", "good", key_file=key_file) as emulator:
        argv = placement_argv(emulator, key_file)
        argv[argv.index("--every") + 1] = "1"
        with subprocess.Popen([sys.executable, "-m", "console.cli.main", *argv], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as process:
            emulator.control.await_trace(lambda e: received(e, "TEST_STIM_ADJUST"),
                                         timeout=WATCHDOG_WAIT_S * 3)
            mark = trace_mark(emulator)
            process.send_signal(signal.SIGHUP)
            _assert_stopped_by_stop(emulator, mark)
            out, err = process.communicate(timeout=EXIT_TIMEOUT_S)
    assert process.returncode == 129, err
    assert "test ended incomplete: STOP because the terminal hung up (SIGHUP)" in out
    assert "overall: INCOMPLETE" in out


def test_an_unexpected_exception_during_placement_sends_stop(key_file, monkeypatch):
    def fault(_observer: SimulatedObserver, _lead: int, _anode: int, _cathode: int):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(SimulatedObserver, "observe", fault)
    with EmulatorProcess("--scenario", "good", key_file=key_file) as emulator:
        mark = trace_mark(emulator)
        with pytest.raises(RuntimeError, match="injected fault"):
            _handle(placement_argv(emulator, key_file))
        assert any(received(e, "TEST_STIM_START")
                   for e in emulator.control.trace(since=mark)["entries"])
        _assert_stopped_by_stop(emulator, mark)
