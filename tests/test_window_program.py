"""The Program tab against the built-in emulator: live assessment, confirmations, write and
verify, read back, what is and is not on the device."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from console.accounts.roles import Role, User
from console.programming.program import Program
from console.programming.screen_state import ProgrammingSession
from console.storage.programs import found_on_arrival
from device_link.program_record import ProgramRecord
from ui.device.controller import DeviceController
from ui.device.session_model import SessionModel
from ui.program.panel import ProgramPanel
from ui.shell.app import application
from ui.shell.context import WindowContext
from ui.shell.main_window import MainWindow

from .window_fixtures import start_test_stim_on_device

SERIAL = "EMU-000001"


@pytest.fixture
def panel(window) -> ProgramPanel:
    return window.findChild(ProgramPanel)


def type_into(qtbot, panel: ProgramPanel, name: str, text: str) -> None:
    edit = panel.fields[name].edit
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def slot_bytes(demo, slot: int) -> bytes | None:
    for entry in demo.emulator.programs()["slots"]:
        if entry["slot"] == slot:
            return bytes.fromhex(entry["program"])
    return None


def program_in(demo, slot: int) -> Program:
    data = slot_bytes(demo, slot)
    assert data is not None, f"slot {slot} is empty"
    return Program.from_record(ProgramRecord.decode(data))


def versions(demo):
    """The versions written from the window (not what the device arrived with)."""
    return [v for v in demo.record.list_versions(demo.user, device_serial=SERIAL)
            if not found_on_arrival(v)]


def click_write(qtbot, panel: ProgramPanel) -> None:
    assert panel.write_button.isEnabled(), panel.write_blocker.text()
    qtbot.mouseClick(panel.write_button, Qt.MouseButton.LeftButton)


def wait_written(qtbot, panel: ProgramPanel) -> None:
    qtbot.waitUntil(lambda: not panel.busy and "Written and verified" in panel.result.text(),
                    timeout=10000)


def test_connecting_reads_the_slot_so_the_screen_starts_from_the_device(panel, demo):
    held = program_in(demo, 0)
    assert panel.session.draft == held
    assert panel.session.device_program == held
    assert panel.fields["left.amplitude_ma"].edit.text() == str(held.leads[0].amplitude_ma)
    assert "Read slot 0" in panel.result.text()
    assert not any(field.marker.isVisible() for field in panel.fields.values())
    assert panel.summary_state == "Writable"


def test_unsafe_amplitude_is_blocked_and_explained_beside_the_field(qtbot, panel):
    type_into(qtbot, panel, "left.amplitude_ma", "14.0")
    field = panel.fields["left.amplitude_ma"]
    assert panel.session.draft.leads[0].amplitude_ma == Decimal("14.0")
    assert "BLOCKED" in field.findings_text and "Shannon" in field.findings_text
    assert "13.7 mA" in field.findings_text  # the highest amplitude allowed at 214 µs
    assert field.findings_label.isVisible()
    assert panel.summary_state.startswith("Blocked")
    assert "Blocked (1)" in panel.summary.text()
    assert not panel.write_button.isEnabled()
    assert "k 1.865" in panel.figures[0].text()


def test_off_step_amplitude_is_blocked_naming_neighbours_and_never_rounded(qtbot, panel):
    type_into(qtbot, panel, "left.amplitude_ma", "8.05")
    field = panel.fields["left.amplitude_ma"]
    assert field.edit.text() == "8.05"
    assert panel.session.draft.leads[0].amplitude_ma == Decimal("8.05")
    assert "8.0 or 8.1 mA" in field.findings_text
    assert not panel.write_button.isEnabled()


def test_text_that_is_no_value_is_blocked_on_its_field(qtbot, panel):
    type_into(qtbot, panel, "frequency_hz", "x20")
    field = panel.fields["frequency_hz"]
    assert field.error is not None and "not a number" in field.findings_text
    assert panel.session.draft.frequency_hz == 20  # the draft keeps the last real value
    assert panel.summary_state.startswith("Blocked")
    assert not panel.write_button.isEnabled()
    type_into(qtbot, panel, "left.pulse_width_us", "214.5")
    assert "214 or 215 µs" in panel.fields["left.pulse_width_us"].findings_text
    type_into(qtbot, panel, "frequency_hz", "25")
    assert field.error is None and panel.session.draft.frequency_hz == 25


def test_limits_come_from_the_device_and_show_beside_and_in_the_tooltip(panel):
    field = panel.fields["left.amplitude_ma"]
    assert field.limits_label.text() == "0–25.0 mA · step 0.1"
    assert "Device limits: 0–25.0 mA · step 0.1" in field.edit.toolTip()
    assert "1.0–60.0 s" in panel.fields["on_s"].limits_label.text()


def test_write_and_verify_records_the_version_and_clears_the_markers(qtbot, panel, demo):
    type_into(qtbot, panel, "left.amplitude_ma", "5.5")
    type_into(qtbot, panel, "on_s", "12.0")
    changed = {name for name, field in panel.fields.items() if field.marker.isVisible()}
    assert changed == {"left.amplitude_ma", "on_s"}
    assert panel.fields["on_s"].edit.property("changed") is True
    assert "give a reason" in panel.write_blocker.text()
    qtbot.keyClicks(panel.reason_edit, "stronger contraction wanted")
    draft = panel.session.draft
    click_write(qtbot, panel)
    wait_written(qtbot, panel)
    assert slot_bytes(demo, 0) == draft.to_record().encode()
    crc = draft.to_record().crc
    assert f"slot 0, CRC 0x{crc:04X}" in panel.result.text()
    latest = versions(demo)[-1]
    assert latest.status.value == "verified"
    assert latest.device_crc == crc and latest.record.encode() == draft.to_record().encode()
    assert latest.reason == "stronger contraction wanted"
    assert latest.visit_id == demo.visit_id
    assert [step.status.value for step in latest.history] == ["draft", "written", "verified"]
    assert panel.session.device_program == draft
    assert not any(field.marker.isVisible() for field in panel.fields.values())
    assert not panel.fields["on_s"].edit.property("changed")


def test_confirmation_needs_a_reason_and_cancel_writes_nothing(qtbot, panel, demo):
    before = slot_bytes(demo, 0)
    type_into(qtbot, panel, "left.amplitude_ma", "10.5")
    assert panel.summary_state == "Needs your confirmation (1)"
    assert "soft maximum" in panel.fields["left.amplitude_ma"].findings_text
    qtbot.keyClicks(panel.reason_edit, "titrated in clinic")
    click_write(qtbot, panel)
    dialog = panel.confirm_dialog
    assert dialog is not None and dialog.isVisible()
    assert len(dialog.finding_labels) == 1 and "10.5 mA" in dialog.finding_labels[0].text()
    assert not dialog.confirm_button.isEnabled()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert "Cancelled" in panel.result.text()
    assert slot_bytes(demo, 0) == before and versions(demo) == []

    click_write(qtbot, panel)
    dialog = panel.confirm_dialog
    qtbot.keyClicks(dialog.reason_edit, "patient tolerated 11 mA")
    assert dialog.confirm_button.isEnabled()
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    wait_written(qtbot, panel)
    assert slot_bytes(demo, 0) == panel.session.draft.to_record().encode()
    (version,) = versions(demo)
    assert version.status.value == "verified"
    (confirmation,) = version.confirmations
    assert confirmation.finding == "soft_maximum"
    assert confirmation.reason == "patient tolerated 11 mA"
    assert version.author == demo.user.username


def test_no_confirmation_dialog_while_stimulating(qtbot, window, panel, demo):
    type_into(qtbot, panel, "left.amplitude_ma", "10.5")
    qtbot.keyClicks(panel.reason_edit, "titrated in clinic")
    start_test_stim_on_device(qtbot, window)
    assert not panel.write_button.isEnabled()
    panel.write()  # even if asked directly
    assert panel.confirm_dialog is None
    assert "stimulating" in panel.result.text()
    window.context.controller.stop()
    qtbot.waitUntil(lambda: demo.emulator.state()["state"] == "IDLE", timeout=5000)


def test_an_open_confirmation_closes_when_stimulation_starts(qtbot, window, panel, demo):
    type_into(qtbot, panel, "left.amplitude_ma", "10.5")
    qtbot.keyClicks(panel.reason_edit, "titrated in clinic")
    click_write(qtbot, panel)
    dialog = panel.confirm_dialog
    assert dialog.isVisible()
    start_test_stim_on_device(qtbot, window)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    assert "began stimulating" in panel.result.text()
    assert versions(demo) == []
    window.context.controller.stop()
    qtbot.waitUntil(lambda: demo.emulator.state()["state"] == "IDLE", timeout=5000)


def test_read_from_device_replaces_the_draft(qtbot, panel, demo):
    held = panel.session.device_program
    type_into(qtbot, panel, "session_min", "45")
    assert panel.fields["session_min"].marker.isVisible()
    qtbot.mouseClick(panel.read_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.busy and panel.session.draft == held, timeout=10000)
    assert panel.fields["session_min"].edit.text() == str(held.session_min)
    assert not panel.fields["session_min"].marker.isVisible()


def test_an_empty_slot_is_named(qtbot, panel):
    panel.slot_box.setCurrentIndex(3)
    panel.slot_box.activated.emit(3)
    qtbot.waitUntil(lambda: not panel.busy and "Slot 3 is empty" in panel.result.text(),
                    timeout=10000)
    assert panel.session.slot == 3 and panel.session.device_program is None
    assert all(field.marker.isVisible() for field in panel.fields.values())


def test_after_link_loss_nothing_is_shown_as_on_the_device(qtbot, window, panel, demo):
    assert not any(field.marker.isVisible() for field in panel.fields.values())
    with qtbot.waitSignal(window.context.controller.disconnected, timeout=10000):
        demo.emulator.disconnect()
    assert all(field.marker.isVisible() for field in panel.fields.values())
    assert "Link lost" in panel.result.text()
    assert not panel.write_button.isEnabled() and not panel.read_button.isEnabled()


def reconnect(qtbot, window, demo, panel: ProgramPanel) -> None:
    """Pull the cable, plug it back, connect again: wait until the slot was read."""
    controller = window.context.controller
    with qtbot.waitSignal(controller.disconnected, timeout=10000):
        demo.emulator.disconnect()
    port = demo.emulator.reconnect()["port"]
    with qtbot.waitSignal(controller.connected, timeout=10000):
        window.connect_to(port, 115200)
    qtbot.waitUntil(lambda: not panel.busy and panel.session.device_program is not None,
                    timeout=10000)


def test_reconnecting_keeps_changes_made_on_screen(qtbot, window, panel, demo):
    type_into(qtbot, panel, "session_min", "45")
    reconnect(qtbot, window, demo, panel)
    assert panel.session.draft.session_min == 45
    assert panel.session.device_program == program_in(demo, 0)
    assert panel.fields["session_min"].marker.isVisible()
    assert not panel.fields["frequency_hz"].marker.isVisible()
    assert "kept on screen" in panel.result.text()


def test_write_is_disabled_for_a_role_that_may_not_program(qtbot, demo):
    application()
    user = User(id=999, username="theatre.nurse", role=Role.THEATRE)
    context = WindowContext(DeviceController(), SessionModel(ProgrammingSession()),
                            demo.record, user, emulator=demo.emulator, demo=True)
    window = MainWindow(context, demo.record.key_store())
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(context.controller.connected, timeout=10000):
        window.connect_to(demo.emulator.port, 115200)
    panel = window.findChild(ProgramPanel)
    qtbot.waitUntil(lambda: panel.session.device_program is not None and not panel.busy,
                    timeout=10000)
    qtbot.keyClicks(panel.reason_edit, "checking")
    assert not panel.write_button.isEnabled()
    assert "may not write" in panel.write_blocker.text()
    assert panel.read_button.isEnabled()
    window.close()


def test_previews_follow_the_draft(qtbot, panel):
    type_into(qtbot, panel, "left.amplitude_ma", "6.5")
    type_into(qtbot, panel, "left.pulse_width_us", "300")
    left_curve = panel.previews.pulse.getPlotItem().listDataItems()[0]
    times, currents = left_curve.getData()
    assert min(currents) == -6.5 and max(currents) == 6.5  # cathodic phase first, balanced
    assert max(times) == 600
    assert list(currents[:3]) == [0.0, -6.5, -6.5]
    type_into(qtbot, panel, "on_s", "70")  # above the device maximum: not drawn
    assert "outside the device's range" in panel.previews.notes["cycle"]
    type_into(qtbot, panel, "on_s", "12.0")
    assert panel.previews.notes["cycle"] == ""
    cycle_times, _ = panel.previews.cycle.getPlotItem().listDataItems()[0].getData()
    assert max(cycle_times) == 32.0  # 12 s on + 20 s off


def test_a_slot_chosen_elsewhere_is_not_shown_as_on_the_device(qtbot, window, panel):
    session = panel.session
    held = session.device_program
    session.slot = 2  # as a restore of a slot-2 version from the History tab does
    session.set_draft(held)
    window.context.model.notify_draft()
    assert session.device_program is None
    assert panel.slot_box.currentData() == 2
    assert all(field.marker.isVisible() for field in panel.fields.values())
    assert "Slot 2: what the device holds is not known" in panel.summary.text()


@pytest.mark.parametrize(("typed", "said"), [
    ("9" * 50, "too long to be a value"),
    ("99999999", "outside the bounds of any clinical value"),
    ("1.0000001", "more than 6 decimal places"),
])
def test_a_hostile_number_typed_is_a_field_error_never_a_draft_value(qtbot, panel, typed,
                                                                      said):
    type_into(qtbot, panel, "left.amplitude_ma", typed)  # typed key by key, as a person does
    assert said in panel.fields["left.amplitude_ma"].error
    assert str(panel.session.draft.leads[0].amplitude_ma) != typed
    assert not panel.write_button.isEnabled()
