"""The Outcomes tab: the open patient's follow-up, assessments and adverse events.

Reads run on ``RecordTasks`` (never on the GUI thread that carries the STOP key), on
first showing, when the patient changes and after each save. Scores, changes from
baseline and responders come from ``console/outcomes`` with the clinic profile's rules;
this tab lays them out and hands what is entered to the clinical record, which checks it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.accounts import Action, User
from console.storage import ClinicalRecord
from ui.outcomes.assessment_dialog import Assessment, AssessmentDialog
from ui.outcomes.chart import OutcomesChart
from ui.outcomes.entry_dialog import Done, EntryDialog, Refused
from ui.outcomes.event_dialog import EventDialog, EventForm
from ui.outcomes.strip import TimepointStrip
from ui.outcomes.tables import EntriesTable, EventsTable
from ui.outcomes.view_data import OutcomesView, Standing, read_view
from ui.outcomes.withdraw_dialog import WithdrawDialog
from ui.outcomes.words import TIMEPOINT_WORDS, day_text, rules_text
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks

PANEL_TITLE = "Outcomes"


def create(context: WindowContext) -> QWidget:
    return OutcomesPanel(context)


def _button(text: str, pressed: Callable[[], None]) -> QPushButton:
    button = QPushButton(text)
    button.clicked.connect(pressed)
    return button


class OutcomesPanel(QWidget):
    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._records = RecordTasks(self)
        self._shown_for: str | None = None  # the patient the tab was last read for
        self.view: OutcomesView | None = None
        self.dialog: EntryDialog | None = None

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.show_corrections = QCheckBox("Show corrections")
        self.show_corrections.setToolTip("List replaced and withdrawn entries too (greyed; "
                                         "they are never counted)")
        self.show_corrections.toggled.connect(lambda _on: self.refresh())
        self.rules = QLabel()
        self.rules.setObjectName("findingInfo")
        self.rules.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.summary, 2)
        top.addWidget(self.rules, 3)
        top.addWidget(self.show_corrections)
        self.strip = TimepointStrip()
        self.chart = OutcomesChart()

        self.entries = EntriesTable()
        self.add_button = _button("Add assessment…", self.add_assessment)
        self.correct_button = _button("Correct…", self.correct_assessment)
        self.withdraw_button = _button("Withdraw…", self.withdraw_assessment)
        self.events = EventsTable()
        self.add_event_button = _button("Record adverse event…", self.add_event)
        self.correct_event_button = _button("Correct…", self.correct_event)
        self.withdraw_event_button = _button("Withdraw…", self.withdraw_event)
        self.lists = QTabWidget()
        self.lists.addTab(self._page(self.entries, self.add_button, self.correct_button,
                                     self.withdraw_button), "Assessments")
        self.lists.addTab(self._page(self.events, self.add_event_button,
                                     self.correct_event_button, self.withdraw_event_button),
                          "Adverse events")
        self.entries.itemSelectionChanged.connect(self._reflect)
        self.events.itemSelectionChanged.connect(self._reflect)

        follow_up = QWidget()
        beside = QHBoxLayout(follow_up)
        beside.setContentsMargins(0, 0, 0, 0)
        beside.addWidget(self.strip)
        beside.addWidget(self.chart, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(follow_up)
        self.splitter.addWidget(self.lists)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([345, 225])
        self.splitter.setChildrenCollapsible(False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.message)
        self._reflect()

    @staticmethod
    def _page(table: QWidget, *buttons: QPushButton) -> QWidget:
        page = QWidget()
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(table, 1)
        return page

    # -- reading ---------------------------------------------------------------------------

    def _clinic_id(self) -> str | None:
        patient = self._context.patient
        return None if patient is None else patient.clinic_id

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._shown_for != self._clinic_id() or self.view is None:
            self.refresh()

    def rescope(self) -> None:
        """Another patient may be open: read theirs now if the tab is in view."""
        if self.isVisible():
            self.refresh()
        else:
            self._shown_for = None

    def refresh(self) -> None:
        context, clinic_id = self._context, self._clinic_id()
        record, user = context.record, context.user
        self._shown_for = clinic_id
        if record is None or user is None or clinic_id is None:
            self._show_nobody()
            return
        corrections = self.show_corrections.isChecked()
        self._records.run(lambda: read_view(record, user, clinic_id,
                                            with_corrections=corrections, today=date.today()),
                          self._show, lambda why: self._say(
                              f"The outcomes could not be read from the clinical record: {why}"))

    def _show_nobody(self) -> None:
        self.view = None
        self.summary.setText("No patient is open: outcomes belong to a patient. Choose one "
                             "from the Visit menu.")
        self.strip.clear()
        self.chart.clear()
        self.entries.show_rows((), None)
        self.events.show_rows(())
        self._reflect()

    def _show(self, view: OutcomesView) -> None:
        if view.clinic_id != self._clinic_id():
            return  # read for a patient no longer open; the newer read follows
        self.view = view
        implant = (f"first implant {day_text(view.implant)}" if view.implant
                   else "no implant date in the record: the follow-ups cannot be scheduled")
        self.summary.setText(f"<b>{view.clinic_id}</b> · {implant}")
        self.rules.setText(rules_text(view.rules))
        if not self._context.may(Action.RECORD_OUTCOMES) and not self.message.text():
            role = self._context.user.role.value if self._context.user else "none"
            self._say(f"Your role ({role}) may view outcomes but not record them.")
        self.strip.show_schedule(view.schedule())
        self.chart.show_view(view)
        self.entries.show_rows(view.entry_rows, view.rules, view.eq5d_values)
        self.events.show_rows(view.event_rows)
        self.lists.setTabText(0, f"Assessments ({len(view.current)})")
        self.lists.setTabText(1, f"Adverse events ({len(view.events)})")
        self._reflect()

    # -- what may be done ------------------------------------------------------------------

    def _reflect(self) -> None:
        context = self._context
        may = context.may(Action.RECORD_OUTCOMES)
        why_not = (None if may else f"Role {context.user.role.value if context.user else '—'} "
                   f"may not {Action.RECORD_OUTCOMES.value}")
        if self.view is None:
            why_not = why_not or "No patient's outcomes are shown"
        for button in (self.add_button, self.add_event_button):
            button.setEnabled(why_not is None)
            button.setToolTip(why_not or "")
        entry, event = self.entries.selected(), self.events.selected()
        for buttons, standing in (
                ((self.correct_button, self.withdraw_button),
                 None if entry is None else entry.standing),
                ((self.correct_event_button, self.withdraw_event_button),
                 None if event is None else event.standing)):
            reason = why_not or self._why_not_selected(standing)
            for button in buttons:
                button.setEnabled(reason is None)
                button.setToolTip(reason or "")

    @staticmethod
    def _why_not_selected(standing: Standing | None) -> str | None:
        if standing is None:
            return "Select an entry in the list first"
        if not standing.current:
            return f"This entry was {standing.mark}: correct the current one"
        return None

    # -- dialogs ---------------------------------------------------------------------------

    def _open(self, dialog: EntryDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(lambda _code: self._closed(dialog))
        dialog.show()
        dialog.raise_()

    def _closed(self, dialog: EntryDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _ready(self) -> OutcomesView | None:
        """The view to enter against, unless a dialog is open already (brought forward)."""
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            self._say("Finish or cancel the open dialog first.")
            return None
        return self.view

    def add_assessment(self) -> None:
        view = self._ready()
        if view is not None:
            self._open(AssessmentDialog(view.clinic_id, view.schedule(), view.today,
                                        self._assessment_saver(view.clinic_id, None),
                                        parent=self))

    def correct_assessment(self) -> None:
        view, row = self._ready(), self.entries.selected()
        if view is not None and row is not None and row.standing.current:
            self._open(AssessmentDialog(view.clinic_id, view.schedule(), view.today,
                                        self._assessment_saver(view.clinic_id, row.entry.id),
                                        entry=row.entry, parent=self))

    def withdraw_assessment(self) -> None:
        view, row = self._ready(), self.entries.selected()
        if view is None or row is None or not row.standing.current:
            return
        entry = row.entry
        what = (f"the {TIMEPOINT_WORDS[entry.timepoint].lower()} assessment of "
                f"{day_text(entry.collected_on)}")
        record, user = self._acting()
        self._open(WithdrawDialog(what, lambda reason, done, refused: self._write(
            lambda: record.withdraw_outcome(user, entry.id, reason), done, refused,
            f"Withdrew {what}."), parent=self))

    def add_event(self) -> None:
        view = self._ready()
        if view is not None:
            self._open(EventDialog(view.clinic_id, view.devices, view.today,
                                   self._event_saver(view.clinic_id, None), parent=self))

    def correct_event(self) -> None:
        view, row = self._ready(), self.events.selected()
        if view is not None and row is not None and row.standing.current:
            self._open(EventDialog(view.clinic_id, view.devices, view.today,
                                   self._event_saver(view.clinic_id, row.event.id),
                                   event=row.event, parent=self))

    def withdraw_event(self) -> None:
        view, row = self._ready(), self.events.selected()
        if view is None or row is None or not row.standing.current:
            return
        event = row.event
        what = (f"the adverse event {event.details.category.value} of "
                f"{day_text(event.details.onset)}")
        record, user = self._acting()
        self._open(WithdrawDialog(what, lambda reason, done, refused: self._write(
            lambda: record.withdraw_adverse_event(user, event.id, reason), done, refused,
            f"Withdrew {what}."), parent=self))

    # -- writing ---------------------------------------------------------------------------

    def _acting(self) -> tuple[ClinicalRecord, User]:
        context = self._context
        assert context.record is not None and context.user is not None
        return context.record, context.user

    def _visit_for(self, clinic_id: str) -> int | None:
        """The open visit, when it is this patient's: the entry is made in it."""
        visit = self._context.visit
        return visit.id if visit is not None and visit.patient_clinic_id == clinic_id else None

    def _assessment_saver(self, clinic_id: str, entry_id: int | None,
                          ) -> Callable[[Assessment, Done, Refused], None]:
        record, user = self._acting()
        visit_id = self._visit_for(clinic_id)

        def save(form: Assessment, done: Done, refused: Refused) -> None:
            what = f"the {TIMEPOINT_WORDS[form.point].lower()} assessment"
            if entry_id is None:
                self._write(lambda: record.record_outcome(
                    user, clinic_id, form.point, form.collected_on, form.measures,
                    visit_id=visit_id), done, refused, f"Saved {what}.")
            else:
                self._write(lambda: record.amend_outcome(
                    user, entry_id, form.collected_on, form.measures, form.reason,
                    visit_id=visit_id), done, refused, f"Corrected {what}.")
        return save

    def _event_saver(self, clinic_id: str, event_id: int | None,
                     ) -> Callable[[EventForm, Done, Refused], None]:
        record, user = self._acting()
        visit_id = self._visit_for(clinic_id)

        def save(form: EventForm, done: Done, refused: Refused) -> None:
            what = f"the adverse event {form.details.category.value}"
            if event_id is None:
                self._write(lambda: record.record_adverse_event(
                    user, clinic_id, form.details, device_serial=form.device_serial,
                    visit_id=visit_id), done, refused, f"Recorded {what}.")
            else:
                self._write(lambda: record.amend_adverse_event(
                    user, event_id, form.details, form.reason, visit_id=visit_id),
                    done, refused, f"Corrected {what}.")
        return save

    def _write(self, work: Callable[[], object], done: Done, refused: Refused,
               said: str) -> None:
        def written(_entry: object) -> None:
            done()
            self._say(said)
            self.refresh()

        self._records.run(work, written, refused)

    def _say(self, text: str) -> None:
        self.message.setText(text)
