"""Preview maths: pulse shape, cycle envelope, session timeline and daily dose."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.programming.preview import (
    SESSIONS_PER_DAY,
    charge_per_phase_uc,
    cycle_envelope,
    duty_cycle,
    pulse_period_us,
    pulse_shape,
    session_timeline,
    stimulation_minutes_per_day,
)

D = Decimal


def area(time, value) -> Decimal:
    """Signed area under a piecewise-linear curve (trapezoids)."""
    return sum(((t1 - t0) * (v0 + v1) / 2 for t0, t1, v0, v1 in
                zip(time, time[1:], value, value[1:], strict=False)), D(0))


def test_pulse_is_biphasic_cathodic_first_and_charge_balanced():
    wave = pulse_shape(D("8.0"), 214)
    assert wave.time == (0, 0, 214, 214, 214, 214, 428, 428)
    assert wave.value == (0, D("-8.0"), D("-8.0"), 0, 0, D("8.0"), D("8.0"), 0)
    assert min(wave.value) == wave.value[1]  # the cathodic phase comes first
    assert area(wave.time, wave.value) == 0
    cathodic = area(wave.time[:4], wave.value[:4])
    assert -cathodic / 1000 == charge_per_phase_uc(D("8.0"), 214) == D("1.712")


def test_pulse_with_an_interphase_gap_is_to_scale():
    wave = pulse_shape(D("2.5"), 100, interphase_gap_us=20)
    assert wave.time == (0, 0, 100, 100, 120, 120, 220, 220)
    assert area(wave.time, wave.value) == 0
    assert list(wave.time) == sorted(wave.time)


@pytest.mark.parametrize(("width", "gap"), [(0, 0), (-5, 0), (100, -1)])
def test_pulse_shape_refuses_impossible_timing(width, gap):
    with pytest.raises(ValueError):
        pulse_shape(D(1), width, gap)


def test_pulse_period():
    assert pulse_period_us(20) == D(50000)
    assert pulse_period_us(50) == D(20000)
    assert pulse_period_us(3) == pytest.approx(D(1_000_000) / 3)
    with pytest.raises(ValueError):
        pulse_period_us(0)


def test_cycle_envelope_has_its_ramps_inside_the_on_time():
    wave = cycle_envelope(D("1.0"), D("1.5"), D("10.0"), D("20.0"), D("8.0"))
    assert wave.time == (0, D("1.0"), D("8.5"), D("10.0"), D("30.0"))
    assert wave.value == (0, D("8.0"), D("8.0"), 0, 0)
    # ramps count at half level: 1.0/2 + 7.5 + 1.5/2 = 8.75 s at full amplitude
    assert area(wave.time, wave.value) == D("8.0") * D("8.75")


def test_cycle_envelope_without_ramps_is_a_square_wave():
    wave = cycle_envelope(D(0), D(0), D(5), D(5))
    assert wave.time == (0, 0, 5, 5, 10)
    assert wave.value == (0, 1, 1, 0, 0)


def test_cycle_envelope_refuses_ramps_longer_than_the_on_time():
    with pytest.raises(ValueError):
        cycle_envelope(D(3), D(3), D(5), D(5))


def test_session_timeline_of_whole_cycles():
    timeline = session_timeline(D("10.0"), D("20.0"), 30)
    assert timeline.session_s == 1800
    assert timeline.cycle_s == 30
    assert (timeline.cycles_complete, timeline.cycles_started) == (60, 60)
    assert timeline.on_time_s == 600


def test_session_timeline_cut_short_by_the_session_end():
    # 60 s of 11 s cycles: five complete (55 s), the sixth starts and runs 5 of its 7 s on
    timeline = session_timeline(D(7), D(4), 1)
    assert (timeline.cycles_complete, timeline.cycles_started) == (5, 6)
    assert timeline.on_time_s == 5 * 7 + 5
    timeline = session_timeline(D(7), D(4), 2)  # 120 s: ten complete (110 s), then 7 s on
    assert timeline.on_time_s == 10 * 7 + 7


def test_session_timeline_refuses_an_empty_cycle():
    with pytest.raises(ValueError):
        session_timeline(D(0), D(0), 30)


@pytest.mark.parametrize(("amplitude", "width", "charge"), [
    ("10.0", 214, "2.14"), ("14.0", 214, "2.996"), ("0.1", 50, "0.005"), ("25.0", 240, "6")])
def test_charge_per_phase(amplitude, width, charge):
    assert charge_per_phase_uc(D(amplitude), width) == D(charge)


def test_duty_cycle():
    assert duty_cycle(D(10), D(30)) == D("0.25")
    assert duty_cycle(D(10), D(20)) == pytest.approx(D(1) / 3)
    assert duty_cycle(D(5), D(0)) == 1
    with pytest.raises(ValueError):
        duty_cycle(D(0), D(0))


def test_minutes_of_stimulation_per_day_with_two_sessions():
    assert SESSIONS_PER_DAY == 2
    # 30 min at a third duty: 10 min on per session, 20 per day
    assert stimulation_minutes_per_day(D(10), D(20), 30) == 20
    assert stimulation_minutes_per_day(D(7), D(4), 1) == D(40 * 2) / 60
    assert stimulation_minutes_per_day(D(10), D(20), 30, sessions_per_day=1) == 10
