"""An EQ-5D-5L value set is used only when the clinic configures one, and only whole."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import product

import pytest

from console.clinic.profile import CLINIC_PROFILE, load_clinic_profile
from console.files.strict_toml import ProfileError
from console.outcomes.eq5d_value_set import ValueSetError, parse_value_set

PROFILES = ["".join(levels) for levels in product("12345", repeat=5)]


def _index(profile: str) -> str:
    """A made-up index for the tests: 1 minus 0.05 per level above 1 (not a real value set)."""
    return str(Decimal(1) - Decimal("0.05") * sum(int(c) - 1 for c in profile))


def _csv(rows: list[str] | None = None) -> str:
    body = rows if rows is not None else [f"{p},{_index(p)}" for p in PROFILES]
    return "profile,index\n" + "\n".join(body) + "\n"


def test_a_complete_value_set_gives_each_profile_its_index():
    values = parse_value_set(_csv(), "set.csv")
    assert values.index("11111") == Decimal(1)
    assert values.index("55555") == Decimal("0.00")
    assert values.index("21321") == Decimal("0.80")


@pytest.mark.parametrize(("text", "said"), [
    ("profile;index\n", "first line"),
    (_csv([f"{p},{_index(p)}" for p in PROFILES[:-1]]), "1 of the 3125 profiles have no "
                                                       "index (e.g. 55555)"),
    (_csv([f"{p},{_index(p)}" for p in PROFILES] + ["11111,1"]), "line 3127: profile 11111 "
                                                                 "is given twice"),
    (_csv(["11116,0.5"]), "line 2: '11116' is not an EQ-5D-5L profile"),
    (_csv(["11111,high"]), "line 2: index 'high' is not a number"),
    (_csv(["11111,1.2"]), "line 2: index '1.2' must be from -1 to 1"),
    (_csv(["11111,NaN"]), "must be from -1 to 1"),
    (_csv(["11111"]), "line 2: expected profile,index"),
])
def test_a_damaged_value_set_is_refused_naming_the_line(text, said):
    with pytest.raises(ValueSetError, match=re.escape(said)):
        parse_value_set(text, "set.csv")


def test_the_shipped_profile_has_no_value_set():
    assert load_clinic_profile().eq5d_value_set is None


def test_a_profile_finds_its_value_set_beside_it(tmp_path):
    (tmp_path / "eq5d-5l.csv").write_text(_csv())
    own = tmp_path / "clinic.toml"
    own.write_text(CLINIC_PROFILE.shipped_text().replace('eq5d_value_set = ""',
                                                         'eq5d_value_set = "eq5d-5l.csv"'))
    values = load_clinic_profile(own).eq5d_value_set
    assert values is not None and values.index("12345") == Decimal("0.50")


def test_a_profile_naming_a_bad_value_set_fails_to_load(tmp_path):
    (tmp_path / "eq5d-5l.csv").write_text(_csv(["11111,1"]))
    own = tmp_path / "clinic.toml"
    own.write_text(CLINIC_PROFILE.shipped_text().replace('eq5d_value_set = ""',
                                                         'eq5d_value_set = "eq5d-5l.csv"'))
    with pytest.raises(ProfileError, match=r"outcomes\.eq5d_value_set: .*3124 of the 3125"):
        load_clinic_profile(own)
    own.write_text(CLINIC_PROFILE.shipped_text().replace('eq5d_value_set = ""',
                                                         'eq5d_value_set = "missing.csv"'))
    with pytest.raises(ProfileError, match=r"missing\.csv: cannot read the EQ-5D-5L value set"):
        load_clinic_profile(own)
