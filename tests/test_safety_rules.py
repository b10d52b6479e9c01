"""Every program rule of the safety engine at, just below and just above its limit.

Expected figures are computed here independently (floats, math.log10), not with the
engine's own helpers.
"""

from __future__ import annotations

import dataclasses
import math
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from console.programming.program import LeadProgram, Program
from console.safety import (
    Assessment,
    LimitsError,
    SafetyEngine,
    SafetyRefusal,
    Severity,
    load_profile,
)
from device_link.messages import Limits

D = Decimal
PROFILE = load_profile()
GOOD_OHMS = {0: 650, 1: 700}


def lead(amplitude: str = "4.0", width: int = 214, anode: int = 1, cathode: int = 2,
         enabled: bool = True) -> LeadProgram:
    return LeadProgram(enabled, anode, cathode, D(amplitude), width)


def program(left: LeadProgram | None = None, right: LeadProgram | None = None,
            **timing) -> Program:
    base = Program((left or lead(), right or lead("3.0", 214, 0, 3)), 20, D("1.0"), D("1.0"),
                   D("10.0"), D("20.0"), 30)
    return dataclasses.replace(base, **timing)


def verdict_of(prog: Program, limits: Limits | None = None, ohms=GOOD_OHMS) -> Assessment:
    return SafetyEngine(limits, PROFILE).check_program(prog, ohms)


def severity_of(assessment: Assessment, rule: str) -> Severity | None:
    found = {finding.severity for finding in assessment.findings if finding.rule == rule}
    assert len(found) <= 1
    return found.pop() if found else None


def test_the_sample_program_is_clear():
    assessment = verdict_of(program())
    assert assessment.findings == ()
    assert assessment.clear and not assessment.blocked and not assessment.needs_confirmation


BLOCK, CONFIRM, INFO = Severity.BLOCK, Severity.CONFIRM, Severity.INFO

# (case, program, rule, expected severity or None when the rule must stay silent)
DEVICE_CASES = [
    # amplitude 0..25 mA in 0.1 mA steps (at 50 µs so charge rules stay quiet)
    ("amp at max", program(lead("25.0", 50)), "amplitude_range", None),
    ("amp above max", program(lead("25.1", 50)), "amplitude_range", BLOCK),
    ("amp just above max", program(lead("25.001", 50)), "amplitude_range", BLOCK),
    ("amp zero", program(lead("0.0")), "amplitude_range", None),
    ("amp negative", program(lead("-0.1")), "amplitude_range", BLOCK),
    ("amp on step", program(lead("8.1")), "amplitude_step", None),
    ("amp off step", program(lead("8.05")), "amplitude_step", BLOCK),
    ("amp sub-µA", program(lead("8.0001")), "amplitude_step", BLOCK),
    # pulse width 50..500 µs
    ("pw at min", program(lead("4.0", 50)), "pulse_width_range", None),
    ("pw below min", program(lead("4.0", 49)), "pulse_width_range", BLOCK),
    ("pw at max", program(lead("1.0", 500)), "pulse_width_range", None),
    ("pw above max", program(lead("1.0", 501)), "pulse_width_range", BLOCK),
    # electrodes 0..3, distinct
    ("anode 3", program(lead(anode=3)), "electrode_range", None),
    ("anode 4", program(lead(anode=4)), "electrode_range", BLOCK),
    ("cathode -1", program(lead(cathode=-1)), "electrode_range", BLOCK),
    ("same electrodes", program(lead(anode=2, cathode=2)), "electrodes_distinct", BLOCK),
    # frequency 1..50 Hz
    ("freq 1", program(frequency_hz=1), "frequency_range", None),
    ("freq 0", program(frequency_hz=0), "frequency_range", BLOCK),
    ("freq 50", program(frequency_hz=50), "frequency_range", None),
    ("freq 51", program(frequency_hz=51), "frequency_range", BLOCK),
    # ramps 0..5.0 s in 0.1 s
    ("ramp up 5.0", program(ramp_up_s=D("5.0")), "ramp_up_range", None),
    ("ramp up 5.1", program(ramp_up_s=D("5.1")), "ramp_up_range", BLOCK),
    ("ramp up 0", program(ramp_up_s=D("0")), "ramp_up_range", None),
    ("ramp up -0.1", program(ramp_up_s=D("-0.1")), "ramp_up_range", BLOCK),
    ("ramp up 1.25", program(ramp_up_s=D("1.25")), "ramp_up_step", BLOCK),
    ("ramp down 5.0", program(ramp_down_s=D("5.0")), "ramp_down_range", None),
    ("ramp down 5.1", program(ramp_down_s=D("5.1")), "ramp_down_range", BLOCK),
    # on time 1.0..60.0 s, and at least the ramps
    ("on 1.0", program(on_s=D("1.0"), ramp_up_s=D(0), ramp_down_s=D(0)), "on_range", None),
    ("on 0.9", program(on_s=D("0.9"), ramp_up_s=D(0), ramp_down_s=D(0)), "on_range", BLOCK),
    ("on 60.0", program(on_s=D("60.0")), "on_range", None),
    ("on 60.1", program(on_s=D("60.1")), "on_range", BLOCK),
    ("on 10.05", program(on_s=D("10.05")), "on_step", BLOCK),
    ("on = ramps", program(on_s=D("2.0")), "on_includes_ramps", None),
    ("on < ramps", program(on_s=D("1.9"), ramp_up_s=D("1.0")), "on_includes_ramps", BLOCK),
    # off time 1.0..120.0 s
    ("off 1.0", program(off_s=D("1.0")), "off_range", None),
    ("off 0.9", program(off_s=D("0.9")), "off_range", BLOCK),
    ("off 120.0", program(off_s=D("120.0")), "off_range", None),
    ("off 120.1", program(off_s=D("120.1")), "off_range", BLOCK),
    # session 1..60 min
    ("session 1", program(session_min=1), "session_range", None),
    ("session 0", program(session_min=0), "session_range", BLOCK),
    ("session 60", program(session_min=60), "session_range", None),
    ("session 61", program(session_min=61), "session_range", BLOCK),
    # at least one lead
    ("one lead", program(right=LeadProgram.off()), "no_lead_enabled", None),
    ("no lead", program(LeadProgram.off(), LeadProgram.off()), "no_lead_enabled", BLOCK),
]


