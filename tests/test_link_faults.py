"""Program writes over a noisy, lossy line: verified, or a typed failure — never a false success.

The emulator (its own process, on a real pseudo-terminal) flips 1 % of the bytes and loses
2 % of the frames in both directions. ``DeviceClient.apply_program`` is called 500 times
with a different program each time, reconnecting after a lost link. After every reported
success the control channel must show the device holding exactly those bytes in that
slot; after a failure the slot holds either the new program or the one before, nothing
else.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from device_link.client import DeviceClient, Timeouts
from device_link.errors import Aborted, DeviceLinkError, LinkLost
from device_link.framing import FrameDecoder
from device_link.keystore import KeyFileStore
from device_link.messages import TestStimStart
from device_link.program_record import LeadRecord, ProgramRecord
from device_link.protocol import DeviceState, Opcode
from device_link.trace import TraceRecord
from device_link.transport import SerialTransport
from tests.emulator_harness import EmulatorProcess

WRITES = 500
BATCHES = 5  # each on its own emulator and fault seed, so the soak spreads over workers
SLOTS = 4
CORRUPT_RATE = 0.01
DROP_RATE = 0.02
CONNECT_ATTEMPTS = 50  # in a row; each failure is counted and reported


def program_for(index: int) -> bytes:
    """A different valid program each time: amplitudes, pulse width and frequency move."""
    left = LeadRecord(1, 1, 2, 1000 + 100 * (index % 90), 214)
    right = LeadRecord(1, 2, 1, 25000 - 100 * (index % 120), 200 + index % 40)
    return ProgramRecord((left, right), 20 + index % 10, 10, 10, 100, 200, 30).encode()


@dataclass
class LinkStats:
    successes: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    connect_failures: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    retransmissions: int = 0
    last_messages: dict[str, str] = field(default_factory=dict)
    _sent: set[tuple[int, int, int]] = field(default_factory=set)

    def on_trace(self, record: TraceRecord) -> None:
        """Client trace: a request sent again with the same seq is a retransmission."""
        if record.direction != "tx":
            return
        key = (self.connections, record.frame.seq, record.frame.opcode)
        if key in self._sent:
            self.retransmissions += 1
        self._sent.add(key)

    def summary(self) -> str:
        return (f"{self.successes} verified, {sum(self.failures.values())} typed failures "
                f"{dict(self.failures)}, {self.retransmissions} retransmissions, "
                f"{self.connections} connections, failed connection attempts "
                f"{dict(self.connect_failures)}; last message of each: {self.last_messages}")


def connect(emulator: EmulatorProcess, key_store: KeyFileStore,
            stats: LinkStats) -> DeviceClient:
    """Connect through the noisy line, retrying a failed attempt (each one counted)."""
    for _attempt in range(CONNECT_ATTEMPTS):
        stats.connections += 1
        client = DeviceClient(emulator.port, key_store, trace=stats.on_trace)
        try:
            client.open()
        except DeviceLinkError as exc:  # open() closes the client on failure
            stats.connect_failures[type(exc).__name__] += 1
            stats.last_messages[type(exc).__name__] = str(exc)
            continue
        return client
    raise AssertionError(f"no connection in {CONNECT_ATTEMPTS} attempts: {stats.summary()}")


def held_programs(emulator: EmulatorProcess) -> dict[int, bytes]:
    return {s["slot"]: bytes.fromhex(s["program"])
            for s in emulator.control.programs()["slots"]}


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("batch", range(BATCHES))
def test_500_program_writes_over_a_noisy_line_never_report_a_false_success(
        batch, key_file, record_property):
    with EmulatorProcess("--seed", str(batch + 1), key_file=key_file) as emulator:
        _write_over_a_noisy_line(emulator, key_file, record_property,
                                 range(batch * WRITES // BATCHES, (batch + 1) * WRITES // BATCHES))


def _write_over_a_noisy_line(emulator: EmulatorProcess, key_file, record_property,
                             indexes: range) -> None:
    key_store = KeyFileStore(key_file)
    stats = LinkStats()
    emulator.control.set_link_faults(corrupt_rate=CORRUPT_RATE, drop_rate=DROP_RATE)
    held = held_programs(emulator)
    client: DeviceClient | None = None
    try:
        for index in indexes:
            slot, program = index % SLOTS, program_for(index)
            if client is None:
                client = connect(emulator, key_store, stats)
            try:
                applied = client.apply_program(slot, program)
            except DeviceLinkError as exc:
                stats.failures[type(exc).__name__] += 1
                stats.last_messages[type(exc).__name__] = str(exc)
                now_held = held_programs(emulator).get(slot)
                assert now_held in (held.get(slot), program), \
                    f"write {index}: slot {slot} holds neither the old nor the new program"
                if now_held is not None:
                    held[slot] = now_held
                if isinstance(exc, LinkLost) or not client.connected:
                    client.close()
                    client = None
                continue
            now_held = held_programs(emulator)
            assert applied.slot == slot and applied.program == program
            assert now_held.get(slot) == program, \
                f"write {index} reported verified but the device does not hold it in slot {slot}"
            held = now_held
            stats.successes += 1
    finally:
        if client is not None:
            client.close()
        emulator.control.set_link_faults()

    device_state = emulator.control.state()
    record_property("link_fault_summary", stats.summary())
    record_property("device_link_errors", device_state["link_errors"])
    print(f"\n{len(indexes)} writes: {stats.summary()}; device link_errors "
          f"{device_state['link_errors']}")
    assert stats.successes + sum(stats.failures.values()) == len(indexes)
    assert stats.successes > len(indexes) // 2  # retransmission really recovers most losses
    assert stats.retransmissions > 0  # and the faults really were on the line


# -- a start lost on the line, then STOP ------------------------------------------------------

STIMULUS = TestStimStart(lead=0, anode=1, cathode=2, freq_hz=20, pw_us=214, amp_ua=500,
                         duration_s=30)
# Long enough that the test's STOP is surely sent before the start would be retransmitted.
PATIENT_TIMEOUTS = Timeouts(ordinary_s=3.0)


class LosesFirstFrame:
    """A serial transport whose line loses the first outgoing frame of one opcode.

    A fault aimed at one frame, which random noise cannot do on demand; ``lost`` is set
    when it has happened. Everything else goes to the real transport unchanged.
    """

    def __init__(self, transport: SerialTransport, opcode: Opcode) -> None:
        self._transport = transport
        self._opcode = opcode
        self.lost = threading.Event()

    def write(self, data: bytes) -> None:
        if not self.lost.is_set() and any(frame.opcode == self._opcode
                                          for frame in FrameDecoder().feed(data)):
            self.lost.set()
            return
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


START_REQUESTS: dict[str, tuple[Opcode, Callable[[DeviceClient], object]]] = {
    "test-stim": (Opcode.TEST_STIM_START, lambda client: client.start_test_stim(STIMULUS)),
    "therapy": (Opcode.THERAPY_START, lambda client: client.start_therapy(0)),
}


@pytest.mark.parametrize("start", sorted(START_REQUESTS))
def test_a_start_lost_on_the_line_is_never_sent_again_after_stop(emulator, key_file, start):
    """STOP does not move the device's replay window (MFL/1 section 3), so a start
    retransmitted after it would be executed: the client must not send it again."""
    opcode, begin = START_REQUESTS[start]
    lines: list[LosesFirstFrame] = []

    def transport(*args: Any) -> LosesFirstFrame:
        lines.append(LosesFirstFrame(SerialTransport(*args), opcode))
        return lines[-1]

    outcome: list[object] = []

    def start_stimulation() -> None:
        try:
            outcome.append(begin(client))
        except DeviceLinkError as exc:
            outcome.append(exc)

    with DeviceClient(emulator.port, KeyFileStore(key_file), timeouts=PATIENT_TIMEOUTS,
                      transport_factory=transport) as client:
        client.open()
        mark = emulator.control.trace(since=0)["next"]
        worker = threading.Thread(target=start_stimulation)
        worker.start()
        assert lines[0].lost.wait(timeout=30), "the start request was never sent"
        assert client.stop() == DeviceState.IDLE  # the device never saw the start
        worker.join(timeout=60)
        assert not worker.is_alive()
        state = emulator.control.state()
        received = [e["opcode"] for e in emulator.control.trace(since=mark)["entries"]
                    if e["dir"] == "rx" and e["kind"] == "REQUEST"]
    assert state["state"] == "IDLE", f"stimulation started after STOP: {received}"
    assert opcode.name not in received
    assert len(outcome) == 1 and isinstance(outcome[0], Aborted)
