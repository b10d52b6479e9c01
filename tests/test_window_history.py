"""The History panel against the demo emulator: versions after writes, diff, restore.

The demo device arrives with the emulator's implant program in slot 0: the first
connection of the visit records it as found, so every history starts with that version.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from PySide6.QtCore import Qt

from console.device.record_keeper import RecordKeeper
from console.programming.program import Program
from console.programming.screen_state import DEFAULT_PROGRAM
from console.storage import ProgramVersion, VersionStatus
from ui.history.panel import HistoryPanel

from .window_fixtures import select_tab, unexpected_failure


def _panel(window) -> HistoryPanel:
    return select_tab(window, HistoryPanel)


def _arrived(qtbot, window) -> HistoryPanel:
    """The History tab once it lists what the device arrived with (and nothing else)."""
    panel = _panel(window)
    qtbot.waitUntil(lambda: "1 program version" in panel.title.text()
                    and panel.table.rowCount() == 1, timeout=10000)
    assert "as found" in panel.table.item(0, 4).text()
    return panel


def _program(left_ma: str) -> Program:
    left = dataclasses.replace(DEFAULT_PROGRAM.leads[0], amplitude_ma=Decimal(left_ma))
    return dataclasses.replace(DEFAULT_PROGRAM, leads=(left, DEFAULT_PROGRAM.leads[1]))


def _write(qtbot, window, demo, program: Program, reason: str) -> ProgramVersion:
    """Write through the keeper on the window's worker, as the Program panel does."""
    keeper = RecordKeeper(demo.record, demo.user, visit_id=demo.visit_id)
    serial = window.context.model.device.identity.serial
    written = []

    def write(client):
        latest = keeper.latest_version_id(serial, 0)
        return keeper.write_program(client, 0, program.to_record(), reason=reason,
                                      expected_latest=latest)

    window.context.controller.run("write program", write, written.append,
                                  on_failed=unexpected_failure)
    qtbot.waitUntil(lambda: bool(written), timeout=10000)
    window.context.model.session.applied(0, program)
    window.context.model.notify_draft()
    return written[0].version


def _row_texts(table, row: int) -> list[str]:
    return [table.item(row, column).text() for column in range(table.columnCount())]


def test_history_lists_a_version_once_it_is_written(qtbot, window, demo):
    panel = _arrived(qtbot, window)
    version = _write(qtbot, window, demo, _program("1.0"), "first titration")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=5000)
    cells = _row_texts(panel.table, 0)
    assert cells[0] == f"v{version.id}"
    assert cells[1] == "0"
    assert cells[3] == demo.user.username
    assert cells[4] == "✔ ON THE DEVICE NOW"
    assert cells[5] == f"{version.record_crc:#06x}"
    assert cells[6] == "—"
    assert cells[7] == "first titration"
    assert _row_texts(panel.table, 1)[4] == "⬇ as found on arrival"


def test_two_selected_versions_are_compared_in_clinical_units(qtbot, window, demo):
    panel = _arrived(qtbot, window)
    first = _write(qtbot, window, demo, _program("1.0"), "start low")
    second = _write(qtbot, window, demo, _program("1.5"), "stronger contraction needed")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 3
                    and "ON THE DEVICE NOW" in _row_texts(panel.table, 0)[4], timeout=5000)
    assert _row_texts(panel.table, 1)[4] == "✔ verified when written"
    panel.select_versions(first.id, second.id)
    assert panel.diff.rowCount() == 1
    assert _row_texts(panel.diff, 0) == ["Left amplitude", "1.0 mA", "≠ 1.5 mA"]
    assert f"Version {first.id} → version {second.id}" in panel.diff_title.text()
    assert "1 field(s) differ" in panel.diff_title.text()


