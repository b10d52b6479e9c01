"""The workflow's own rules against a scripted device: what ends a trial, what is refused
before anything is sent, and how the team's reports are taken.

The emulator scenarios are in test_placement_workflow.py; here the device is a small
stand-in whose readings each test chooses, so the rarer paths are exercised directly.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.placement import (
    Failure,
    OperatorObserver,
    Outcome,
    Phase,
    PlacementRefused,
    PlacementWorkflow,
    Purpose,
    Stepping,
    TrialEnd,
    Unwanted,
    load_placement_profile,
)
from device_link.errors import InvalidState
from device_link.messages import (
    ErrorPayload,
    Identity,
    ImpedanceRecord,
    ImpedanceResult,
    Limits,
    Status,
    TestStimStart,
)
from device_link.protocol import BIPOLAR_PAIRS, DeviceState, ErrorCode, Opcode, StopReason


class ScriptedDevice:
    """Answers like a device: contacts of ``contact_ohms`` each, pairs their sum."""

    def __init__(self, contact_ohms: int = 400) -> None:
        self.identity = Identity(1, "TEST-IPG", "SN-T1", "1.0", bytes(16))
        self.limits = Limits()
        self.contact_ohms = contact_ohms
        self.sent: list[tuple[str, object]] = []
        self.stimulating = False
        self.stopped_by_itself = False

    def get_status(self) -> Status:
        state = DeviceState.TEST_STIM if self.stimulating else DeviceState.IDLE
        reason = StopReason.DURATION_ELAPSED if self.stopped_by_itself else 0xFF
        return Status(state, 80, 3100, 0xFF, reason, 0, 0, 0, 0, 0)

    def set_time(self, unix_seconds: int | None = None) -> int:
        self.sent.append(("set_time", unix_seconds))
        return unix_seconds or 0

    def measure_impedance(self, lead_mask: int = 3, mode: int = 0) -> ImpedanceResult:
        if mode == 0:
            records = [ImpedanceRecord(lead, e, None, self.contact_ohms + 80)
                       for lead in (0, 1) for e in range(4)]
        else:
            records = [ImpedanceRecord(lead, a, b, 2 * self.contact_ohms)
                       for lead in (0, 1) for a, b in BIPOLAR_PAIRS]
        return ImpedanceResult(tuple(records))

    def start_test_stim(self, stimulus: TestStimStart) -> None:
        self.sent.append(("start", stimulus))
        self.stimulating = True

    def adjust_test_stim(self, amp_ua: int) -> int:
        if self.stopped_by_itself:
            self.stimulating = False
            raise InvalidState(Opcode.TEST_STIM_ADJUST,
                               ErrorPayload(ErrorCode.INVALID_STATE, DeviceState.IDLE, 0))
        self.sent.append(("adjust", amp_ua))
        return amp_ua

    def stop(self) -> int:
        self.sent.append(("stop", None))
        previous = DeviceState.TEST_STIM if self.stimulating else DeviceState.IDLE
        self.stimulating = False
        return previous


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SteadyClock(Clock):
    """Each reading a second after the last: the operator's steps here are never sooner
    than the clinic's interval (the pace has its own tests, test_titration_pace)."""

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def _ready(device: ScriptedDevice, stepping: Stepping = Stepping.MANUAL,
           clock: Clock | None = None):
    observer = OperatorObserver()
    workflow = PlacementWorkflow(load_placement_profile(), observer, operator="nurse",
                                 stepping=stepping, clock=clock or SteadyClock())
    workflow.identify(device)
    workflow.measure_impedance(device)
    return workflow, observer


def _steps_to(workflow, device, amplitude: str) -> None:
    while workflow.snapshot().trials[-1].amplitude_ma < Decimal(amplitude):
        workflow.step_up(device)


def test_a_step_the_safety_engine_would_need_confirmed_ends_the_trial():
    # 1200 Ω contacts make 2400 Ω pairs: normal, but 15 V drive only 6.25 mA through them.
    device = ScriptedDevice(contact_ohms=1200)
    workflow, _ = _ready(device)
    workflow.start_trial(device, 0, 2, 1)
    _steps_to(workflow, device, "6.0")
    trial = workflow.step_up(device).trials[-1]
    assert trial.end == TrialEnd.HELD and trial.amplitude_ma == Decimal("6.0")
    assert "compliance" in trial.end_detail
    assert device.sent[-1] == ("stop", None) and not device.stimulating
    assert ("adjust", 6500) not in device.sent


