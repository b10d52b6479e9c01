"""Buttons that break the emulated device on purpose: contacts, battery, reboot, the link.

Every fault is something a real implant or cable can do; injecting it shows whether
the console notices and says so. None of this exists for a real device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.leads.naming import contact_name, on_lead, pair_name
from ui.device.session_model import SessionModel
from ui.engineering.link import Call

LOW_BATTERY_PERCENT = 9.0  # below the device's 15 % low-battery threshold
Act = Callable[[str, Call, Callable[[Any], None] | None], None]


def _button(text: str, tooltip: str, action: Callable[[], None]) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tooltip)
    button.clicked.connect(action)
    return button


def _spin(minimum: float, maximum: float, value: float, step: float, decimals: int,
          suffix: str, tooltip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(minimum, maximum)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setValue(value)
    spin.setSuffix(suffix)
    spin.setToolTip(tooltip)
    return spin


class FaultControls(QWidget):
    """``act(name, call, on_done)`` runs a control call on the emulator. Its contacts are
    the connected device's (HELLO's electrodes per lead), from ``model`` when given."""

    reconnected = Signal(str)  # the port the emulator is back on after "Plug back in"

    def __init__(self, act: Act, model: SessionModel | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._act = act
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._device_box())
        layout.addWidget(self._link_box())
        layout.addStretch(1)
        self.setMaximumWidth(370)
        if model is not None:
            model.device_changed.connect(lambda: self.set_electrodes(model.electrodes_per_lead))
            self.set_electrodes(model.electrodes_per_lead)

    # -- the device ------------------------------------------------------------------------

    def _device_box(self) -> QGroupBox:
        box = QGroupBox("Device faults (emulator only)")
        grid = QGridLayout(box)
        self.lead = QComboBox()
        self.lead.addItem("Left", 0)
        self.lead.addItem("Right", 1)
        self.lead.setToolTip("The lead whose contact the fault affects")
        self.electrode = QComboBox()
        self.other = QComboBox()
        self.set_electrodes(4)
        self.other.setCurrentIndex(1)
        self.electrode.setToolTip("The contact (electrode 0 at the tip)")
        self.other.setToolTip("The second contact of a short")
        self.rise = _spin(0.1, 10000.0, 20.0, 5.0, 1, " Ω/s",
                          "How fast the contact's impedance climbs (encapsulation, a failing "
                          "weld)")
        self.battery = _spin(0.0, 100.0, 50.0, 5.0, 0, " %", "Battery charge to set")

        grid.addWidget(QLabel("Contact"), 0, 0)
        grid.addWidget(self.lead, 0, 1)
        grid.addWidget(self.electrode, 0, 2)
        grid.addWidget(QLabel("with"), 0, 3)
        grid.addWidget(self.other, 0, 4)
        grid.addWidget(_button("Open contact", "Fracture the conductor to this contact: "
                               "measurements read open and it delivers no current",
                               self.open_contact), 1, 0, 1, 2)
        grid.addWidget(_button("Mend", "Mend this contact's fractured conductor",
                               self.mend_contact), 1, 2)
        grid.addWidget(_button("Short pair", "Short the contact with the second one (the pair "
                               "then measures about 25 Ω)", self.short_pair), 1, 3, 1, 2)
        grid.addWidget(QLabel("Rising"), 2, 0)
        grid.addWidget(self.rise, 2, 1, 1, 2)
        grid.addWidget(_button("Rising impedance", "Make this contact's impedance climb "
                               "steadily", self.rising), 2, 3, 1, 2)
        grid.addWidget(QLabel("Battery"), 3, 0)
        grid.addWidget(self.battery, 3, 1)
        grid.addWidget(_button("Set", "Set the battery charge (below 15 % the device raises "
                               "its low-battery flag)", self.set_battery), 3, 2)
        grid.addWidget(_button("Low battery", f"Battery to {LOW_BATTERY_PERCENT:.0f} %: the "
                               "low-battery flag, a log entry and a FAULT event",
                               self.low_battery), 3, 3, 1, 2)
        grid.addWidget(_button("Clear contact faults", "Mend every contact fault, the "
                               "scenario's too (the battery stays as it is)",
                               self.clear_faults), 4, 0, 1, 3)
        grid.addWidget(_button("Reboot device", "Power-cycle the device: session, "
                               "stimulation and measurement end; programs and log are kept",
                               self.reboot), 4, 3, 1, 2)
        return box

    def set_electrodes(self, count: int) -> None:
        """Offer ``count`` contacts per lead, keeping the chosen ones where they fit."""
        for combo in (self.electrode, self.other):
            if combo.count() == count:
                continue
            kept = combo.currentIndex()
            combo.clear()
            for electrode in range(count):
                combo.addItem(contact_name(electrode), electrode)
            combo.setCurrentIndex(min(max(kept, 0), count - 1))

    def _contact(self) -> tuple[int, int]:
        return int(self.lead.currentData()), int(self.electrode.currentData())

    def open_contact(self) -> None:
        lead, electrode = self._contact()
        self._act(f"open {on_lead(lead, contact_name(electrode))}",
                  lambda t: t.inject_open(lead, electrode, True), None)

    def mend_contact(self) -> None:
        lead, electrode = self._contact()
        self._act(f"mend {on_lead(lead, contact_name(electrode))}",
                  lambda t: t.inject_open(lead, electrode, False), None)

    def short_pair(self) -> None:
        lead, a = self._contact()
        b = int(self.other.currentData())
        if a == b:
            self._act(f"short {on_lead(lead, contact_name(a))} with itself",
                      _refuse("choose two different contacts"), None)
            return
        self._act(f"short {on_lead(lead, pair_name(a, b))}", lambda t: t.inject_short(lead, a, b),
                  None)

    def rising(self) -> None:
        lead, electrode = self._contact()
        rate = self.rise.value()
        self._act(f"rising impedance {on_lead(lead, contact_name(electrode))} {rate:g} Ω/s",
                  lambda t: t.inject_rising(lead, electrode, rate), None)

    def set_battery(self) -> None:
        percent = self.battery.value()
        self._act(f"battery {percent:.0f} %", lambda t: t.set_battery(percent), None)

    def low_battery(self) -> None:
        self._act(f"battery {LOW_BATTERY_PERCENT:.0f} %",
                  lambda t: t.set_battery(LOW_BATTERY_PERCENT), None)

    def clear_faults(self) -> None:
        self._act("clear contact faults", lambda t: t.clear_faults(), None)

    def reboot(self) -> None:
        self._act("reboot the device", lambda t: t.reboot(), None)

    # -- the link --------------------------------------------------------------------------

    def _link_box(self) -> QGroupBox:
        box = QGroupBox("Link faults (emulator only)")
        grid = QGridLayout(box)
        self.corrupt = _spin(0.0, 1.0, 0.001, 0.001, 4, "",
                             "Chance per byte of a flipped bit (0–1)")
        self.drop = _spin(0.0, 1.0, 0.05, 0.01, 3, "", "Chance per frame of losing it (0–1)")
        self.delay = _spin(0.0, 10000.0, 0.0, 50.0, 0, " ms",
                           "Hold back every frame the device sends by this long")
        self.direction = QComboBox()
        for text, value in (("both ways", "both"), ("from device", "tx"), ("to device", "rx")):
            self.direction.addItem(text, value)
        self.direction.setToolTip("Which direction the corruption and loss apply to")
        grid.addWidget(QLabel("Corrupt"), 0, 0)
        grid.addWidget(self.corrupt, 0, 1)
        grid.addWidget(QLabel("Drop"), 0, 2)
        grid.addWidget(self.drop, 0, 3)
        grid.addWidget(QLabel("Delay"), 1, 0)
        grid.addWidget(self.delay, 1, 1)
        grid.addWidget(QLabel("Direction"), 1, 2)
        grid.addWidget(self.direction, 1, 3)
        grid.addWidget(_button("Apply", "Replace the link faults with these",
                               self.apply_link_faults), 2, 0, 1, 2)
        grid.addWidget(_button("Clear", "Clear every link fault: a clean link again",
                               self.clear_link_faults), 2, 2, 1, 2)
        grid.addWidget(_button("Pull cable", "Disconnect: a pseudo-terminal disappears, a TCP "
                               "connection is dropped; the console should report link loss",
                               self.pull_cable), 3, 0, 1, 2)
        self.plug_button = _button("Plug back in", "Reconnect: a pseudo-terminal comes back "
                                   "under a new path, put in the port box",
                                   self.plug_back)
        grid.addWidget(self.plug_button, 3, 2, 1, 2)
        return box

    def apply_link_faults(self) -> None:
        corrupt, drop = self.corrupt.value(), self.drop.value()
        delay, direction = self.delay.value(), str(self.direction.currentData())
        self._act(f"link faults: corrupt {corrupt:g}/byte, drop {drop:g}/frame, delay "
                  f"{delay:g} ms, {direction}",
                  lambda t: t.set_link_faults(corrupt, drop, delay, direction), None)

    def clear_link_faults(self) -> None:
        self._act("clear link faults", lambda t: t.set_link_faults(), None)

    def pull_cable(self) -> None:
        self._act("pull the cable", lambda t: t.disconnect(), None)

    def plug_back(self) -> None:
        self._act("plug the cable back in", lambda t: t.reconnect(),
                  lambda result: self.reconnected.emit(str(result.get("port") or "")))


def _refuse(reason: str) -> Call:
    def refuse(_target: object) -> Any:
        raise ValueError(reason)
    return refuse