def test_restore_records_a_new_draft_and_loads_it_on_screen(qtbot, window, demo):
    panel = _arrived(qtbot, window)
    first = _write(qtbot, window, demo, _program("1.0"), "start low")
    _write(qtbot, window, demo, _program("2.0"), "stronger")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 3, timeout=5000)
    panel.select_versions(first.id)
    assert not panel.restore_button.isEnabled(), "a restore needs a reason"
    qtbot.keyClicks(panel.reason, "patient reported discomfort at 2.0 mA")
    assert panel.restore_button.isEnabled()
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 4, timeout=5000)

    versions = demo.record.list_versions(demo.user, device_serial="EMU-000001")
    restored = versions[-1]
    assert restored.parent_id == first.id
    assert restored.status is VersionStatus.DRAFT
    assert restored.reason == "patient reported discomfort at 2.0 mA"
    assert restored.visit_id == demo.visit_id
    assert restored.record == first.record
    session = window.context.model.session
    assert session.draft == first.program
    assert session.slot == 0
    assert session.device_program == _program("2.0"), "the device is not changed by a restore"
    assert "Program panel" in panel.message.text()
    newest, previous = _row_texts(panel.table, 0), _row_texts(panel.table, 1)
    assert newest[6] == f"v{first.id}"
    assert "draft" in newest[4]
    assert previous[4] == "✔ ON THE DEVICE NOW"


def test_a_write_the_device_refused_is_listed_as_failed(qtbot, window, demo):
    panel = _arrived(qtbot, window)
    keeper = RecordKeeper(demo.record, demo.user, visit_id=demo.visit_id)
    too_strong = _program("30.0")  # beyond the device's amplitude range: it refuses
    failures: list[str] = []
    window.context.controller.run(
        "write program",
        lambda client: keeper.write_program(
            client, 0, too_strong.to_record(), reason="too strong",
            expected_latest=keeper.latest_version_id("EMU-000001", 0)),
        on_failed=failures.append)
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert "NOT applied" in failures[0]
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=5000)
    assert _row_texts(panel.table, 0)[4] == "✖ failed — not applied"
    assert "NOT applied" in panel.table.item(0, 4).toolTip()


def _program_panel(window):
    from ui.program.panel import ProgramPanel

    return window.findChild(ProgramPanel)


def test_writing_a_restored_draft_verifies_that_version(qtbot, window, demo):
    """The restored version itself is written and verified: no parentless copy appears."""
    panel = _arrived(qtbot, window)
    first = _write(qtbot, window, demo, _program("1.0"), "start low")
    _write(qtbot, window, demo, _program("2.0"), "stronger")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 3, timeout=5000)
    panel.select_versions(first.id)
    qtbot.keyClicks(panel.reason, "back to the gentler program")
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 4, timeout=5000)
    restored = demo.record.list_versions(demo.user, device_serial="EMU-000001")[-1]

    program_panel = _program_panel(window)
    program_panel.reason_edit.setText("restored from history")
    program_panel.write()
    session = window.context.model.session
    qtbot.waitUntil(lambda: session.device_program == first.program, timeout=10000)
    assert demo.record.version(demo.user, restored.id).status is VersionStatus.VERIFIED
    versions = demo.record.list_versions(demo.user, device_serial="EMU-000001")
    assert len(versions) == 4
    slot0 = next(s for s in demo.emulator.programs()["slots"] if s["slot"] == 0)
    assert slot0["program"] == first.record.encode().hex()
    assert session.restored is None


def _confirmed_write(qtbot, program_panel, amplitude: str, reason: str) -> None:
    """Through the Program tab, as a clinician writes a program that needs confirming."""
    edit = program_panel.fields["left.amplitude_ma"].edit
    edit.selectAll()
    qtbot.keyClicks(edit, amplitude)
    program_panel.reason_edit.setText(reason)
    qtbot.mouseClick(program_panel.write_button, Qt.MouseButton.LeftButton)
    dialog = program_panel.confirm_dialog
    if dialog is not None and dialog.isVisible():
        qtbot.keyClicks(dialog.reason_edit, "tolerated in clinic")
        qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not program_panel.busy
                    and "Written and verified" in program_panel.result.text(), timeout=10000)


