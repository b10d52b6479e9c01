"""Help: F1 opens the guide from anywhere, STOP keys still act while it is open, and About
names the versions, the device, the safety profile and where the record is."""

from __future__ import annotations

import platform
import tomllib
from glob import glob
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from sqlalchemy import create_engine

from console.storage import ClinicalRecord
from ui.program.panel import ProgramPanel
from ui.shell.help_dialogs import GUIDE_RESOURCE, console_version, guide_html, record_location

from .window_fixtures import select_tab, start_test_stim_on_device

ROOT = Path(__file__).resolve().parent.parent


def _open_guide(qtbot, window):
    field = select_tab(window, ProgramPanel).reason_edit
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_F1)
    guide = window.guide
    assert guide is not None
    qtbot.waitUntil(guide.isVisible, timeout=2000)
    return guide


def test_the_guide_ships_with_the_package():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["resources"]
    shipped = {found for pattern in patterns  # setuptools globs them, ** included
               for found in glob(pattern, root_dir=ROOT / "resources", recursive=True)}
    assert GUIDE_RESOURCE in shipped
    text = guide_html()
    for section in ("STOP", "Connecting", "Programming safely", "Test stimulation",
                    "placement test", "Header warnings", "Keyboard keys"):
        assert section in text, section


def test_f1_opens_the_guide_beside_the_window(qtbot, window):
    guide = _open_guide(qtbot, window)
    assert not guide.isModal()
    text = guide.browser.toPlainText()
    assert "Esc always sends STOP" in text
    for key in ("Ctrl+=", "Ctrl+-", "Ctrl+0", "Fluoroscopy confirms", "Theatre view"):
        assert key in text, key
    for warning in ("!!! High", "!! Medium", "! Low"):
        assert warning in text, warning


def test_esc_and_space_still_stop_with_the_guide_open(qtbot, window, demo):
    controller = window.context.controller
    start_test_stim_on_device(qtbot, window)
    guide = _open_guide(qtbot, window)
    guide.browser.setFocus()
    with qtbot.waitSignal(controller.stop_confirmed, timeout=5000):
        qtbot.keyClick(guide.browser, Qt.Key.Key_Space)
    assert demo.emulator.state()["state"] == "IDLE"
    assert guide.isVisible(), "Space stops; it does not close the guide"

    start_test_stim_on_device(qtbot, window)
    guide.browser.setFocus()
    with qtbot.waitSignal(controller.stop_confirmed, timeout=5000):
        qtbot.keyClick(guide.browser, Qt.Key.Key_Escape)
    assert demo.emulator.state()["state"] == "IDLE"


def test_keyboard_keys_opens_the_guide_at_its_keys(qtbot, window):
    window.menus.keyboard_keys.trigger()
    guide = window.guide
    qtbot.waitUntil(guide.isVisible, timeout=2000)
    qtbot.waitUntil(lambda: guide.browser.verticalScrollBar().value() > 0, timeout=2000)


def test_about_names_the_versions_the_device_the_profile_and_the_record(qtbot, window, demo):
    window.menus.about.trigger()
    about = window.about
    qtbot.waitUntil(about.isVisible, timeout=2000)
    assert not about.isModal()
    text = about.browser.toPlainText()
    assert f"Console version {console_version()}" in text
    assert f"Python {platform.python_version()}" in text
    assert f"Qt {qVersion()}" in text and f"PySide6 {PySide6.__version__}" in text
    identity = window.context.model.device.identity
    assert f"{identity.model}, serial {identity.serial}, firmware {identity.firmware}" in text
    assert "“Default clinic profile”, shipped with the console" in text
    assert "Amplitude above 10.0 mA needs confirmation" in text
    assert "Shannon k at or above 1.85 is blocked" in text
    assert str(demo.record.engine.url.database) in text


def test_the_record_location_never_shows_a_password(window):
    record = ClinicalRecord(create_engine("postgresql+psycopg://clinic:s3cret@db.example:5432/"
                                          "mf"))  # never connected
    kept, window.context.record = window.context.record, record
    try:
        shown = record_location(window.context)
    finally:
        window.context.record = kept
    assert shown == "postgresql database mf on db.example:5432"
    assert "s3cret" not in shown and "clinic" not in shown
