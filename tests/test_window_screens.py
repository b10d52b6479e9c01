"""The screens the documentation shows, each reached as a user reaches it and checked for
what it must say. With ``$MFCONSOLE_SCREENSHOTS`` naming a folder they are saved there:
``MFCONSOLE_SCREENSHOTS=docs/screenshots pytest tests/test_window_screens.py``."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt

from console.programming.link_state import ScreenState
from ui.program.panel import ProgramPanel
from ui.stimulation.panel import TestStimPanel

from .test_placement_workflow import ManualClock
from .test_window_fit import _raise_every_flag
from .window_fixtures import select_tab, shot

SCREEN = (1280, 770)  # a 1280×800 screen under a title bar


def test_program_in_sync_then_disconnected_then_link_lost(qtbot, window, demo):
    window.resize(*SCREEN)
    panel = select_tab(window, ProgramPanel)
    assert window.context.model.state is ScreenState.IN_SYNC
    shot(window, "program-in-sync")

    with qtbot.waitSignal(window.context.controller.disconnected, timeout=5000):
        qtbot.mouseClick(window.connection.connect_button, Qt.MouseButton.LeftButton)
    assert window.context.model.state is ScreenState.DISCONNECTED
    assert not window.link_banner.isVisible()
    assert "Writable" not in panel.summary.text()
    shot(window, "program-disconnected")

    with qtbot.waitSignal(window.context.controller.connected, timeout=10000):
        qtbot.mouseClick(window.connection.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.context.model.state is ScreenState.IN_SYNC, timeout=10000)
    with qtbot.waitSignal(window.context.controller.disconnected, timeout=10000):
        demo.emulator.disconnect()
    assert window.context.model.state is ScreenState.LINK_LOST
    assert window.link_banner.isVisible()
    shot(window, "program-link-lost")


def test_test_stimulation_ends_with_its_highest_amplitude_carried_into_the_program(
        qtbot, window):
    window.resize(*SCREEN)
    panel = select_tab(window, TestStimPanel)
    clock = panel.clock = ManualClock()
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)
    shot(window, "test-stim-setup")
    qtbot.mouseClick(panel.setup.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._running is not None, timeout=5000)
    for expected in ("1.0 mA", "1.5 mA"):
        clock.advance(1.0)
        qtbot.mouseClick(panel.raise_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda shown=expected: panel.amplitude_now.text() == shown,
                        timeout=5000)
    shot(window, "test-stim-running")
    window.context.controller.stop()
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)
    assert panel.titrated.button.text() == "Use 1.5 mA in the program"
    shot(window, "test-stim-stopped")

    qtbot.mouseClick(panel.titrated.button, Qt.MouseButton.LeftButton)
    program = window.findChild(ProgramPanel)
    assert window.tabs.current_panel() is program
    assert window.context.model.session.draft.leads[0].amplitude_ma == Decimal("1.5")
    assert window.context.model.state is ScreenState.EDITED
    assert program.result.isVisible()
    assert program.result.text().startswith("From test stimulation: 1.5 mA on left E1− E2+")
    shot(window, "program-titrated-carried")


def test_device_warnings_by_priority_in_the_header(qtbot, window, demo):
    window.resize(*SCREEN)
    _raise_every_flag(qtbot, window, demo.emulator)
    qtbot.waitUntil(lambda: len(window.header.warnings.chips) == 5, timeout=5000)
    shot(window, "header-warnings")
