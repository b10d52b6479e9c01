"""Keeping a finished placement test: its entry in the clinical record and its PDF.

Run on ``RecordTasks``: record and file work, never on the GUI thread, never waiting for
the device.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from console.placement import Phase, PlacementResult
from console.placement.record_entry import store_result
from console.report import write_placement_report
from ui.shell.context import WindowContext


def report_directory(context: WindowContext) -> Path:
    """Reports of the demo stay out of the clinic's documents."""
    if context.demo:
        return Path(tempfile.gettempdir()) / "mfconsole-demo-reports"
    return Path(platformdirs.user_documents_dir()) / "Multifidus placement reports"


def report_path(context: WindowContext, result: PlacementResult) -> Path:
    """Where this result's report goes: named by patient and time, never overwritten."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    patient = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in result.patient or "")
    return report_directory(context) / f"placement-{patient or 'no-patient'}-{stamp}.pdf"


def keep_result(context: WindowContext, result: PlacementResult, path: Path) -> tuple[str, str]:
    """Store a signed or stopped result and write its report; both in words for the screen."""
    stored = "Not stored: no clinical record is open."
    if context.record is not None and context.user is not None and result.patient:
        rows = store_result(context.record, context.user, result,
                            patient=result.patient, visit_id=context.visit_id)
        kind = "complete" if result.phase == Phase.SIGNED else "INCOMPLETE"
        stored = (f"Stored in the clinical record as {kind} (placement tests "
                  f"{', '.join(str(row.id) for row in rows)}).")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = write_placement_report(result, path)
    return stored, f"Report: {written.name}\nin {written.parent}"
