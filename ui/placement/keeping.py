"""Keeping a finished placement test: its entry in the clinical record and its PDF.

Run on ``RecordTasks``: record and file work, never on the GUI thread, never waiting for
the device. A test interrupted by STOP is kept only once the team has resumed and signed
it, or ended it: until then it may still go on. A report made in the demo carries the
demonstration marking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from console.paths import demo_reports_folder, reports_folder
from console.placement import Phase, PlacementResult
from console.placement.record_entry import store_result
from console.report import write_placement_report
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks


def report_directory(context: WindowContext) -> Path:
    """Reports of the demo stay out of the clinic's documents."""
    return demo_reports_folder() if context.demo else reports_folder()


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
    written = write_placement_report(result, path, demo=context.demo)
    return stored, f"Report: {written.name}\nin {written.parent}"


class Keeping:
    """One test's keeping: stored once, its report written, in words for the done page."""

    def __init__(self, context: WindowContext, tasks: RecordTasks,
                 changed: Callable[[], None]) -> None:
        self._context = context
        self._tasks = tasks
        self._changed = changed
        self.clear()

    def clear(self) -> None:
        """A new test: nothing kept yet."""
        self.stored_text = ""
        self.report_text = ""
        self.storing = False
        self.report_path: Path | None = None

    def keep(self, result: PlacementResult) -> None:
        """Store a signed or ended result once, and write its report."""
        if self.storing or self.stored_text or result.resumable:
            return
        self.storing = True
        path = report_path(self._context, result)

        def kept(texts: tuple[str, str]) -> None:
            self.storing = False
            self.stored_text, self.report_text = texts
            self.report_path = path
            self._changed()

        def failed(message: str) -> None:
            self.storing = False
            self.stored_text = f"NOT STORED — {message}. The result is still on screen."
            self._changed()

        context = self._context
        self._tasks.run(lambda: keep_result(context, result, path), kept, failed)
