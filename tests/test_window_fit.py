"""The window fits a 1280×800 screen, and no label or button there cuts its text off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from console.accounts import Role
from console.emulation.demo import DemoEnvironment
from device_link.protocol import ImpedanceMode
from ui.engineering.panel import EngineeringPanel
from ui.impedance.panel import ImpedancePanel
from ui.shell.main_window import MainWindow

from .window_fit import clipped, describe
from .window_fixtures import (
    open_demo_window,
    select_tab,
    start_test_stim_on_device,
    unexpected_failure,
)

MAX_WIDTH, MAX_HEIGHT = 1280, 740  # 1280×800 less a title bar, with room for a task bar
UNDER_A_TITLE_BAR = (1280, 770)  # a 1280×800 screen less a window manager's title bar


@pytest.fixture(params=[Role.ENGINEER, Role.CLINICIAN], ids=["engineer-tabs", "clinician-tabs"])
def role_window(request, qtbot) -> Iterator[MainWindow]:
    environment = DemoEnvironment.start(role=request.param)
    window = open_demo_window(qtbot, environment)
    yield window
    window.close()
    environment.close()


@pytest.fixture
def engineer_window(qtbot) -> Iterator[MainWindow]:
    environment = DemoEnvironment.start(role=Role.ENGINEER)
    window = open_demo_window(qtbot, environment)
    window.resize(1280, 800)
    yield window
    window.close()
    environment.close()


def test_the_window_fits_1280_by_720_with_every_tab(role_window):
    assert role_window.header.warnings.isVisible(), "measured with a warning in the header"
    for index in range(role_window.tabs.count()):
        role_window.tabs.setCurrentIndex(index)
        hint = role_window.minimumSizeHint()
        assert hint.width() <= MAX_WIDTH and hint.height() <= MAX_HEIGHT, \
            f"{role_window.tabs.tabText(index)}: minimum {hint.width()}×{hint.height()}"


def test_no_tab_scrolls_on_a_1280_by_800_screen(qtbot, role_window):
    """Tabs scroll rather than push the status bar off a smaller screen; at 1280×800 under
    a title bar every tab, the placement wizard included, shows whole."""
    role_window.resize(*UNDER_A_TITLE_BAR)
    tabs = role_window.tabs
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        area = tabs.currentWidget()
        qtbot.waitUntil(area.isVisible, timeout=2000)
        # a panel that fits is laid out at exactly the viewport's size, with no scroll bar
        qtbot.waitUntil(lambda shown=area: shown.widget().size() == shown.viewport().size(),
                        timeout=2000)
        assert not area.verticalScrollBar().isVisible(), tabs.tabText(index)
        assert not area.horizontalScrollBar().isVisible(), tabs.tabText(index)


def test_header_connection_impedance_and_engineering_cut_no_text(qtbot, engineer_window):
    window = engineer_window
    found = clipped(window.header) + clipped(window.connection)
    for kind in (ImpedancePanel, EngineeringPanel):
        panel = select_tab(window, kind)
        qtbot.waitUntil(panel.isVisible, timeout=2000)
        found += clipped(panel)
    assert not found, describe(found)


def _raise_every_flag(qtbot, window: MainWindow, emulator) -> None:
    """Open contacts on both leads, measured; a low battery; stimulation into an open
    contact (compliance); the clock is unset from the start."""
    emulator.inject_open(0, 1)
    emulator.inject_open(1, 2)
    emulator.set_battery(9)
    controller = window.context.controller
    with qtbot.waitSignal(controller.busy_changed, check_params_cb=lambda name: name == "",
                          timeout=10000):
        controller.run("impedance", lambda client: client.measure_impedance(0b11,
                                                                            ImpedanceMode.BIPOLAR),
                       on_failed=unexpected_failure)
    start_test_stim_on_device(qtbot, window)
    qtbot.waitUntil(lambda: emulator.state()["fault_flags"] == 0x1F, timeout=5000)
    with qtbot.waitSignal(controller.stop_confirmed, timeout=5000):
        controller.stop()


def test_every_warning_at_once_wraps_in_the_header_and_cuts_nothing(qtbot, engineer_window):
    window = engineer_window
    _raise_every_flag(qtbot, window, window.context.emulator)
    strip = window.header.warnings
    qtbot.waitUntil(lambda: len(strip.chips) == 5, timeout=5000)
    qtbot.waitUntil(lambda: all(chip.isVisible() for chip in strip.chips), timeout=2000)
    assert window.minimumSizeHint().width() <= MAX_WIDTH
    assert not clipped(window.header), describe(clipped(window.header))
    bottoms = {chip.mapTo(strip, chip.rect().bottomLeft()).y() for chip in strip.chips}
    assert all(0 < bottom <= strip.height() for bottom in bottoms), "every chip in view"
