"""The console's engine and the device's validation agree (properties over many programs).

* Nothing the engine lets through is refused by ``validate_program`` (the device's rules).
* Everything ``validate_program`` refuses is blocked by the engine first, or cannot even
  be represented as a console program.
* When the engine blocks on a device rule, the device would refuse that record too: the
  console does not invent device limits.

Programs are generated across and around every limit, including off-step values.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from console.programming.program import LeadProgram, NotRepresentable, Program
from console.safety import SafetyEngine, load_profile
from device_link.messages import Limits
from device_link.program_record import (
    LeadRecord,
    ProgramRecord,
    ProgramRejected,
    validate_program,
)

PROFILE = load_profile()
LIMITS = st.sampled_from([
    Limits(),
    Limits(pw_step_us=10, amp_step_ua=250),
    Limits(amp_max_ua=12000, max_charge_nc=3000, freq_min_hz=5, on_min_ds=20),
    # Shannon quiet on a large contact: the device's charge-per-phase rule binds.
    Limits(electrode_area_mm2_x100=60000),
    Limits(electrode_area_mm2_x100=60000, max_charge_nc=2000),
])
DEVICE_RULES = {
    "electrode_range", "electrodes_distinct", "amplitude_range", "amplitude_step",
    "pulse_width_range", "pulse_width_step", "charge_per_phase", "frequency_range",
    "ramp_up_range", "ramp_up_step", "ramp_down_range", "ramp_down_step", "on_range",
    "on_step", "on_includes_ramps", "off_range", "off_step", "session_range",
    "no_lead_enabled",
}

def _sometimes(draw, valid: st.SearchStrategy, edges: list) -> object:
    """Mostly a valid value, about one time in twenty a value at or across an edge."""
    return draw(st.sampled_from(edges)) if draw(st.integers(0, 19)) == 0 else draw(valid)


def _ma(ua: int | Decimal) -> Decimal:
    return Decimal(ua).scaleb(-3)


def _s(ds: int | Decimal) -> Decimal:
    return Decimal(ds).scaleb(-1)


@st.composite
def lead_programs(draw, limits: Limits) -> LeadProgram:
    electrodes = st.integers(0, 3)
    width = _sometimes(draw, st.integers(limits.pw_min_us, limits.pw_max_us)
                       .map(lambda pw: pw - pw % limits.pw_step_us or limits.pw_min_us),
                       [limits.pw_min_us - 1, limits.pw_max_us + 1, 0, limits.pw_min_us + 1,
                        limits.pw_max_us, limits.pw_min_us])
    step, top = limits.amp_step_ua, limits.amp_max_ua
    # Half the time a usual therapeutic amplitude, so Shannon's limit does not hide the rest.
    steps = st.one_of(st.integers(0, top // step), st.integers(0, min(top, 6000) // step)
                      ).map(lambda n: _ma(n * step))
    charge_edge = limits.max_charge_nc * 1000 // max(width, 1)
    on_step_charge_edge = charge_edge - charge_edge % step
    if draw(st.integers(0, 4)) == 0:  # just inside and just outside the charge per phase
        amplitude = draw(st.sampled_from([_ma(on_step_charge_edge),
                                          _ma(on_step_charge_edge + step)]))
    else:
        amplitude = _sometimes(draw, steps, [
            _ma(top), _ma(top + step), _ma(-step), _ma(step // 2), _ma(top - 1),
            Decimal("8.05"), Decimal("0.0001"), _ma(charge_edge), _ma(charge_edge + 1)])
    anode = _sometimes(draw, electrodes, [-1, 4, 5])
    others = st.integers(1, 3).map(lambda offset: (anode + offset) % 4)
    cathode = _sometimes(draw, others if 0 <= anode <= 3 else electrodes, [-1, 4, anode])
    return LeadProgram(draw(st.booleans()) or draw(st.booleans()), anode, cathode, amplitude,
                       width)


@st.composite
def cases(draw) -> tuple[Program, Limits]:
    limits = draw(LIMITS)

    def timing(low: int, high: int) -> Decimal:
        return _sometimes(draw, st.integers(low, high).map(_s), [
            _s(low), _s(high), _s(low - 1), _s(high + 1), _s(low) + Decimal("0.05"),
            _s(high) - Decimal("0.01"), Decimal(-1)])

    up = timing(0, limits.ramp_max_ds)
    down = timing(0, limits.ramp_max_ds)
    on = timing(limits.on_min_ds, limits.on_max_ds)
    if draw(st.integers(0, 3)) == 0:  # an on time near the sum of the ramps
        on = up + down + draw(st.sampled_from([Decimal("-0.1"), Decimal(0), Decimal("0.1")]))
    program = Program(
        (draw(lead_programs(limits)), draw(lead_programs(limits))),
        _sometimes(draw, st.integers(limits.freq_min_hz, limits.freq_max_hz),
                   [limits.freq_min_hz - 1, limits.freq_max_hz + 1, 0]),
        up, down, on, timing(limits.off_min_ds, limits.off_max_ds),
        _sometimes(draw, st.integers(limits.session_min_min, limits.session_max_min),
                   [limits.session_min_min - 1, limits.session_max_min + 1, -1]))
    return program, limits


def device_refuses(record: ProgramRecord, limits: Limits) -> bool:
    try:
        validate_program(record.encode(), limits)
    except ProgramRejected:
        return True
    return False


@settings(max_examples=500)
@given(cases())
def test_what_the_engine_allows_the_device_accepts(case):
    program, limits = case
    assessment = SafetyEngine(limits, PROFILE).check_program(program)
    if assessment.blocked:
        return
    record = program.to_record()  # never NotRepresentable once the engine allows it
    event("allowed")
    assert not device_refuses(record, limits), assessment.lines()


@settings(max_examples=500)
@given(cases())
def test_engine_device_blocks_match_device_refusals(case):
    program, limits = case
    assessment = SafetyEngine(limits, PROFILE).check_program(program)
    device_blocks = [f for f in assessment.blocks if f.rule in DEVICE_RULES]
    try:
        record = program.to_record()
    except NotRepresentable:
        assert device_blocks, "an unencodable program must be blocked on a device rule"
        return
    event(f"device blocks: {bool(device_blocks)}")
    assert bool(device_blocks) == device_refuses(record, limits), assessment.lines()


def perturbed(record: ProgramRecord, how: str) -> ProgramRecord:
    """Record defects a console program cannot express but a device must refuse."""
    left, right = record.leads
    if how == "reserved":
        return replace(record, reserved=1)
    if how == "lead reserved":
        return replace(record, leads=(replace(left, reserved=1), right))
    if how == "enabled 2":
        return replace(record, leads=(replace(left, enabled=2), right))
    if how == "disabled with values":
        return replace(record, leads=(LeadRecord(0, 1, 2, 1000, 200), right))
    return record


@settings(max_examples=500)
@given(cases(), st.sampled_from(["none"] * 6 + ["reserved", "lead reserved", "enabled 2",
                                                 "disabled with values"]))
def test_every_record_the_device_refuses_is_stopped_by_the_console(case, how):
    program, limits = case
    try:
        record = perturbed(program.to_record(), how)
    except NotRepresentable:
        return  # such a program is never encoded; the test above proves it is blocked
    if not device_refuses(record, limits):
        return
    try:
        restored = Program.from_record(record)
    except NotRepresentable:
        assert how != "none"
        return  # a record no console program can hold is never restored, so never sent
    assert SafetyEngine(limits, PROFILE).check_program(restored).blocked
