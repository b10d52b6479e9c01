"""The header's device warnings against the demo emulator: priority, colour, marker, action."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.device.warnings import WarningAction
from device_link.errors import DeviceLinkError
from device_link.protocol import FaultFlag
from ui.impedance.panel import ImpedancePanel
from ui.program.panel import ProgramPanel
from ui.shell import device_warnings

from .window_fixtures import select_tab


def _chips(window) -> list[tuple[str, str]]:
    return [(chip.objectName(), chip.text()) for chip in window.header.warnings.chips]


def test_an_unset_clock_is_a_low_priority_warning_set_in_one_press(qtbot, window, demo):
    strip = window.header.warnings
    assert demo.emulator.state()["fault_flags"] & FaultFlag.CLOCK_NOT_SET
    assert strip.isVisible()
    assert _chips(window) == [("warningLow", "! device clock not set")]
    button = strip.actions[WarningAction.SET_CLOCK]
    assert button.isVisible() and button.text() == "Set clock"

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: not strip.chips, timeout=5000)
    assert demo.emulator.state()["device_time"] > 0
    assert not demo.emulator.state()["fault_flags"] & FaultFlag.CLOCK_NOT_SET
    assert not strip.isVisible()


@pytest.mark.parametrize("demo", ["low-battery"], indirect=True)
def test_warnings_are_shown_highest_priority_first_each_with_its_marker(window):
    assert _chips(window) == [("warningMedium", "!! battery low"),
                              ("warningLow", "! device clock not set")]
    assert set(window.header.warnings.actions) == {WarningAction.SET_CLOCK}, \
        "no console action answers a low battery"
    assert "Battery 9 %" in window.header._battery.text()


@pytest.mark.parametrize("demo", ["fractured-lead"], indirect=True)
def test_a_lead_warning_is_high_priority_and_measures_impedance(qtbot, window, demo):
    impedance = select_tab(window, ImpedancePanel)
    qtbot.waitUntil(impedance.measure_button.isEnabled, timeout=5000)
    impedance.measure()
    qtbot.waitUntil(lambda: bool(window.header.warnings.chips)
                    and window.header.warnings.chips[0].objectName() == "warningHigh",
                    timeout=10000)
    assert _chips(window)[0] == ("warningHigh", "!!! right lead impedance out of range")
    assert [name for name, _ in _chips(window)] == ["warningHigh", "warningLow"]
    select_tab(window, ProgramPanel)
    button = window.header.warnings.actions[WarningAction.MEASURE_IMPEDANCE]
    qtbot.waitUntil(lambda: not impedance._measuring and impedance.measure_button.isEnabled(),
                    timeout=5000)
    impedance.status.setText("")

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    assert window.tabs.current_panel() is impedance
    assert impedance._measuring, "the header's button starts the measurement itself"
    qtbot.waitUntil(lambda: not impedance._measuring, timeout=10000)
    assert impedance.status.text().startswith("Measured at")
    assert "OPEN" in impedance.status.text()


def test_a_clock_the_device_refuses_says_why_and_can_be_tried_again(qtbot, window, monkeypatch):
    def refused(_client):
        raise DeviceLinkError("the device answered BAD_VALUE")

    monkeypatch.setattr(device_warnings, "_set_time_and_read", refused)
    strip = window.header.warnings
    button = strip.actions[WarningAction.SET_CLOCK]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(strip.failure.isVisible, timeout=5000)
    assert strip.failure.text() == "The clock was not set: the device answered BAD_VALUE"
    assert button.isEnabled()
    assert _chips(window) == [("warningLow", "! device clock not set")]
