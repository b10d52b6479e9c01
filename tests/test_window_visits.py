"""Visits from the Patient menu against the demo emulator: end, start, switch patient, see
the details; and what the device arrived with, read once per visit."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.storage import VisitKind
from console.storage.programs import found_on_arrival
from ui.history.panel import HistoryPanel
from ui.program.panel import ProgramPanel
from ui.shell.patient_dialog import NewVisitDialog, PatientDialog

from .window_fixtures import select_tab

SERIAL = "EMU-000001"


def _visit(demo, visit_id: int):
    timeline = demo.record.timeline(demo.user, demo.patient_clinic_id)
    return next(v for v in timeline.visits if v.id == visit_id)


def _found(demo) -> list:
    return [v for v in demo.record.list_versions(demo.user, device_serial=SERIAL)
            if found_on_arrival(v)]


def _disconnect(qtbot, window) -> None:
    with qtbot.waitSignal(window.context.controller.disconnected, timeout=5000):
        window.context.controller.disconnect_device()


def _connect(qtbot, window, demo) -> None:
    with qtbot.waitSignal(window.context.controller.connected, timeout=10000):
        window.connect_to(demo.emulator.port, 115200)
    panel = window.findChild(ProgramPanel)
    qtbot.waitUntil(lambda: not panel.busy and panel.session.device_program is not None,
                    timeout=10000)


def _arrival_done(qtbot, window) -> None:
    qtbot.waitUntil(lambda: "arrived with" in window.statusBar().currentMessage(),
                    timeout=10000)


def _worker_drained(qtbot, window) -> None:
    """Everything queued on the device worker so far has run (it runs one at a time)."""
    done: list[object] = []
    window.context.controller.run("status", lambda client: client.get_status(), done.append,
                                  on_failed=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10000)


def _received(demo, since: int) -> list[str]:
    return [e["opcode"] for e in demo.emulator.trace(since=since)["entries"]
            if e["dir"] == "rx" and e["kind"] == "REQUEST"]


def test_end_visit_ends_it_in_the_record_and_the_header(qtbot, window, demo):
    window.menus.end_visit.trigger()
    assert window.context.visit is None
    assert _visit(demo, demo.visit_id).ended_at is not None
    assert "visit" not in window.header._patient.text()
    assert window.menus.start_visit.isEnabled()
    assert not window.menus.end_visit.isEnabled()
    assert not window.menus.visit_details.isEnabled()


def test_end_visit_asks_first_when_changes_were_never_written(qtbot, window, demo):
    asked: list[tuple[str, list[str]]] = []

    def ask(title: str, reasons: list[str], **_: str) -> bool:
        asked.append((title, reasons))
        return False

    window.leave_question.ask = ask
    panel = select_tab(window, ProgramPanel)
    edit = panel.fields["left.amplitude_ma"].edit
    edit.selectAll()
    qtbot.keyClicks(edit, "2.5")
    window.menus.end_visit.trigger()
    assert asked and asked[0][0] == "End the visit?"
    assert any("never written" in reason for reason in asked[0][1])
    assert window.context.visit is not None, "Cancel keeps the visit open"
    assert _visit(demo, demo.visit_id).ended_at is None


def test_start_visit_opens_a_new_visit_for_the_same_patient(qtbot, window, demo):
    window.menus.end_visit.trigger()
    window.menus.start_visit.trigger()
    dialog = window.visits.dialog
    assert isinstance(dialog, NewVisitDialog) and dialog.isVisible()
    dialog.kind.setCurrentIndex(dialog.kind.findData(VisitKind.FOLLOW_UP))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    visit = window.context.visit
    assert visit is not None and visit.id != demo.visit_id
    assert visit.kind is VisitKind.FOLLOW_UP
    assert visit.patient_clinic_id == demo.patient_clinic_id
    assert f"visit {visit.id} (follow-up)" in window.header._patient.text()
    assert window.menus.end_visit.isEnabled() and not window.menus.start_visit.isEnabled()


def test_switch_patient_needs_no_device_then_ends_the_visit_and_starts_theirs(qtbot, window,
                                                                              demo):
    assert not window.menus.switch_patient.isEnabled(), "a device is connected"
    demo.record.add_patient(demo.user, "P-0002", name="Second Patient")
    _disconnect(qtbot, window)
    assert window.menus.switch_patient.isEnabled()
    window.menus.switch_patient.trigger()
    dialog = window.visits.dialog
    assert isinstance(dialog, PatientDialog) and dialog.isVisible()
    dialog.select("P-0002")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert window.context.patient.clinic_id == "P-0002"
    assert window.context.visit.patient_clinic_id == "P-0002"
    assert _visit(demo, demo.visit_id).ended_at is not None
    assert "P-0002" in window.header._patient.text()
    history = select_tab(window, HistoryPanel)
    qtbot.waitUntil(lambda: "P-0002" in history.title.text(), timeout=5000)
    assert history.table.rowCount() == 0


def test_switch_patient_cancelled_keeps_the_patient_and_visit(qtbot, window, demo):
    _disconnect(qtbot, window)
    window.menus.switch_patient.trigger()
    dialog = window.visits.dialog
    dialog.reject()
    assert window.context.patient.clinic_id == demo.patient_clinic_id
    assert window.context.visit.id == demo.visit_id
    assert _visit(demo, demo.visit_id).ended_at is None


def test_visit_details_say_what_the_device_arrived_with(qtbot, window, demo):
    _arrival_done(qtbot, window)
    window.menus.visit_details.trigger()
    qtbot.waitUntil(lambda: window.visits.details_box is not None
                    and window.visits.details_box.isVisible(), timeout=5000)
    text = window.visits.details_box.text()
    (found,) = _found(demo)
    assert f"slot 0, CRC {found.record_crc:#06x} (version {found.id})" in text
    assert "Written in this visit</b>: nothing yet" in text


def test_arrival_is_read_once_per_visit_and_not_again_on_reconnect(qtbot, window, demo):
    _arrival_done(qtbot, window)
    (found,) = _found(demo)
    assert found.visit_id == demo.visit_id and found.slot == 0
    _disconnect(qtbot, window)
    mark = demo.emulator.trace()["next"]
    _connect(qtbot, window, demo)
    _worker_drained(qtbot, window)
    assert _received(demo, mark).count("READ_PROGRAM") == 1, "the Program tab's read only"
    assert len(_found(demo)) == 1

    ended = window.context.visit.id
    window.menus.end_visit.trigger()  # a new visit reads every slot again, at once
    window.menus.start_visit.trigger()
    mark = demo.emulator.trace()["next"]
    qtbot.mouseClick(window.visits.dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.context.visit is not None
                    and window.context.visit.id != ended, timeout=5000)
    _worker_drained(qtbot, window)
    assert _received(demo, mark).count("READ_PROGRAM") == 4, "all four slots"
    assert len(_found(demo)) == 1, "the record holds that program already"
    _disconnect(qtbot, window)
    mark = demo.emulator.trace()["next"]
    _connect(qtbot, window, demo)
    _worker_drained(qtbot, window)
    assert _received(demo, mark).count("READ_PROGRAM") == 1, "once per visit: the tab's only"


def test_a_visit_started_while_connected_reads_its_arrival_at_once(qtbot, window, demo):
    _arrival_done(qtbot, window)
    window.menus.end_visit.trigger()
    window.menus.start_visit.trigger()
    mark = demo.emulator.trace()["next"]
    qtbot.mouseClick(window.visits.dialog.start_button, Qt.MouseButton.LeftButton)
    _worker_drained(qtbot, window)
    assert _received(demo, mark).count("READ_PROGRAM") == 4, "every slot of the device"
    assert len(_found(demo)) == 1, "the record holds that program already"
