"""The placement profile: the shipped values, and every way a file can be unusable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.placement import load_placement_profile, parse_placement_profile
from console.placement.judge import margin_target
from console.placement.profile import PLACEMENT_PROFILE
from console.safety import ProfileError


def test_shipped_profile():
    profile = load_placement_profile()
    assert (profile.pulse_width_us, profile.frequency_hz, profile.duration_s) == (214, 20, 120)
    assert (profile.start_ma, profile.step_ma, profile.max_ma) == (
        Decimal("0.5"), Decimal("0.5"), Decimal("10.0"))
    assert profile.pairs == ((2, 1), (1, 2), (3, 2), (0, 1))
    assert profile.threshold_max_ma == Decimal("5.0")
    assert profile.unwanted_margin == Decimal("1.5")


def _with(old: str, new: str) -> str:
    text = PLACEMENT_PROFILE.shipped_text()
    assert old in text
    return text.replace(old, new)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("threshold_max_ma = 5.0", "", r"criteria\.threshold_max_ma: missing"),
    ("[criteria]", "[criteria]\nextra = 1", r"criteria\.extra: unknown key"),
    ("start_ma = 0.5", "start_ma = -0.5", r"amplitude\.start_ma: must be greater than 0"),
    ("pulse_width_us = 214", "pulse_width_us = 214.5", r"expected a whole number"),
    ("step_ma = 0.5", "step_ma = 0.3", r"not reached from start_ma 0\.5 mA in whole steps"),
    ("threshold_max_ma = 5.0", "threshold_max_ma = 12.0", r"could never be found"),
    ("unwanted_margin = 1.5", "unwanted_margin = 0.9", r"below 1"),
    ("unwanted_margin = 1.5", "unwanted_margin = 2.5", r"= 12\.50 mA is above amplitude"),
    ("duration_s = 120", "duration_s = 30", r"too short to climb"),
    ("{ anode = 0, cathode = 1 }", "{ anode = 1, cathode = 1 }", r"both electrode 1"),
    ("{ anode = 0, cathode = 1 }", "{ anode = 2, cathode = 1 }", r"listed twice"),
    ("{ anode = 0, cathode = 1 }", "{ anode = 0, cathode = 4 }", r"electrode 0\.\.3, got 4"),
    ("order = [", "order = []\nold = [", r"pairs\.order: expected a list"),
])
def test_unusable_profiles_name_the_key_and_the_problem(old, new, message):
    with pytest.raises(ProfileError, match=message) as refused:
        parse_placement_profile(_with(old, new), "theatre.toml")
    assert str(refused.value).startswith("theatre.toml: ")


def test_missing_file_is_one_message(tmp_path):
    with pytest.raises(ProfileError, match="cannot read the placement profile"):
        load_placement_profile(tmp_path / "absent.toml")


@pytest.mark.parametrize(("threshold", "target"), [
    ("3.0", "4.5"), ("4.0", "6.0"), ("3.5", "5.5"), ("0.5", "1.0"), ("5.0", "7.5")])
def test_margin_target_is_threshold_times_margin_up_to_the_next_step(threshold, target):
    assert margin_target(Decimal(threshold), load_placement_profile()) == Decimal(target)
