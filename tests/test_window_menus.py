"""The menu bar against the demo emulator: its entries, what each enables from the one state
and the role, and that each does what the window's own buttons do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from console.accounts import Role
from console.emulation.demo import DemoEnvironment
from ui.program.panel import ProgramPanel
from ui.shell.main_window import MainWindow

from .window_fixtures import open_demo_window, start_test_stim_on_device


def _texts(menu) -> list[str]:
    return [action.text() for action in menu.actions() if not action.isSeparator()]


def _enabled(window: MainWindow) -> dict[str, bool]:
    menus = window.menus
    return {name: getattr(menus, name).isEnabled() for name in (
        "read_program", "measure_impedance", "set_clock", "stop", "start_visit",
        "switch_patient", "end_visit", "visit_details", "sign_out")}


def _disconnect(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.context.controller.disconnected, timeout=5000):
        window.menus.connection.trigger()


def _received(demo, since: int) -> list[str]:
    return [e["opcode"] for e in demo.emulator.trace(since=since)["entries"]
            if e["dir"] == "rx" and e["kind"] == "REQUEST"]


@pytest.fixture
def admin_window(qtbot) -> Iterator[MainWindow]:
    environment = DemoEnvironment.start(role=Role.ADMIN)
    window = open_demo_window(qtbot, environment)
    yield window
    window.close()
    environment.close()


def test_the_menus_hold_their_entries(window):
    bar = window.menuBar()
    assert [action.text() for action in bar.actions()] == ["&File", "&Device", "&Patient",
                                                            "&Help"]
    assert _texts(window.menus.file) == ["Users…", "Sign out…", "Close window…"]
    assert _texts(window.menus.device) == ["Disconnect", "Read program", "Measure impedance",
                                           "Set clock", "Pair device…", "STOP\tEsc"]
    assert _texts(window.menus.patient) == ["Start visit…", "Switch patient…", "End visit",
                                            "Visit details", "Visit report…"]
    assert _texts(window.menus.help) == ["User guide", "Keyboard keys", "About"]
    assert window.menus.user_guide.shortcut().toString() == "F1"


def test_users_and_pairing_are_offered_to_the_roles_that_may_use_them(window, admin_window):
    clinician, admin = window.menus, admin_window.menus
    assert not clinician.users.isEnabled() and not clinician.pair_device.isEnabled()
    assert admin.users.isEnabled() and admin.pair_device.isEnabled()


def test_connected_in_a_visit_the_device_entries_are_on_and_switching_is_off(window):
    assert _enabled(window) == {
        "read_program": True, "measure_impedance": True, "set_clock": True, "stop": True,
        "start_visit": False, "switch_patient": False, "end_visit": True,
        "visit_details": True, "sign_out": True}


def test_disconnected_the_device_entries_are_off_but_stop_stays_on(qtbot, window):
    _disconnect(qtbot, window)
    assert window.menus.connection.text() == "Connect"
    assert _enabled(window) == {
        "read_program": False, "measure_impedance": False, "set_clock": False, "stop": True,
        "start_visit": False, "switch_patient": True, "end_visit": True,
        "visit_details": True, "sign_out": True}
    with qtbot.waitSignal(window.context.controller.connected, timeout=10000):
        window.menus.connection.trigger()  # the port chosen in the connection row
    assert window.menus.connection.text() == "Disconnect"
    assert window.menus.read_program.isEnabled()


def test_a_role_that_may_not_measure_has_measure_impedance_off(admin_window):
    enabled = _enabled(admin_window)
    assert enabled["read_program"] and enabled["set_clock"]
    assert not enabled["measure_impedance"], "admins may not measure impedance"


def test_while_stimulating_read_and_measure_are_off(qtbot, window):
    start_test_stim_on_device(qtbot, window)
    qtbot.waitUntil(lambda: not window.menus.read_program.isEnabled(), timeout=5000)
    assert not window.menus.measure_impedance.isEnabled()
    assert window.menus.stop.isEnabled()
    with qtbot.waitSignal(window.context.controller.stop_confirmed, timeout=5000):
        window.context.controller.stop()


def test_device_stop_stops_test_stimulation(qtbot, window, demo):
    start_test_stim_on_device(qtbot, window)
    assert demo.emulator.state()["state"] == "TEST_STIM"
    controller = window.context.controller
    with qtbot.waitSignal(controller.stop_sent, timeout=2000), \
            qtbot.waitSignal(controller.stop_confirmed, timeout=5000):
        window.menus.stop.trigger()
    assert demo.emulator.state()["state"] == "IDLE"
    qtbot.waitUntil(lambda: not window.context.model.stimulating, timeout=5000)
    message = window.statusBar().currentMessage()
    assert "STOP confirmed" in message or "stopped on request" in message, message


def test_device_read_program_reads_the_program_tabs_slot(qtbot, window, demo):
    panel = window.findChild(ProgramPanel)
    qtbot.waitUntil(lambda: "arrived with" in window.statusBar().currentMessage(),
                    timeout=10000)  # every slot read on arrival: later reads are the menu's
    mark = demo.emulator.trace()["next"]
    window.menus.read_program.trigger()
    qtbot.waitUntil(lambda: "READ_PROGRAM" in _received(demo, mark), timeout=5000)
    qtbot.waitUntil(lambda: not panel.busy, timeout=5000)
    assert window.tabs.current_panel() is panel
    assert "Read slot 0" in panel.result.text()


def test_device_set_clock_clears_the_clock_warning(qtbot, window):
    strip = window.header.warnings
    assert any("clock" in chip.text() for chip in strip.chips)
    said: list[str] = []  # other news (what the device arrived with) may follow it
    window.statusBar().messageChanged.connect(said.append)
    window.menus.set_clock.trigger()
    qtbot.waitUntil(lambda: not any("clock" in chip.text() for chip in strip.chips),
                    timeout=5000)
    qtbot.waitUntil(lambda: any("clock set" in message for message in said), timeout=5000)


def test_device_measure_impedance_brings_the_impedance_tab_and_measures(qtbot, window):
    from ui.impedance.panel import ImpedancePanel

    panel = window.findChild(ImpedancePanel)
    qtbot.waitUntil(panel.measure_button.isEnabled, timeout=5000)
    window.menus.measure_impedance.trigger()
    assert window.tabs.current_panel() is panel
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=15000)


def test_the_corner_holds_the_connection_row(window):
    corner = window.menuBar().cornerWidget(Qt.Corner.TopRightCorner)
    assert corner is not None and window.connection.parent() is corner
