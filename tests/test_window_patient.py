"""Patient and visit before programming, and the device checked against the patient."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.accounts.roles import Role
from console.emulation.demo import DemoEnvironment
from console.programming.screen_state import ProgrammingSession
from console.storage import VisitKind
from device_link.emulator import EmulatorConfig, EmulatorServer
from ui.device.controller import DeviceController
from ui.device.session_model import SessionModel
from ui.shell.app import WindowKeyStore, application, demo_window
from ui.shell.context import WindowContext
from ui.shell.main_window import MainWindow
from ui.shell.patient_dialog import PatientDialog


@pytest.fixture
def demo():
    environment = DemoEnvironment.start()
    yield environment
    environment.close()


def test_the_dialog_creates_a_patient_and_starts_a_visit(qtbot, demo):
    application()
    dialog = PatientDialog(demo.record, demo.user)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.bench_button.isVisibleTo(dialog), "clinicians always choose a patient"
    qtbot.keyClicks(dialog.new_clinic_id, "P-0002")
    qtbot.keyClicks(dialog.new_name, "Ada Example")
    dialog.table.selectRow(0)  # DEMO-0001 selected while the new patient is typed
    qtbot.keyClicks(dialog.new_dob, "1961-04-02")
    qtbot.keyClick(dialog.new_dob, Qt.Key.Key_Return)
    assert dialog.visit is None, "Enter adds the patient, it never starts a visit"
    assert dialog.selected() is not None and dialog.selected().clinic_id == "P-0002"
    dialog.kind.setCurrentIndex(dialog.kind.findData(VisitKind.FOLLOW_UP))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)

    assert dialog.result() == PatientDialog.DialogCode.Accepted
    assert dialog.patient.clinic_id == "P-0002"
    assert dialog.visit.kind is VisitKind.FOLLOW_UP
    assert dialog.visit.operator == demo.user.username
    patient = demo.record.patient(demo.user, "P-0002")
    assert (patient.name, str(patient.date_of_birth)) == ("Ada Example", "1961-04-02")
    visits = demo.record.timeline(demo.user, "P-0002").visits
    assert [v.id for v in visits] == [dialog.visit.id]


def test_a_date_of_birth_that_is_not_a_date_adds_nobody(qtbot, demo):
    application()
    dialog = PatientDialog(demo.record, demo.user)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.new_clinic_id, "P-0003")
    qtbot.keyClicks(dialog.new_dob, "02/04/1961")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert "not a date" in dialog.message.text()
    assert [p.clinic_id for p in demo.record.list_patients(demo.user)] == ["DEMO-0001"]


def test_engineers_may_not_add_patients_but_may_work_without_one(qtbot):
    application()
    environment = DemoEnvironment.start(role=Role.ENGINEER)
    try:
        dialog = PatientDialog(environment.record, environment.user)
        qtbot.addWidget(dialog)
        assert not dialog.add_button.isEnabled()
        assert dialog.bench_button.isVisibleTo(dialog)
        assert dialog.chosen_kind() is VisitKind.ENGINEERING
        qtbot.mouseClick(dialog.bench_button, Qt.MouseButton.LeftButton)
        assert dialog.result() == PatientDialog.DialogCode.Accepted
        assert dialog.bench and dialog.patient is None and dialog.visit is None
    finally:
        environment.close()


def test_another_patients_device_is_warned_and_the_owner_can_be_chosen(qtbot, demo):
    application()
    demo.record.add_patient(demo.user, "P-0002", name="Someone Else")
    window = demo_window(demo)
    qtbot.addWidget(window)
    context = window.context
    context.patient = demo.record.patient(demo.user, "P-0002")
    context.visit = demo.record.start_visit(demo.user, "P-0002", VisitKind.PROGRAMMING)
    window.header.show_patient()
    bar = window.header.device_match
    with qtbot.waitSignal(context.controller.connected, timeout=10000):
        window.show()
    qtbot.waitUntil(bar.isVisible, timeout=10000)
    assert "belongs to patient DEMO-0001, not to P-0002" in bar.message.text()
    assert bar.disconnect_button.isVisible()
    assert not bar.register_button.isVisible(), "a device never moves to another patient"
    assert not context.model.stimulating, "the warning is in the window, nothing modal"

    qtbot.mouseClick(bar.switch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=5000)
    assert context.patient.clinic_id == "DEMO-0001"
    assert context.visit.patient_clinic_id == "DEMO-0001"
    assert context.visit.device_serial == "EMU-000001"
    assert context.visit.kind is VisitKind.PROGRAMMING
    assert "DEMO-0001" in window.header._patient.text()
    window.close()


def test_an_unregistered_device_is_warned_and_can_be_registered(qtbot, demo):
    application()
    server = EmulatorServer(EmulatorConfig(serial="EMU-000042"))
    server.start()
    try:
        context = WindowContext(DeviceController(), SessionModel(ProgrammingSession()),
                                demo.record, demo.user, emulator=server,
                                patient=demo.record.patient(demo.user, "DEMO-0001"))
        window = MainWindow(context, WindowKeyStore(demo.record.key_store(), context))
        qtbot.addWidget(window)
        window.show()
        bar = window.header.device_match
        with qtbot.waitSignal(context.controller.connected, timeout=10000):
            window.connect_to(server.port, 115200)
        qtbot.waitUntil(bar.isVisible, timeout=10000)
        assert "EMU-000042" in bar.message.text()
        assert "not in the clinical record" in bar.message.text()
        assert bar.register_button.text() == "Register to DEMO-0001"
        qtbot.mouseClick(bar.register_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not bar.isVisible(), timeout=5000)
        assert demo.record.device(demo.user, "EMU-000042").patient_clinic_id == "DEMO-0001"
        window.close()
    finally:
        server.stop()


def test_disconnect_answers_the_warning(qtbot, demo):
    application()
    demo.record.add_patient(demo.user, "P-0002")
    window = demo_window(demo)
    qtbot.addWidget(window)
    window.context.patient = demo.record.patient(demo.user, "P-0002")
    bar = window.header.device_match
    with qtbot.waitSignal(window.context.controller.connected, timeout=10000):
        window.show()
    qtbot.waitUntil(bar.isVisible, timeout=10000)
    with qtbot.waitSignal(window.context.controller.disconnected, timeout=5000):
        qtbot.mouseClick(bar.disconnect_button, Qt.MouseButton.LeftButton)
    assert not bar.isVisible()
    assert window.context.model.device is None
    window.close()
