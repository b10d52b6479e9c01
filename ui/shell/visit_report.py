"""Patient menu → Visit report…: the visit report and the patient handout as PDF files.

The report is of the open visit (provisional until it ends) or, with none open, of the
patient's latest visit. A save dialog chooses where (the reports folder by default; the
demo's go to the temporary folder); the handout is written beside the report. The record
and file work runs on ``RecordTasks``, never on the GUI thread; the dialogs open
window-modal without a nested event loop, so STOP keeps working throughout. Printing is
opening the files in the system's PDF viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from console.accounts import User
from console.clinic.profile import load_clinic_profile
from console.paths import demo_reports_folder, reports_folder
from console.report.handout_pdf import write_handout
from console.report.visit_data import gather_visit_report
from console.report.visit_inputs import visit_marks, visit_usage
from console.report.visit_pdf import write_visit_report
from console.storage import ClinicalRecord, NotFound
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks

OPEN_BOTH = "Open both"


@dataclass(frozen=True, slots=True)
class VisitPapers:
    """The two files written, and of which visit."""

    visit_id: int
    report: Path
    handout: Path
    provisional: bool


def handout_path(report: Path) -> Path:
    """The handout beside the report: ``visit-….pdf`` → ``visit-…-handout.pdf``."""
    return report.with_name(f"{report.stem}-handout.pdf")


def write_papers(record: ClinicalRecord, user: User, clinic_id: str, visit_id: int | None,
                 report: Path, *, demo: bool) -> VisitPapers:
    """Gather the visit (the latest of the patient when ``visit_id`` is None) and write both
    files: usage since the previous visit and the marks of this one come with it."""
    if visit_id is None:
        visits = record.visits(user, patient=clinic_id)
        if not visits:
            raise NotFound(f"patient {clinic_id} has no visit yet")
        visit_id = visits[-1].id
    clinic = load_clinic_profile()
    visit = record.visit(user, visit_id)
    data = gather_visit_report(record, user, visit_id, clinic=clinic,
                               usage=visit_usage(record, user, visit, clinic),
                               marks=visit_marks(record, user, visit), demo=demo)
    report.parent.mkdir(parents=True, exist_ok=True)
    handout = handout_path(report)
    write_visit_report(data, report)
    write_handout(data, handout)
    return VisitPapers(visit_id, report, handout, data.visit.ended_at is None)


def open_papers(papers: VisitPapers) -> None:
    """Both files in the system's PDF viewer (from which they are printed)."""
    for path in (papers.report, papers.handout):
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class VisitReports(QObject):
    """The menu entry's work: choose the file, write both off the GUI thread, offer to open."""

    def __init__(self, parent: QWidget, context: WindowContext,
                 say: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._parent = parent
        self._context = context
        self._say = say
        self._records = RecordTasks(self)
        self.writing = False
        self.dialog: QFileDialog | None = None
        self.done_box: QMessageBox | None = None

    def may_report(self) -> bool:
        context = self._context
        return (context.record is not None and context.user is not None
                and context.patient is not None and not self.writing)

    def start(self) -> None:
        """Ask where to save the report (the handout goes beside it)."""
        if not self.may_report():
            return
        assert self._context.patient is not None
        folder = demo_reports_folder() if self._context.demo else reports_folder()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        patient = "".join(c if c.isalnum() or c in "-_" else "_"
                          for c in self._context.patient.clinic_id)
        dialog = QFileDialog(self._parent, "Save the visit report (the patient handout is "
                                           "saved beside it)",
                             str(folder / f"visit-{patient}-{stamp}.pdf"), "PDF (*.pdf)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # opened without a nested loop
        dialog.fileSelected.connect(lambda name: self._write(Path(name)))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _write(self, report: Path) -> None:
        context = self._context
        record, user, patient = context.record, context.user, context.patient
        if record is None or user is None or patient is None:
            return
        visit_id, demo = context.visit_id, context.demo
        self.writing = True
        self._say(f"Writing the visit report to {report.parent} …")
        self._records.run(
            lambda: write_papers(record, user, patient.clinic_id, visit_id, report, demo=demo),
            self._written, self._failed)

    def _written(self, papers: VisitPapers) -> None:
        self.writing = False
        self._say(f"Visit report and patient handout written in {papers.report.parent}.")
        note = ("\n\nThe visit is still open: this report is provisional until it ends."
                if papers.provisional else "")
        box = QMessageBox(QMessageBox.Icon.Information, "Visit report written",
                          f"Visit {papers.visit_id}: the report and the patient handout are "
                          f"saved in\n{papers.report.parent}\n\nReport: {papers.report.name}\n"
                          f"Patient handout: {papers.handout.name}{note}", parent=self._parent)
        box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 600px; }")  # a name a line
        open_both = box.addButton(OPEN_BOTH, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.setToolTip("Opens them in the system's PDF viewer, from which they are printed")
        open_both.clicked.connect(lambda: open_papers(papers))
        box.finished.connect(box.deleteLater)
        self.done_box = box
        box.open()

    def _failed(self, message: str) -> None:
        self.writing = False
        self._say(f"The visit report was not written: {message}")
        box = QMessageBox(QMessageBox.Icon.Warning, "Visit report not written",
                          f"The visit report was not written:\n\n{message}",
                          parent=self._parent)
        box.finished.connect(box.deleteLater)
        self.done_box = box
        box.open()
