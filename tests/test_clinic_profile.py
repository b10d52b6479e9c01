"""The clinic profile: every key required and checked, an installation's copy preferred."""

from __future__ import annotations

import pytest

from console.clinic.profile import (
    CLINIC_PROFILE,
    ENV_CLINIC_PROFILE,
    load_clinic_profile,
    parse_clinic_profile,
)
from console.files.strict_toml import ProfileError


def test_the_shipped_profile_prescribes_two_sessions_and_hides_names():
    profile = load_clinic_profile()
    assert profile.prescribed_sessions_per_day == 2
    assert profile.show_patient_name is False
    assert profile.pain_responder_nrs_drop == 2
    assert profile.function_responder_odi_drop == 10


def test_an_installations_own_copy_is_used(tmp_path, monkeypatch):
    own = tmp_path / "clinic.toml"
    own.write_text(CLINIC_PROFILE.shipped_text().replace(
        "prescribed_sessions_per_day = 2", "prescribed_sessions_per_day = 3"))
    monkeypatch.setenv(ENV_CLINIC_PROFILE, str(own))
    assert load_clinic_profile().prescribed_sessions_per_day == 3


def test_a_profile_named_but_missing_is_an_error_not_the_built_in_one(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_CLINIC_PROFILE, str(tmp_path / "nowhere.toml"))
    with pytest.raises(ProfileError, match=r"nowhere\.toml: cannot read the clinic profile"):
        load_clinic_profile()


@pytest.mark.parametrize(("old", "new", "said"), [
    ("prescribed_sessions_per_day = 2", "prescribed_sessions_per_day = 0",
     "usage.prescribed_sessions_per_day: must be greater than 0"),
    ("prescribed_sessions_per_day = 2", "prescribed_sessions_per_day = 25",
     "usage.prescribed_sessions_per_day: 25 is above the limit 24"),
    ("adherence_flag_below_pct = 70", "adherence_flag_below_pct = 101",
     "usage.adherence_flag_below_pct: 101 is above 100"),
    ("show_patient_name = false", "show_patient_name = \"no\"",
     "report.show_patient_name: expected true or false"),
    ("show_patient_name = false", "show_patient_name = false\nshow_dob = true",
     "report.show_dob: unknown key"),
    ("[outcomes]\n", "[outcomes]\nextra = 1\n", "outcomes.extra: unknown key"),
    ("function_responder_odi_drop = 10\n", "", "outcomes.function_responder_odi_drop: missing"),
])
def test_a_bad_value_is_refused_naming_the_key(old, new, said):
    text = CLINIC_PROFILE.shipped_text()
    assert old in text
    with pytest.raises(ProfileError, match=said.replace("(", r"\(")):
        parse_clinic_profile(text.replace(old, new), "clinic.toml")
