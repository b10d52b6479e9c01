"""``run_link_bench``: the device link's figures, against a fresh emulator or a given port.

Against the emulator (the default) everything runs on pseudo-terminals: request
round trips with a raw echo as baseline, STOP latency during test stimulation
and during an impedance measurement, and the usage-log download paced at the
line rate and unpaced. Against a real device (``port``) only PING, GET_STATUS
and GET_LOG are sent: nothing that stimulates or measures.
"""

from __future__ import annotations

import dataclasses
import os
import random
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from console.bench.errors import BenchError
from console.bench.log_download import LINE_RATE_TARGET, download_log
from console.bench.processes import echo_port, emulator
from console.bench.raw_session import RawSession
from console.bench.report import LinkReport, Skipped, machine
from console.bench.round_trip import RoundTripSetup, measure_round_trips
from console.bench.stop_latency import StopWrites, stop_during_impedance, stop_during_test_stim
from console.emulation.process import EmulatorStartError
from device_link.client import DEFAULT_BAUD, DeviceClient
from device_link.emulator.control import ControlClient, ControlError
from device_link.errors import DeviceLinkError
from device_link.keystore import KeyFileStore, KeyStore, KeyStoreError
from device_link.trace import TraceRecord

Progress = Callable[[str], None]
STOP_ROWS = ("stop_test_stim", "stop_test_stim_confirmed", "stop_impedance",
             "stop_impedance_confirmed")
RAW_ROWS = ("rtt_ping_raw", "rtt_status_raw")
PHASE_SEED = 1  # the random STOP phases are the same from run to run
DEFAULT_ROUNDS = 1000
DEFAULT_STOPS = 200
DEFAULT_LOG_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class LinkBenchOptions:
    port: str | None = None
    key_file: str | None = None
    baud: int = DEFAULT_BAUD
    rounds: int = DEFAULT_ROUNDS
    stops: int = DEFAULT_STOPS
    log_entries: int = DEFAULT_LOG_ENTRIES

    def __post_init__(self) -> None:
        for name in ("baud", "rounds", "stops", "log_entries"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', '-')} {getattr(self, name)} must be at "
                                 "least 1")
        if self.port is not None and self.key_file is None:
            raise ValueError("a device's port needs its pairing key file")


