"""Order statistics of samples: the median and the 99th percentile by nearest rank.

Nearest rank (no interpolation) so that a p99 is always a latency that was
actually observed; with fewer than 100 samples it is the largest one.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
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


def timed_interleaved(work: Callable[[], object], baseline: Callable[[], object],
                      runs: int) -> tuple[Summary, Summary]:
    """One warm-up each, then alternate runs, so a busy spell weighs on both alike."""
    work()
    baseline()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for task, times in ((work, samples[0]), (baseline, samples[1])):
            start = time.perf_counter()
            task()
            times.append(time.perf_counter() - start)
    return summarize(samples[0]), summarize(samples[1])
