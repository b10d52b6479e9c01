"""The Wilson score interval: how sure a proportion of responders is, for small cohorts too.

For ``n`` successes out of ``of`` trials, p = n / of and z = 1.95996 (the 97.5th
percentile of the standard normal, for a 95 % interval):

    centre     = (p + z² / 2·of) / (1 + z² / of)
    half-width = z / (1 + z² / of) × √( p·(1 − p) / of + z² / 4·of² )

and the interval is centre ± half-width. Unlike p ± z·√(p(1−p)/of) it never leaves
0–100 % and is not zero-wide at 0 or all responders, which matters for the handful of
patients a clinic has at each timepoint (Wilson, JASA 1927; Newcombe, Stat Med 1998).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)
TENTH = Decimal("0.1")


def wilson_interval(n: int, of: int, z: float = Z95) -> tuple[float, float]:
    """The interval as proportions (0–1); ValueError unless 0 ≤ n ≤ of and of ≥ 1."""
    if of < 1 or not 0 <= n <= of:
        raise ValueError(f"a proportion needs 0 <= n <= of and of >= 1, got {n} of {of}")
    p = n / of
    z2 = z * z
    denominator = 1 + z2 / of
    centre = (p + z2 / (2 * of)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / of + z2 / (4 * of * of))
    return centre - half, centre + half


def wilson_percent(n: int, of: int) -> tuple[Decimal, Decimal] | None:
    """The 95 % interval in percent to one decimal (halves up); None when ``of`` is 0."""
    if of == 0:
        return None
    low, high = wilson_interval(n, of)
    return _tenth(low * 100), _tenth(high * 100)


def _tenth(value: float) -> Decimal:
    # ``+ 0`` turns a -0.0 left by floating-point noise at 0 % into 0.0.
    return Decimal(repr(value)).quantize(TENTH, rounding=ROUND_HALF_UP) + 0
