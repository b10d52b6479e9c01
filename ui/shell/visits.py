"""The visit in the window: start one, see it, end it, switch patient; and, on the first
connection of each visit, record what the device arrived with.

The dialogs open window-modal without a nested event loop of their own; STOP (the
button and the application-wide keys) works while any of them is shown. Ending a visit
or switching patient asks first when work on screen would be lost, with leaving's
question. Switching patient is for when no device is connected: the connected device is
recorded against the patient of the visit it was connected in.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from console.accounts import AccessError
from console.device.arrival import Arrival, read_arrival
from console.programming.screen_state import DeviceFacts
from console.storage import Patient, RecordError, Timeline, Visit
from console.storage.programs import found_on_arrival
from ui.shell.context import WindowContext
from ui.shell.leaving import LeaveQuestion, unsaved_reasons
from ui.shell.patient_dialog import NewVisitDialog, PatientDialog, patient_text, visit_text
from ui.shell.record_tasks import RecordTasks, keeper_for

_log = logging.getLogger(__name__)
ARRIVAL_OPERATION = "read every program slot on arrival"


class Visits(QObject):
    """The Patient menu's work. ``changed`` when the patient or the visit changed."""

    changed = Signal()

    def __init__(self, parent: QWidget, context: WindowContext, question: LeaveQuestion,
                 say: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._parent = parent
        self._context = context
        self._question = question
        self._say = say
        self._records = RecordTasks(self)
        self._arrived: set[tuple[int, str]] = set()  # (visit, serial) read in full
        self.dialog: PatientDialog | NewVisitDialog | None = None
        self.details_box: QMessageBox | None = None
        context.controller.connected.connect(self._connected)

    # -- what may be done now --------------------------------------------------------------

    @property
    def _signed_in(self) -> bool:
        return self._context.record is not None and self._context.user is not None

    def may_start(self) -> bool:
        return self._signed_in and self._context.visit is None

    def may_switch(self) -> bool:
        return self._signed_in and self._context.model.device is None

    def may_end(self) -> bool:
        return self._signed_in and self._context.visit is not None

    # -- start, switch, end ----------------------------------------------------------------

    def start(self) -> None:
        """A new visit for the patient on screen (or choose a patient first)."""
        context = self._context
        if not self.may_start():
            return
        assert context.record is not None and context.user is not None
        if context.patient is None:
            self._choose_patient()
            return
        dialog = NewVisitDialog(context.record, context.user, context.patient, self._parent)
        dialog.accepted.connect(lambda: self._begin(context.patient, dialog.visit))
        self._show(dialog)

    def switch_patient(self) -> None:
        """Choose another patient (and start their visit); the open visit ends first."""
        if not self.may_switch():
            return
        reasons = unsaved_reasons(self._context)
        if reasons and not self._question.ask("Switch patient?", reasons,
                                              question="Switch patient anyway?",
                                              go_on="Switch anyway"):
            return
        self._choose_patient()

    def _choose_patient(self) -> None:
        context = self._context
        assert context.record is not None and context.user is not None
        dialog = PatientDialog(context.record, context.user, self._parent)
        if context.patient is not None:
            dialog.select(context.patient.clinic_id)
        dialog.accepted.connect(lambda: self._chosen(dialog))
        self._show(dialog)

    def _chosen(self, dialog: PatientDialog) -> None:
        self._end_open_visit()
        if dialog.bench:
            self._context.patient = None
            self._context.visit = None
            self.changed.emit()
            return
        self._begin(dialog.patient, dialog.visit)

    def _begin(self, patient: Patient | None, visit: Visit | None) -> None:
        self._context.patient = patient
        self._context.visit = visit
        self.changed.emit()
        if visit is not None:
            self._say(f"Started {visit_text(visit)}.")
            device = self._context.model.device
            if device is not None:  # a visit started while connected: read its arrival now
                self._connected(device)

    def end(self) -> bool:
        """End the open visit, after the question if work on screen would be lost."""
        if not self.may_end():
            return False
        reasons = unsaved_reasons(self._context)
        if reasons and not self._question.ask("End the visit?", reasons,
                                              question="End the visit anyway?",
                                              go_on="End visit anyway"):
            return False
        ended = self._end_open_visit()
        self.changed.emit()
        return ended

    def _end_open_visit(self) -> bool:
        context = self._context
        visit = context.visit
        if visit is None or context.record is None or context.user is None:
            return False
        try:
            context.record.end_visit(context.user, visit.id, expected_revision=visit.revision)
        except (RecordError, AccessError) as exc:  # ended elsewhere, or the record is gone
            self._say(f"Visit {visit.id} was not ended in the record: {exc}")
            _log.warning("visit %s was not ended: %s", visit.id, exc)
            context.visit = None
            return False
        context.visit = None
        self._say(f"Ended {visit_text(visit)}.")
        return True

    def _show(self, dialog: PatientDialog | NewVisitDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    # -- details ---------------------------------------------------------------------------

    def details(self) -> None:
        """The open visit, what the device arrived with and what was written in it."""
        context = self._context
        if context.visit is None or context.patient is None or not self._signed_in:
            return
        record, user, clinic_id = context.record, context.user, context.patient.clinic_id
        assert record is not None and user is not None
        self._records.run(lambda: record.timeline(user, clinic_id), self._show_details,
                          lambda message: self._say(f"The visit could not be read: {message}"))

    def _show_details(self, timeline: Timeline) -> None:
        visit = self._context.visit
        if visit is None:
            return
        box = QMessageBox(QMessageBox.Icon.Information, "Visit details",
                          details_text(timeline, visit.id), parent=self._parent)
        box.setModal(False)
        self.details_box = box
        box.finished.connect(box.deleteLater)
        box.open()

    # -- what the device arrived with ------------------------------------------------------

    def _connected(self, facts: DeviceFacts) -> None:
        """Once per visit and device: every slot read, what the record lacks recorded."""
        context = self._context
        visit, serial = context.visit, facts.identity.serial
        keeper = keeper_for(context)
        if visit is None or keeper is None or (visit.id, serial) in self._arrived:
            return
        context.controller.run(ARRIVAL_OPERATION, lambda client: read_arrival(client, keeper),
                               self._arrival_read,
                               on_failed=lambda message: self._arrival_failed(serial, message))

    def _still_connected_to(self, serial: str) -> bool:
        """The status line speaks of the present: after a disconnect, that is news enough."""
        device = self._context.model.device
        return device is not None and device.identity.serial == serial

    def _arrival_read(self, arrival: Arrival) -> None:
        if arrival.complete:
            self._arrived.add((arrival.visit_id, arrival.serial))
        if (arrival.recorded or not arrival.complete) and self._still_connected_to(
                arrival.serial):
            self._say(arrival.sentence())

    def _arrival_failed(self, serial: str, message: str) -> None:
        if self._still_connected_to(serial):
            self._say(f"What the device arrived with was not read: {message}. It is read "
                      "again on the next connection.")


def details_text(timeline: Timeline, visit_id: int) -> str:
    """The visit, in rich text: who, what, since when; arrived with; written in it."""
    visit = next(v for v in timeline.visits if v.id == visit_id)
    ours = [v for v in timeline.versions if v.visit_id == visit_id]
    found = [v for v in ours if found_on_arrival(v)]
    written = [v for v in ours if not found_on_arrival(v)]
    lines = [f"Patient <b>{html.escape(patient_text(timeline.patient))}</b>",
             f"{html.escape(_sentence_case(visit_text(visit)))}, operator {visit.operator}",
             f"Device: {visit.device_serial or 'not named when the visit started'}"]
    lines.append("<b>Arrived with</b> (recorded as found): " + (
        "; ".join(f"slot {v.slot}, CRC {v.record_crc:#06x} (version {v.id})" for v in found)
        or "nothing the record did not already hold"))
    lines.append("<b>Written in this visit</b>: " + (
        "; ".join(f"version {v.id}, slot {v.slot}, {v.status.value}" for v in written)
        or "nothing yet"))
    return "<br>".join(lines)


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]