def test_the_device_stopping_by_itself_ends_the_trial_with_its_reason():
    device = ScriptedDevice()
    workflow, _ = _ready(device)
    workflow.start_trial(device, 0, 2, 1)
    device.stopped_by_itself = True
    trial = workflow.step_up(device).trials[-1]
    assert trial.end == TrialEnd.DEVICE_STOPPED
    assert trial.end_detail == "test duration elapsed"


def test_a_trial_stops_at_its_highest_amplitude_and_says_nothing_was_seen():
    device = ScriptedDevice()
    workflow, _ = _ready(device)
    workflow.start_trial(device, 1, 2, 1)
    _steps_to(workflow, device, "10.0")
    result = workflow.step_up(device)
    trial = result.trials[-1]
    assert (trial.end, trial.amplitude_ma) == (TrialEnd.MAXIMUM, Decimal("10.0"))
    assert max(amp for kind, amp in device.sent if kind == "adjust") == 10000
    assert result.verdicts[1].outcome == Outcome.PENDING  # not final until finish()
    assert workflow.finish().verdicts[1].failure == Failure.THRESHOLD


def test_automatic_steps_wait_for_the_clock():
    device = ScriptedDevice()
    clock = Clock()
    workflow, _ = _ready(device, Stepping.AUTOMATIC, clock)
    workflow.start_trial(device, 0, 2, 1)
    assert workflow.seconds_to_next_step() == pytest.approx(2.0)
    assert workflow.tick(device).trials[-1].amplitude_ma == Decimal("0.5")  # not yet due
    clock.now += 2.0
    assert workflow.tick(device).trials[-1].amplitude_ma == Decimal("1.0")
    assert workflow.seconds_to_next_step() == pytest.approx(2.0)


def test_the_teams_reports_stop_at_once_and_name_the_amplitude():
    device = ScriptedDevice()
    workflow, observer = _ready(device)
    workflow.start_trial(device, 0, 2, 1)
    _steps_to(workflow, device, "2.5")
    observer.contraction_seen()
    result = workflow.tick(device)
    assert result.trials[-1].contraction_ma == Decimal("2.5")
    assert device.sent[-1] == ("stop", None)
    workflow.start_trial(device, 0, 2, 1, Purpose.MARGIN)
    _steps_to(workflow, device, "3.0")
    observer.contraction_seen()  # expected during a margin check: not a response
    observer.unwanted_seen(Unwanted.UNSPECIFIED)
    trial = workflow.tick(device).trials[-1]
    assert trial.end == TrialEnd.UNWANTED and trial.contraction_ma is None
    assert trial.threshold_ma == Decimal("2.5") and trial.target_ma == Decimal("4.0")
    named = workflow.name_unwanted(Unwanted.ABDOMINAL).trials[-1].unwanted
    assert [(u.kind, u.amplitude_ma) for u in named] == [(Unwanted.ABDOMINAL, Decimal("3.0"))]
    with pytest.raises(PlacementRefused, match="no unwanted response is waiting"):
        workflow.name_unwanted(Unwanted.LEG)
    verdict = workflow.finish().verdicts[0]
    assert verdict.failure == Failure.MARGIN
    assert "abdominal response at 3.0 mA, below 3.75 mA" in " ".join(verdict.reasons)


def test_reports_made_before_a_trial_do_not_carry_into_it():
    device = ScriptedDevice()
    workflow, observer = _ready(device)
    observer.contraction_seen()
    workflow.start_trial(device, 0, 2, 1)
    assert workflow.tick(device).active_trial is not None


def test_steps_out_of_order_are_refused_and_nothing_is_sent():
    device = ScriptedDevice()
    workflow = PlacementWorkflow(load_placement_profile(), OperatorObserver(),
                                 operator="nurse", clock=Clock())
    with pytest.raises(PlacementRefused, match="phase stimulation"):
        workflow.start_trial(device, 0, 2, 1)
    with pytest.raises(PlacementRefused, match="phase verdict"):
        workflow.sign_off(fluoroscopy_confirmed=False)
    workflow.identify(device)
    workflow.measure_impedance(device)
    with pytest.raises(PlacementRefused, match="no multifidus contraction recorded yet"):
        workflow.start_trial(device, 0, 2, 1, Purpose.MARGIN)
    workflow.start_trial(device, 0, 2, 1)
    with pytest.raises(PlacementRefused, match="is being stimulated"):
        workflow.start_trial(device, 1, 2, 1)
    with pytest.raises(PlacementRefused, match="while no pair is stimulated"):
        workflow.finish()
    assert [kind for kind, _ in device.sent] == ["set_time", "start"]
    assert workflow.snapshot().phase == Phase.STIMULATION
