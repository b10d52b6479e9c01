"""One therapy session started from the console, without Qt, against the emulator as its own
process: what it refuses before sending, the record before current, the phases in order,
STOP ending it with the reason noted, and STOP winning over a start on its way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.device.record_keeper import RecordKeeper
from console.leads.integrity import LeadIntegrity
from console.safety import SafetyEngine
from console.stimulation.start import Start
from console.stimulation.stopping import send_stop, stop_reason_text
from console.stimulation.therapy import PhaseChange, TherapyTrial
from device_link.client import DeviceClient
from device_link.events import Notice
from device_link.keystore import KeyFileStore
from device_link.messages import StimStopped, StimTelemetry
from device_link.program_record import LeadRecord, ProgramRecord
from device_link.protocol import StimPhase, StopReason
from tests.emulator_harness import EmulatorProcess
from tests.test_stimulation_session import audit, received

SHORT = ProgramRecord(leads=(LeadRecord(1, 1, 2, 2000, 214), LeadRecord()), freq_hz=20,
                      ramp_up_ds=5, ramp_down_ds=5, on_ds=15, off_ds=10, session_min=1)
"""Half a second of each ramp and of the hold, a second off: a cycle every 2.5 s."""
BLOCKED = ProgramRecord(leads=(LeadRecord(1, 1, 2, 24000, 214), LeadRecord()), freq_hz=20,
                        ramp_up_ds=5, ramp_down_ds=5, on_ds=15, off_ds=10, session_min=1)
"""Within the device's limits, but far past the Shannon limit the engine blocks at."""


@pytest.fixture
def client(emulator: EmulatorProcess, key_file: Path) -> Iterator[DeviceClient]:
    with DeviceClient.connect(emulator.port, KeyFileStore(key_file)) as connected:
        connected.apply_program(1, SHORT.encode())
        connected.apply_program(2, BLOCKED.encode())
        yield connected
        send_stop(connected)  # whatever a test left running


def trial_for(client: DeviceClient, keeper: RecordKeeper | None, slot: int = 1) -> TherapyTrial:
    assert client.limits is not None and client.identity is not None
    engine = SafetyEngine(client.limits, electrodes_per_lead=client.identity.electrodes_per_lead)
    return TherapyTrial(engine, slot, keeper)


class Follow:
    """The trial's phase changes and the device's end, as the client's events bring them."""

    def __init__(self, trial: TherapyTrial) -> None:
        self.tracker = trial.tracker()
        self.changes: list[PhaseChange] = []
        self.stopped: StimStopped | None = None
        self.event = threading.Condition()

    def __call__(self, notice: Notice) -> None:
        with self.event:
            if isinstance(notice, StimTelemetry):
                change = self.tracker.add(notice)
                if change is not None:
                    self.changes.append(change)
            elif isinstance(notice, StimStopped):
                self.stopped = notice
            self.event.notify_all()

    def until(self, predicate, timeout: float = 10.0) -> None:
        with self.event:
            assert self.event.wait_for(predicate, timeout), "the device never got there"


def test_a_short_program_runs_its_phases_in_order_and_stop_ends_it_recorded(
        emulator, client, keeper):
    trial = trial_for(client, keeper)
    assert trial.prepare(client, LeadIntegrity()) is None
    follow = Follow(trial)
    unsubscribe = client.subscribe(follow)

    result = trial.begin(client)

    assert result.ending is Start.STARTED and result.recorded, result.reason
    assert trial.session_s == 60
    follow.until(lambda: len(follow.changes) >= 5)
    phases = [change.phase for change in follow.changes]
    assert phases[:5] == [StimPhase.RAMP_UP, StimPhase.ON, StimPhase.RAMP_DOWN, StimPhase.OFF,
                          StimPhase.RAMP_UP]
    assert [change.cycle for change in follow.changes[:5]] == [1, 1, 1, 1, 2]
    on = follow.changes[1].leads[0]
    assert (on.lead, str(on.set_ma)) == (0, "2.0")
    [started] = audit(keeper, "therapy_session")
    assert (started["slot"], started["left.amplitude_ma"], started["device"]) == (
        1, "2.0", "EMU-000001")

    assert send_stop(client).confirmed
    follow.until(lambda: follow.stopped is not None)
    unsubscribe()
    assert follow.stopped is not None
    assert trial.record_end(stop_reason_text(follow.stopped.reason)) is None
    assert trial.record_end("again") is None  # noted once only

    state = emulator.control.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == StopReason.STOP_REQUEST
    assert [entry["reason"] for entry in audit(keeper, "stop")] == [
        "therapy session of slot 1 ended: stopped on request"]


