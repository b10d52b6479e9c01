"""STOP latency: from the API call to the device acting on it, measured against the emulator.

The clock is shared: the emulator stamps its trace and its ``last_stop_t`` with
``time.perf_counter()``, which on Linux is CLOCK_MONOTONIC in every process, so the
difference with this process's ``perf_counter()`` just before ``client.stop()`` is
the latency itself.

* During test stimulation the device's own acted time is known (``last_stop_t``,
  taken when the core stopped stimulation).
* During an impedance measurement the device keeps no acted time, so the time the
  STOP frame's bytes were read is used; the device acts on them in the same call.
  The test-stimulation rows report how far apart the two are.

Only the emulator is ever stimulated here: these rows are skipped for a real device.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from console.bench.emulator_trace import Entry, TraceReader
from console.bench.errors import BenchError
from console.bench.report import MS, Row, Target, latency_row
from console.bench.stats import summarize
from device_link.client import DeviceClient
from device_link.emulator.control import ControlClient
from device_link.errors import Aborted, DeviceLinkError
from device_link.events import Notice
from device_link.messages import ImpedanceProgress, StimStopped, StimTelemetry, TestStimStart
from device_link.protocol import DeviceState, ImpedanceMode, Opcode, StopReason
from device_link.trace import TraceRecord

# 1.0 mA on the best pair of the emulator's "good" patient, well inside every limit.
TEST_STIMULUS = TestStimStart(lead=0, anode=2, cathode=1, freq_hz=20, pw_us=214, amp_ua=1000,
                              duration_s=30)
TELEMETRY_BEFORE_STOP = 3
TELEMETRY_PERIOD_S = 0.1  # the device sends 10 telemetry frames per second
EVENT_TIMEOUT_S = 5.0
STOP_TARGET = Target("p99", 3.0, at_most=True, text="p99 ≤ 3 ms")


class _Events:
    """Device events of the current round, as flags the benchmark can wait on."""

    def __init__(self) -> None:
        self.telemetry = threading.Event()
        self.progress = threading.Event()
        self.stopped = threading.Event()
        self._telemetry_seen = 0

    def reset(self) -> None:
        self._telemetry_seen = 0
        for flag in (self.telemetry, self.progress, self.stopped):
            flag.clear()

    def __call__(self, notice: Notice) -> None:
        if isinstance(notice, StimTelemetry):
            self._telemetry_seen += 1
            if self._telemetry_seen >= TELEMETRY_BEFORE_STOP:
                self.telemetry.set()
        elif isinstance(notice, ImpedanceProgress) and notice.done == 1:
            self.progress.set()  # the first of this round; a late one of the last is later
        elif isinstance(notice, StimStopped) and notice.reason == StopReason.STOP_REQUEST:
            self.stopped.set()


class StopWrites:
    """A client trace callback keeping when the last STOP frame was written to the port."""

    def __init__(self) -> None:
        self.written_at: float | None = None

    def __call__(self, record: TraceRecord) -> None:
        if record.direction == "tx" and record.frame.opcode == Opcode.STOP:
            self.written_at = record.t  # taken just after the transport's write returned


def _is_stop_read(entry: Entry) -> bool:
    return entry["dir"] == "rx" and entry["opcode"] == "STOP"


def _stop_read_at(trace: TraceReader) -> float:
    """``t`` of the next STOP the emulator read."""
    return float(trace.next_matching(_is_stop_read, "STOP received", EVENT_TIMEOUT_S)["t"])


def _wait(flag: threading.Event, what: str) -> None:
    if not flag.wait(EVENT_TIMEOUT_S):
        raise BenchError(f"no {what} within {EVENT_TIMEOUT_S:.0f} s")


@dataclass(frozen=True, slots=True)
class _Stop:
    """perf_counter times of one ``client.stop()``."""

    called: float
    written: float
    confirmed: float


def _timed_stop(client: DeviceClient, writes: StopWrites, expected: DeviceState) -> _Stop:
    writes.written_at = None
    called = time.perf_counter()
    previous = client.stop()
    confirmed = time.perf_counter()
    if previous != expected:
        raise BenchError(f"STOP found the device in state {previous}, not {expected.name}: "
                         "it had stopped on its own before the STOP")
    if writes.written_at is None:
        raise BenchError("the client was not connected with StopWrites as its trace")
    return _Stop(called, writes.written_at, confirmed)


class _Samples:
    """Latencies of every STOP of one condition, split at the moment the frame was written."""

    def __init__(self) -> None:
        self.acted: list[float] = []
        self.client: list[float] = []
        self.confirmed: list[float] = []

    def add(self, stop: _Stop, acted_at: float) -> None:
        if acted_at < stop.called:
            raise BenchError("the emulator acted on a STOP before this one was sent")
        self.acted.append(acted_at - stop.called)
        self.client.append(stop.written - stop.called)
        self.confirmed.append(stop.confirmed - stop.called)

    def rows(self, name: str, condition: str, acted: str, **detail: Any) -> list[Row]:
        client = summarize(self.client)
        return [
            latency_row(name, f"STOP call → device {acted}, {condition}",
                        summarize(self.acted), STOP_TARGET,
                        written_median_ms=round(client.median * MS, 4),
                        written_p99_ms=round(client.p99 * MS, 4), **detail),
            latency_row(f"{name}_confirmed", f"STOP call → stop() returned, {condition}",
                        summarize(self.confirmed)),
        ]


def stop_during_test_stim(client: DeviceClient, writes: StopWrites, control: ControlClient,
                          stops: int, rng: random.Random) -> list[Row]:
    """STOP at a random moment of the telemetry cycle, after a few telemetry frames."""
    events, trace, samples = _Events(), TraceReader(control), _Samples()
    read_to_acted: list[float] = []
    unsubscribe = client.subscribe(events)
    try:
        for _ in range(stops):
            events.reset()
            client.start_test_stim(TEST_STIMULUS)
            _wait(events.telemetry, f"{TELEMETRY_BEFORE_STOP} telemetry events")
            # Not synchronisation: a random phase, so STOPs meet telemetry in flight too.
            time.sleep(rng.uniform(0.0, TELEMETRY_PERIOD_S))
            stop = _timed_stop(client, writes, DeviceState.TEST_STIM)
            read_at = _stop_read_at(trace)
            acted_at = control.state()["last_stop_t"]
            if acted_at is None:
                raise BenchError("the emulator reports no stop after the STOP")
            samples.add(stop, acted_at)
            read_to_acted.append(acted_at - read_at)
            _wait(events.stopped, "STIM_STOPPED event")  # the next round starts from IDLE
    finally:
        unsubscribe()
    gap = summarize(read_to_acted)
    return samples.rows("stop_test_stim", "during test stimulation", "acted",
                        acted_time="emulator last_stop_t",
                        read_to_acted_median_ms=round(gap.median * MS, 4),
                        read_to_acted_p99_ms=round(gap.p99 * MS, 4))


def stop_during_impedance(client: DeviceClient, writes: StopWrites, control: ControlClient,
                          stops: int) -> list[Row]:
    """STOP after the first IMPEDANCE_PROGRESS of a bipolar measurement of both leads."""
    events, trace, samples = _Events(), TraceReader(control), _Samples()
    unsubscribe = client.subscribe(events)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="bench-measure") as pool:
            for _ in range(stops):
                events.reset()
                measuring = pool.submit(client.measure_impedance, 0b11, ImpedanceMode.BIPOLAR)
                _await_progress(events, measuring)
                stop = _timed_stop(client, writes, DeviceState.MEASURING)
                _expect_aborted(measuring)
                samples.add(stop, _stop_read_at(trace))
    finally:
        unsubscribe()
    return samples.rows("stop_impedance", "during impedance measurement", "read it",
                        acted_time="emulator trace t of the STOP rx")


def _await_progress(events: _Events, measuring: Future[object]) -> None:
    if events.progress.wait(EVENT_TIMEOUT_S):
        return
    if measuring.done() and measuring.exception() is not None:
        raise BenchError(f"impedance measurement failed: {measuring.exception()}")
    raise BenchError(f"no IMPEDANCE_PROGRESS within {EVENT_TIMEOUT_S:.0f} s")


def _expect_aborted(measuring: Future[object]) -> None:
    try:
        measuring.result(timeout=EVENT_TIMEOUT_S)
    except Aborted:
        return
    except TimeoutError:
        raise BenchError("the aborted impedance measurement never returned") from None
    except DeviceLinkError as exc:
        raise BenchError(f"impedance measurement ended with {exc}, not ABORTED") from None
    raise BenchError("the impedance measurement completed although STOP was sent")
