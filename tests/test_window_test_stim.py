"""The Test stimulation tab against the demo emulator on a real pseudo-terminal."""

from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from console.storage.models import AuditEntryRow
from device_link.messages import ImpedanceRecord, StimStopped
from device_link.protocol import DeviceState, StopReason
from ui.stimulation.panel import TestStimPanel

from .test_placement_workflow import ManualClock
from .window_fixtures import select_tab, unexpected_failure


def _panel(window) -> TestStimPanel:
    return select_tab(window, TestStimPanel)


def _test_stim(demo) -> dict | None:
    return demo.emulator.state()["test_stim"]


def _amp_ua(demo) -> int | None:
    stim = _test_stim(demo)
    return None if stim is None else stim["amp_ua"]


def _start(qtbot, panel: TestStimPanel, demo) -> None:
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)
    qtbot.mouseClick(panel.setup.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._running is not None, timeout=5000)
    assert demo.emulator.state()["state"] == "TEST_STIM"


def _audit(demo, event: str) -> list[dict]:
    with demo.record.engine.connect() as connection:
        rows = connection.execute(select(AuditEntryRow.details).where(
            AuditEntryRow.event == event).order_by(AuditEntryRow.seq))
        return [json.loads(details) for (details,) in rows]


def _held_up_key(panel: TestStimPanel) -> None:
    """One auto-repeated Up press, as a held key sends them (through the shortcut map)."""
    QApplication.sendEvent(panel, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Up,
                                            Qt.KeyboardModifier.NoModifier, "", True))


def _refused_at(panel: TestStimPanel, demo, amp_ua: int) -> bool:
    """The last change was refused on the spot: nothing on its way, the device unchanged."""
    return not panel._adjusting and _amp_ua(demo) == amp_ua


def test_starts_at_the_start_value_and_titrates_with_button_and_keys(qtbot, window, demo):
    panel = _panel(window)
    clock = panel.clock = ManualClock()
    assert panel.setup.amplitude.text() == "0.5"  # the titration start value (device and clinic)
    assert panel.setup.step.text() == "0.5"
    qtbot.waitUntil(lambda: "Compliance limit unknown: pair E1–E2 has no impedance "
                            "measurement" in panel.compliance.text(), timeout=5000)

    _start(qtbot, panel, demo)

    stim = _test_stim(demo)
    # the program's left pair, polarity as there: anode E2, cathode E1
    assert (stim["lead"], stim["anode"], stim["cathode"], stim["amp_ua"]) == (0, 2, 1, 500)
    assert panel.amplitude_now.text() == "0.5 mA"
    assert "STIMULATING" in panel.banner.text()
    for locked in (panel.setup.lead, panel.setup.anode, panel.setup.cathode, panel.setup.frequency,
                   panel.setup.pulse_width, panel.setup.duration, panel.setup.amplitude):
        assert not locked.isEnabled()
    assert not panel.setup.start_button.isEnabled()
    started = _audit(demo, "test_stimulation")
    assert len(started) == 1 and started[0]["amplitude_ma"] == "0.5"
    assert started[0]["visit"] == demo.visit_id

    clock.advance(1.0)  # the first increase waits the interval after the start
    qtbot.mouseClick(panel.raise_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _amp_ua(demo) == 1000, timeout=5000)
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "1.0 mA", timeout=5000)

    clock.advance(1.0)  # the clinic's interval between increases
    panel.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel, timeout=5000)
    qtbot.keyClick(panel, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: _amp_ua(demo) == 1500, timeout=5000)
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "1.5 mA", timeout=5000)

    qtbot.keyClick(panel, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: _amp_ua(demo) == 1000, timeout=5000)


