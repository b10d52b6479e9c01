"""The Engineering panel: shown to engineers only, fault injection, observation, trace."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from console.accounts.roles import Role
from console.emulation.demo import DemoEnvironment
from console.programming.screen_state import ProgrammingSession
from device_link.emulator import EmulatorConfig, EmulatorServer
from device_link.trace import TraceRecord
from ui.device.controller import DeviceController
from ui.device.session_model import SessionModel
from ui.engineering.panel import EngineeringPanel
from ui.engineering.trace import TraceModel, payload_hex
from ui.history.panel import HistoryPanel
from ui.shell.app import WindowKeyStore, application, demo_window
from ui.shell.context import WindowContext
from ui.shell.main_window import MainWindow

from .window_fixtures import open_demo_window


def _tab(window, kind):
    return window.tabs.show_panel(kind)


def _button(parent, text: str) -> QPushButton:
    return next(b for b in parent.findChildren(QPushButton) if b.text() == text)


def _tab_titles(window) -> list[str]:
    return [window.tabs.tabText(index) for index in range(window.tabs.count())]


@pytest.fixture
def engineer_demo():
    environment = DemoEnvironment.start(role=Role.ENGINEER)
    yield environment
    environment.close()


@pytest.fixture
def window(qtbot, engineer_demo):
    window = open_demo_window(qtbot, engineer_demo)
    yield window
    window.close()


def test_clinicians_never_see_the_engineering_view(qtbot):
    application()
    environment = DemoEnvironment.start()
    try:
        window = demo_window(environment)
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.context.controller.connected, timeout=10000):
            window.show()
        assert "Engineering" not in _tab_titles(window)
        assert _tab(window, EngineeringPanel) is None
        assert window.connection.emulator_button.isHidden()
        assert not window.context.controller.trace_enabled
        window.close()
    finally:
        environment.close()


def test_engineers_see_it_last_and_may_not_restore_programs(window):
    assert _tab_titles(window)[-1] == "Engineering"
    history = _tab(window, HistoryPanel)
    assert not history.restore_button.isEnabled()
    assert "may not create, write or restore a program" in \
        history.restore_button.parentWidget().toolTip()


def test_opening_a_contact_from_the_panel_reaches_the_emulator(qtbot, window, engineer_demo):
    panel = _tab(window, EngineeringPanel)
    assert not engineer_demo.emulator.impedances()["contacts"][6]["open"]
    panel.faults.lead.setCurrentIndex(panel.faults.lead.findData(1))
    panel.faults.electrode.setCurrentIndex(panel.faults.electrode.findData(2))
    qtbot.mouseClick(_button(panel.faults, "Open contact"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: engineer_demo.emulator.impedances()["contacts"][6]["open"],
                    timeout=5000)
    contacts = engineer_demo.emulator.impedances()["contacts"]
    assert (contacts[6]["lead"], contacts[6]["electrode"]) == (1, 2)
    assert [c["open"] for c in contacts] == [False] * 6 + [True, False]
    pair = next(p for p in engineer_demo.emulator.impedances()["leads"][1]["bipolar"]
                if p["electrodes"] == [1, 2])
    assert pair["ohms"] == 0xFFFF
    right = panel.observation.leads[1]
    qtbot.waitUntil(lambda: "OPEN" in right.contacts.text(), timeout=5000)
    assert "OPEN" not in panel.observation.leads[0].contacts.text()
    assert "Done: open right E2" in panel.message.text()


def test_link_faults_and_battery_are_set_and_cleared(qtbot, window, engineer_demo):
    panel = _tab(window, EngineeringPanel)
    faults = panel.faults
    faults.drop.setValue(0.02)
    faults.corrupt.setValue(0.0)
    faults.delay.setValue(30)
    faults.apply_link_faults()
    qtbot.waitUntil(lambda: engineer_demo.emulator.link_faults()["drop_rate"] == 0.02,
                    timeout=5000)
    assert engineer_demo.emulator.link_faults()["delay_ms"] == 30
    faults.clear_link_faults()
    qtbot.waitUntil(lambda: engineer_demo.emulator.link_faults()["drop_rate"] == 0.0,
                    timeout=5000)
    faults.low_battery()
    qtbot.waitUntil(lambda: engineer_demo.emulator.state()["battery_pct"] == 9, timeout=5000)
    qtbot.waitUntil(lambda: "battery 9 %" in panel.observation.device.text(), timeout=5000)


def test_the_trace_shows_the_consoles_decoded_frames(qtbot, window):
    panel = _tab(window, EngineeringPanel)
    model = panel.trace.model
    assert window.context.controller.trace_enabled

    def messages() -> list[tuple[str, str]]:
        return [(model.data(model.index(row, 1)), model.data(model.index(row, 4)))
                for row in range(model.rowCount())]

    qtbot.waitUntil(lambda: ("console → device", "GET_STATUS") in messages()
                    and ("device → console", "GET_STATUS") in messages(), timeout=5000)
    assert ("console → device", "HELLO") in messages(), "traced from the first frame"
    row = messages().index(("device → console", "GET_STATUS"))
    panel.trace.table.selectRow(row)
    record = model.record(row)
    assert record.summary() in panel.trace.detail.text()
    assert payload_hex(record.frame.payload) in panel.trace.detail.text()
    assert len(record.frame.payload) > 0 and "0000  " in panel.trace.detail.text()


def test_the_trace_keeps_only_the_newest_rows(window):
    panel = _tab(window, EngineeringPanel)
    sample = panel.trace.model.record(0)
    model = TraceModel(capacity=5)
    for index in range(12):
        model.add(TraceRecord("rx", sample.frame, note=str(index), t=float(index)))
        if index % 4 == 3:
            model.flush()
    model.flush()
    assert model.rowCount() == 5
    assert model.total == 12
    assert [model.record(row).note for row in range(5)] == ["7", "8", "9", "10", "11"]


def test_an_emulator_process_is_controlled_by_its_address(qtbot, window):
    panel = _tab(window, EngineeringPanel)
    other = EmulatorServer(EmulatorConfig(serial="EMU-000007", control="127.0.0.1:0"))
    other.start()
    try:
        qtbot.keyClicks(panel.address, other.control_address)
        with qtbot.waitSignal(panel.link.attached, timeout=5000):
            panel.attach_address()
        assert other.control_address in panel.source.text()
        panel.faults.lead.setCurrentIndex(0)
        panel.faults.electrode.setCurrentIndex(panel.faults.electrode.findData(0))
        panel.faults.other.setCurrentIndex(panel.faults.other.findData(3))
        panel.faults.short_pair()
        qtbot.waitUntil(lambda: other.impedances()["shorts"] != [], timeout=5000)
        assert other.impedances()["shorts"] == [{"lead": 0, "electrodes": [0, 3]}]
        assert window.context.emulator.impedances()["shorts"] == [], "not the demo's emulator"
        qtbot.waitUntil(lambda: "EMU-000007" in panel.observation.device.text(), timeout=5000)
    finally:
        panel.link.use_server(window.context.emulator)
        other.stop()


def test_engineers_start_an_emulator_from_the_connection_bar(qtbot, engineer_demo):
    application()
    context = WindowContext(DeviceController(), SessionModel(ProgrammingSession()),
                            engineer_demo.record, engineer_demo.user)
    window = MainWindow(context, WindowKeyStore(engineer_demo.record.key_store(), context))
    qtbot.addWidget(window)
    window.show()
    connection = window.connection
    assert connection.emulator_button.isVisible()
    connection.scenario.setCurrentText("fractured-lead")
    qtbot.mouseClick(connection.emulator_button, Qt.MouseButton.LeftButton)
    server = connection.started_emulator
    assert server is not None and context.emulator is server
    assert connection.port.currentText() == server.port
    assert server.state()["scenario"] == "fractured-lead"
    with qtbot.waitSignal(context.controller.connected, timeout=10000):
        qtbot.mouseClick(connection.connect_button, Qt.MouseButton.LeftButton)
    panel = _tab(window, EngineeringPanel)
    qtbot.waitUntil(lambda: "fractured-lead" in panel.source.text(), timeout=5000)
    qtbot.waitUntil(lambda: "OPEN" in panel.observation.leads[1].contacts.text(), timeout=5000)
    window.close()
    qtbot.waitUntil(lambda: connection.started_emulator is None, timeout=5000)
    assert context.emulator is None
    assert not server.state()["connected"]


def test_pulling_the_cable_is_seen_and_plugging_it_back_offers_the_new_port(qtbot, window):
    panel = _tab(window, EngineeringPanel)
    controller = window.context.controller
    with qtbot.waitSignal(controller.disconnected, timeout=10000) as lost:
        qtbot.mouseClick(_button(panel.faults, "Pull cable"), Qt.MouseButton.LeftButton)
    assert lost.args[0], "a pulled cable is a lost link, with its reason"
    assert window.link_banner.isVisible()
    qtbot.mouseClick(_button(panel.faults, "Plug back in"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Cable plugged back in" in panel.message.text(), timeout=5000)
    new_port = window.context.emulator.port  # a new pseudo-terminal (its number may be reused)
    assert new_port and new_port in panel.message.text()
    assert window.connection.port.currentText() == new_port
    with qtbot.waitSignal(controller.connected, timeout=10000):
        qtbot.mouseClick(window.connection.connect_button, Qt.MouseButton.LeftButton)
    assert window.context.model.device.identity.serial == "EMU-000001"