@pytest.mark.parametrize(("case", "prog", "rule", "expected"), DEVICE_CASES,
                         ids=[case[0] for case in DEVICE_CASES])
def test_device_limits(case, prog, rule, expected):
    assessment = verdict_of(prog)
    assert severity_of(assessment, rule) is expected, assessment.lines()
    assert assessment.blocked is (expected is BLOCK) or expected is None


# A contact so large that Shannon's k stays low: the device's own charge limit binds.
BIG_CONTACT = Limits(electrode_area_mm2_x100=60000)


@pytest.mark.parametrize(("amplitude", "width", "blocked"), [
    ("12.0", 500, False),   # 12 mA × 500 µs = 6000 nC, the limit itself
    ("12.1", 500, True),    # 6050 nC
    ("24.0", 250, False),   # 6000 nC
    ("24.1", 250, True),
])
def test_device_charge_per_phase(amplitude, width, blocked):
    nanocoulombs = float(amplitude) * width
    assert (nanocoulombs > 6000) is blocked
    assessment = verdict_of(program(lead(amplitude, width), LeadProgram.off()), BIG_CONTACT)
    assert (severity_of(assessment, "charge_per_phase") is BLOCK) is blocked
    if blocked:
        finding = assessment.for_field("left.amplitude_ma")[0]
        assert finding.rule == "charge_per_phase"
        assert finding.limit == D("6.0") and finding.unit == "µC"
        assert f"at {width} µs the amplitude may be at most {6000 / width:.1f} mA" \
            in finding.message


def shannon(amplitude_ma: float, width_us: int, area_mm2: float) -> tuple[float, float, float]:
    charge = amplitude_ma * width_us / 1000
    density = charge / (area_mm2 / 100)
    return charge, density, math.log10(charge) + math.log10(density)


def test_the_reference_contact_at_10_ma_is_allowed():
    charge, density, k = shannon(10.0, 214, 12.25)
    assert charge == pytest.approx(2.14)
    assert density == pytest.approx(17.5, abs=0.05)
    assert k == pytest.approx(1.57, abs=0.005)
    assessment = verdict_of(program(lead("10.0"), LeadProgram.off()))
    assert severity_of(assessment, "shannon_k") is None
    assert severity_of(assessment, "charge_density") is None
    assert not assessment.blocked


