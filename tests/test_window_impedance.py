"""The Impedance tab against the demo emulator on a real pseudo-terminal."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from console.accounts import Role
from console.emulation.demo import DemoEnvironment
from console.leads.impedance import ContactState
from ui.impedance.panel import ImpedancePanel

from .window_fixtures import open_demo_window, select_tab, unexpected_failure


def _panel(window) -> ImpedancePanel:
    return select_tab(window, ImpedancePanel)


def _measure(qtbot, panel: ImpedancePanel) -> list[int]:
    """Press the button, wait for the result; the progress values shown on the way."""
    shown: list[int] = []
    panel.progress.valueChanged.connect(shown.append)
    qtbot.waitUntil(panel.measure_button.isEnabled, timeout=5000)
    qtbot.mouseClick(panel.measure_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel._measuring, timeout=10000)
    return shown


def _table(panel: ImpedancePanel) -> list[tuple[str, ...]]:
    return [tuple(panel.table.item(row, column).text() for column in range(4))
            for row in range(panel.table.rowCount())]


def test_measurement_fills_table_chart_session_and_record(qtbot, window, demo):
    demo.emulator.inject_open(0, 2)
    panel = _panel(window)

    shown = _measure(qtbot, panel)

    assert panel.progress.maximum() == 20
    assert panel.progress.value() == 20
    assert len({value for value in shown if 0 < value < 20}) >= 10, \
        f"the bar follows the device's progress events, got {shown}"
    rows = _table(panel)
    monopolar = [row for row in rows if row[1].endswith("– case")]
    bipolar = [row for row in rows if not row[1].endswith("– case")]
    assert (len(monopolar), len(bipolar)) == (8, 12)
    assert ("Left", "E2 – case", "—", "OPEN circuit") in rows
    assert all(row[3] == "normal" for row in monopolar if row[:2] != ("Left", "E2 – case"))
    assert panel.bars.open_markers == [(0, 2)]
    session = window.context.model.session
    assert session.impedances.contact_state(0, 2, session.profile) == ContactState.OPEN
    assert session.impedances.pair_ohms(0, 1, 2) == (True, None)
    assert "OPEN" in panel.status.text()

    stored = demo.record.impedance_history(demo.user, "EMU-000001")
    assert len(stored) == 20
    assert {m.visit_id for m in stored} == {demo.visit_id}
    assert [m.ohms for m in stored if (m.lead, m.electrode_a, m.electrode_b) == (0, 2, None)] \
        == [None]
    assert "stored in the clinical record" in panel.status.text()
    qtbot.waitUntil(lambda: panel.trend.points == 8, timeout=5000)


def test_a_shorted_pair_is_shown_shorted_for_the_pair_and_its_contacts(qtbot, window, demo):
    demo.emulator.inject_short(1, 0, 1)
    panel = _panel(window)

    _measure(qtbot, panel)

    pair = [row for row in _table(panel) if row[:2] == ("Right", "E0–E1")]
    assert len(pair) == 1 and pair[0][3] == "SHORTED"
    session = window.context.model.session
    assert session.impedances.contact_state(1, 0, session.profile) == ContactState.SHORTED
    assert session.impedances.contact_state(1, 1, session.profile) == ContactState.SHORTED
    assert "Right E0–E1: SHORTED" in panel.status.text()


def test_stop_aborts_the_measurement_and_keeps_nothing(qtbot, window, demo):
    panel = _panel(window)
    qtbot.waitUntil(panel.measure_button.isEnabled, timeout=5000)
    qtbot.mouseClick(panel.measure_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.progress.value() >= 1, timeout=5000)

    qtbot.keyClick(panel.table, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: not panel._measuring, timeout=10000)
    assert "measurement stopped" in panel.status.text().lower()
    assert panel.table.rowCount() == 0
    assert window.context.model.session.impedances.monopolar == {}
    assert demo.record.impedance_history(demo.user, "EMU-000001") == []
    assert demo.emulator.state()["state"] == "IDLE"
    qtbot.waitUntil(panel.measure_button.isEnabled, timeout=5000)


def test_a_role_that_may_not_measure_finds_the_button_disabled(qtbot):
    demo = DemoEnvironment.start(role=Role.ADMIN)
    try:
        window = open_demo_window(qtbot, demo)
        panel = _panel(window)
        assert not panel.measure_button.isEnabled()
        assert "may not" in panel.measure_button.toolTip()
        window.close()
    finally:
        demo.close()


def test_no_measurement_while_another_operation_holds_the_device(qtbot, window):
    panel = _panel(window)
    controller = window.context.controller
    qtbot.waitUntil(panel.measure_button.isEnabled, timeout=5000)
    gate = threading.Event()

    with qtbot.waitSignal(controller.busy_changed, timeout=5000):
        controller.run("program write", lambda client: gate.wait(5),
                       on_failed=unexpected_failure)

    assert not panel.measure_button.isEnabled()
    gate.set()
    qtbot.waitUntil(panel.measure_button.isEnabled, timeout=5000)


def test_the_reason_measure_is_unavailable_goes_once_the_device_is_back(qtbot, window, demo):
    panel = _panel(window)
    controller = window.context.controller
    with qtbot.waitSignal(controller.disconnected, timeout=5000):
        qtbot.mouseClick(window.connection.connect_button, Qt.MouseButton.LeftButton)
    assert panel.status.text() == "Connect a device to measure impedance."
    with qtbot.waitSignal(controller.connected, timeout=10000):
        qtbot.mouseClick(window.connection.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.measure_button.isEnabled, timeout=5000)
    assert panel.status.text().startswith("Ready"), "no stale 'Connect a device' once connected"
