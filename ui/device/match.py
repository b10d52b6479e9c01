"""The device-match warning bar: the record's answer to "is this the patient's device?".

A mismatch (a device registered to someone else, or not registered to anyone) is a
warning the user must answer — register it to this patient, change to its owner, or
disconnect. It is an in-window bar, never a modal dialog, so STOP stays reachable even
when the device is found delivering therapy. The record is asked on ``RecordTasks``:
checking never waits for the device.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from console.accounts.roles import Action
from console.device.matching import (
    DeviceMatch,
    Ownership,
    change_to_owner,
    match_device,
    register_to_patient,
)
from console.programming.screen_state import DeviceFacts
from console.storage import Patient, Visit, VisitKind
from ui.common.theme import CONFIRM_AMBER
from ui.shell.context import WindowContext
from ui.shell.record_tasks import RecordTasks


class DeviceMatchBar(QFrame):
    """The warning bar under the header; hidden while the device is the patient's."""

    patient_changed = Signal()  # the user changed to the device's owner (new visit)

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._records = RecordTasks(self)
        self.match: DeviceMatch | None = None
        self.setObjectName("deviceMismatch")
        self.setStyleSheet(f"QFrame#deviceMismatch {{ background: #fff3e0; border: 2px solid "
                           f"{CONFIRM_AMBER}; border-radius: 4px; }}")
        layout = QHBoxLayout(self)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {CONFIRM_AMBER}; font-weight: bold;")
        layout.addWidget(self.message, 1)
        self.register_button = QPushButton()
        self.register_button.clicked.connect(self._register)
        layout.addWidget(self.register_button)
        self.switch_button = QPushButton()
        self.switch_button.clicked.connect(self._switch)
        layout.addWidget(self.switch_button)
        self.continue_button = QPushButton("Continue unregistered")
        self.continue_button.setToolTip("Work with the device without recording it against "
                                        "this patient; the record refuses program versions "
                                        "and measurements for it")
        self.continue_button.clicked.connect(self.hide)
        layout.addWidget(self.continue_button)
        self.disconnect_button = QPushButton("Disconnect")
        self.disconnect_button.clicked.connect(self._disconnect)
        layout.addWidget(self.disconnect_button)
        self.hide()
        context.controller.connected.connect(self.check)
        context.controller.disconnected.connect(self._forget)

    def check(self, facts: DeviceFacts) -> None:
        """Ask the record whose device this is."""
        context = self._context
        if context.record is None or context.user is None or context.patient is None:
            return  # bench work: no patient to compare with
        record, user, clinic_id = context.record, context.user, context.patient.clinic_id
        identity = facts.identity
        self._records.run(lambda: match_device(record, user, identity, clinic_id), self._show,
                          lambda message: self._warn(
                              f"⚠ The clinical record could not say whose device "
                              f"{identity.serial} is: {message}. Disconnect, or continue "
                              "without recording against this patient."))

    def _show(self, match: DeviceMatch) -> None:
        patient = self._context.patient
        if patient is None or self._context.model.device is None:
            return
        self.match = match
        if match.ownership is Ownership.PATIENTS:
            self.hide()
            return
        may_register = self._context.may(Action.MANAGE_PATIENTS)
        device = f"Device {match.serial} ({match.model})"
        if match.ownership is Ownership.OTHER_PATIENT:
            text = (f"⚠ {device} belongs to patient {match.owner}, not to {patient.clinic_id}. "
                    "Disconnect, or change to that patient if that is who is here.")
        else:
            text = (f"⚠ {device} is {match.ownership.value}. Register it to patient "
                    f"{patient.clinic_id} if it is implanted in this patient, or disconnect.")
            if not may_register:
                text += (f" Role {self._context.user.role.value} may not register devices.")
        self.message.setText(text)
        self.register_button.setText(f"Register to {patient.clinic_id}")
        self.register_button.setVisible(match.registrable and may_register)
        self.continue_button.setVisible(match.registrable and not may_register)
        self.switch_button.setText(f"Change to patient {match.owner}")
        self.switch_button.setVisible(match.ownership is Ownership.OTHER_PATIENT)
        self.show()

    def _warn(self, text: str) -> None:
        """The record did not answer: say so here, and leave only the safe ways on."""
        if self._context.model.device is None:
            return
        self.message.setText(text)
        self.register_button.hide()
        self.switch_button.hide()
        self.continue_button.show()
        self.show()

    def _refused(self, what: str, message: str) -> None:
        """An answer the record refused: the warning stays, with the reason."""
        if self.match is not None and self.isVisible():
            self.message.setText(f"⚠ {what}: {message}")

    def _forget(self, _reason: str) -> None:
        self.match = None
        self.hide()

    def _disconnect(self) -> None:
        self.hide()
        self._context.controller.disconnect_device()

    def _register(self) -> None:
        context, match = self._context, self.match
        if match is None or context.record is None or context.patient is None:
            return
        record, user, clinic_id = context.record, context.user, context.patient.clinic_id
        self._records.run(lambda: register_to_patient(record, user, match, clinic_id),
                          lambda _device: self.hide(),
                          lambda message: self._refused(f"Device {match.serial} was NOT "
                                                        f"registered to {clinic_id}", message))

    def _switch(self) -> None:
        context, match = self._context, self.match
        if match is None or match.owner is None or context.record is None:
            return
        record, user = context.record, context.user
        kind = context.visit.kind if context.visit is not None else VisitKind.PROGRAMMING
        self._records.run(lambda: change_to_owner(record, user, match, kind), self._switched,
                          lambda message: self._refused(f"Patient not changed: no visit "
                                                        f"for {match.owner} could be "
                                                        "started", message))

    def _switched(self, chosen: tuple[Patient, Visit]) -> None:
        self._context.patient, self._context.visit = chosen
        self.hide()
        self.patient_changed.emit()
