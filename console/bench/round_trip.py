"""Request round trips through ``DeviceClient`` against a raw pyserial echo of the same size.

The two are interleaved request by request (client PING, echo of PING size, client
GET_STATUS, echo of GET_STATUS size, ...), so a change in the machine's load during
the run affects both sides alike and the ratio of medians stays fair.

The echo moves, in each direction, as many bytes as the larger of the request and
its response took on the wire (counted by the client's transport), so the baseline
never carries less than the client did.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import serial

from device_link.client import DeviceClient
from device_link.emulator.control import ControlClient

from .emulator_trace import TraceReader, reply_spans
from .errors import BenchError
from .report import MS, Row, Target, latency_row
from .stats import summarize

WARMUP = 20
ECHO_TIMEOUT_S = 1.0
RATIO_TARGET = Target("value", 2.0, at_most=True, text="≤ 2× echo")


@dataclass(frozen=True, slots=True)
class _Request:
    name: str
    opcode: str
    call: Callable[[], object]


def measure_round_trips(client: DeviceClient, echo_port: str, baud: int, rounds: int,
                        port_label: str, control: ControlClient | None = None) -> list[Row]:
    """Rows for PING and GET_STATUS: client, echo baseline, and the ratio of their medians.

    With the emulator's ``control`` channel, the client rows also tell how much of each round
    trip the emulator itself spent (request read → reply starting onto the line).
    """
    requests = (_Request("ping", "PING", client.ping),
                _Request("status", "GET_STATUS", client.get_status))
    sizes = {r.name: _wire_size(client, r.call) for r in requests}
    payloads = {name: bytes([0x55]) * max(size) for name, size in sizes.items()}
    client_s: dict[str, list[float]] = {r.name: [] for r in requests}
    echo_s: dict[str, list[float]] = {r.name: [] for r in requests}
    with _open_echo(echo_port, baud) as echo:
        for request in requests:
            for _ in range(WARMUP):
                _echo(echo, payloads[request.name])
        trace = TraceReader(control) if control is not None else None
        for _ in range(rounds):
            for request in requests:
                start = time.perf_counter()
                request.call()
                client_s[request.name].append(time.perf_counter() - start)
                echo_s[request.name].append(_echo(echo, payloads[request.name]))
    entries = trace.new_entries() if trace is not None else []
    rows: list[Row] = []
    for request in requests:
        out, back = sizes[request.name]
        mine, raw = summarize(client_s[request.name]), summarize(echo_s[request.name])
        echo_bytes = len(payloads[request.name])
        rows += [
            latency_row(f"rtt_{request.name}", f"{request.opcode} round trip, DeviceClient, "
                        f"{port_label}", mine, request_bytes=out, response_bytes=back,
                        **_emulator_share(reply_spans(entries, request.opcode))),
            latency_row(f"rtt_{request.name}_echo", f"raw pyserial echo of {echo_bytes} B "
                        "each way, pty", raw, bytes_each_way=echo_bytes),
            Row(f"rtt_{request.name}_ratio", f"{request.opcode} round trip ÷ echo, medians",
                mine.n, "×", value=mine.median / raw.median, target=RATIO_TARGET,
                detail={"p99_ratio": round(mine.p99 / raw.p99, 2)}),
        ]
    return rows


def _emulator_share(spans: list[float]) -> dict[str, float | int]:
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
