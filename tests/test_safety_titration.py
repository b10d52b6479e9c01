"""Test stimulation: start limit, titration step, locked settings, duration, per-lead rules."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from console.programming.program import TestStimulus
from console.safety import Assessment, SafetyEngine, SafetyRefusal, Severity, parse_profile
from console.safety.profile import SAFETY_PROFILE
from device_link.messages import Limits, TestStimStart

D = Decimal
BLOCK = Severity.BLOCK


def profile_with(start: str = "0.5", step: str = "0.5"):
    text = (SAFETY_PROFILE.shipped_text().replace("start_ma = 0.5", f"start_ma = {start}")
            .replace("step_ma = 0.5", f"step_ma = {step}"))
    return parse_profile(text, "test profile")


def engine(start: str = "0.5", step: str = "0.5", limits: Limits | None = None) -> SafetyEngine:
    return SafetyEngine(limits or Limits(), profile_with(start, step))


def stimulus(amplitude: str = "0.5", **changes) -> TestStimulus:
    base = TestStimulus(0, 1, 2, 20, 214, D(amplitude), 60)
    return dataclasses.replace(base, **changes)


def rules(assessment: Assessment, severity: Severity = BLOCK) -> list[str]:
    return [finding.rule for finding in assessment.findings if finding.severity is severity]


@pytest.mark.parametrize(("start", "amplitude", "blocked"), [
    ("0.5", "0.5", False),   # clinic start 0.5 mA binds (device allows 1.0 mA)
    ("0.5", "0.6", True),
    ("0.5", "0.0", False),
    ("2.0", "1.0", False),   # device start 1.0 mA binds
    ("2.0", "1.1", True),
])
def test_start_at_or_below_the_lower_start_limit(start, amplitude, blocked):
    assessment = engine(start=start).check_test_start(stimulus(amplitude), {0: 650})
    assert ("test_start" in rules(assessment)) is blocked
    assert assessment.blocked is blocked


def test_start_limit_message_names_both_limits():
    assessment = engine().check_test_start(stimulus("0.8"), {0: 650})
    assert assessment.blocks[0].message == (
        "Left test amplitude 0.8 mA is above the starting limit 0.5 mA (device 1.0 mA, "
        "clinic 0.5 mA): start at or below 0.5 mA and titrate up.")
    assert assessment.blocks[0].field == "amplitude_ma"


@pytest.mark.parametrize(("step", "current", "requested", "blocked"), [
    ("0.5", "1.0", "1.5", False),   # clinic step 0.5 mA
    ("0.5", "1.0", "1.6", True),
    ("0.5", "1.0", "1.1", False),
    ("2.0", "1.0", "2.0", False),   # device step 1.0 mA binds
    ("2.0", "1.0", "2.1", True),
    ("0.5", "5.0", "0.0", False),   # decreases of any size
    ("0.5", "1.0", "1.0", False),
])
def test_each_increase_at_most_one_step(step, current, requested, blocked):
    assessment = engine(step=step).check_adjustment(stimulus(current), stimulus(requested),
                                                 impedances={0: 650})
    assert ("titration_step" in rules(assessment)) is blocked
    assert assessment.blocked is blocked


def test_too_large_a_step_names_the_highest_amplitude_allowed_now():
    rules_ = engine().titration
    assert rules_.step_max_ma == D("0.5")
    assert rules_.highest_allowed_now(stimulus("1.0")) == D("1.5")
    assessment = engine().check_adjustment(stimulus("1.0"), stimulus("2.5"), impedances={0: 650})
    (finding,) = assessment.blocks
    assert finding.limit == D("1.5") and finding.value == D("2.5")
    assert finding.message == ("Left test amplitude 1.0 → 2.5 mA rises by 1.5 mA, more than one "
                               "titration step of 0.5 mA: the highest amplitude allowed now is "
                               "1.5 mA.")


@pytest.mark.parametrize(("field", "value"), [
    ("lead", 1), ("anode", 0), ("cathode", 3), ("frequency_hz", 30), ("pulse_width_us", 300),
    ("duration_s", 90)])
def test_only_the_amplitude_moves_while_stimulation_runs(field, value):
    current = stimulus("1.0")
    requested = dataclasses.replace(current, **{field: value})
    assessment = engine().check_adjustment(current, requested, impedances={0: 650, 1: 650})
    locked = [f for f in assessment.blocks if f.rule == "locked_while_running"]
    assert [(f.field, f.value, f.limit) for f in locked] == [(field, value, getattr(current,
                                                                                     field))]
    assert "stop the test to change it" in locked[0].message


def test_changing_electrodes_sets_the_amplitude_to_zero():
    titration = engine().titration
    moved = titration.change_electrodes(stimulus("3.0"), 0, 3)
    assert (moved.anode, moved.cathode, moved.amplitude_ma) == (0, 3, D(0))
    other_lead = titration.change_electrodes(stimulus("3.0"), 1, 2, lead=1)
    assert (other_lead.lead, other_lead.amplitude_ma) == (1, D(0))
    assert not engine().check_adjustment(stimulus("3.0"), moved, running=False,
                                         impedances={0: 650}).blocked


def test_other_electrodes_with_the_old_amplitude_are_refused():
    current = stimulus("0.5")
    requested = dataclasses.replace(current, cathode=3)
    assessment = engine().check_adjustment(current, requested, running=False, impedances={0: 650})
    assert rules(assessment) == ["electrodes_reset_amplitude"]
    same_electrodes = dataclasses.replace(current, pulse_width_us=300)
    assert not engine().check_adjustment(current, same_electrodes, running=False,
                                         impedances={0: 650}).blocked


def test_setting_up_applies_the_start_rule_not_the_step_rule():
    assessment = engine().check_adjustment(stimulus("0.0"), stimulus("0.6"), running=False,
                                        impedances={0: 650})
    assert rules(assessment) == ["test_start"]


@pytest.mark.parametrize(("duration", "blocked"), [(1, False), (0, True), (120, False),
                                                   (121, True)])
def test_duration_within_limits(duration, blocked):
    assessment = engine().check_test_start(stimulus(duration_s=duration), {0: 650})
    assert ("duration_range" in rules(assessment)) is blocked


@pytest.mark.parametrize(("changes", "rule"), [
    ({"lead": 2}, "lead_range"),
    ({"anode": 4}, "electrode_range"),
    ({"anode": 2}, "electrodes_distinct"),
    ({"frequency_hz": 51}, "frequency_range"),
    ({"pulse_width_us": 49}, "pulse_width_range"),
    ({"amplitude_ma": D("0.45")}, "amplitude_step"),
])
def test_a_test_stimulus_obeys_the_device_limits(changes, rule):
    assessment = engine().check_test_start(stimulus(**changes), {0: 650})
    assert rule in rules(assessment)


def test_titration_cannot_climb_past_the_shannon_limit_or_an_open_pair():
    titration_engine = engine(step="1.0")
    assessment = titration_engine.check_adjustment(stimulus("13.0"), stimulus("14.0"),
                                                impedances={0: 650})
    assert rules(assessment) == ["shannon_k"]
    assessment = titration_engine.check_test_start(stimulus("0.5"), {0: None})
    assert rules(assessment) == ["impedance_open"]


def test_approvals_return_exactly_what_is_sent():
    eng = engine()
    start = stimulus("0.5")
    assert eng.approve_test_start(start, impedances={0: 650}) == TestStimStart(
        0, 1, 2, 20, 214, 500, 60)
    assert eng.approve_adjustment(start, stimulus("1.0"), impedances={0: 650}) == 1000
    with pytest.raises(SafetyRefusal, match="titration step"):
        eng.approve_adjustment(start, stimulus("1.1"), impedances={0: 650})
    with pytest.raises(SafetyRefusal, match="starting limit"):
        eng.approve_test_start(stimulus("0.6"), impedances={0: 650})
