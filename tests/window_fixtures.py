"""The demo window on the built-in emulator, shared by the window's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtWidgets import QWidget

from console.emulation.demo import DemoEnvironment
from device_link.messages import TestStimStart
from ui.program.panel import ProgramPanel
from ui.shell.app import application, demo_window
from ui.shell.main_window import MainWindow


@pytest.fixture
def demo(request) -> Iterator[DemoEnvironment]:
    """A demo environment; parametrize indirectly with an emulator scenario name."""
    environment = DemoEnvironment.start(getattr(request, "param", "good"))
    yield environment
    environment.close()


def open_demo_window(qtbot, environment: DemoEnvironment) -> MainWindow:
    """The demo window, connected, with the device's program read onto the screen."""
    application()
    window = demo_window(environment)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.context.controller.connected, timeout=10000):
        window.show()
    window.activateWindow()
    program = window.findChild(ProgramPanel)
    qtbot.waitUntil(lambda: program.session.device_program is not None and not program.busy,
                    timeout=10000)
    return window


@pytest.fixture
def window(qtbot, demo) -> Iterator[MainWindow]:
    window = open_demo_window(qtbot, demo)
    yield window
    window.close()


PanelT = TypeVar("PanelT", bound=QWidget)


def unexpected_failure(message: str) -> None:
    """``on_failed`` of a device operation a test expects to succeed: fail the test."""
    raise AssertionError(f"device operation failed: {message}")


def start_test_stim_on_device(qtbot, window: MainWindow) -> None:
    """Start test stimulation straight through the controller (no tab involved), as STOP's
    tests need: STOP must work whatever started the current."""
    stimulus = TestStimStart(lead=0, anode=1, cathode=2, freq_hz=20, pw_us=214, amp_ua=500,
                             duration_s=60)
    controller = window.context.controller
    with qtbot.waitSignal(controller.busy_changed, check_params_cb=lambda name: name == "",
                          timeout=5000):
        controller.run("test stimulation", lambda client: client.start_test_stim(stimulus),
                       on_failed=unexpected_failure)
    qtbot.waitUntil(lambda: window.context.model.stimulating, timeout=5000)


def select_tab(window: MainWindow, kind: type[PanelT]) -> PanelT:
    """Bring the tab holding a ``kind`` panel to the front and return the panel."""
    panel = window.tabs.show_panel(kind)
    if panel is not None:
        return panel
    raise AssertionError(f"no {kind.__name__} tab")


SHOTS = os.environ.get("MFCONSOLE_SCREENSHOTS")
"""A folder to save the screens the tests pass through into (``docs/screenshots``)."""


def shot(widget: QWidget, name: str) -> None:
    """Save ``widget`` as ``name``.png when ``$MFCONSOLE_SCREENSHOTS`` names a folder."""
    if SHOTS:
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))
