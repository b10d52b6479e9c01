"""Request round trips through ``DeviceClient``, beside a raw pyserial echo of the same size.

The contenders are interleaved request by request (client PING, raw-frame PING,
echo of PING size, client GET_STATUS, ...), so a change in the machine's load
during the run affects them alike and the ratios of medians stay fair.

* The echo moves, in each direction, as many bytes as the larger of the request
  and its response took on the wire (counted by the client's transport), so the
  baseline never carries less than the client did.
* Raw frames (optional): the same requests built, written and read back in the
  calling thread against a twin emulator, which separates the client's own cost
  from the device's and the port's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import serial

from console.bench.emulator_trace import TraceReader, reply_spans
from console.bench.errors import BenchError
from console.bench.raw_session import RawSession
from console.bench.report import MS, Row, Target, latency_row
from console.bench.stats import summarize
from device_link.client import DeviceClient
from device_link.emulator.control import ControlClient
from device_link.protocol import Kind, Opcode

WARMUP = 20
ECHO_TIMEOUT_S = 1.0
RATIO_TARGET = Target("value", 2.0, at_most=True, text="≤ 2× echo")


@dataclass(frozen=True, slots=True)
class RoundTripSetup:
    client: DeviceClient
    echo_port: str
    baud: int
    port_label: str
    control: ControlClient | None = None  # the client's emulator: its own share of the time
    raw: RawSession | None = None  # raw frames, against a twin emulator
    raw_control: ControlClient | None = None


@dataclass(frozen=True, slots=True)
class _Request:
    name: str
    opcode: Opcode
    call: Callable[[], object]


class _Timings:
    def __init__(self) -> None:
        self.client: list[float] = []
        self.raw: list[float] = []
        self.echo: list[float] = []


def measure_round_trips(setup: RoundTripSetup, rounds: int) -> list[Row]:
    """Rows for PING and GET_STATUS: client, raw frames, echo, and the client ÷ echo ratio."""
    client, raw = setup.client, setup.raw
    requests = (_Request("ping", Opcode.PING, client.ping),
                _Request("status", Opcode.GET_STATUS, client.get_status))
    sizes = {r.name: _wire_size(client, r.call) for r in requests}
    payloads = {name: bytes([0x55]) * max(size) for name, size in sizes.items()}
    timings = {r.name: _Timings() for r in requests}
    with _open_echo(setup.echo_port, setup.baud) as echo:
        for request in requests:
            for _ in range(WARMUP):
                _echo(echo, payloads[request.name])
                if raw is not None:
                    _raw_request(raw, request.opcode)
        traces = [TraceReader(c) if c is not None else None
                  for c in (setup.control, setup.raw_control)]
        for _ in range(rounds):
            for request in requests:
                times = timings[request.name]
                start = time.perf_counter()
                request.call()
                times.client.append(time.perf_counter() - start)
                if raw is not None:
                    times.raw.append(_raw_request(raw, request.opcode))
                times.echo.append(_echo(echo, payloads[request.name]))
    client_entries, raw_entries = (t.new_entries() if t is not None else [] for t in traces)
    rows: list[Row] = []
    for request in requests:
        out, back = sizes[request.name]
        times = timings[request.name]
        opcode = request.opcode.name
        mine, baseline = summarize(times.client), summarize(times.echo)
        echo_bytes = len(payloads[request.name])
        ratio_detail: dict[str, Any] = {"p99_ratio": round(mine.p99 / baseline.p99, 2)}
        rows.append(latency_row(
            f"rtt_{request.name}", f"{opcode} round trip, DeviceClient, {setup.port_label}",
            mine, request_bytes=out, response_bytes=back,
            **_emulator_share(reply_spans(client_entries, opcode))))
        if times.raw:
            raw_summary = summarize(times.raw)
            ratio_detail["client_over_raw_frames"] = round(mine.median / raw_summary.median, 2)
            rows.append(latency_row(
                f"rtt_{request.name}_raw", f"{opcode} round trip, raw frames in the calling "
                "thread, twin emulator, pty", raw_summary,
                **_emulator_share(reply_spans(raw_entries, opcode))))
        rows += [
            latency_row(f"rtt_{request.name}_echo", f"raw pyserial echo of {echo_bytes} B "
                        "each way, pty", baseline, bytes_each_way=echo_bytes),
            Row(f"rtt_{request.name}_ratio", f"{opcode} round trip ÷ echo, medians", mine.n,
                "×", value=mine.median / baseline.median, target=RATIO_TARGET,
                detail=ratio_detail),
        ]
    return rows


def _emulator_share(spans: list[float]) -> dict[str, float | int]:
    """How long the emulator held each request: read → reply starting onto the line."""
    if not spans:
        return {}
    spent = summarize(spans)
    return {"emulator_n": spent.n, "emulator_median_ms": round(spent.median * MS, 4),
            "emulator_p99_ms": round(spent.p99 * MS, 4)}


def _wire_size(client: DeviceClient, call: Callable[[], object]) -> tuple[int, int]:
    """Bytes one request sends and receives on the wire (also warms the path up)."""
    rx0, tx0 = client.wire_bytes
    for _ in range(WARMUP):
        call()
    rx1, tx1 = client.wire_bytes
    return math.ceil((tx1 - tx0) / WARMUP), math.ceil((rx1 - rx0) / WARMUP)


def _raw_request(raw: RawSession, opcode: Opcode) -> float:
    start = time.perf_counter()
    reply = raw.request(opcode)
    elapsed = time.perf_counter() - start
    if reply.kind != Kind.RESPONSE:
        raise BenchError(f"the twin emulator refused {opcode.name}")
    return elapsed


@contextmanager
def _open_echo(port: str, baud: int) -> Iterator[serial.SerialBase]:
    try:
        echo = serial.serial_for_url(port, baudrate=baud, timeout=ECHO_TIMEOUT_S)
    except (serial.SerialException, ValueError, OSError) as exc:
        raise BenchError(f"cannot open the echo port {port}: {exc}") from None
    try:
        yield echo
    finally:
        echo.close()


def _echo(port: serial.SerialBase, payload: bytes) -> float:
    """One raw write and read back of ``payload``; seconds taken."""
    start = time.perf_counter()
    port.write(payload)
    answer = port.read(len(payload))
    elapsed = time.perf_counter() - start
    if answer != payload:
        raise BenchError(f"the echo server returned {len(answer)} of {len(payload)} bytes")
    return elapsed