def test_the_start_is_recorded_after_measuring_and_before_therapy_start(
        emulator, client, keeper, monkeypatch):
    trial = trial_for(client, keeper)
    mark = emulator.control.trace()["next"]
    recorded_before_start = []
    real_start = client.start_therapy

    def watched(slot: int) -> int:
        recorded_before_start.extend(audit(keeper, "therapy_session"))
        return real_start(slot)

    monkeypatch.setattr(client, "start_therapy", watched)
    result = trial.start(client, LeadIntegrity())

    assert result.ending is Start.STARTED
    assert result.note().startswith("measured impedance first: left E1–E2: ")
    assert len(recorded_before_start) == 1
    opcodes = received(emulator, mark)
    assert opcodes.index("READ_PROGRAM") < opcodes.index("MEASURE_IMPEDANCE") \
        < opcodes.index("THERAPY_START")
    assert emulator.control.state()["state"] == "THERAPY"


def test_a_program_the_engine_blocks_is_refused_with_the_finding(emulator, client, keeper):
    trial = trial_for(client, keeper, slot=2)
    mark = emulator.control.trace()["next"]

    result = trial.start(client, LeadIntegrity())

    assert result.ending is Start.REFUSED
    assert trial.judged is not None and trial.judged.blocked
    finding = trial.judged.assessment.blocks[0]
    assert finding.message in result.detail and finding.field.startswith("left.")
    assert result.reason.startswith("slot 2 refused by the safety engine: ")
    assert not {"MEASURE_IMPEDANCE", "THERAPY_START"} & set(received(emulator, mark))
    assert audit(keeper, "therapy_session") == []


def test_an_empty_slot_is_refused_in_the_devices_words(emulator, client, keeper):
    mark = emulator.control.trace()["next"]

    result = trial_for(client, keeper, slot=3).start(client, LeadIntegrity())

    assert result.ending is Start.DEVICE_FAILED
    assert result.reason == ("slot 3: nothing stored there (slot never written); nothing was "
                             "started")
    assert "THERAPY_START" not in received(emulator, mark)


def test_an_open_pair_found_by_the_measurement_does_not_start(emulator, client, keeper):
    emulator.control.inject_open(0, 1)
    mark = emulator.control.trace()["next"]

    result = trial_for(client, keeper).start(client, LeadIntegrity())

    assert result.ending is Start.REFUSED
    assert "left E1–E2: open circuit (open)" in result.reason
    assert "THERAPY_START" not in received(emulator, mark)
    assert audit(keeper, "therapy_session") == []


def test_a_role_that_may_not_program_is_refused_before_anything_is_sent(
        emulator, client, keeper):
    admin = keeper.record.authenticate("admin", "admin password 1")  # the fixture's admin
    theatre = keeper.record.add_user(admin, "scrub", "theatre", "theatre password 1")
    trial = trial_for(client, RecordKeeper(keeper.record, theatre))
    mark = emulator.control.trace()["next"]

    result = trial.start(client, LeadIntegrity())

    assert result.ending is Start.NOT_RECORDED and "nothing was sent" in result.reason
    assert "THERAPY_START" not in received(emulator, mark)


def test_stop_noted_before_the_start_goes_out_sends_nothing(emulator, client, keeper):
    trial = trial_for(client, keeper)
    assert trial.prepare(client, LeadIntegrity()) is None
    mark = emulator.control.trace()["next"]

    trial.note_stop()
    result = trial.begin(client)

    assert result.ending is Start.STOPPED and "nothing was sent" in result.reason
    assert "THERAPY_START" not in received(emulator, mark)
    assert audit(keeper, "therapy_session") == []


def test_stop_that_overtakes_the_start_on_the_line_leaves_the_device_stopped(
        emulator, client, keeper, monkeypatch):
    trial = trial_for(client, keeper)
    real_start = client.start_therapy

    def overtaken(slot: int) -> int:
        trial.note_stop()  # the STOP thread notes it, then its STOP reaches the device
        assert send_stop(client).confirmed  # first, while the device is still idle
        return real_start(slot)  # and the start, behind it, makes the device stimulate

    monkeypatch.setattr(client, "start_therapy", overtaken)
    mark = emulator.control.trace()["next"]

    result = trial.start(client, LeadIntegrity())

    assert result.ending is Start.STOPPED_WHILE_STARTING and not trial.live
    opcodes = received(emulator, mark)
    assert "STOP" in opcodes[opcodes.index("THERAPY_START"):]
    state = emulator.control.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == StopReason.STOP_REQUEST
    assert audit(keeper, "stop")[-1]["reason"].startswith(
        "therapy session of slot 1 did not start: STOP was pressed while the start was on its "
        "way")
