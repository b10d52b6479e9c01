"""The device's warnings in the header: by priority, in colour and with a marker, with
the one-press action that answers each where the console has one.

Which flag has which priority is decided in ``console/device/warnings.py``; this strip
only draws it. "Set clock" runs on the device worker like any other operation and
reads the status again in the same task, so the warning goes as soon as the device
has taken the time. "Measure impedance" is handed to the window
(``measure_impedance_requested``), which brings the Impedance tab forward.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from console.accounts.roles import Action
from console.device.warnings import DeviceWarning, Priority, WarningAction, device_warnings
from device_link.client import DeviceClient
from device_link.messages import Status
from ui.common.flow_layout import FlowLayout
from ui.shell.context import WindowContext

CHIP_NAMES = {Priority.HIGH: "warningHigh", Priority.MEDIUM: "warningMedium",
              Priority.LOW: "warningLow"}
"""Style sheet names of each priority's chip (colours in ``ui/common/theme.py``)."""

ACTION_TIPS = {
    WarningAction.SET_CLOCK: "Set the device clock to this computer's time (UTC), so the "
                             "device log is dated",
    WarningAction.MEASURE_IMPEDANCE: "Open the Impedance tab and measure both leads now",
}


def _set_time_and_read(client: DeviceClient) -> Status:
    client.set_time()
    return client.get_status()


class DeviceWarningStrip(QWidget):
    """One chip per raised flag, highest priority first; each action offered once."""

    measure_impedance_requested = Signal()
    clock_set = Signal()
    clock_failed = Signal(str)  # why

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._flags: int | None = None
        self.chips: list[QLabel] = []
        self.actions: dict[WarningAction, QPushButton] = {}
        self._items: list[QWidget] = []
        self._layout = FlowLayout(self, spacing=10)
        self.failure = QLabel()
        self.failure.setObjectName("findingConfirm")
        self.failure.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failure.hide()
        self.hide()

    def show_flags(self, fault_flags: int | None) -> None:
        """Draw the warnings of ``fault_flags`` (None: no device); unchanged flags keep the
        strip as it is, so a status poll never takes a button from under the pointer."""
        if fault_flags == self._flags:
            return
        self._flags = fault_flags
        self._clear()
        warnings = device_warnings(fault_flags or 0)
        for warning in warnings:
            self._add(warning)
        self._layout.addWidget(self.failure)
        self.setVisible(bool(warnings))

    def _clear(self) -> None:
        for item in self._items:
            self._layout.removeWidget(item)
            item.deleteLater()
        self._layout.removeWidget(self.failure)
        self._items, self.chips, self.actions = [], [], {}
        self.failure.hide()

    def _add(self, warning: DeviceWarning) -> None:
        chip = QLabel(f"{warning.priority.marker} {warning.text}")
        chip.setObjectName(CHIP_NAMES[warning.priority])
        chip.setToolTip(f"{warning.priority.word.capitalize()} priority device warning")
        chip.setAccessibleName(f"{warning.priority.word} priority: {warning.text}")
        self.chips.append(chip)
        item = QWidget()  # the chip and its action stay together when the strip wraps
        row = QHBoxLayout(item)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(chip)
        self._items.append(item)
        self._layout.addWidget(item)
        action = warning.action
        if action is None or action in self.actions or not self._may(action):
            return
        button = QPushButton(action.value)
        button.setToolTip(ACTION_TIPS[action])
        button.clicked.connect(self.set_clock if action is WarningAction.SET_CLOCK
                               else self.measure_impedance_requested.emit)
        self.actions[action] = button
        row.addWidget(button)

    def _may(self, action: WarningAction) -> bool:
        if action is WarningAction.MEASURE_IMPEDANCE:
            return self._context.may(Action.MEASURE_IMPEDANCE)
        return True  # the clock dates the log; any signed-in user may set it

    def set_clock(self) -> None:
        """Set the device clock (from this strip's button or the Device menu)."""
        button = self.actions.get(WarningAction.SET_CLOCK)
        if button is not None:
            button.setEnabled(False)
        self.failure.hide()
        self._context.controller.run("set clock", _set_time_and_read, self._clock_done,
                                     on_failed=self._clock_failed)

    def _clock_done(self, status: Status) -> None:
        self._context.model.update_status(status)  # redraws this strip without the flag
        button = self.actions.get(WarningAction.SET_CLOCK)
        if button is not None:  # the device still says not set: let the user try again
            button.setEnabled(True)
        self.clock_set.emit()

    def _clock_failed(self, message: str) -> None:
        button = self.actions.get(WarningAction.SET_CLOCK)
        if button is not None:
            button.setEnabled(True)
        self.failure.setText(f"The clock was not set: {message}")
        self.failure.setToolTip(self.failure.text())
        self.failure.show()
        self.clock_failed.emit(message)
