"""The record benchmark: one patient's timeline load and audit-verify throughput, as medians.

Run by ``mfconsole bench records``; a benchmark, never a timed test.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.engine import Engine

from console.accounts import Role, User
from console.audit import verify_chain
from console.bench.errors import BenchError
from console.bench.record_data import Scale, generate, require_empty
from console.storage.record import ClinicalRecord


@dataclass(frozen=True, slots=True)
class RecordBenchReport:
    backend: str
    patients: int
    versions: int
    audit_entries: int
    generate_s: float
    timeline_samples: int
    timeline_median_ms: float
    timeline_p95_ms: float
    verify_runs: int
    verify_median_s: float
    verify_entries_per_s: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _timeline_times(record: ClinicalRecord, patients: int, samples: int,
                    rng: random.Random) -> list[float]:
    reader = User(2, "bench-clinician-02", Role.CLINICIAN)
    record.timeline(reader, "B000001")  # warm the connection pool and statement caches
    times = []
    for _ in range(samples):
        clinic_id = f"B{rng.randint(1, patients):06d}"
        start = time.perf_counter()
        record.timeline(reader, clinic_id)
        times.append(time.perf_counter() - start)
    return times


def run_records_bench(engine: Engine, scale: Scale, *, timeline_samples: int = 101,
                      verify_runs: int = 3,
                      progress: Callable[[str], None] | None = None) -> RecordBenchReport:
    """Generate ``scale`` into the empty record behind ``engine``, then measure."""
    say = progress or (lambda _message: None)
    require_empty(engine)
    start = time.perf_counter()
    generate(engine, scale, progress=lambda step: say(f"generating {step}"))
    generate_s = time.perf_counter() - start
    say(f"timeline of one patient, {timeline_samples} samples")
    times = _timeline_times(ClinicalRecord(engine), scale.patients, timeline_samples,
                            random.Random(7))
    verify_times = []
    for run in range(verify_runs):
        say(f"audit verify, run {run + 1} of {verify_runs}")
        start = time.perf_counter()
        result = verify_chain(engine)
        verify_times.append(time.perf_counter() - start)
        if not result.ok or result.entries != scale.audit:
            raise BenchError(f"the generated audit chain did not verify: {result.problem}")
    verify_median = statistics.median(verify_times)
    return RecordBenchReport(
        backend=engine.dialect.name, patients=scale.patients, versions=scale.versions,
        audit_entries=scale.audit, generate_s=round(generate_s, 2),
        timeline_samples=timeline_samples,
        timeline_median_ms=round(statistics.median(times) * 1000, 2),
        timeline_p95_ms=round(statistics.quantiles(times, n=20)[-1] * 1000, 2),
        verify_runs=verify_runs, verify_median_s=round(verify_median, 3),
        verify_entries_per_s=round(scale.audit / verify_median) if verify_median else 0)
