"""The emulator's physical and patient models, and its scenarios."""

from __future__ import annotations

import pytest

from device_link.emulator.battery import Battery
from device_link.emulator.patient import LeadPatient, Structure, contraction_strength
from device_link.emulator.scenarios import SCENARIOS, scenario
from device_link.emulator.tissue import CASE_OHMS, Tissue, deliver
from device_link.emulator.usage_log import UsageLog
from device_link.protocol import BIPOLAR_PAIRS, OHMS_OPEN

PW = 214
ORDERED_PAIRS = [(a, c) for a in range(4) for c in range(4) if a != c]


def _thresholds(patient: LeadPatient, pw: int = PW) -> dict[tuple[int, int], float]:
    return {(a, c): patient.target.threshold_ua(a, c, pw) for a, c in ORDERED_PAIRS}


def _best(patient: LeadPatient) -> tuple[tuple[int, int], float]:
    thresholds = _thresholds(patient)
    pair = min(thresholds, key=thresholds.__getitem__)
    return pair, thresholds[pair]


def _unwanted_threshold(patient: LeadPatient, pair: tuple[int, int]) -> float:
    return min(s.threshold_ua(*pair, PW) for s in patient.unwanted)


def test_contacts_are_a_few_hundred_ohms_and_pairs_about_their_sum():
    tissue = Tissue.seeded(3)
    for lead in (0, 1):
        contacts = [tissue.pair_ohms(lead, e, None, 0.0) - CASE_OHMS for e in range(4)]
        assert all(250 <= ohms <= 500 for ohms in contacts)
        assert len(set(contacts)) > 1  # contacts differ
        for a, b in BIPOLAR_PAIRS:
            assert tissue.measure(lead, a, b, 0.0) == round(contacts[a] + contacts[b])


def test_tissue_is_deterministic_for_a_seed():
    assert Tissue.seeded(5).summary(0.0) == Tissue.seeded(5).summary(0.0)
    assert Tissue.seeded(5).summary(0.0) != Tissue.seeded(6).summary(0.0)


def test_open_contact_reads_open_on_everything_that_uses_it():
    tissue = Tissue.seeded(1)
    tissue.set_open(1, 2)
    assert tissue.measure(1, 2, None, 0.0) == OHMS_OPEN
    for a, b in BIPOLAR_PAIRS:
        expected_open = 2 in (a, b)
        assert (tissue.measure(1, a, b, 0.0) == OHMS_OPEN) == expected_open
    assert tissue.measure(0, 2, None, 0.0) != OHMS_OPEN


def test_shorted_contacts_measure_very_low_and_act_as_one_node():
    tissue = Tissue.seeded(1)
    before = tissue.measure(0, 0, 1, 0.0)
    tissue.short(0, 1, 2)
    assert tissue.measure(0, 1, 2, 0.0) < 50
    assert tissue.measure(0, 0, 1, 0.0) < before  # 1 is now in parallel with 2


def test_rising_impedance_climbs_with_time():
    tissue = Tissue.seeded(1)
    start = tissue.measure(0, 3, None, 10.0)
    tissue.set_rising(0, 3, 100.0, now=10.0)
    assert tissue.measure(0, 3, None, 20.0) == start + 1000


def test_delivered_current_is_limited_by_compliance():
    assert deliver(5000, 1000, 15000).delivered_ua == 5000
    limited = deliver(5000, 5000, 15000)
    assert (limited.delivered_ua, limited.limited) == (3000, True)
    assert limited.load_mv == 15000
    assert deliver(5000, OHMS_OPEN, 15000).delivered_ua == 0


def test_strength_duration_curve():
    nerve = Structure("nerve", z_mm=0.0, h_mm=2.0, chronaxie_us=150.0)
    rheobase = nerve.rheobase_ua(1, 0)
    assert nerve.threshold_ua(1, 0, 150) == pytest.approx(2 * rheobase)
    widths = [50, 100, 214, 400]
    thresholds = [nerve.threshold_ua(1, 0, pw) for pw in widths]
    assert thresholds == sorted(thresholds, reverse=True)


def test_contraction_grows_from_zero_at_threshold_towards_one():
    assert contraction_strength(900, 1000) == 0.0
    values = [contraction_strength(current, 1000) for current in (1000, 1200, 1500, 3000)]
    assert values[0] == 0.0 and values == sorted(values) and values[-1] < 1.0 < values[-1] + 0.01


def test_farther_from_the_nerve_needs_more_current():
    patient = SCENARIOS["good"].patients[0]
    distances = {e: patient.target.distance_mm(e) for e in range(4)}
    nearest = min(distances, key=distances.__getitem__)
    farthest = max(distances, key=distances.__getitem__)
    other = next(e for e in range(4) if e not in (nearest, farthest))
    assert patient.target.threshold_ua(other, nearest, PW) < \
        patient.target.threshold_ua(other, farthest, PW)


def test_good_scenario_contracts_at_a_few_milliamps_without_unwanted_responses():
    for patient in SCENARIOS["good"].patients:
        _, threshold = _best(patient)
        assert 2000 <= threshold <= 5000
        for pair, pair_threshold in _thresholds(patient).items():
            assert _unwanted_threshold(patient, pair) >= 3 * pair_threshold


def test_migrated_lead_needs_well_above_8_ma_on_every_pair():
    patients = SCENARIOS["migrated-lead"].patients
    assert _best(patients[0])[1] <= 5000
    assert min(_thresholds(patients[1]).values()) > 12_000


def test_unwanted_response_scenario_starts_just_above_threshold():
    patient = SCENARIOS["unwanted-response"].patients[0]
    pair, threshold = _best(patient)
    ratio = _unwanted_threshold(patient, pair) / threshold
    assert 1.0 < ratio < 1.5
    strength, unwanted = patient.respond(*pair, PW, threshold * ratio * 1.01)
    assert strength > 0 and unwanted == ["leg"]


def test_fractured_and_shorted_scenarios_carry_their_faults():
    assert scenario("fractured-lead").open_contacts == ((1, 2),)
    assert scenario("shorted-pair").shorts == ((0, 1, 2),)
    with pytest.raises(ValueError, match="unknown scenario"):
        scenario("nonsense")


def test_battery_voltage_follows_charge_and_drains():
    battery = Battery(50.0)
    assert 2600 < battery.mv < 3200 and not battery.low
    battery.drain(3600 * 1000, 5000, 300, 30)
    assert battery.low and battery.pct < 15


def test_usage_log_keeps_at_least_its_capacity_with_unique_indexes():
    log = UsageLog(capacity=10_000)
    for i in range(14_000):
        log.append(i, 1)
    assert log.total >= 10_000
    page = log.page(0, 30)
    assert page and log.entries()[-1].index == 13_999
    indexes = [e.index for e in log.entries()]
    assert indexes == list(range(14_000 - len(indexes), 14_000))
