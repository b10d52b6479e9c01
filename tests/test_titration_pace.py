"""Titration pace: increases at least the clinic's interval apart, decreases never limited.

The clock is a manual one: every test moves time by hand and none waits in real time.
The same pace holds the placement test's steps, automatic or the operator's.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from console.placement import (
    OperatorObserver,
    PlacementRefused,
    PlacementWorkflow,
    Stepping,
    load_placement_profile,
)
from console.programming.program import TestStimulus
from console.safety import SafetyEngine, parse_profile
from console.safety.profile import SAFETY_PROFILE
from console.safety.titration_pace import TitrationPace
from tests.test_placement_rules import ScriptedDevice
from tests.test_placement_workflow import ManualClock

D = Decimal


def stimulus(amplitude: str) -> TestStimulus:
    return TestStimulus(0, 1, 2, 20, 214, D(amplitude), 60)


def profile_with_interval(seconds: str):
    text = SAFETY_PROFILE.shipped_text().replace("min_interval_s = 1.0",
                                                 f"min_interval_s = {seconds}")
    return parse_profile(text, "test profile")


def sent(pace: TitrationPace, before: str, after: str) -> None:
    """Check, then send, one change as every caller does."""
    assert not pace.check(stimulus(before), stimulus(after)).blocked
    pace.sent(stimulus(before), stimulus(after))


def test_an_increase_sooner_than_the_interval_is_refused_saying_when_the_next_may_go():
    clock = ManualClock()
    pace = TitrationPace(D("1.0"), clock)
    sent(pace, "0.5", "1.0")
    clock.advance(0.3)

    assessment = pace.check(stimulus("1.0"), stimulus("1.5"))

    (finding,) = assessment.blocks
    assert (finding.rule, finding.field, finding.value, finding.limit, finding.unit) == (
        "titration_pace", "amplitude_ma", D("0.300"), D("1.0"), "s")
    assert finding.message == (
        "Left test amplitude 1.0 → 1.5 mA comes 0.3 s after the last increase: increases "
        "are at least 1.0 s apart so that the response to each step can be seen; the next "
        "increase is allowed in 0.7 s.")
    clock.advance(0.7)
    assert not pace.check(stimulus("1.0"), stimulus("1.5")).blocked


def test_six_quick_increases_let_only_the_first_through():
    clock = ManualClock()
    pace = TitrationPace(D("1.0"), clock)
    amplitude, through = D("0.5"), []
    for _ in range(6):
        requested = amplitude + D("0.5")
        if not pace.check(stimulus(str(amplitude)), stimulus(str(requested))).blocked:
            pace.sent(stimulus(str(amplitude)), stimulus(str(requested)))
            amplitude = requested
            through.append(requested)
        clock.advance(0.04)
    assert through == [D("1.0")]


def test_decreases_are_never_limited_and_do_not_restart_the_interval():
    clock = ManualClock()
    pace = TitrationPace(D("1.0"), clock)
    sent(pace, "2.5", "3.0")
    sent(pace, "3.0", "0.5")  # at once: lowering is always allowed …
    sent(pace, "0.5", "0.0")
    assert pace.check(stimulus("0.0"), stimulus("0.5")).blocked  # … and is no new start
    clock.advance(1.0)
    assert not pace.check(stimulus("0.0"), stimulus("0.5")).blocked


def test_the_interval_counts_from_the_increase_sent_not_from_the_check():
    clock = ManualClock()
    pace = TitrationPace(D("1.0"), clock)
    assert not pace.check(stimulus("0.5"), stimulus("1.0")).blocked
    clock.advance(5.0)  # checked, then sent much later (a busy device thread)
    pace.sent(stimulus("0.5"), stimulus("1.0"))
    clock.advance(0.9)
    assert pace.check(stimulus("1.0"), stimulus("1.5")).blocked
    assert pace.allowed_at() == pytest.approx(clock.now + 0.1)


def test_the_interval_is_the_clinic_profiles():
    engine = SafetyEngine(profile=profile_with_interval("2.5"))
    assert engine.titration.min_interval_s == D("2.5")
    clock = ManualClock()
    pace = engine.titration.pace(clock)
    sent(pace, "0.5", "1.0")
    clock.advance(2.4)
    assert pace.check(stimulus("1.0"), stimulus("1.5")).blocks[0].limit == D("2.5")
    assert SafetyEngine().titration.min_interval_s == D("1.0")  # the shipped profile


@pytest.mark.parametrize(("every", "refused"), [
    ("0.000001", "is shorter than the shortest interval between increases, 1.0 s"),
    ("0", "is shorter than the shortest interval between increases, 1.0 s"),
    ("-2", "is shorter than the shortest interval between increases, 1.0 s"),
    ("nan", "is not a number of seconds"),
    ("inf", "is not a number of seconds"),
    ("1.0", None),
    ("2", None),
])
def test_a_schedule_faster_than_the_interval_is_refused(every, refused):
    problem = TitrationPace(D("1.0")).schedule_refusal(D(every))
    assert problem == refused if refused is None else problem.startswith(refused)


# -- the placement test keeps the same pace ----------------------------------------------------


def _placement(stepping: Stepping, step_interval_s: str, clock: ManualClock):
    device = ScriptedDevice()
    profile = dataclasses.replace(load_placement_profile(), step_interval_s=D(step_interval_s))
    workflow = PlacementWorkflow(profile, OperatorObserver(), operator="nurse",
                                 stepping=stepping, clock=clock)
    workflow.identify(device)
    workflow.measure_impedance(device)
    workflow.start_trial(device, 0, 2, 1)
    return workflow, device


def _adjusts(device: ScriptedDevice) -> list[object]:
    return [amp for kind, amp in device.sent if kind == "adjust"]


def test_the_shipped_placement_schedule_is_slower_than_the_interval():
    assert load_placement_profile().step_interval_s >= SafetyEngine().titration.min_interval_s
    clock = ManualClock()
    workflow, device = _placement(Stepping.AUTOMATIC, "2.0", clock)
    for _ in range(3):
        clock.advance(workflow.seconds_to_next_step() or 0.0)
        workflow.tick(device)
    assert workflow.seconds_to_next_step() == pytest.approx(2.0)
    assert _adjusts(device) == [1000, 1500, 2000]


def test_a_faster_placement_schedule_waits_for_the_interval():
    clock = ManualClock()
    workflow, device = _placement(Stepping.AUTOMATIC, "0.05", clock)
    clock.advance(0.05)
    workflow.tick(device)
    assert _adjusts(device) == []  # the start was the last increase
    assert workflow.seconds_to_next_step() == pytest.approx(0.95)
    clock.advance(0.95)
    workflow.tick(device)
    assert _adjusts(device) == [1000]
    assert workflow.seconds_to_next_step() == pytest.approx(1.0)  # not 0.05
    clock.advance(0.5)
    workflow.tick(device)
    assert _adjusts(device) == [1000]
    clock.advance(0.5)
    workflow.tick(device)
    assert _adjusts(device) == [1000, 1500]


def test_an_operators_step_up_sooner_than_the_interval_is_refused_and_not_sent():
    clock = ManualClock()
    workflow, device = _placement(Stepping.MANUAL, "2.0", clock)
    with pytest.raises(PlacementRefused, match=r"next increase is allowed in 1\.0 s"):
        workflow.step_up(device)  # at once: the start was the last increase
    clock.advance(1.0)
    workflow.step_up(device)
    clock.advance(0.2)
    with pytest.raises(PlacementRefused, match=r"next increase is allowed in 0\.8 s"):
        workflow.step_up(device)
    assert _adjusts(device) == [1000]
    assert workflow.snapshot().active_trial is not None  # still stimulating, at 1.0 mA
    clock.advance(0.8)
    assert workflow.step_up(device).trials[-1].amplitude_ma == D("1.5")
