"""Test stimulation ends whatever happens to the console: a signal, kill -9, a frozen process.

``mfconsole device test-stim`` runs as its own process on the emulator's pseudo-terminal.
Ctrl-C and SIGTERM must send STOP at once; a console killed outright or frozen falls
silent, and the device's watchdog must stop stimulation by itself. Waits are on the
process's output (select with a deadline) and on the emulator's trace, never on sleeps.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from console.safety.profile import SAFETY_PROFILE
from device_link.protocol import StopReason
from tests.emulator_harness import ROOT, EmulatorProcess

START_TIMEOUT_S = 60.0  # Python start-up, connection and TEST_STIM_START on a loaded machine
WATCHDOG_WAIT_S = 20.0  # the watchdog is 1 s; this is only how long a loaded machine may take
EXIT_TIMEOUT_S = 30.0
STIMULATING = b"stimulating lead 0"


class StimProcess:
    """``mfconsole device --port P --key-file K test-stim …`` as a child process."""

    def __init__(self, emulator: EmulatorProcess, key_file: Path, *extra: str) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "console.cli.main", "device", "--port", emulator.port,
             "--key-file", str(key_file), "test-stim", "--lead", "0", "--anode", "1",
             "--cathode", "2", "--amp", "0.5", "--pw", "214", "--freq", "20",
             "--seconds", "60", *extra],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self._stderr)
        self.output = b""

    def wait_for_output(self, text: bytes, timeout: float = START_TIMEOUT_S) -> None:
        """Read stdout until ``text`` has appeared (select with a deadline, no sleeping)."""
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(stdout.fileno(), selectors.EVENT_READ)
            while text not in self.output:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise AssertionError(f"no {text!r} within {timeout} s; stdout "
                                         f"{self.output!r}, stderr {self.stderr()!r}")
                chunk = os.read(stdout.fileno(), 4096)
                if not chunk:
                    raise AssertionError(f"test-stim exited ({self.process.wait()}) before "
                                         f"{text!r}; stdout {self.output!r}, stderr "
                                         f"{self.stderr()!r}")
                self.output += chunk

    def finish(self, timeout: float = EXIT_TIMEOUT_S) -> tuple[int, str, str]:
        """Wait for the exit; returns (status, all of stdout, stderr)."""
        rest, _ = self.process.communicate(timeout=timeout)
        self.output += rest or b""
        return self.process.returncode, self.output.decode(), self.stderr()

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=EXIT_TIMEOUT_S)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()


def start_stimulating(emulator: EmulatorProcess, key_file: Path,
                      *extra: str) -> StimProcess:
    """A test-stim process that has started stimulating (the device agrees)."""
    stim = StimProcess(emulator, key_file, *extra)
    try:
        stim.wait_for_output(STIMULATING)
        assert emulator.control.state()["state"] == "TEST_STIM"
    except BaseException:
        stim.close()
        raise
    return stim


def trace_mark(emulator: EmulatorProcess) -> int:
    """The number the next trace entry will carry: what happens from now on."""
    return emulator.control.trace(since=0)["next"]


def is_stim_stopped(reason: StopReason):
    payload = bytes([reason]).hex()
    return lambda e: (e["dir"] == "tx" and e["opcode"] == "STIM_STOPPED"
                      and e["payload"] == payload)


def received(entry: dict[str, Any], opcode: str) -> bool:
    return entry["dir"] == "rx" and entry["kind"] == "REQUEST" and entry["opcode"] == opcode


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_sends_stop_at_once_and_exits(emulator, key_file, record_property,
                                             signum, status):
    stim = start_stimulating(emulator, key_file)
    try:
        mark = trace_mark(emulator)
        signalled_at = time.perf_counter()
        stim.process.send_signal(signum)
        stop = emulator.control.await_trace(lambda e: received(e, "STOP"), since=mark,
                                            timeout=WATCHDOG_WAIT_S)
        stopped = emulator.control.await_trace(is_stim_stopped(StopReason.STOP_REQUEST),
                                               since=mark, timeout=WATCHDOG_WAIT_S)
        code, out, err = stim.finish()
    finally:
        stim.close()
    assert code == status, err
    assert "STOP sent" in out
    assert err == ""
    assert stop["note"] == "" and stop["mac_valid"] is True  # decoded and acted on
    state = emulator.control.state()
    assert state["state"] == "IDLE"
    assert state["last_stop_reason"] == StopReason.STOP_REQUEST
    # Clocks are comparable: both processes read CLOCK_MONOTONIC through perf_counter().
    latency_ms = (stop["t"] - signalled_at) * 1000
    record_property(f"stop_decoded_after_{signal.Signals(signum).name}_ms", round(latency_ms, 2))
    record_property("stim_stopped_after_stop_ms", round((stopped["t"] - stop["t"]) * 1000, 3))
    print(f"{signal.Signals(signum).name}: STOP decoded {latency_ms:.2f} ms after the signal")


def test_titration_then_ctrl_c_stops_at_the_amplitude_reached(emulator, key_file, tmp_path):
    profile = tmp_path / "quick.toml"  # a clinic allowing increases 0.3 s apart
    profile.write_text(SAFETY_PROFILE.shipped_text().replace("min_interval_s = 1.0",
                                                      "min_interval_s = 0.3"), encoding="utf-8")
    stim = start_stimulating(emulator, key_file, "--step", "0.5", "--every", "0.3",
                             "--profile", str(profile))
    try:
        stim.wait_for_output(b"amplitude 1.5 mA")
        mark = trace_mark(emulator)
        stim.process.send_signal(signal.SIGINT)
        emulator.control.await_trace(is_stim_stopped(StopReason.STOP_REQUEST), since=mark,
                                     timeout=WATCHDOG_WAIT_S)
        code, out, _ = stim.finish()
    finally:
        stim.close()
    assert code == 130
    amplitudes = [line.split()[1] for line in out.splitlines() if line.startswith("amplitude ")]
    assert amplitudes[:2] == ["1.0", "1.5"]
    assert [float(a) for a in amplitudes] == sorted(float(a) for a in amplitudes)
    assert out.strip().splitlines()[-1].startswith("STOP sent")
    assert emulator.control.state()["last_stop_reason"] == StopReason.STOP_REQUEST


def test_kill_9_leaves_the_device_watchdog_to_stop_stimulation(emulator, key_file):
    stim = start_stimulating(emulator, key_file)
    try:
        mark = trace_mark(emulator)
        stim.process.kill()
        assert stim.process.wait(timeout=EXIT_TIMEOUT_S) == -signal.SIGKILL
        emulator.control.await_trace(is_stim_stopped(StopReason.WATCHDOG), since=mark,
                                     timeout=WATCHDOG_WAIT_S)
    finally:
        stim.close()
    state = emulator.control.state()
    assert state["state"] == "IDLE"
    assert state["last_stop_reason"] == StopReason.WATCHDOG
    assert state["test_stim"] is None
    after_kill = emulator.control.trace(since=mark)["entries"]
    assert not any(received(e, "STOP") for e in after_kill)  # the device stopped by itself


def test_frozen_console_is_stopped_by_the_watchdog_and_says_so_when_it_wakes(
        emulator, key_file):
    stim = start_stimulating(emulator, key_file)
    try:
        mark = trace_mark(emulator)
        stim.process.send_signal(signal.SIGSTOP)
        emulator.control.await_trace(is_stim_stopped(StopReason.WATCHDOG), since=mark,
                                     timeout=WATCHDOG_WAIT_S)
        assert emulator.control.state()["state"] == "IDLE"
        stim.process.send_signal(signal.SIGCONT)
        code, _, err = stim.finish()
    finally:
        stim.close()
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "watchdog" in lines[0]
    assert emulator.control.state()["last_stop_reason"] == StopReason.WATCHDOG


def test_a_link_that_fails_one_way_ends_with_a_last_stop_not_the_watchdog(emulator, key_file):
    """The device hears the console but its replies are lost: after the retransmissions the
    console gives the link up, and its last act on the port is a STOP the device obeys."""
    stim = start_stimulating(emulator, key_file)
    try:
        mark = trace_mark(emulator)
        emulator.control.set_link_faults(drop_rate=1.0, direction="tx")
        try:
            emulator.control.await_trace(is_stim_stopped(StopReason.STOP_REQUEST), since=mark,
                                         timeout=WATCHDOG_WAIT_S)
        except TimeoutError:
            raise AssertionError(f"no STOP ended the stimulation: device "
                                 f"{emulator.control.state()}, console {stim.stderr()!r}, "
                                 f"trace {emulator.control.trace(since=mark)}") from None
        code, out, err = stim.finish()
    finally:
        stim.close()
        emulator.control.set_link_faults()
    assert code != 0 and "link lost" in (out + err).lower()
    state = emulator.control.state()
    assert state["state"] == "IDLE"
    assert state["last_stop_reason"] == StopReason.STOP_REQUEST
