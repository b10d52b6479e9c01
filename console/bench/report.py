"""What the link benchmark found: one row per figure, each with its count and target.

A row never decides the exit status: the benchmark is a measurement, and a missed
target is a finding to report, not an error.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.bench.stats import Summary

MS = 1000.0


@dataclass(frozen=True, slots=True)
class Target:
    """``figure`` (``"p99"``, ``"median"`` or ``"value"``) at most / at least ``limit``."""

    figure: str
    limit: float
    at_most: bool
    text: str

    def met_by(self, row: Row) -> bool:
        actual = getattr(row, self.figure)
        return actual <= self.limit if self.at_most else actual >= self.limit


@dataclass(frozen=True, slots=True)
class Row:
    """One figure. Latencies carry median and p99 in ``unit``; ratios and rates a ``value``."""

    name: str
    title: str
    n: int
    unit: str
    median: float | None = None
    p99: float | None = None
    value: float | None = None
    target: Target | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        return None if self.target is None else self.target.met_by(self)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "n": self.n, "unit": self.unit,
                "median": _round(self.median), "p99": _round(self.p99),
                "value": _round(self.value),
                "target": None if self.target is None else self.target.text,
                "pass": self.passed, "detail": self.detail}


def latency_row(name: str, title: str, seconds: Summary, target: Target | None = None,
                **detail: Any) -> Row:
    """A latency row in milliseconds from a summary in seconds."""
    return Row(name, title, seconds.n, "ms", seconds.median * MS, seconds.p99 * MS,
               target=target, detail=detail)


@dataclass(frozen=True, slots=True)
class Skipped:
    name: str
    reason: str


@dataclass
class LinkReport:
    port: str
    options: dict[str, Any]
    machine: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"port": self.port, "options": self.options, "machine": self.machine,
                "rows": [row.as_dict() for row in self.rows],
                "skipped": [{"name": s.name, "reason": s.reason} for s in self.skipped]}


def machine() -> dict[str, Any]:
    """Enough about the computer to read the figures against: CPUs, model, Python, load."""
    return {"cpus": os.cpu_count(), "cpu_model": _cpu_model(), "system": platform.platform(),
            "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
