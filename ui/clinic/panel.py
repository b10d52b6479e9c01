"""The Clinic tab: the clinic's audit of everyone implanted, as NICE IPG739 asks.

Needs neither a patient nor a device, and is shown to clinicians and admins only (those
who may see the clinic's audit). The figures are the cohort's (``mfconsole cohort``), read
on ``RecordTasks`` as of a chosen date: never on the GUI thread, so STOP keeps working
while a large clinic is counted. This tab only lays them out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.accounts import Action
from console.clinic.profile import load_clinic_profile
from console.outcomes.cohort import CohortReport
from console.outcomes.responders import ResponderRules
from ui.clinic import figures
from ui.clinic.charts import FollowUpChart, ResponderChart
from ui.clinic.papers import AuditFiles
from ui.clinic.tables import FigureTable
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks

PANEL_TITLE = "Clinic"
NO_OUTCOMES = "No patients with outcomes yet: the figures fill in as assessments are entered."


def shown(context: WindowContext) -> bool:
    """Clinicians and admins: those who may see the clinic's audit."""
    return context.may(Action.AUDIT_CLINIC)


def create(context: WindowContext) -> QWidget:
    return ClinicPanel(context)


def _boxed(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box


def _words(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ClinicPanel(QWidget):
    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._records = RecordTasks(self)
        self._asked = 0  # the latest read asked for; an older answer is not shown
        self._read_once = False
        self.report: CohortReport | None = None  # what is shown, and what the files hold
        self.cohort: dict[str, Any] | None = None  # its figures (``report.as_json()``)
        self.shown_as_of: date | None = None
        self.reading = False  # the latest read is not back yet

        self.as_of = QDateEdit(QDate.currentDate())
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("d MMM yyyy")
        self.as_of.setKeyboardTracking(False)  # a typed date is counted once, when complete
        self.as_of.setToolTip("Follow-ups count as due when their date is on or before this")
        self.as_of.dateChanged.connect(self.refresh)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read the clinic's figures from the record again")
        self.refresh_button.clicked.connect(self.refresh)
        self.files = AuditFiles(self, context, self._say)
        self.pdf_button = QPushButton("Audit report (PDF)…")
        self.pdf_button.clicked.connect(lambda: self.files.start_pdf(self.report))
        self.csv_button = QPushButton("Figures (CSV)…")
        self.csv_button.clicked.connect(lambda: self.files.start_csv(self.report))
        top = QHBoxLayout()
        top.addWidget(QLabel("As of"))
        top.addWidget(self.as_of)
        top.addWidget(self.refresh_button)
        self.patients = QLabel()
        top.addWidget(self.patients, 1)
        top.addWidget(self.pdf_button)
        top.addWidget(self.csv_button)
        # one line, always there, so the tables do not jump as it changes: what is being
        # done or went wrong, else the empty record's notice
        self.message = QLabel()
        self.empty = QLabel(NO_OUTCOMES)
        self.empty.setObjectName("findingConfirm")
        self.empty.hide()
        notice = QWidget()
        notice_layout = QHBoxLayout(notice)
        notice_layout.setContentsMargins(0, 0, 0, 0)
        notice_layout.addWidget(self.message, 1)
        notice_layout.addWidget(self.empty, 1)
        notice.setFixedHeight(self.fontMetrics().lineSpacing() + 6)

        self.followup = FigureTable(figures.FOLLOWUP_HEADERS)
        self.responders = FigureTable(figures.RESPONDER_HEADERS)
        self.rules = _words()
        self.events = FigureTable(figures.EVENT_HEADERS,
                                  lambda row: figures.category_meaning(row[0]), fitted=False)
        self.events_total = QLabel()
        self.explants = FigureTable(figures.EXPLANT_HEADERS, bold_last=1)
        self.adherence = _words()
        self.followup_chart = FollowUpChart()
        self.responder_chart = ResponderChart()

        grid = QGridLayout()
        grid.addWidget(_boxed("Follow-up completeness", self.followup), 0, 0)
        grid.addWidget(_boxed("Responders", self.responders, self.rules), 1, 0)
        charts = QHBoxLayout()
        charts.addWidget(_boxed("Grey: due · blue: collected", self.followup_chart), 1)
        charts.addWidget(_boxed("Responders %: blue pain · green function",
                                self.responder_chart), 1)
        grid.addLayout(charts, 2, 0)
        side = QVBoxLayout()  # the list of events takes the height there is
        side.addWidget(_boxed("Adverse events", self.events_total, self.events), 1)
        side.addWidget(_boxed("Explants and usage", self.explants, self.adherence))
        grid.addLayout(side, 0, 1, 3, 1)
        grid.setRowStretch(2, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(notice)
        layout.addLayout(grid, 1)

    def as_of_date(self) -> date:
        return self.as_of.date().toPython()

    def showEvent(self, event: QShowEvent) -> None:
        """Read when first looked at, not at sign-in: a large clinic takes a moment."""
        super().showEvent(event)
        if not self._read_once:
            self._read_once = True
            self.refresh()

    def refresh(self) -> None:
        """Count the clinic as of the chosen date, off the GUI thread."""
        context = self._context
        record, user = context.record, context.user
        if record is None or user is None:
            self._say("No clinical record is open.")
            return
        as_of = self.as_of_date()
        self._asked += 1
        asked = self._asked
        self.reading = True
        self._say(f"Counting the clinic as of {figures.day(as_of)} …")

        def read() -> tuple[CohortReport, ResponderRules]:
            profile = load_clinic_profile()
            return record.cohort(user, as_of, profile), ResponderRules.of(profile)

        self._records.run(read, lambda found: self._show(asked, as_of, *found),
                          lambda why: self._failed(asked, why))

    def _show(self, asked: int, as_of: date, report: CohortReport,
              rules: ResponderRules) -> None:
        if asked != self._asked:
            return  # a later date was chosen meanwhile
        cohort = report.as_json()
        self.report, self.cohort, self.shown_as_of, self.reading = report, cohort, as_of, False
        self.patients.setText(figures.patients_text(cohort, as_of))
        self.followup.show_rows(figures.followup_rows(cohort))
        self.responders.show_rows(figures.responder_rows(cohort))
        self.rules.setText(figures.rules_text(rules))
        # wrapped under the table it explains: room for every line at the table's width
        self.rules.setMinimumHeight(self.rules.heightForWidth(self.responders.minimumWidth()))
        self.events_total.setText(figures.events_text(cohort))
        self.events.show_rows(figures.event_rows(cohort))
        self.explants.show_rows(figures.explant_rows(cohort))
        self.adherence.setText(figures.adherence_text(cohort))
        self.followup_chart.show_cohort(cohort)
        self.responder_chart.show_cohort(cohort)
        self._say("")

    def _failed(self, asked: int, why: str) -> None:
        if asked == self._asked:
            self.reading = False
            self._say(f"The clinic's figures could not be read from the record: {why}")

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)
        self.message.setVisible(bool(text))
        self.empty.setVisible(not text and self.cohort is not None
                              and not figures.collected_any(self.cohort))
