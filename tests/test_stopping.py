"""The one STOP path (``console.stimulation.stopping``) against the emulator process, without Qt."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from console.device.record_keeper import RecordKeeper
from console.stimulation.stopping import (
    WATCHDOG,
    StopOutcome,
    Stopper,
    record_stop,
    send_stop,
    stop_reason_text,
)
from console.storage import ClinicalRecord, InstallationKey, RecordError
from console.storage.models import AuditEntryRow
from device_link.client import DeviceClient
from device_link.errors import Aborted
from device_link.keystore import KeyFileStore
from device_link.messages import ImpedanceProgress, TestStimStart
from device_link.protocol import DeviceState, ImpedanceMode, StopReason
from tests.emulator_harness import EmulatorProcess
from tests.record_fixtures import FAST_HASHER

WAIT_S = 5.0
MEASURE_MS = "400"  # 12 readings take ~5 s: a loaded machine still presses STOP mid-way


@pytest.fixture
def emulator(key_file):
    """The emulator, measuring slowly enough that STOP surely lands during a measurement."""
    with EmulatorProcess("--measure-ms", MEASURE_MS, key_file=key_file) as process:
        yield process


@pytest.fixture
def client(emulator, key_file):
    with DeviceClient.connect(emulator.port, KeyFileStore(key_file)) as connected:
        yield connected


@pytest.fixture
def keeper(tmp_path: Path):
    record = ClinicalRecord.open(f"sqlite:///{tmp_path / 'record.sqlite3'}",
                                 password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    yield RecordKeeper(record, admin)
    record.close()


class UnreachableRecorder:
    def record_stop(self, serial: str | None, reason: str) -> None:
        raise RecordError("the database does not answer")


def _stops(record: ClinicalRecord) -> list[str]:
    with record.engine.connect() as connection:
        rows = connection.execute(select(AuditEntryRow.details).where(
            AuditEntryRow.event == "stop").order_by(AuditEntryRow.seq))
        return [details for (details,) in rows]


@pytest.fixture
def measuring(client):
    """A bipolar measurement on another thread, yielded once the device is measuring."""
    started = threading.Event()
    client.subscribe(lambda n: started.set() if isinstance(n, ImpedanceProgress) else None)
    with ThreadPoolExecutor(max_workers=1) as pool:
        measurement = pool.submit(client.measure_impedance, 0b11, ImpedanceMode.BIPOLAR)
        assert started.wait(WAIT_S), "the measurement never started"
        yield measurement


def test_a_stop_pressed_while_a_request_waits_goes_first_and_is_recorded_once(
        client, measuring, keeper, emulator):
    sent_at: list[float] = []
    outcomes: list[StopOutcome] = []
    noted: list[str | None] = []
    done = threading.Event()
    serial = client.identity.serial

    def after_stop(outcome: StopOutcome) -> None:
        outcomes.append(outcome)
        noted.append(record_stop(keeper, serial,
                                 f"STOP pressed; the device was {outcome.device_was()}"))
        done.set()

    stopper = Stopper(lambda: client, on_sent=sent_at.append, on_done=after_stop)
    try:
        stopper.press()
        assert done.wait(WAIT_S), "STOP was not answered"
    finally:
        stopper.close()

    assert len(sent_at) == 1 and outcomes[0].confirmed
    assert outcomes[0].previous_state == DeviceState.MEASURING  # it did not wait its turn
    assert isinstance(measuring.exception(WAIT_S), Aborted)
    assert emulator.control.state()["state"] == "IDLE"
    assert noted == [None]
    stops = _stops(keeper.record)
    assert len(stops) == 1 and "STOP pressed; the device was MEASURING" in stops[0]


def test_send_stop_from_a_second_thread_stops_test_stimulation(client, emulator):
    client.start_test_stim(TestStimStart(lead=0, anode=1, cathode=2, freq_hz=20, pw_us=214,
                                         amp_ua=500, duration_s=30))
    outcomes: list[StopOutcome] = []
    thread = threading.Thread(target=lambda: outcomes.append(send_stop(client)))
    thread.start()
    thread.join(WAIT_S)

    assert outcomes[0].device_was() == "TEST_STIM"
    state = emulator.control.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == StopReason.STOP_REQUEST


def test_a_stop_that_cannot_reach_the_device_is_reported_with_the_watchdog(client):
    client.close()

    outcome = send_stop(client)

    assert not outcome.confirmed and outcome.previous_state is None
    assert outcome.unconfirmed_text().startswith("STOP NOT confirmed (")
    assert outcome.unconfirmed_text().endswith(WATCHDOG)


def test_no_device_connected_sends_nothing():
    asked = threading.Event()
    sent: list[float] = []

    def no_client() -> None:
        asked.set()

    stopper = Stopper(no_client, on_sent=sent.append)
    stopper.press()
    assert asked.wait(WAIT_S)
    stopper.close()
    assert sent == []


def test_a_record_that_cannot_be_reached_is_reported_never_raised():
    assert record_stop(UnreachableRecorder(), "EMU-000001", "STOP pressed") \
        == "the database does not answer"
    assert record_stop(None, "EMU-000001", "STOP pressed") is None


def test_stop_reasons_are_told_in_words_and_an_unknown_one_is_quoted():
    assert stop_reason_text(StopReason.STOP_REQUEST) == "stopped on request"
    assert stop_reason_text(StopReason.WATCHDOG) == \
        "stopped by the device watchdog (console went silent)"
    assert stop_reason_text(StopReason.DURATION_ELAPSED) == "test duration elapsed"
    assert stop_reason_text(0x42) == "stopped by the device (reason 66)"