def test_the_reference_contact_at_14_ma_is_blocked_with_both_figures():
    charge, density, k = shannon(14.0, 214, 12.25)
    assert k == pytest.approx(1.86, abs=0.01)
    assessment = verdict_of(program(lead("14.0"), LeadProgram.off()))
    (finding,) = [f for f in assessment.blocks if f.rule == "shannon_k"]
    assert finding.field == "left.amplitude_ma"
    assert finding.value == D(f"{k:.3f}")
    assert finding.limit == D("1.85")
    assert f"k = {k:.3f}" in finding.message
    assert f"Q = {charge:.2f} µC" in finding.message
    assert f"D = {density:.1f} µC/cm²" in finding.message
    assert "12.25 mm²" in finding.message


@pytest.mark.parametrize(("amplitude", "width"), [
    ("13.7", 214), ("13.8", 214), ("6.0", 500), ("5.9", 500), ("25.0", 100), ("20.0", 150)])
def test_shannon_k_decides_at_1_85(amplitude, width):
    _, _, k = shannon(float(amplitude), width, 12.25)
    assessment = verdict_of(program(lead(amplitude, width), LeadProgram.off()), ohms={0: 300})
    assert (severity_of(assessment, "shannon_k") is BLOCK) is (k >= 1.85), (k, assessment.lines())


def test_shannon_block_names_the_highest_amplitude_allowed():
    # sqrt(10**1.85 × 0.1225 cm²) = 2.945 µC; at 214 µs that is 13.76 mA → 13.7 mA on step
    limit_ma = math.sqrt(10**1.85 * 0.1225) / 214 * 1000
    assert 13.7 < limit_ma < 13.8
    assessment = verdict_of(program(lead("14.0"), LeadProgram.off()))
    assert "at 214 µs use at most 13.7 mA" in assessment.blocks[0].message


SMALL_CONTACT = Limits(electrode_area_mm2_x100=500)  # 5 mm²: density binds before k


@pytest.mark.parametrize(("amplitude", "rule", "expected"), [
    ("10.0", "charge_density", None),       # 1.5 µC on 0.05 cm² = 30.0 µC/cm² exactly
    ("10.1", "charge_density", CONFIRM),    # 30.3 µC/cm², k = 1.66
    ("12.5", "charge_density", CONFIRM),    # k = 1.848
    ("12.6", "shannon_k", BLOCK),           # k = 1.855, the block replaces the confirmation
    ("12.6", "charge_density", None),
])
def test_charge_density_needs_confirmation_above_30(amplitude, rule, expected):
    charge, density, k = shannon(float(amplitude), 150, 5.0)
    if expected is CONFIRM:
        assert density > 30 and k < 1.85
    assessment = verdict_of(program(lead(amplitude, 150), LeadProgram.off()), SMALL_CONTACT,
                         ohms={0: 300})
    assert severity_of(assessment, rule) is expected, assessment.lines()
    if expected is not None:
        message = next(f.message for f in assessment.findings if f.rule == rule)
        assert f"D = {density:.1f} µC/cm²" in message
        assert f"k = {k:.3f}" in message
        exact_charge = D(amplitude) * 150 / 1000  # exact; ties round to even, as 1.515 → 1.52
        assert f"Q = {exact_charge.quantize(D('0.01'), ROUND_HALF_EVEN)} µC" in message
        assert float(exact_charge) == pytest.approx(charge)


@pytest.mark.parametrize(("amplitude", "expected"), [
    ("10.0", None), ("10.1", CONFIRM), ("9.9", None)])
def test_soft_maximum(amplitude, expected):
    assessment = verdict_of(program(lead(amplitude, 50), LeadProgram.off()))
    assert severity_of(assessment, "soft_maximum") is expected


@pytest.mark.parametrize(("amplitude", "ohms", "expected"), [
    ("7.5", 2000, None),       # 7.5 mA × 2000 Ω = 15.0 V, the compliance itself
    ("7.6", 2000, CONFIRM),    # 15.2 V
    ("5.0", 3000, None),       # 15.0 V
    ("5.1", 3000, CONFIRM),
    ("0.0", 3000, None),
])
def test_compliance(amplitude, ohms, expected):
    assert (float(amplitude) * ohms / 1000 > 15.0) is (expected is CONFIRM)
    assessment = verdict_of(program(lead(amplitude, 100), LeadProgram.off()), ohms={0: ohms})
    assert severity_of(assessment, "compliance") is expected


