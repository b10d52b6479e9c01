"""Order statistics of samples: the median and the 99th percentile by nearest rank.

Nearest rank (no interpolation) so that a p99 is always a latency that was
actually observed; with fewer than 100 samples it is the largest one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    median: float
    p99: float


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The smallest sample with at least ``fraction`` of all samples at or below it."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize(samples: Sequence[float]) -> Summary:
    return Summary(len(samples), statistics.median(samples), percentile(samples, 0.99))
