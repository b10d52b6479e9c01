"""The window's own figures for ``mfconsole bench window``, measured, never asserted.

* Esc to STOP: from the key press delivered to the focused widget to the STOP frame
  decoded by an emulator process, while test stimulation streams telemetry into the
  live plot (the emulator's trace time and ours share CLOCK_MONOTONIC).
* Start-up: the demo window launched as a new process (``ui.bench.startup``, which
  opens it as ``mfconsole --demo`` does) until its window is shown.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtTest import QTest

from console.emulation.demo import DemoEnvironment
from console.emulation.process import EmulatorProcess
from device_link.emulator.control import ControlClient
from ui.bench.startup import SHOWN_MARK
from ui.shell.app import application, demo_window
from ui.shell.main_window import MainWindow
from ui.stimulation.panel import TestStimPanel


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until ``condition`` holds (or the deadline passes)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    return True


def measure_escape_to_stop(rounds: int, telemetry_per_round: int = 5) -> list[float]:
    """Milliseconds from Esc to the emulator decoding STOP, one figure per round.

    The device is an emulator process holding the demo key, so the window meets it over
    its own pseudo-terminal; stimulation is started from the Test stimulation tab, whose
    live plot draws the telemetry while Esc is pressed.
    """
    application()
    demo = DemoEnvironment.start()
    try:
        with EmulatorProcess() as emulator:
            assert emulator.control_address is not None
            control = ControlClient(emulator.control_address)
            window = demo_window(demo, emulator.port)
            window.show()
            try:
                if not _wait(lambda: window.context.controller.is_connected, 15):
                    raise RuntimeError("the window did not connect to the emulator")
                panel = _stimulation_panel(window)
                return [_one_stop(window, panel, control, telemetry_per_round)
                        for _ in range(rounds)]
            finally:
                window.close()
                control.close()
    finally:
        demo.close()


def _stimulation_panel(window: MainWindow) -> TestStimPanel:
    panel = window.tabs.show_panel(TestStimPanel)
    if panel is not None:
        return panel
    raise RuntimeError("the window has no Test stimulation tab")


def _one_stop(window: MainWindow, panel: TestStimPanel, control: ControlClient,
              telemetry_per_round: int) -> float:
    controller = window.context.controller
    if not _wait(panel.setup.start_button.isEnabled, 10):
        raise RuntimeError("the Test stimulation tab does not offer Start")
    panel.start()
    model = window.context.model
    # The plot starts counting afresh once the device confirms the start.
    # 30 s: the first start measures the pair first, and a loaded machine is slow
    if not _wait(lambda: model.stimulating and panel.plot.received >= telemetry_per_round,
                 30):
        raise RuntimeError(f"the live plot received no telemetry: {panel.message.text()}")
    confirmed: list[int] = []
    controller.stop_confirmed.connect(confirmed.append)
    target = window.focusWidget() or panel
    pressed = time.perf_counter()
    QTest.keyClick(target, Qt.Key.Key_Escape)
    if not _wait(lambda: bool(confirmed), 10):
        raise RuntimeError("STOP was not confirmed")
    controller.stop_confirmed.disconnect(confirmed.append)
    acted = control.state()["last_stop_t"]
    return (acted - pressed) * 1000


def measure_startup(runs: int) -> list[float]:
    """Seconds from launching the demo window's process to its window being shown."""
    figures = []
    for _ in range(runs):
        launched = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "ui.bench.startup"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(SHOWN_MARK):
                figures.append(time.perf_counter() - launched)
                break
        process.wait(timeout=60)
        process.stdout.close()
    return figures