def test_compliance_says_how_much_current_the_patient_would_miss():
    assessment = verdict_of(program(lead("7.6", 100), LeadProgram.off()), ohms={0: 2000})
    (finding,) = assessment.confirmations
    delivered = 15.0 / 2000 * 1000
    assert finding.value == D("15.20") and finding.limit == D("15.0") and finding.unit == "V"
    assert f"about {delivered:.2f} mA, {7.6 - delivered:.2f} mA less than set" in \
        finding.message
    assert "2000 Ω" in finding.message and "15.2 V" in finding.message


@pytest.mark.parametrize(("ohms", "rule", "expected"), [
    (None, "impedance_open", BLOCK),
    (10001, "impedance_open", BLOCK),
    (10000, "impedance_open", None),
    (10000, "impedance_range", CONFIRM),
    (3001, "impedance_range", CONFIRM),
    (3000, "impedance_range", None),
    (200, "impedance_range", None),
    (199, "impedance_range", CONFIRM),
    (50, "impedance_range", CONFIRM),
    (50, "impedance_shorted", None),
    (49, "impedance_shorted", BLOCK),
    (0, "impedance_shorted", BLOCK),
])
def test_pair_impedance(ohms, rule, expected):
    assessment = verdict_of(program(lead("0.5"), LeadProgram.off()), ohms={0: ohms})
    assert severity_of(assessment, rule) is expected, assessment.lines()


def test_open_pair_message_names_the_pair():
    assessment = verdict_of(program(lead("0.5"), LeadProgram.off()), ohms={0: None})
    (finding,) = assessment.blocks
    assert finding.field == "left.cathode" and finding.value is None
    assert finding.message.startswith("Left E1–E2: no impedance reading, open circuit")


def test_unmeasured_pairs_are_reported_not_assumed():
    assessment = verdict_of(program(), ohms={1: 700})
    assert [(f.rule, f.field, f.severity) for f in assessment.findings] == [
        ("impedance_unknown", "left.cathode", INFO)]
    assert assessment.clear
    assert len(verdict_of(program(), ohms=None).infos) == 2


def test_a_disabled_lead_is_not_judged_but_its_dropped_settings_are_mentioned():
    parked = LeadProgram(False, 2, 2, D("99.95"), 9999)
    assessment = verdict_of(program(right=parked), ohms={0: 650})
    assert not assessment.blocked
    (finding,) = assessment.findings
    assert finding.rule == "lead_off" and finding.severity is INFO
    assert finding.field == "right.enabled"
    assert verdict_of(program(right=LeadProgram.off()), ohms={0: 650}).findings == ()


def test_zero_amplitude_on_an_enabled_lead_is_information():
    assessment = verdict_of(program(lead("0.0")))
    assert [(f.rule, f.severity) for f in assessment.findings] == [("zero_amplitude", INFO)]


@pytest.mark.parametrize(("changes", "message"), [
    ({"left": lead("8.05")},
     "Left amplitude 8.05 mA is not a multiple of the device step 0.1 mA: use 8.0 or 8.1 mA."),
    ({"left": lead("0.05")},
     "Left amplitude 0.05 mA is not a multiple of the device step 0.1 mA: use 0.0 or 0.1 mA."),
    ({"left": lead("25.1", 50)},
     "Left amplitude 25.1 mA is above the device maximum 25.0 mA."),
    ({"right": lead("-1.0")},
     "Right amplitude -1.0 mA is negative: the device allows 0.0 to 25.0 mA."),
    ({"ramp_up_s": D("1.25")},
     "Ramp up 1.25 s is not a multiple of the device step 0.1 s: use 1.2 or 1.3 s."),
    ({"on_s": D("0.5"), "ramp_up_s": D(0), "ramp_down_s": D(0)},
     "On time 0.5 s is below the device minimum 1.0 s: the device allows 1.0 to 60.0 s."),
    ({"on_s": D("1.5")},
     "On time 1.5 s is shorter than its ramps (1.0 s up + 1.0 s down = 2.0 s): the on time "
     "includes both ramps."),
    ({"frequency_hz": 51}, "Frequency 51 Hz is above the device maximum 50 Hz."),
    ({"left": lead(anode=4)},
     "Left anode electrode 4 does not exist: electrodes are numbered 0 (tip) to 3."),
    ({"left": LeadProgram.off(), "right": LeadProgram.off()},
     "Both leads are off: enable at least one lead."),
])
def test_messages_give_value_limit_and_unit(changes, message):
    left, right = changes.pop("left", None), changes.pop("right", None)
    assessment = verdict_of(program(left, right, **changes))
    assert message in [finding.message for finding in assessment.blocks]