def test_a_restored_program_that_needs_confirming_is_written_as_that_version(qtbot, window,
                                                                               demo):
    """Confirmed when restored, the draft is written itself: no v4, no draft left behind,
    and History says the device holds it."""
    _arrived(qtbot, window)
    program_panel = _program_panel(window)
    _confirmed_write(qtbot, program_panel, "10.5", "strong")  # needs confirmation
    _confirmed_write(qtbot, program_panel, "2.0", "gentler")
    panel = _panel(window)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 3, timeout=5000)
    first = demo.record.list_versions(demo.user, device_serial="EMU-000001")[1]
    panel.select_versions(first.id)
    qtbot.keyClicks(panel.reason, "back to the strong program")
    qtbot.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    dialog = panel.confirm_dialog
    assert dialog is not None and dialog.isVisible(), "confirmed when restored"
    assert dialog.confirm_button.text() == "Confirm and restore"
    qtbot.keyClicks(dialog.reason_edit, "patient asked for it back")
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 4, timeout=5000)
    restored = demo.record.list_versions(demo.user, device_serial="EMU-000001")[-1]
    assert [c.reason for c in restored.confirmations] == ["patient asked for it back"]
    assert "draft: on screen only" in panel.message.text()

    program_panel.reason_edit.setText("restored from history")
    qtbot.mouseClick(program_panel.write_button, Qt.MouseButton.LeftButton)
    assert program_panel.confirm_dialog is None or not program_panel.confirm_dialog.isVisible()
    qtbot.waitUntil(lambda: not program_panel.busy
                    and "Written and verified" in program_panel.result.text(), timeout=10000)
    assert f"Recorded as version {restored.id}" in program_panel.result.text()
    versions = demo.record.list_versions(demo.user, device_serial="EMU-000001")
    assert len(versions) == 4
    assert demo.record.version(demo.user, restored.id).status is VersionStatus.VERIFIED
    qtbot.waitUntil(lambda: _row_texts(panel.table, 0)[4] == "✔ ON THE DEVICE NOW",
                    timeout=5000)
    assert _row_texts(panel.table, 0)[0] == f"v{restored.id}"
    assert "is on the device now" in panel.message.text()
    assert "previous program" not in panel.message.text()
    assert program_panel.summary_state == "On the device"


def test_a_differing_field_is_marked_by_more_than_colour(qtbot, window, demo):
    panel = _arrived(qtbot, window)
    first = _write(qtbot, window, demo, _program("1.0"), "start low")
    _write(qtbot, window, demo, _program("2.0"), "stronger")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 3, timeout=5000)
    panel.select_versions(first.id)  # one version: compared with what slot 0 holds
    rows = [_row_texts(panel.diff, row) for row in range(panel.diff.rowCount())]
    marked = [row for row, texts in enumerate(rows) if texts[1].startswith("≠")]
    assert [rows[row][0] for row in marked] == ["Left amplitude"]
    item = panel.diff.item(marked[0], 1)
    assert item.font().bold()
    assert "slot 0 holds" in item.toolTip()
    same = panel.diff.item(next(r for r in range(len(rows)) if r not in marked), 1)
    assert not same.font().bold() and not same.text().startswith("≠")


def test_history_stays_listed_while_no_device_is_connected(qtbot, window, demo):
    panel = _arrived(qtbot, window)
    version = _write(qtbot, window, demo, _program("1.0"), "first titration")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=5000)
    window.context.controller.disconnect_device()
    qtbot.waitUntil(lambda: "No device connected" in panel.title.text()
                    and panel.table.rowCount() == 2, timeout=5000)
    assert "patient DEMO-0001's device EMU-000001: 2 program version(s)" in panel.title.text()
    newest, arrival = _row_texts(panel.table, 0), _row_texts(panel.table, 1)
    assert newest[0] == f"v{version.id}"
    assert newest[4] == "✔ verified when written", "nothing is said to be on a device now"
    assert arrival[4] == "⬇ as found on arrival"
    assert arrival[7] == "as found on the device on arrival"
    panel.select_versions(version.id)
    assert panel.diff.rowCount() > 0
    assert panel.diff.horizontalHeaderItem(2).text() == "Device (not read back)"
    assert not panel.restore_button.isEnabled()


def test_version_details_name_each_confirmed_finding_with_its_reason(qtbot, window, demo):
    _arrived(qtbot, window)
    program_panel = _program_panel(window)
    _confirmed_write(qtbot, program_panel, "10.5", "strong")  # above the soft maximum
    strong = demo.record.list_versions(demo.user, device_serial="EMU-000001")[-1]
    assert strong.confirmations
    window.context.controller.disconnect_device()
    panel = _panel(window)
    qtbot.waitUntil(lambda: "No device connected" in panel.title.text()
                    and panel.table.rowCount() == 2, timeout=5000)
    panel.select_versions(strong.id)
    details = panel.diff_title.text()
    assert "Confirmed when written" in details
    assert "reason: “tolerated in clinic”" in details
    assert "soft maximum" in details
    found = demo.record.list_versions(demo.user, device_serial="EMU-000001")[0]
    panel.select_versions(found.id)
    assert "held when it arrived" in panel.diff_title.text()
    assert "Confirmed when written" not in panel.diff_title.text()
