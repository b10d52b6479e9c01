"""The client against the emulator running as its own process on a real pseudo-terminal."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from device_link.client import DeviceClient, Timeouts
from device_link.errors import (
    Aborted,
    AuthenticationError,
    LinkLost,
    OutOfRange,
    PortError,
    StepTooLarge,
)
from device_link.events import LinkDown
from device_link.keystore import KeyFileStore, PairingKey, StaticKeyStore
from device_link.messages import (
    ImpedanceProgress,
    Limits,
    StimStopped,
    StimTelemetry,
    TestStimStart,
)
from device_link.program_record import LeadRecord, ProgramRecord
from device_link.protocol import DeviceState, ImpedanceMode, StopReason

from .emulator_harness import EmulatorProcess

STIMULUS = TestStimStart(lead=0, anode=1, cathode=2, freq_hz=20, pw_us=214, amp_ua=1000,
                         duration_s=30)


def program(amp_ua: int = 8000) -> bytes:
    lead = LeadRecord(1, 1, 2, amp_ua, 214)
    return ProgramRecord((lead, lead), 20, 10, 10, 100, 200, 30).encode()


@pytest.fixture
def client(emulator, key_file):
    with DeviceClient.connect(emulator.port, KeyFileStore(key_file)) as connected:
        yield connected


class Collector:
    """Collects notices and lets a test wait for the first one that matches."""

    def __init__(self) -> None:
        self.items: list[object] = []
        self._changed = threading.Condition()

    def __call__(self, notice: object) -> None:
        with self._changed:
            self.items.append(notice)
            self._changed.notify_all()

    def wait_for(self, predicate, timeout: float = 5.0):
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((n for n in self.items if predicate(n)), None), timeout)
        assert found is not None, f"no matching notice among {self.items[-5:]}"
        return found


def test_connect_authenticates_and_reads_identity_and_limits(client):
    assert client.identity.serial == "EMU-000001"
    assert client.identity.model == "EMU-IPG"
    assert client.limits == Limits()
    status = client.get_status()
    assert status.state == DeviceState.IDLE


def test_wrong_key_is_refused_with_clear_error(emulator):
    wrong = StaticKeyStore({"EMU-000001": PairingKey(bytes(32))})
    with pytest.raises(AuthenticationError, match="rejected the pairing key"):
        DeviceClient.connect(emulator.port, wrong)


def test_lockout_after_five_failures_is_reported(emulator):
    wrong = StaticKeyStore({"EMU-000001": PairingKey(bytes(32))})
    for _ in range(5):
        with pytest.raises(AuthenticationError, match="rejected"):
            DeviceClient.connect(emulator.port, wrong)
    with pytest.raises(AuthenticationError, match=r"locked authentication for \d+ s"):
        DeviceClient.connect(emulator.port, wrong)


def test_program_apply_verifies_byte_for_byte(client):
    applied = client.apply_program(1, program())
    assert applied.program == program()
    assert client.read_program(1).program == program()


def test_device_refusal_carries_field_and_limit(client):
    with pytest.raises(OutOfRange) as refused:
        client.write_program(0, program(amp_ua=25100))
    assert refused.value.detail == 4
    assert refused.value.extra == 25000
    assert "lead 0 amplitude" in str(refused.value)


def test_stop_during_measurement_aborts_it(client):
    events = Collector()
    client.subscribe(events)
    outcome: list[BaseException] = []

    def measure() -> None:
        try:
            client.measure_impedance(0b11, ImpedanceMode.BIPOLAR)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=measure)
    worker.start()
    events.wait_for(lambda n: isinstance(n, ImpedanceProgress))
    previous = client.stop()
    worker.join(timeout=5)
    assert previous == DeviceState.MEASURING
    assert outcome and isinstance(outcome[0], Aborted)
    assert client.get_status().state == DeviceState.IDLE


def test_full_impedance_check_returns_every_measurement(client):
    monopolar = client.measure_impedance(0b11, ImpedanceMode.MONOPOLAR)
    assert [(r.lead, r.electrode_a, r.electrode_b) for r in monopolar.records] == [
        (lead, e, None) for lead in (0, 1) for e in range(4)]
    bipolar = client.measure_impedance(0b11, ImpedanceMode.BIPOLAR)
    assert len(bipolar.records) == 12
    assert all(r.ohms is not None and 100 < r.ohms < 5000 for r in bipolar.records)


def test_keepalive_holds_test_stimulation_beyond_the_watchdog(client):
    events = Collector()
    client.subscribe(events)
    client.start_test_stim(STIMULUS)
    # 25 telemetry frames at 10 Hz is 2.5 s of silence from the caller: well past the 1 s
    # watchdog, so stimulation is still on only because the keep-alive feeds it.
    for count in range(1, 26):
        events.wait_for(lambda n, c=count: sum(isinstance(i, StimTelemetry)
                                               for i in events.items) >= c)
    assert not any(isinstance(n, StimStopped) for n in events.items)
    assert client.get_status().state == DeviceState.TEST_STIM
    assert client.stop() == DeviceState.TEST_STIM
    stopped = events.wait_for(lambda n: isinstance(n, StimStopped))
    assert stopped.reason == StopReason.STOP_REQUEST


def test_titration_steps_and_step_limit(client):
    client.start_test_stim(STIMULUS)
    try:
        assert client.adjust_test_stim(2000) == 2000
        with pytest.raises(StepTooLarge) as refused:
            client.adjust_test_stim(3100)
        assert refused.value.extra == 3000
        assert client.adjust_test_stim(500) == 500
    finally:
        client.stop()


def test_reauthenticates_before_sequence_wraps(client):
    first_nonce = client.identity.nonce_d
    client._seq = 65535 - 16
    client.get_status()
    assert client._seq < 10
    assert client.identity.nonce_d != first_nonce
    assert client.get_status().state == DeviceState.IDLE


def test_events_and_link_down_reach_subscribers(emulator, key_file):
    client = DeviceClient.connect(emulator.port, KeyFileStore(key_file),
                                  timeouts=Timeouts(ordinary_s=0.1))
    events = Collector()
    client.subscribe(events)
    try:
        emulator.kill()
        with pytest.raises(LinkLost):
            client.get_status()
        events.wait_for(lambda n: isinstance(n, LinkDown))
        assert not client.connected
    finally:
        client.close()


def test_port_that_does_not_exist_is_a_clear_error(tmp_path: Path):
    missing = str(tmp_path / "no-such-port")
    with pytest.raises(PortError, match="cannot open port"):
        DeviceClient.connect(missing, StaticKeyStore({}))


def test_emulator_process_on_tcp_socket(key_file):
    with EmulatorProcess("--socket", "127.0.0.1:0", key_file=key_file) as emulator:
        assert emulator.port.startswith("socket://")
        with DeviceClient.connect(emulator.port, KeyFileStore(key_file)) as client:
            assert client.get_status().state == DeviceState.IDLE
