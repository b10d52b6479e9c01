"""The window's zoom: keys, steps, persistence in a temporary settings file, STOP at any zoom."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel

from ui.common.theme import STYLE_SHEET
from ui.shell.zoom import SETTING, STEPS, Zoom

from .window_fixtures import open_demo_window, start_test_stim_on_device

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def settings(tmp_path) -> Iterator[QSettings]:
    """A settings file of the test's own, never the user's; the application's look is
    put back afterwards for the tests that follow in this process."""
    app = QApplication.instance()
    font = app.font()
    yield QSettings(str(tmp_path / "zoom.ini"), QSettings.Format.IniFormat)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)


def _text_pt(window) -> float:
    return window.header._device.font().pointSizeF()


def test_keys_zoom_in_out_and_reset_in_steps(qtbot, window, settings):
    zoom = Zoom(settings)
    zoom.install(window)
    assert zoom.percent == 100 and _text_pt(window) == 10

    qtbot.keyClick(window, Qt.Key.Key_Equal, CTRL)
    assert zoom.percent == 110
    assert QApplication.font().pointSizeF() == pytest.approx(11)
    qtbot.waitUntil(lambda: _text_pt(window) == pytest.approx(11), timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_Plus, CTRL)
    assert zoom.percent == 125
    shown = window.statusBar().findChildren(QLabel)
    assert any(label.isVisible() and label.text() == "Zoom 125 %" for label in shown)

    for _ in range(4):
        qtbot.keyClick(window, Qt.Key.Key_Minus, CTRL)
    assert zoom.percent == 80
    qtbot.waitUntil(lambda: _text_pt(window) == pytest.approx(8), timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_Minus, CTRL)
    assert zoom.percent == STEPS[0], "never below the smallest step"

    qtbot.keyClick(window, Qt.Key.Key_0, CTRL)
    assert zoom.percent == 100
    qtbot.waitUntil(lambda: _text_pt(window) == pytest.approx(10), timeout=2000)


def test_the_zoom_is_kept_and_read_back_by_a_new_window(qtbot, window, demo, settings):
    zoom = Zoom(settings)
    zoom.install(window)
    for _ in range(len(STEPS)):
        zoom.zoom_in()
    assert zoom.percent == STEPS[-1] == 160, "never above the largest step"
    assert QSettings(settings.fileName(), QSettings.Format.IniFormat).value(SETTING) in (
        160, "160")
    window.close()

    again = open_demo_window(qtbot, demo)  # the application's look back at 100 %
    assert _text_pt(again) == 10
    read_back = Zoom(QSettings(settings.fileName(), QSettings.Format.IniFormat))
    read_back.install(again)
    assert read_back.percent == 160
    qtbot.waitUntil(lambda: _text_pt(again) == pytest.approx(16), timeout=2000)
    again.close()


def test_a_stored_value_that_is_not_a_step_is_ignored(settings):
    settings.setValue(SETTING, "1000")
    assert Zoom(settings).percent == 100


@pytest.mark.parametrize("key", [Qt.Key.Key_Equal, Qt.Key.Key_Minus])
def test_escape_stops_at_either_end_of_the_zoom(qtbot, window, demo, settings, key):
    zoom = Zoom(settings)
    zoom.install(window)
    for _ in range(len(STEPS)):
        qtbot.keyClick(window, key, CTRL)
    assert zoom.percent in (STEPS[0], STEPS[-1]) and zoom.percent != 100
    start_test_stim_on_device(qtbot, window)
    with qtbot.waitSignal(window.context.controller.stop_confirmed, timeout=5000):
        qtbot.keyClick(window.connection.port, Qt.Key.Key_Escape)
    assert demo.emulator.state()["state"] == "IDLE"
    assert window.header.stop_button.isVisible()