def test_quick_presses_and_a_held_key_raise_once_per_interval(qtbot, window, demo):
    panel = _panel(window)
    clock = panel.clock = ManualClock()
    _start(qtbot, panel, demo)
    qtbot.keyClick(panel, Qt.Key.Key_Up)  # at once: the start was the last increase
    assert _refused_at(panel, demo, 500)
    clock.advance(1.0)
    qtbot.keyClick(panel, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "1.0 mA", timeout=5000)

    for _ in range(5):  # quick presses, each after the last change was confirmed
        clock.advance(0.04)
        qtbot.keyClick(panel, Qt.Key.Key_Up)
        assert _refused_at(panel, demo, 1000)
    assert panel.message.text() == (
        "Not sent — amplitude stays at 1.0 mA. Left test amplitude 1.0 → 1.5 mA comes 0.2 s "
        "after the last increase: increases are at least 1.0 s apart so that the response to "
        "each step can be seen; the next increase is allowed in 0.8 s.")

    clock.advance(5.0)  # long past the interval, the key is still held: nothing rises
    for _ in range(5):
        _held_up_key(panel)
        assert _refused_at(panel, demo, 1000)

    qtbot.keyClick(panel, Qt.Key.Key_Up)  # a fresh press
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "1.5 mA", timeout=5000)
    assert _amp_ua(demo) == 1500
    qtbot.keyClick(panel, Qt.Key.Key_Down)  # lowering is never held back …
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "1.0 mA", timeout=5000)
    qtbot.mouseClick(panel.raise_button, Qt.MouseButton.LeftButton)  # … nor restarts it
    assert _refused_at(panel, demo, 1000)
    assert "the next increase is allowed in 1.0 s" in panel.message.text()


def test_a_too_large_step_is_refused_with_a_message_and_not_sent(qtbot, window, demo):
    panel = _panel(window)
    _start(qtbot, panel, demo)
    panel.setup.step.setText("2.0")

    qtbot.mouseClick(panel.raise_button, Qt.MouseButton.LeftButton)

    assert "Not sent" in panel.message.text()
    assert "more than one titration step of 0.5 mA" in panel.message.text()
    assert "highest amplitude allowed now is 1.0 mA" in panel.message.text()
    assert not panel._adjusting  # nothing went to the device
    assert _amp_ua(demo) == 500
    assert panel.amplitude_now.text() == "0.5 mA"


def test_escape_stops_and_the_panel_says_why(qtbot, window, demo):
    panel = _panel(window)
    _start(qtbot, panel, demo)

    qtbot.keyClick(panel.raise_button, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)
    state = demo.emulator.state()
    assert state["state"] == "IDLE"
    assert state["last_stop_reason"] == 0
    assert "stopped on request" in panel.message.text()
    assert panel.banner.text() == "NOT STIMULATING"
    assert panel.setup.lead.isEnabled() and not panel.raise_button.isEnabled()
    qtbot.waitUntil(lambda: len(_audit(demo, "stop")) == 1, timeout=5000)
    assert "stopped on request" in _audit(demo, "stop")[0]["reason"]
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)


def test_the_device_ending_the_test_after_its_duration_is_reported(qtbot, window, demo):
    panel = _panel(window)
    panel.setup.duration.setText("1")
    _start(qtbot, panel, demo)

    qtbot.waitUntil(lambda: panel._running is None, timeout=10000)

    assert "test duration elapsed" in panel.message.text()
    assert demo.emulator.state()["last_stop_reason"] == 2
    qtbot.waitUntil(lambda: len(_audit(demo, "stop")) == 1, timeout=5000)
    assert "test duration elapsed" in _audit(demo, "stop")[0]["reason"]


def test_telemetry_reaches_the_plot(qtbot, window, demo):
    panel = _panel(window)
    _start(qtbot, panel, demo)

    qtbot.waitUntil(lambda: panel.plot.received >= 5 and panel.plot.shown_samples() >= 5,
                    timeout=5000)

    set_ma, delivered_ma = panel.plot.latest()
    assert set_ma == pytest.approx(0.5)
    assert 0 < delivered_ma <= set_ma
    assert "delivered" in panel.delivered.text()


def test_other_electrodes_set_the_amplitude_back_to_the_start_value(qtbot, window):
    panel = _panel(window)
    panel.setup.amplitude.setText("0.2")

    panel.setup.cathode.setCurrentIndex(3)

    assert panel.setup.amplitude.text() == "0.5"
    assert "start amplitude is back to 0.5 mA" in panel.setup.hint.text()


