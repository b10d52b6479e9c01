"""The clinic's audit written as files: the audit report (PDF) and its figures (CSV).

One way for ``mfconsole cohort --pdf/--csv`` and the window's Clinic tab alike: each file
is written whole as a new file (never overwriting) and audited as an export, together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from console.accounts import User
from console.clinic.profile import ClinicProfile
from console.outcomes.cohort import CohortReport
from console.report.cohort_csv import cohort_csv
from console.report.cohort_pdf import cohort_report_pdf
from console.storage import ClinicalRecord


def _details(report: CohortReport, form: str, rows: int | None = None) -> dict[str, object]:
    """What the audit entry says of the export: what, how, as of when and how much."""
    return {"what": "clinic audit", "format": form, "as_of": report.as_of.isoformat(),
            "patients": report.patients, "rows": rows}


def write_cohort_pdf(record: ClinicalRecord, actor: User, report: CohortReport,
                     clinic: ClinicProfile, target: Path) -> Path:
    """The audit report as the new file ``target``; NotWritten says why it was not."""
    pdf = cohort_report_pdf(report, clinic_name=clinic.clinic_name, made_by=actor.username,
                            made_at=datetime.now(UTC))
    record.export_cohort(actor, target, pdf, _details(report, "pdf"))
    return target


def write_cohort_csv(record: ClinicalRecord, actor: User, report: CohortReport,
                     target: Path) -> Path:
    """The figures, one a row, as the new file ``target``; NotWritten says why not."""
    data, rows = cohort_csv(report)
    record.export_cohort(actor, target, data, _details(report, "csv", rows))
    return target
