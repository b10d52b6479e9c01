"""The window's shell against the built-in emulator on a real pseudo-terminal."""

from __future__ import annotations

from PySide6.QtCore import Qt

from device_link.protocol import DeviceState
from ui.device.controller import DeviceController

from .window_fixtures import start_test_stim_on_device


def test_demo_window_connects_and_shows_the_device(window):
    assert window.context.model.device.identity.serial == "EMU-000001"
    assert "EMU-000001" in window.header._device.text()
    assert "DEMO" in window.windowTitle()
    assert window.header.stop_button.isVisible()


def test_escape_stops_test_stimulation_from_any_focus(qtbot, window, demo):
    start_test_stim_on_device(qtbot, window)
    assert demo.emulator.state()["state"] == "TEST_STIM"
    with qtbot.waitSignal(window.context.controller.stop_confirmed, timeout=5000) as stopped:
        qtbot.keyClick(window.connection.port, Qt.Key.Key_Escape)
    assert stopped.args == [DeviceState.TEST_STIM]
    assert demo.emulator.state()["state"] == "IDLE"
    assert demo.emulator.state()["last_stop_reason"] == 0


def test_stop_button_stops(qtbot, window, demo):
    start_test_stim_on_device(qtbot, window)
    with qtbot.waitSignal(window.context.controller.stop_confirmed, timeout=5000):
        qtbot.mouseClick(window.header.stop_button, Qt.MouseButton.LeftButton)
    assert demo.emulator.state()["state"] == "IDLE"


def test_link_loss_is_shown_at_once_and_device_facts_dropped(qtbot, window, demo):
    with qtbot.waitSignal(window.context.controller.disconnected, timeout=10000) as lost:
        demo.emulator.disconnect()
    assert lost.args[0], "a lost link carries its reason"
    assert window.link_banner.isVisible()
    assert "LINK LOST" in window.link_banner.text()
    assert window.context.model.device is None
    assert "No device connected" in window.header._device.text()


def test_an_operation_without_a_device_fails_to_its_caller(qtbot):
    controller = DeviceController()
    done: list[object] = []
    failures: list[str] = []
    controller.run("read program", lambda client: client.read_program(0), done.append,
                   on_failed=failures.append)
    assert not failures, "the failure arrives later, never inside the call"
    qtbot.waitUntil(lambda: bool(failures), timeout=2000)
    assert failures == ["not connected to a device"] and not done
    controller.shutdown()
