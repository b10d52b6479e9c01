"""The placement profile: how the theatre test stimulates and what makes a lead pass.

Shipped as ``resources/placement_profile.toml``, separate from the clinic safety
profile because it answers another question (is this lead well placed?) and is tuned by
other people (the implanting team). It cannot loosen anything: each start and step still
goes through the safety engine. As with the safety profile, every key is required and
checked on load, because a silently missing criterion would be a silently missing check.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from console.files.strict_toml import (
    ProfileError,
    ProfileKind,
    Schema,
    parse_toml,
    refuse_unknown,
    take_named_schema,
    take_section,
)

ELECTRODES_PER_LEAD = 4


@dataclass(frozen=True, slots=True)
class PlacementProfile:
    """Stimulus, amplitude ramp, pair order and pass criteria, in clinical units."""

    name: str
    pulse_width_us: int
    frequency_hz: int
    duration_s: int
    start_ma: Decimal
    step_ma: Decimal
    max_ma: Decimal
    step_interval_s: Decimal
    pairs: tuple[tuple[int, int], ...]  # (anode, cathode), in the order proposed
    threshold_max_ma: Decimal
    unwanted_margin: Decimal

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (exact decimals as strings), for the record and the report."""
        return {"name": self.name, "pulse_width_us": self.pulse_width_us,
                "frequency_hz": self.frequency_hz, "duration_s": self.duration_s,
                "start_ma": str(self.start_ma), "step_ma": str(self.step_ma),
                "max_ma": str(self.max_ma), "step_interval_s": str(self.step_interval_s),
                "pairs": [list(pair) for pair in self.pairs],
                "threshold_max_ma": str(self.threshold_max_ma),
                "unwanted_margin": str(self.unwanted_margin)}

    def titration_refusal(self, start_max_ma: Decimal, step_max_ma: Decimal) -> str | None:
        """Why this ramp cannot run within the titration limits (safety profile and device
        together), or None: a start or a step above them is refused, never cut down."""
        if self.start_ma > start_max_ma:
            return (f"placement profile start {self.start_ma} mA is above the highest start "
                    f"allowed, {start_max_ma} mA (safety profile and device)")
        if self.step_ma > step_max_ma:
            return (f"placement profile step {self.step_ma} mA is above the largest titration "
                    f"step allowed, {step_max_ma} mA (safety profile and device)")
        return None


PLACEMENT_PROFILE = ProfileKind("placement_profile.toml", "placement profile")

_SCHEMA: Schema = {
    "stimulus": {"pulse_width_us": ("pulse_width_us", "int"),
                 "frequency_hz": ("frequency_hz", "int"),
                 "duration_s": ("duration_s", "int")},
    "amplitude": {"start_ma": ("start_ma", "decimal"), "step_ma": ("step_ma", "decimal"),
                  "max_ma": ("max_ma", "decimal"),
                  "step_interval_s": ("step_interval_s", "decimal")},
    "criteria": {"threshold_max_ma": ("threshold_max_ma", "decimal"),
                 "unwanted_margin": ("unwanted_margin", "decimal")},
}


def load_placement_profile(path: str | Path | None = None) -> PlacementProfile:
    """The profile at ``path``, or the one shipped with the console when ``path`` is None."""
    return parse_placement_profile(*PLACEMENT_PROFILE.read(path))


def parse_placement_profile(text: str, source: str) -> PlacementProfile:
    """Parse and check a profile; ``source`` names it in error messages."""
    data = parse_toml(text, source)
    values = take_named_schema(data, _SCHEMA, source)
    pairs_table = take_section(data, "pairs", source)
    if "order" not in pairs_table:
        raise ProfileError(f"{source}: pairs.order: missing")
    values["pairs"] = _pairs(pairs_table.pop("order"), f"{source}: pairs.order")
    refuse_unknown(pairs_table, "pairs.", source)
    refuse_unknown(data, "", source)
    profile = PlacementProfile(**values)
    _check_consistency(profile, source)
    return profile


def _pairs(value: object, where: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, list) or not value:
        raise ProfileError(f"{where}: expected a list of {{ anode = A, cathode = C }}, "
                           f"got {value!r}")
    pairs: list[tuple[int, int]] = []
    for index, item in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(item, dict) or set(item) != {"anode", "cathode"}:
            raise ProfileError(f"{here}: expected {{ anode = A, cathode = C }}, got {item!r}")
        anode, cathode = item["anode"], item["cathode"]
        for label, electrode in (("anode", anode), ("cathode", cathode)):
            if isinstance(electrode, bool) or not isinstance(electrode, int) \
                    or not 0 <= electrode < ELECTRODES_PER_LEAD:
                raise ProfileError(f"{here}.{label}: expected an electrode 0.."
                                   f"{ELECTRODES_PER_LEAD - 1}, got {electrode!r}")
        if anode == cathode:
            raise ProfileError(f"{here}: anode and cathode are both electrode {anode}")
        if (anode, cathode) in pairs:
            raise ProfileError(f"{here}: anode {anode}, cathode {cathode} is listed twice")
        pairs.append((anode, cathode))
    return tuple(pairs)


def _check_consistency(profile: PlacementProfile, source: str) -> None:
    if profile.start_ma > profile.max_ma:
        raise ProfileError(f"{source}: amplitude.start_ma {profile.start_ma} mA is above "
                           f"amplitude.max_ma {profile.max_ma} mA")
    if (profile.max_ma - profile.start_ma) % profile.step_ma:
        raise ProfileError(f"{source}: amplitude: max_ma {profile.max_ma} mA is not reached "
                           f"from start_ma {profile.start_ma} mA in whole steps of "
                           f"{profile.step_ma} mA")
    if profile.threshold_max_ma > profile.max_ma:
        raise ProfileError(f"{source}: criteria.threshold_max_ma {profile.threshold_max_ma} mA "
                           f"is above amplitude.max_ma {profile.max_ma} mA: such a threshold "
                           f"could never be found")
    if profile.unwanted_margin < 1:
        raise ProfileError(f"{source}: criteria.unwanted_margin {profile.unwanted_margin} is "
                           f"below 1: the margin lies above the threshold")
    highest_margin = profile.threshold_max_ma * profile.unwanted_margin
    if highest_margin > profile.max_ma:
        raise ProfileError(f"{source}: criteria: threshold_max_ma {profile.threshold_max_ma} "
                           f"mA × unwanted_margin {profile.unwanted_margin} = {highest_margin} "
                           f"mA is above amplitude.max_ma {profile.max_ma} mA: the margin of "
                           f"an acceptable threshold could not be checked")
    climb_s = ((profile.max_ma - profile.start_ma) / profile.step_ma + 1) \
        * profile.step_interval_s
    if climb_s >= profile.duration_s:
        raise ProfileError(f"{source}: stimulus.duration_s {profile.duration_s} s is too short "
                           f"to climb from {profile.start_ma} to {profile.max_ma} mA in steps "
                           f"of {profile.step_ma} mA every {profile.step_interval_s} s "
                           f"({climb_s} s)")
