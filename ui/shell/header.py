"""The strip always on top: which patient and visit, which device, what it is doing, its
warnings by priority, and STOP."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.common.theme import DEMO_PURPLE, INFO_GREY, STATE_COLOURS, STATE_TEXT
from ui.device.match import DeviceMatchBar
from ui.shell.context import WindowContext
from ui.shell.device_warnings import DeviceWarningStrip
from ui.shell.patient_dialog import patient_text, visit_text
from ui.shell.stop_control import StopButton


def _badge(text: str, colour: str, tooltip: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("badge")
    label.setStyleSheet(f"background: {colour};")
    label.setToolTip(tooltip)
    label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return label


class DeviceHeader(QWidget):
    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # Two identity lines beside the state, the warnings under both, STOP beside all.
        grid = QGridLayout()
        grid.setVerticalSpacing(2)
        outer.addLayout(grid)
        badges = QHBoxLayout()
        if context.demo:
            badges.addWidget(_badge("DEMO", DEMO_PURPLE, "Demonstration data: not a patient"))
        self._emulator_badge = _badge("EMULATOR", INFO_GREY,
                                      "Connected to the device emulator, not an implant")
        badges.addWidget(self._emulator_badge)
        grid.addLayout(badges, 0, 0, 2, 1)
        self._patient = QLabel()
        self._patient.setObjectName("patientIdentity")
        self._patient.setToolTip("The patient and visit everything done now is recorded for")
        self._patient.setWordWrap(True)  # wraps rather than widen the window
        grid.addWidget(self._patient, 0, 1)
        self._device = QLabel()
        self._device.setObjectName("deviceIdentity")
        self._battery = QLabel()
        identity_line = QHBoxLayout()
        identity_line.setSpacing(8)
        identity_line.addWidget(self._device)
        identity_line.addWidget(self._battery)
        identity_line.addStretch(1)
        grid.addLayout(identity_line, 1, 1)
        self.warnings = DeviceWarningStrip(context)
        grid.addWidget(self.warnings, 2, 0, 1, 3)
        self._state = QLabel()
        self._state.setObjectName("stateLabel")
        grid.addWidget(self._state, 0, 2, 2, 1)
        self.stop_button = StopButton(context.controller.stop)
        grid.addWidget(self.stop_button, 0, 3, 3, 1)
        grid.setColumnStretch(1, 1)
        self.device_match = DeviceMatchBar(context)
        self.device_match.patient_changed.connect(self.show_patient)
        outer.addWidget(self.device_match)
        context.model.device_changed.connect(self.refresh)
        self.show_patient()
        self.refresh()

    def show_patient(self) -> None:
        patient, visit = self._context.patient, self._context.visit
        if patient is None:
            self._patient.setText("No patient — engineering bench work, nothing is recorded "
                                  "for a patient")
            return
        text = f"Patient <b>{patient_text(patient)}</b>"
        if visit is not None:
            text += f" · {visit_text(visit)}"
        self._patient.setText(text)

    def refresh(self) -> None:
        facts = self._context.model.device
        state = self._context.model.state_name
        background, colour = STATE_COLOURS.get(state, STATE_COLOURS["DISCONNECTED"])
        if facts is None:  # words from the one state: a chosen disconnect is no alarm
            self._state.setText("LINK LOST — device state unknown"
                                if self._context.model.link_lost else "DISCONNECTED")
        else:
            self._state.setText(STATE_TEXT.get(state, state))
        self._state.setStyleSheet(f"background: {background}; color: {colour};")
        if facts is None:
            self._device.setText("No device connected")
            self._battery.setText("")
            self.warnings.show_flags(None)
            self._emulator_badge.setVisible(self._context.emulator is not None)
            return
        identity, status = facts.identity, facts.status
        self._emulator_badge.setVisible(self._context.emulator is not None
                                        or identity.model.startswith("EMU"))
        self._device.setText(f"<b>{identity.model}</b> serial <b>{identity.serial}</b> · "
                             f"firmware {identity.firmware}")
        self._battery.setText(f"· Battery {status.battery_pct} % "
                              f"({status.battery_mv / 1000:.2f} V)")
        self.warnings.show_flags(status.fault_flags)
