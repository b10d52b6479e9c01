"""The clinic safety profile: clinical limits layered over the device's hard limits.

Shipped as ``resources/safety_profile.toml``; an installation may point at its own file.
Every key is required and checked on load, because a silently missing threshold would
be a silently missing safety check.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from console.files.strict_toml import (
    ProfileError,
    ProfileKind,
    Schema,
    parse_toml,
    refuse_unknown,
    take_named_schema,
)

SHANNON_K_CEILING = Decimal("1.85")
"""Shannon's limit for tissue damage; a profile may lower the block threshold, never raise it."""
DENSITY_CEILING_UC_CM2 = Decimal(30)
"""Charge density (µC/cm² per phase) above which confirmation is always required."""


@dataclass(frozen=True, slots=True)
class SafetyProfile:
    """Clinic limits, in clinical units."""

    name: str
    soft_max_amplitude_ma: Decimal
    test_start_amplitude_ma: Decimal
    titration_step_ma: Decimal
    titration_min_interval_s: Decimal
    impedance_shorted_below_ohm: int
    impedance_normal_min_ohm: int
    impedance_normal_max_ohm: int
    impedance_open_above_ohm: int
    density_confirm_uc_cm2: Decimal
    shannon_k_block: Decimal
    sign_in_failed_attempts_lockout: int
    sign_in_lockout_minutes: int


SAFETY_PROFILE = ProfileKind("safety_profile.toml", "safety profile")

_SCHEMA: Schema = {
    "amplitude": {"soft_max_ma": ("soft_max_amplitude_ma", "decimal")},
    "test_stimulation": {"start_ma": ("test_start_amplitude_ma", "decimal"),
                         "step_ma": ("titration_step_ma", "decimal"),
                         "titration_min_interval_s": ("titration_min_interval_s", "decimal")},
    "impedance": {"shorted_below_ohm": ("impedance_shorted_below_ohm", "ohms"),
                  "normal_min_ohm": ("impedance_normal_min_ohm", "ohms"),
                  "normal_max_ohm": ("impedance_normal_max_ohm", "ohms"),
                  "open_above_ohm": ("impedance_open_above_ohm", "ohms")},
    "charge": {"density_confirm_uc_cm2": ("density_confirm_uc_cm2", "decimal"),
               "shannon_k_block": ("shannon_k_block", "decimal")},
    "sign_in": {"failed_attempts_lockout": ("sign_in_failed_attempts_lockout", "int"),
                "lockout_minutes": ("sign_in_lockout_minutes", "int")},
}


def load_profile(path: str | Path | None = None) -> SafetyProfile:
    """The profile at ``path``, or the one shipped with the console when ``path`` is None."""
    return parse_profile(*SAFETY_PROFILE.read(path))


def parse_profile(text: str, source: str) -> SafetyProfile:
    """Parse and check a profile; ``source`` names it in error messages."""
    data = parse_toml(text, source)
    values = take_named_schema(data, _SCHEMA, source)
    refuse_unknown(data, "", source)
    profile = SafetyProfile(**values)
    _check_consistency(profile, source)
    return profile


def _check_consistency(profile: SafetyProfile, source: str) -> None:
    ordered = (profile.impedance_shorted_below_ohm, profile.impedance_normal_min_ohm,
               profile.impedance_normal_max_ohm, profile.impedance_open_above_ohm)
    if not all(low < high for low, high in pairwise(ordered)):
        raise ProfileError(
            f"{source}: impedance: thresholds must rise: shorted_below_ohm < normal_min_ohm "
            f"< normal_max_ohm < open_above_ohm, got {' / '.join(map(str, ordered))}")
    if profile.shannon_k_block > SHANNON_K_CEILING:
        raise ProfileError(f"{source}: charge.shannon_k_block: {profile.shannon_k_block} is "
                           f"above the Shannon limit {SHANNON_K_CEILING}; it may only be lower")
    if profile.density_confirm_uc_cm2 > DENSITY_CEILING_UC_CM2:
        raise ProfileError(f"{source}: charge.density_confirm_uc_cm2: "
                           f"{profile.density_confirm_uc_cm2} is above "
                           f"{DENSITY_CEILING_UC_CM2} µC/cm²; it may only be lower")
