"""The clinic safety profile: shipped defaults, per-installation override, strict checking."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.programming.program import LeadProgram, Program
from console.safety import ProfileError, SafetyEngine, load_profile, parse_profile
from console.safety.profile import SAFETY_PROFILE

D = Decimal


def test_the_shipped_profile_loads_with_its_documented_values():
    profile = load_profile()
    assert profile.name == "Default clinic profile"
    assert profile.soft_max_amplitude_ma == D("10.0")
    assert profile.test_start_amplitude_ma == D("0.5")
    assert profile.titration_step_ma == D("0.5")
    assert (profile.impedance_shorted_below_ohm, profile.impedance_normal_min_ohm,
            profile.impedance_normal_max_ohm, profile.impedance_open_above_ohm) == (
        50, 200, 3000, 10000)
    assert profile.density_confirm_uc_cm2 == D(30)
    assert profile.shannon_k_block == D("1.85")


def test_an_installation_profile_from_a_path_changes_the_verdict(tmp_path):
    path = tmp_path / "clinic.toml"
    path.write_text(SAFETY_PROFILE.shipped_text().replace("soft_max_ma = 10.0", "soft_max_ma = 5.0")
                    .replace('name = "Default clinic profile"', 'name = "Spine unit"'))
    profile = load_profile(path)
    assert profile.name == "Spine unit" and profile.soft_max_amplitude_ma == D("5.0")
    program = Program((LeadProgram(True, 1, 2, D("6.0"), 214), LeadProgram.off()), 20, D(1),
                      D(1), D(10), D(20), 30)
    assert not SafetyEngine(profile=load_profile()).check_program(program, {0: 650}).findings
    strict = SafetyEngine(profile=profile).check_program(program, {0: 650})
    assert [f.rule for f in strict.confirmations] == ["soft_maximum"]


def edited(old: str, new: str) -> str:
    text = SAFETY_PROFILE.shipped_text()
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(("text", "message"), [
    (edited("soft_max_ma = 10.0\n", ""), "amplitude.soft_max_ma: missing"),
    (edited("[charge]\n", "[charge]\ncolour = 1\n"), "charge.colour: unknown key"),
    (edited("[charge]\n", "[charges]\nx = 1\n[charge]\n"), "charges: unknown key"),
    (edited("soft_max_ma = 10.0", 'soft_max_ma = "10"'), "amplitude.soft_max_ma: expected a "
                                                          "number, got '10'"),
    (edited("soft_max_ma = 10.0", "soft_max_ma = true"), "amplitude.soft_max_ma: expected a "
                                                         "number"),
    (edited("step_ma = 0.5", "step_ma = 0"), "test_stimulation.step_ma: must be greater than 0"),
    (edited("start_ma = 0.5", "start_ma = -0.5"), "test_stimulation.start_ma: must be greater"),
    (edited("shorted_below_ohm = 50", "shorted_below_ohm = 50.5"),
     "impedance.shorted_below_ohm: expected a whole number of ohms"),
    (edited("normal_min_ohm = 200", "normal_min_ohm = 40"), "thresholds must rise"),
    (edited("open_above_ohm = 10000", "open_above_ohm = 3000"), "thresholds must rise"),
    (edited("shannon_k_block = 1.85", "shannon_k_block = 1.9"),
     "charge.shannon_k_block: 1.9 is above the Shannon limit 1.85"),
    (edited("density_confirm_uc_cm2 = 30", "density_confirm_uc_cm2 = 45"),
     "charge.density_confirm_uc_cm2: 45 is above 30"),
    (edited('name = "Default clinic profile"', ""), "name: missing"),
    (edited("[impedance]", "[impedance"), "not valid TOML"),
    (edited("[amplitude]\n", "[amplitudes]\n"), "[amplitude]: missing section"),
])
def test_bad_profiles_are_refused_with_file_key_and_problem(text, message):
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, "/etc/clinic.toml")
    assert str(caught.value).startswith("/etc/clinic.toml: ")
    assert message in str(caught.value)


def test_a_profile_may_be_stricter_than_the_published_thresholds():
    profile = parse_profile(edited("shannon_k_block = 1.85", "shannon_k_block = 1.7")
                            .replace("density_confirm_uc_cm2 = 30",
                                     "density_confirm_uc_cm2 = 20"), "strict")
    assert profile.shannon_k_block == D("1.7") and profile.density_confirm_uc_cm2 == D(20)


def test_an_unreadable_profile_path_is_an_error(tmp_path):
    with pytest.raises(ProfileError, match=r"missing\.toml: cannot read"):
        load_profile(tmp_path / "missing.toml")
