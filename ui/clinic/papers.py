"""The Clinic tab's "Audit report (PDF)…" and "Figures (CSV)…": the same files
``mfconsole cohort --pdf/--csv`` writes, through the same code, of the figures on screen
(the clinic is not counted again: the file holds what the clinician saw).

A save dialog chooses where (the reports folder by default; the demo's go to the temporary
folder). It opens window-modal without a nested event loop and the writing runs on
``RecordTasks``, so STOP keeps working throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from console.accounts import User
from console.clinic.profile import load_clinic_profile
from console.outcomes.cohort import CohortReport
from console.paths import demo_reports_folder, reports_folder
from console.report.cohort_files import write_cohort_csv, write_cohort_pdf
from console.storage import ClinicalRecord
from ui.clinic.figures import day
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks

Writer = Callable[[ClinicalRecord, User, CohortReport, Path], Path]


def _pdf(record: ClinicalRecord, user: User, report: CohortReport, path: Path) -> Path:
    return write_cohort_pdf(record, user, report, load_clinic_profile(), path)


def _csv(record: ClinicalRecord, user: User, report: CohortReport, path: Path) -> Path:
    return write_cohort_csv(record, user, report, path)


class AuditFiles(QObject):
    """Choose the file, write it off the GUI thread, say where it went."""

    def __init__(self, parent: QWidget, context: WindowContext,
                 say: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._parent = parent
        self._context = context
        self._say = say
        self._records = RecordTasks(self)
        self.dialog: QFileDialog | None = None
        self.written: Path | None = None  # the latest file written

    def start_pdf(self, report: CohortReport | None) -> None:
        if report is not None:
            self._ask("Save the clinic's audit report", f"clinic-audit-{report.as_of}.pdf",
                      "PDF (*.pdf)", "pdf",
                      lambda path: self._write(_pdf, report, path, "Audit report"))
        else:
            self._say("The clinic is still being counted: save once the figures are shown.")

    def start_csv(self, report: CohortReport | None) -> None:
        if report is not None:
            self._ask("Save the clinic's audit figures", f"clinic-figures-{report.as_of}.csv",
                      "CSV (*.csv)", "csv",
                      lambda path: self._write(_csv, report, path, "Figures"))
        else:
            self._say("The clinic is still being counted: save once the figures are shown.")

    def _ask(self, title: str, name: str, kinds: str, suffix: str,
             chosen: Callable[[Path], None]) -> None:
        folder = demo_reports_folder() if self._context.demo else reports_folder()
        dialog = QFileDialog(self._parent, title, str(folder / name), kinds)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffix)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # opened without a nested loop
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite)  # a file is never replaced
        dialog.fileSelected.connect(lambda file: chosen(Path(file)))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _write(self, writer: Writer, report: CohortReport, path: Path, what: str) -> None:
        record, user = self._context.record, self._context.user
        if record is None or user is None:
            return
        self._say(f"Writing {what.lower()} to {path} …")

        def done(written: Path) -> None:
            self.written = written
            self._say(f"{what} as of {day(report.as_of)} written to {written}.")

        self._records.run(lambda: writer(record, user, report, path), done,
                          lambda why: self._say(f"{what} not written: {why}"))
