"""The window's shell against the built-in emulator on a real pseudo-terminal."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from console.accounts.roles import Action, Role, User
from console.programming.screen_state import ProgrammingSession
from console.storage import ClinicalRecord
from device_link.protocol import DeviceState
from ui.device.controller import DeviceController
from ui.device.session_model import SessionModel
from ui.program.panel import ProgramPanel
from ui.shell.app import signed_in_sessions
from ui.shell.context import WindowContext
from ui.shell.leaving import CLOSE_ANYWAY
from ui.shell.main_window import MainWindow

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


class _ClosedByThePerson(QCloseEvent):
    """A close from the window system (the title bar's button), as the person gives it."""

    def spontaneous(self) -> bool:
        return True


def _answer_when_asked(qtbot, answer) -> list[str]:
    """Answer the leaving question once it is shown (inside its own event loop)."""
    asked: list[str] = []

    def respond() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox), box
        asked.append(box.text())
        answer(box)

    QTimer.singleShot(0, respond)
    return asked


def _visit(demo):
    timeline = demo.record.timeline(demo.user, demo.patient_clinic_id)
    return next(v for v in timeline.visits if v.id == demo.visit_id)


def test_closing_with_a_visit_open_asks_and_cancel_is_the_default(qtbot, window, demo):
    asked = _answer_when_asked(qtbot, lambda box: qtbot.keyClick(box, Qt.Key.Key_Return))
    event = _ClosedByThePerson()
    window.closeEvent(event)
    assert asked and "Visit 1" in asked[0] and "ends it" in asked[0]
    assert not event.isAccepted(), "Enter chose the default: Cancel"
    assert window.context.controller.is_connected
    assert _visit(demo).ended_at is None


def test_unwritten_changes_are_named_and_close_anyway_ends_the_visit(qtbot, window, demo):
    panel = window.findChild(ProgramPanel)
    panel.session.set_draft(dataclasses.replace(panel.session.draft, session_min=45))
    asked = _answer_when_asked(
        qtbot, lambda box: next(b for b in box.buttons() if b.text() == CLOSE_ANYWAY).click())
    assert window.leave()
    assert "never written to the device" in asked[0]
    assert not window.isVisible() and not window.context.controller.is_connected
    assert _visit(demo).ended_at is not None


def test_stop_works_while_the_leaving_question_is_shown(qtbot, window, demo):
    start_test_stim_on_device(qtbot, window)
    stopped_while_open: list[bool] = []

    def press_space_then_cancel(box: QMessageBox) -> None:
        with qtbot.waitSignal(window.context.controller.stop_confirmed, timeout=5000):
            qtbot.keyClick(box, Qt.Key.Key_Space)  # STOP's key, from inside the dialog
        stopped_while_open.append(box.isVisible())
        box.button(QMessageBox.StandardButton.Cancel).click()

    asked = _answer_when_asked(qtbot, press_space_then_cancel)
    assert not window.leave()
    assert "stimulating" in asked[0]
    assert stopped_while_open == [True]
    assert demo.emulator.state()["state"] == "IDLE"
    assert window.isVisible()


def test_sign_out_asks_then_brings_the_sign_in_back(qtbot, window, demo):
    app = QApplication.instance()
    opened: list[MainWindow | None] = [window, None]  # the second sign-in is cancelled
    calls: list[ClinicalRecord] = []

    def open_window(record):
        calls.append(record)
        return opened[len(calls) - 1]

    window.leave_question.answer = True
    QTimer.singleShot(0, window.connection.sign_out_button.click)
    QTimer.singleShot(10000, app.quit)  # a guard: a window that never closes fails the test
    assert signed_in_sessions(demo.record, app, open_window=open_window) == 0
    assert window.signed_out and not window.isVisible()
    assert len(calls) == 2, "after signing out the sign-in is shown again"
    assert _visit(demo).ended_at is not None


def test_sign_out_cancelled_keeps_the_window(qtbot, window):
    window.leave_question.answer = False
    assert not window.sign_out()
    assert window.isVisible() and not window.signed_out


def _window_for(qtbot, demo, role: Role) -> MainWindow:
    user = User(id=990, username=f"a.{role.value}", role=role)
    context = WindowContext(DeviceController(), SessionModel(ProgrammingSession()),
                            demo.record, user)
    window = MainWindow(context, demo.record.key_store())
    qtbot.addWidget(window)
    return window


def test_an_admin_gets_no_emulator_controls_and_no_engineering_view(qtbot, demo):
    admin = _window_for(qtbot, demo, Role.ADMIN)
    assert not admin.connection.emulator_button.isVisibleTo(admin)
    assert not admin.connection.scenario.isVisibleTo(admin)
    titles = [admin.tabs.tabText(i) for i in range(admin.tabs.count())]
    assert "Engineering" not in titles
    assert admin.context.may(Action.MANAGE_USERS), "user administration stays theirs"
    engineer = _window_for(qtbot, demo, Role.ENGINEER)
    assert engineer.connection.emulator_button.isVisibleTo(engineer)
    assert "Engineering" in [engineer.tabs.tabText(i) for i in range(engineer.tabs.count())]
