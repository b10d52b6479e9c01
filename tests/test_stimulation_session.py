"""The console's test stimulation sequence, without Qt, against the emulator as its own process:
what it refuses before sending, what the record holds before current goes on, how fast the
amplitude may rise, and that STOP wins over a start on its way. Time is a manual clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from console.device.record_keeper import RecordKeeper
from console.leads.integrity import LeadIntegrity
from console.programming.program import TestStimulus
from console.safety import SafetyEngine
from console.stimulation.session import StimulationSession
from console.stimulation.start import Start
from console.stimulation.stopping import send_stop
from console.storage.models import AuditEntryRow
from device_link.client import DeviceClient
from device_link.keystore import KeyFileStore
from device_link.messages import TestStimStart
from device_link.protocol import StopReason
from tests.emulator_harness import EmulatorProcess
from tests.test_placement_workflow import ManualClock

D = Decimal


def stimulus(amplitude: str = "0.5") -> TestStimulus:
    """The left pair E1–E2, 20 Hz, 214 µs, for a minute."""
    return TestStimulus(0, 1, 2, 20, 214, D(amplitude), 60)


@pytest.fixture
def client(emulator: EmulatorProcess, key_file: Path) -> Iterator[DeviceClient]:
    with DeviceClient.connect(emulator.port, KeyFileStore(key_file)) as connected:
        yield connected
        send_stop(connected)  # whatever a test left running


def session_for(client: DeviceClient, keeper: RecordKeeper | None, amplitude: str = "0.5",
                clock: ManualClock | None = None) -> StimulationSession:
    assert client.limits is not None and client.identity is not None
    engine = SafetyEngine(client.limits, electrodes_per_lead=client.identity.electrodes_per_lead)
    return StimulationSession(engine, stimulus(amplitude), keeper, clock=clock or ManualClock())


def received(emulator: EmulatorProcess, mark: int) -> list[str]:
    return [e["opcode"] for e in emulator.control.trace(since=mark)["entries"]
            if e["dir"] == "rx" and e["opcode"]]


def audit(keeper: RecordKeeper, event: str) -> list[dict]:
    with keeper.record.engine.connect() as connection:
        rows = connection.execute(select(AuditEntryRow.details).where(
            AuditEntryRow.event == event).order_by(AuditEntryRow.seq))
        return [json.loads(details) for (details,) in rows]


def started(client: DeviceClient, session: StimulationSession) -> None:
    assert session.judge() is None
    result = session.start(client, LeadIntegrity())
    assert result.ending is Start.STARTED, result.reason


def test_the_start_is_recorded_after_measuring_and_before_any_current(emulator, client, keeper,
                                                                     monkeypatch):
    session = session_for(client, keeper)
    mark = emulator.control.trace()["next"]
    audited_before_start = []
    real_start = client.start_test_stim

    def start_watched(request: TestStimStart) -> None:
        audited_before_start.extend(audit(keeper, "test_stimulation"))
        real_start(request)

    monkeypatch.setattr(client, "start_test_stim", start_watched)
    assert session.judge() is None
    result = session.start(client, LeadIntegrity())

    assert result.ending is Start.STARTED and result.recorded
    assert result.check is not None and result.check.measured
    assert result.note().startswith("measured impedance first: left E1–E2: ")
    assert result.note().endswith("; start recorded in the clinical record")
    [entry] = audited_before_start  # in the record before TEST_STIM_START went out
    assert entry["amplitude_ma"] == "0.5" and entry["device"] == "EMU-000001"
    opcodes = received(emulator, mark)
    assert opcodes.index("MEASURE_IMPEDANCE") < opcodes.index("TEST_STIM_START")
    state = emulator.control.state()
    assert state["state"] == "TEST_STIM" and state["test_stim"]["amp_ua"] == 500


def test_an_increase_too_soon_is_refused_and_a_decrease_always_goes(emulator, client):
    clock = ManualClock()
    session = session_for(client, None, clock=clock)
    started(client, session)

    too_soon = session.adjustment(D("1.0"))  # at once: the start was the last increase
    assert not too_soon.allowed
    assert [f.rule for f in too_soon.refused] == ["titration_pace"]
    assert "the next increase is allowed in 1.0 s" in too_soon.why
    assert emulator.control.state()["test_stim"]["amp_ua"] == 500  # nothing sent

    clock.advance(1.0)
    assert session.adjust(client, session.adjustment(D("1.0"))) == D("1.0")
    clock.advance(0.2)
    assert not session.adjustment(D("1.5")).allowed
    lower = session.adjustment(D("0.5"))  # at once, after an increase: always allowed
    assert lower.allowed
    assert session.adjust(client, lower) == D("0.5")
    assert session.current.amplitude_ma == D("0.5")
    assert emulator.control.state()["test_stim"]["amp_ua"] == 500
    assert not session.adjustment(D("1.0")).allowed  # lowering did not restart the interval


def test_the_highest_amplitude_the_device_confirmed_is_kept_after_the_end(client):
    clock = ManualClock()
    session = session_for(client, None, clock=clock)
    assert session.highest_ma is None  # nothing delivered yet
    started(client, session)
    assert session.highest_ma == D("0.5")
    clock.advance(1.0)
    session.adjust(client, session.adjustment(D("1.0")))
    clock.advance(1.0)
    session.adjust(client, session.adjustment(D("1.5")))
    session.adjust(client, session.adjustment(D("0.5")))
    refused = session.adjustment(D("9.0"))  # judged, never sent: not reached
    assert not refused.allowed

    send_stop(client)
    assert session.record_end("stopped on request") is None

    assert session.current.amplitude_ma == D("0.5")
    assert session.highest_ma == D("1.5")


def test_the_safety_engine_refuses_naming_field_value_and_limit_and_nothing_is_sent(
        emulator, client, keeper):
    mark = emulator.control.trace()["next"]
    session = session_for(client, keeper, amplitude="3.0")

    refused = session.judge()

    assert refused is not None and refused.ending is Start.REFUSED
    assert "amplitude 3.0 mA is above the starting limit 0.5 mA" in refused.detail
    assert not {"MEASURE_IMPEDANCE", "TEST_STIM_START"} & set(received(emulator, mark))
    assert audit(keeper, "test_stimulation") == []


def test_a_titration_step_beyond_the_limit_is_refused_in_words(client):
    clock = ManualClock()
    session = session_for(client, None, clock=clock)
    started(client, session)
    clock.advance(1.0)

    change = session.adjustment(D("2.5"))

    assert not change.allowed and [f.rule for f in change.refused] == ["titration_step"]
    assert "more than one titration step of 0.5 mA" in change.why
    assert "highest amplitude allowed now is 1.0 mA" in change.why


def test_an_open_pair_found_by_the_measurement_does_not_start(emulator, client, keeper):
    emulator.control.inject_open(0, 1)
    mark = emulator.control.trace()["next"]
    session = session_for(client, keeper)
    assert session.judge() is None

    result = session.start(client, LeadIntegrity())

    assert result.ending is Start.REFUSED
    assert "left E1–E2: open circuit (open); refused by the safety engine" in result.reason
    assert "TEST_STIM_START" not in received(emulator, mark)
    assert audit(keeper, "test_stimulation") == []


def test_stop_noted_before_the_start_goes_out_sends_nothing(emulator, client, keeper):
    session = session_for(client, keeper)
    assert session.judge() is None
    mark = emulator.control.trace()["next"]

    session.note_stop()
    result = session.start(client, LeadIntegrity())

    assert result.ending is Start.STOPPED and "nothing was sent" in result.reason
    assert not {"MEASURE_IMPEDANCE", "TEST_STIM_START"} & set(received(emulator, mark))
    assert audit(keeper, "test_stimulation") == []


def test_stop_that_overtakes_the_start_on_the_line_leaves_the_device_stopped(
        emulator, client, keeper, monkeypatch):
    session = session_for(client, keeper)
    real_start = client.start_test_stim

    def overtaken(request: TestStimStart) -> None:
        session.note_stop()  # the STOP thread notes it, then its STOP reaches the device
        assert send_stop(client).confirmed  # first, while the device is still idle
        real_start(request)  # and the start, behind it, makes the device stimulate

    monkeypatch.setattr(client, "start_test_stim", overtaken)
    assert session.judge() is None
    mark = emulator.control.trace()["next"]

    result = session.start(client, LeadIntegrity())

    assert result.ending is Start.STOPPED_WHILE_STARTING and not session.live
    assert "the device was stopped again at once" in result.reason
    opcodes = received(emulator, mark)
    assert "STOP" in opcodes[opcodes.index("TEST_STIM_START"):]
    state = emulator.control.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == StopReason.STOP_REQUEST
    assert audit(keeper, "stop")[-1]["reason"].startswith(
        "test stimulation did not start: STOP was pressed while the start was on its way")


def test_the_end_is_recorded_once_after_the_stop(emulator, client, keeper):
    session = session_for(client, keeper)
    started(client, session)
    assert send_stop(client).confirmed

    assert session.record_end("stopped on request") is None
    assert session.record_end("stopped on request") is None  # noted once only

    assert emulator.control.state()["state"] == "IDLE"
    assert [entry["reason"] for entry in audit(keeper, "stop")] == [
        "test stimulation ended: stopped on request"]
