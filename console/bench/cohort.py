"""``mfconsole bench cohort``: the clinic's audit and the registry export over a generated
clinic, timed in-process.

A fresh record (a temporary SQLite file, or the empty PostgreSQL database given) is
filled by ``populate_clinic`` — 2 000 patients, their assessments where due, 1 000
adverse events, device logs for one patient in four — then ``ClinicalRecord.cohort``
(every query and every figure, as ``mfconsole cohort`` and the Clinic view run it) is
timed against a baseline in the same process: a bare ``SELECT count(*)`` over each table
the audit reads, so the ratio says what the audit adds to touching the rows at all. The
full registry export (FHIR, every resource validated, and CSV) is timed the same way,
written to a file as ``mfconsole export registry`` writes it.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from console.accounts import Role, User
from console.bench.clinic_data import GeneratedClinic, populate_clinic
from console.bench.errors import BenchError
from console.bench.stats import timed_interleaved
from console.clinic.profile import ClinicProfile
from console.outcomes.responders import ResponderRules
from console.storage import ClinicalRecord, InstallationKey, transactions
from console.storage.models import (
    AdverseEventRow,
    DeviceLogRow,
    DeviceRow,
    OutcomeEntryRow,
    PatientRow,
)

DEFAULT_PATIENTS = 2000
DEFAULT_EVENTS = 1000
DEFAULT_RUNS = 21
DEFAULT_EXPORT_RUNS = 3
TARGET_MS = 500.0
EXPORT_TARGET_S = 10.0
MS = 1000.0
_TABLES = (PatientRow, DeviceRow, OutcomeEntryRow, AdverseEventRow, DeviceLogRow)


@dataclass(frozen=True, slots=True)
class CohortBenchReport:
    backend: str
    clinic: GeneratedClinic
    runs: int
    generate_s: float
    cohort_first_ms: float  # the first audit of the process: every device log paired
    cohort_median_ms: float
    cohort_p99_ms: float
    count_median_ms: float
    export_runs: int
    fhir_median_s: float
    csv_median_s: float

    @property
    def ratio(self) -> float:
        return self.cohort_median_ms / self.count_median_ms

    @property
    def met(self) -> bool:
        return self.cohort_median_ms <= TARGET_MS

    @property
    def export_met(self) -> bool:
        return self.fhir_median_s <= EXPORT_TARGET_S

    def as_dict(self) -> dict[str, Any]:
        clinic = self.clinic
        return {"backend": self.backend, "patients": clinic.patients,
                "outcomes": clinic.outcomes, "adverse_events": clinic.adverse_events,
                "logged_devices": clinic.logged_devices, "log_entries": clinic.log_entries,
                "runs": self.runs, "generate_s": round(self.generate_s, 2),
                "cohort_first_ms": round(self.cohort_first_ms, 2),
                "cohort_median_ms": round(self.cohort_median_ms, 2),
                "cohort_p99_ms": round(self.cohort_p99_ms, 2),
                "count_median_ms": round(self.count_median_ms, 2),
                "ratio": round(self.ratio, 2), "target": f"≤ {TARGET_MS:.0f} ms median",
                "pass": self.met, "export_runs": self.export_runs,
                "fhir_median_s": round(self.fhir_median_s, 2),
                "csv_median_s": round(self.csv_median_s, 2),
                "fhir_target": f"≤ {EXPORT_TARGET_S:.0f} s median",
                "fhir_pass": self.export_met}


def run_cohort_bench(url: str, clinic: ClinicProfile, *, patients: int = DEFAULT_PATIENTS,
                     adverse_events: int = DEFAULT_EVENTS, runs: int = DEFAULT_RUNS,
                     export_runs: int = DEFAULT_EXPORT_RUNS,
                     progress: Callable[[str], None] | None = None) -> CohortBenchReport:
    """Create a record at ``url`` (there must be none), fill it, time the audit and the
    registry export."""
    if patients < 1 or adverse_events < 0 or runs < 1 or export_runs < 1:
        raise ValueError("patients and runs must each be at least 1, adverse events at "
                         "least 0")
    say = progress or (lambda _message: None)
    record = ClinicalRecord.open(url, installation_key=InstallationKey(secrets.token_bytes(32)))
    try:
        if record.exists():
            raise BenchError(f"{record.where} holds a record already: the benchmark fills "
                             "only a new one, never a clinic's")
        admin = record.add_user(None, "bench.admin", Role.ADMIN, secrets.token_urlsafe(16))
        start = time.perf_counter()
        generated = populate_clinic(record, admin, patients=patients,
                                    adverse_events=adverse_events,
                                    progress=lambda step: say(f"generating {step}"))
        generate_s = time.perf_counter() - start
        today = date.today()
        say(f"the audit and the plain count, {runs} runs each")
        start = time.perf_counter()
        record.cohort(admin, today, clinic)
        first_s = time.perf_counter() - start
        audit, count = timed_interleaved(lambda: record.cohort(admin, today, clinic),
                                          lambda: _count_rows(record), runs)
        say(f"the registry export, FHIR and CSV, {export_runs} runs each")
        rules = ResponderRules.of(clinic)
        fhir, csv = timed_interleaved(lambda: _export(record, admin, "fhir", rules),
                                       lambda: _export(record, admin, "csv", rules),
                                       export_runs)
        return CohortBenchReport(record.engine.dialect.name, generated, runs, generate_s,
                                 first_s * MS, audit.median * MS, audit.p99 * MS,
                                 count.median * MS, export_runs, fhir.median, csv.median)
    finally:
        record.close()


def _export(record: ClinicalRecord, actor: User, format: str, rules: ResponderRules) -> int:
    """The whole clinic exported into a temporary file, as the command writes it."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as out:
        return record.export_registry(actor, out, format=format, rules=rules)


def _count_rows(record: ClinicalRecord) -> list[int]:
    with transactions.read(record.engine) as session:
        return [session.execute(select(func.count()).select_from(table)).scalar_one()
                for table in _TABLES]