def test_off_step_pulse_width_names_the_neighbours():
    limits = Limits(pw_step_us=10)
    assessment = verdict_of(program(lead("4.0", 215)), limits)
    assert assessment.blocks[0].message == ("Left pulse width 215 µs is not a multiple of the "
                                         "device step 10 µs: use 210 or 220 µs.")


def test_findings_are_ordered_blocks_first_and_deterministic():
    prog = program(lead("12.0", 50), lead("8.05", 214, 2, 2), ramp_up_s=D("1.25"))
    first = verdict_of(prog, ohms={0: 2000})
    severities = [finding.severity for finding in first.findings]
    assert severities == sorted(severities, key=[BLOCK, CONFIRM, INFO].index)
    assert severities[0] is BLOCK and CONFIRM in severities and INFO in severities
    assert first == verdict_of(prog, ohms={0: 2000})
    assert [f.field for f in first.blocks] == ["right.cathode", "right.amplitude_ma",
                                               "ramp_up_s"]


def test_the_engine_never_changes_the_program_it_judges():
    prog = program(lead("8.05"))
    before = prog.as_fields()
    verdict_of(prog)
    assert prog.as_fields() == before


def test_approval_returns_the_record_only_when_allowed_and_acknowledged():
    engine = SafetyEngine(Limits(), PROFILE)
    clear = program()
    assert engine.approve_program(clear, impedances=GOOD_OHMS) == clear.to_record()
    with pytest.raises(SafetyRefusal, match=r"8\.05 mA") as refused:
        engine.approve_program(program(lead("8.05")), impedances=GOOD_OHMS)
    assert refused.value.assessment.blocked
    high = program(lead("10.5", 100))
    with pytest.raises(SafetyRefusal, match="needs confirmation"):
        engine.approve_program(high, impedances=GOOD_OHMS)
    confirmations = engine.check_program(high, GOOD_OHMS).confirmations
    assert engine.approve_program(high, impedances=GOOD_OHMS,
                                  acknowledged=confirmations) == high.to_record()
    higher = program(lead("10.6", 100))
    with pytest.raises(SafetyRefusal):  # agreeing to 10.5 mA does not cover 10.6 mA
        engine.approve_program(higher, impedances=GOOD_OHMS, acknowledged=confirmations)


def test_limits_the_engine_cannot_use_are_refused():
    with pytest.raises(LimitsError, match="amp_step_ua"):
        SafetyEngine(Limits(amp_step_ua=0), PROFILE)
    with pytest.raises(LimitsError, match="electrode_area"):
        SafetyEngine(Limits(electrode_area_mm2_x100=0), PROFILE)


def test_verdict_json_keeps_numbers_exact():
    assessment = verdict_of(program(lead("8.05")))
    data = assessment.to_dict()
    assert data["blocked"] is True and data["needs_confirmation"] is False
    assert data["findings"][0] == {
        "severity": "block", "rule": "amplitude_step", "field": "left.amplitude_ma",
        "value": "8.05", "limit": "0.1", "unit": "mA",
        "message": "Left amplitude 8.05 mA is not a multiple of the device step 0.1 mA: "
                   "use 8.0 or 8.1 mA."}


def test_the_highest_amplitude_named_never_exceeds_the_device_maximum():
    # Shannon's limit at 214 µs is 13.76 mA, but this device stops at 10.0 mA.
    assessment = verdict_of(program(lead("14.0"), LeadProgram.off()), Limits(amp_max_ua=10000),
                         ohms={0: 650})
    assert [f.rule for f in assessment.blocks] == ["amplitude_range", "shannon_k"]
    assert assessment.blocks[1].message.endswith("at 214 µs use at most 10.0 mA.")
    # on a 1 mm² contact at 50 µs Shannon binds first, at 16.8 mA
    limit_ma = math.sqrt(10**1.85 * 0.01) / 50 * 1000
    tiny = verdict_of(program(lead("17.0", 50), LeadProgram.off()),
                      Limits(electrode_area_mm2_x100=100), ohms={0: 650})
    assert tiny.blocks[0].message.endswith(
        f"at 50 µs use at most {math.floor(limit_ma * 10) / 10:.1f} mA.")
