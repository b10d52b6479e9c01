"""The clinic safety profile: clinical limits layered over the device's hard limits.

Shipped as ``resources/safety_profile.toml``; an installation may point at its own file.
Every key is required and checked on load, because a silently missing threshold would
be a silently missing safety check.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

SHANNON_K_CEILING = Decimal("1.85")
"""Shannon's limit for tissue damage; a profile may lower the block threshold, never raise it."""
DENSITY_CEILING_UC_CM2 = Decimal(30)
"""Charge density (µC/cm² per phase) above which confirmation is always required."""


class ProfileError(ValueError):
    """A profile file that cannot be used: names the file, the key and the problem."""


@dataclass(frozen=True, slots=True)
class SafetyProfile:
    """Clinic limits, in clinical units."""

    name: str
    soft_max_amplitude_ma: Decimal
    test_start_amplitude_ma: Decimal
    titration_step_ma: Decimal
    impedance_shorted_below_ohm: int
    impedance_normal_min_ohm: int
    impedance_normal_max_ohm: int
    impedance_open_above_ohm: int
    density_confirm_uc_cm2: Decimal
    shannon_k_block: Decimal


# TOML section → key → (profile attribute, kind).
_SCHEMA: dict[str, dict[str, tuple[str, str]]] = {
    "amplitude": {"soft_max_ma": ("soft_max_amplitude_ma", "decimal")},
    "test_stimulation": {"start_ma": ("test_start_amplitude_ma", "decimal"),
                         "step_ma": ("titration_step_ma", "decimal")},
    "impedance": {"shorted_below_ohm": ("impedance_shorted_below_ohm", "int"),
                  "normal_min_ohm": ("impedance_normal_min_ohm", "int"),
                  "normal_max_ohm": ("impedance_normal_max_ohm", "int"),
                  "open_above_ohm": ("impedance_open_above_ohm", "int")},
    "charge": {"density_confirm_uc_cm2": ("density_confirm_uc_cm2", "decimal"),
               "shannon_k_block": ("shannon_k_block", "decimal")},
}


def default_profile_text() -> str:
    return resources.files("resources").joinpath("safety_profile.toml").read_text("utf-8")


def load_profile(path: str | Path | None = None) -> SafetyProfile:
    """The profile at ``path``, or the one shipped with the console when ``path`` is None."""
    if path is None:
        return parse_profile(default_profile_text(), "safety_profile.toml (built in)")
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the safety profile ({exc})") from exc
    return parse_profile(text, str(path))


def parse_profile(text: str, source: str) -> SafetyProfile:
    """Parse and check a profile; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML ({exc})") from exc
    values: dict[str, Any] = {"name": _name(data.pop("name", None), source)}
    for section, keys in _SCHEMA.items():
        table = data.pop(section, None)
        if not isinstance(table, dict):
            raise ProfileError(f"{source}: [{section}]: missing section")
        for key, (attribute, kind) in keys.items():
            if key not in table:
                raise ProfileError(f"{source}: {section}.{key}: missing")
            values[attribute] = _number(table.pop(key), kind, f"{source}: {section}.{key}")
        if table:
            raise ProfileError(f"{source}: {section}.{next(iter(table))}: unknown key")
    if data:
        raise ProfileError(f"{source}: {next(iter(data))}: unknown key")
    profile = SafetyProfile(**values)
    _check_consistency(profile, source)
    return profile


def _name(value: object, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{source}: name: missing or not a text")
    return value


def _number(value: object, kind: str, where: str) -> Decimal | int:
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProfileError(f"{where}: expected a whole number of ohms, got {value!r}")
        result: Decimal | int = value
    else:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise ProfileError(f"{where}: expected a number, got {value!r}")
        result = Decimal(value)
        if not result.is_finite():
            raise ProfileError(f"{where}: expected a finite number, got {value}")
    if result <= 0:
        raise ProfileError(f"{where}: must be greater than 0, got {value}")
    return result


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
