"""Patient model: which current makes the multifidus contract, and what else responds.

Each lead lies near the medial branch of the L2 dorsal ramus. An electrode pair's
threshold grows with the distance from the nerve (mostly the cathode's, the anode
contributes less) and falls with pulse width along the Weiss/Lapicque
strength–duration curve ``I_th = I_rheobase · (1 + chronaxie / pw)``. Other
structures (a leg, gluteal or abdominal muscle's nerve) follow the same law from
their own positions; when one is reached the patient shows an unwanted response.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ELECTRODE_PITCH_MM = 6.0
CONTRACTION_GAIN = 2.5  # how quickly contraction saturates above threshold


@dataclass(frozen=True, slots=True)
class Structure:
    """A nerve near a lead: where it crosses the lead and how excitable it is.

    ``z_mm`` is along the lead from electrode 0 (tip), ``h_mm`` the perpendicular
    distance; ``i0_ua`` the rheobase it would have right at an electrode.
    """

    name: str
    z_mm: float
    h_mm: float
    i0_ua: float = 500.0
    d0_mm: float = 3.0
    chronaxie_us: float = 150.0

    def distance_mm(self, electrode: int) -> float:
        return math.hypot(electrode * ELECTRODE_PITCH_MM - self.z_mm, self.h_mm)

    def rheobase_ua(self, anode: int, cathode: int) -> float:
        distance = 0.75 * self.distance_mm(cathode) + 0.25 * self.distance_mm(anode)
        # A close-spaced bipole's field falls off faster, so it needs more current.
        spacing = 1.0 + 0.5 / abs(anode - cathode)
        return self.i0_ua * (1.0 + (distance / self.d0_mm) ** 2) * spacing

    def threshold_ua(self, anode: int, cathode: int, pw_us: int) -> float:
        return self.rheobase_ua(anode, cathode) * (1.0 + self.chronaxie_us / pw_us)


def contraction_strength(current_ua: float, threshold_ua: float) -> float:
    """0 below threshold, rising towards 1 (full contraction) above it."""
    if current_ua < threshold_ua or current_ua <= 0:
        return 0.0
    return 1.0 - math.exp(-CONTRACTION_GAIN * (current_ua / threshold_ua - 1.0))


@dataclass(frozen=True, slots=True)
class LeadPatient:
    """The target nerve of one lead and the structures that give unwanted responses."""

    target: Structure
    unwanted: tuple[Structure, ...] = ()

    def respond(self, anode: int, cathode: int, pw_us: int, current_ua: float
                ) -> tuple[float, list[str]]:
        """Contraction strength 0–1 and the unwanted responses at ``current_ua``."""
        if current_ua <= 0 or pw_us <= 0:
            return 0.0, []
        strength = contraction_strength(current_ua,
                                        self.target.threshold_ua(anode, cathode, pw_us))
        unwanted = [s.name for s in self.unwanted
                    if current_ua >= s.threshold_ua(anode, cathode, pw_us)]
        return strength, unwanted

    def thresholds(self, pw_us: int, electrodes: int = 4) -> list[dict[str, object]]:
        """Every (anode, cathode) combination's thresholds, for engineers and tests."""
        rows: list[dict[str, object]] = []
        for anode in range(electrodes):
            for cathode in range(electrodes):
                if anode == cathode:
                    continue
                rows.append({
                    "anode": anode, "cathode": cathode,
                    "threshold_ua": round(self.target.threshold_ua(anode, cathode, pw_us)),
                    "unwanted": {s.name: round(s.threshold_ua(anode, cathode, pw_us))
                                 for s in self.unwanted},
                })
        return rows