def run_link_bench(options: LinkBenchOptions, progress: Progress = lambda _: None) -> LinkReport:
    """Measure; raise BenchError when a measurement cannot be taken (never for a missed target)."""
    report = LinkReport(options.port or "emulator on a pseudo-terminal",
                        dataclasses.asdict(options), machine())
    with tempfile.TemporaryDirectory(prefix="mfconsole-bench-") as directory:
        workdir = Path(directory)
        if options.port is not None:
            _bench_device(options, options.port, report, progress)
        else:
            _bench_emulator(options, workdir, report, progress)
    report.machine["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return report


def _bench_emulator(options: LinkBenchOptions, workdir: Path, report: LinkReport,
                    progress: Progress) -> None:
    key_file = options.key_file or _fresh_key(workdir)
    keys = _key_store(key_file)
    with _stage("emulator"), emulator(workdir, "main", key_file) as (port, control):
        progress(f"round trips: {options.rounds} of PING and of GET_STATUS, interleaved "
                 "with raw frames to a twin emulator and a raw echo")
        with emulator(workdir, "twin", key_file) as (twin_port, twin_control), \
                _raw_session(twin_port, keys, options.baud) as raw, \
                _connected(port, keys, options.baud) as client, echo_port() as echo:
            report.rows += measure_round_trips(RoundTripSetup(
                client, echo, options.baud, "emulator, pty", control, raw, twin_control),
                options.rounds)
        if _clocks_comparable():
            _stops(options, port, keys, control, report, progress)
        else:
            report.skipped += [Skipped(name, "perf_counter is not CLOCK_MONOTONIC here, so "
                                             "the emulator's times are not comparable")
                               for name in STOP_ROWS]
    _log_downloads(options, workdir, key_file, keys, report, progress)


def _stops(options: LinkBenchOptions, port: str, keys: KeyStore, control: ControlClient,
           report: LinkReport, progress: Progress) -> None:
    writes = StopWrites()  # a client of its own: tracing stays out of the round trips
    with _connected(port, keys, options.baud, trace=writes) as client:
        progress(f"STOP during test stimulation: {options.stops} rounds")
        report.rows += stop_during_test_stim(client, writes, control, options.stops,
                                             random.Random(PHASE_SEED))
        progress(f"STOP during impedance measurement: {options.stops} rounds")
        report.rows += stop_during_impedance(client, writes, control, options.stops)


def _log_downloads(options: LinkBenchOptions, workdir: Path, key_file: str, keys: KeyStore,
                   report: LinkReport, progress: Progress) -> None:
    """The same history from a line-paced and from an unpaced emulator."""
    baud = options.baud
    history = ("--log-entries", str(options.log_entries))
    progress(f"log download: {options.log_entries} entries, emulator paced at {baud} baud")
    with _stage("paced log"), \
            emulator(workdir, "paced", key_file, *history, "--pace-baud", str(baud)) as (port, _), \
            _connected(port, keys, baud) as client:
        report.rows.append(download_log(client, baud, require_all=True).line_rate_row(
            "log_paced", f"log download, emulator paced at {baud} baud", LINE_RATE_TARGET))
    progress(f"log download: {options.log_entries} entries, unpaced")
    with _stage("unpaced log"), emulator(workdir, "unpaced", key_file, *history) as (port, _), \
            _connected(port, keys, baud) as client:
        report.rows.append(download_log(client, baud, require_all=True).speed_row(
            "log_unpaced", "log download, emulator unpaced (reference)"))


def _bench_device(options: LinkBenchOptions, port: str, report: LinkReport,
                  progress: Progress) -> None:
    assert options.key_file is not None
    keys = _key_store(options.key_file)
    with _stage(port), _connected(port, keys, options.baud) as client:
        progress(f"round trips: {options.rounds} of PING and of GET_STATUS, interleaved "
                 "with a raw echo on a pseudo-terminal")
        with echo_port() as echo:
            report.rows += measure_round_trips(RoundTripSetup(client, echo, options.baud, port),
                                               options.rounds)
        progress("log download: every entry the device holds")
        download = download_log(client, options.baud)
    if download.entries:
        report.rows.append(download.line_rate_row(
            "log_device", f"log download, {port} at {options.baud} baud", LINE_RATE_TARGET))
    else:
        report.skipped.append(Skipped("log_device", "the device's log is empty"))
    report.skipped += [Skipped(name, "raw frames need a twin of the device")
                       for name in RAW_ROWS]
    report.skipped += [Skipped(name, "needs the emulator's control channel to see when the "
                                     "device acted; a real device is never stimulated here")
                       for name in STOP_ROWS]


def _fresh_key(workdir: Path) -> str:
    """A random pairing key shared by this run's emulators and client, then deleted."""
    path = workdir / "bench.key"
    path.write_text(secrets.token_hex(32), encoding="ascii")
    path.chmod(0o600)
    return str(path)


def _key_store(key_file: str) -> KeyStore:
    try:
        return KeyFileStore(key_file)
    except KeyStoreError as exc:
        raise BenchError(str(exc)) from None


def _clocks_comparable() -> bool:
    return "CLOCK_MONOTONIC" in time.get_clock_info("perf_counter").implementation


@contextmanager
def _connected(port: str, keys: KeyStore, baud: int,
               trace: Callable[[TraceRecord], None] | None = None) -> Iterator[DeviceClient]:
    client = DeviceClient.connect(port, keys, baud=baud, trace=trace)
    try:
        yield client
    finally:
        client.close()


@contextmanager
def _raw_session(port: str, keys: KeyStore, baud: int) -> Iterator[RawSession]:
    session = RawSession(port, keys, baud)
    try:
        yield session
    finally:
        session.close()


@contextmanager
def _stage(name: str) -> Iterator[None]:
    """Failures of the link or of a helper process, as one BenchError naming the stage."""
    try:
        yield
    except (DeviceLinkError, EmulatorStartError, ControlError, OSError) as exc:
        raise BenchError(f"{name}: {exc}") from None