def test_a_start_above_the_start_limit_is_blocked_in_words(qtbot, window):
    panel = _panel(window)
    qtbot.waitUntil(lambda: window.context.model.device is not None, timeout=5000)

    panel.setup.amplitude.setText("3.0")

    assert not panel.setup.start_button.isEnabled()
    words = " ".join(panel.setup.finding_texts())
    assert "3.0 mA is above the starting limit 0.5 mA" in words


def test_a_finding_to_confirm_is_confirmed_with_a_reason_before_the_start(qtbot, window, demo):
    panel = _panel(window)
    clock = panel.clock = ManualClock()
    model = window.context.model
    # a high (not open) left pair 1-2: the engine asks for a confirmation
    model.session.measured([ImpedanceRecord(0, 1, 2, 4000)])
    model.notify_impedance()
    qtbot.waitUntil(lambda: len(panel.setup.confirm_rows) == 1, timeout=5000)
    row = panel.setup.confirm_rows[0]
    assert "4000" in row.finding.message
    assert "Compliance limit 3.8 mA" in panel.compliance.text()
    assert not panel.setup.start_button.isEnabled()

    row.tick.setChecked(True)
    assert not panel.setup.start_button.isEnabled()  # a reason is needed too
    row.reason.setText("impedance checked at the bedside")
    _start(qtbot, panel, demo)

    confirmed = _audit(demo, "safety_finding_confirmed")
    assert len(confirmed) == 1
    assert confirmed[0]["reason"] == "impedance checked at the bedside"
    assert confirmed[0]["device"] == "EMU-000001"

    # the same finding, confirmed before the start, does not hold up the titration
    clock.advance(1.0)
    qtbot.mouseClick(panel.raise_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _amp_ua(demo) == 1000, timeout=5000)


def test_stop_pressed_while_the_start_is_on_its_way_leaves_the_device_stopped(qtbot, window,
                                                                              demo):
    panel = _panel(window)
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)

    panel.start()
    window.context.controller.stop()

    qtbot.waitUntil(lambda: not panel._starting, timeout=5000)
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)
    assert demo.emulator.state()["state"] == "IDLE"
    assert "STOP" in panel.message.text() or "stopped on request" in panel.message.text()


def test_the_late_word_of_an_earlier_stop_does_not_end_the_next_run(qtbot, window, demo):
    """The previous run's STIM_STOPPED and STOP confirmation, landing while the next start
    is on its way (as they do on a busy machine), leave the new run shown as running."""
    panel = _panel(window)
    controller = window.context.controller
    _start(qtbot, panel, demo)
    qtbot.keyClick(panel.raise_button, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)

    panel.start()
    assert panel._starting
    controller.notice.emit(StimStopped(StopReason.STOP_REQUEST))
    controller.stop_confirmed.emit(DeviceState.TEST_STIM)
    qtbot.waitUntil(lambda: panel._running is not None, timeout=5000)
    with qtbot.waitSignal(controller.status_changed, timeout=5000):
        pass  # a status read after the start: the device is stimulating, and so says the tab

    assert demo.emulator.state()["state"] == "TEST_STIM"
    assert panel._running is not None
    assert panel.banner.text().startswith("STIMULATING")
    qtbot.keyClick(panel.raise_button, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)
    assert demo.emulator.state()["state"] == "IDLE"


def test_a_lost_link_ends_the_test_on_screen_and_says_so(qtbot, window, demo):
    panel = _panel(window)
    _start(qtbot, panel, demo)

    demo.emulator.disconnect()

    qtbot.waitUntil(lambda: panel._running is None, timeout=10000)
    assert "link lost" in panel.message.text()
    assert "watchdog" in panel.message.text()
    assert not panel.raise_button.isEnabled()



def test_no_start_while_another_operation_holds_the_device(qtbot, window):
    panel = _panel(window)
    controller = window.context.controller
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)
    gate = threading.Event()

    with qtbot.waitSignal(controller.busy_changed, timeout=5000):
        controller.run("impedance", lambda client: gate.wait(5), on_failed=unexpected_failure)

    assert not panel.setup.start_button.isEnabled()
    assert "busy" in panel.setup.hint.text()
    gate.set()
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)
