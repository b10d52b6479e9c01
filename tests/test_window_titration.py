"""Titration marks on the Test stimulation tab, against the demo emulator on a real
pseudo-terminal: T and C record the amplitude the device confirmed, a letter typed into the
note never marks, the table shows the pair, a mark goes into the program on screen, and a
mark the record refuses is said on the tab."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from console.titration.marks import MarkKind, TitrationMark
from ui.program.panel import ProgramPanel
from ui.stimulation.panel import TestStimPanel

from .test_placement_workflow import ManualClock
from .window_fixtures import select_tab

D = Decimal


def _marks(window, demo) -> list[TitrationMark]:
    serial = window.context.model.device.identity.serial
    return demo.record.titration_marks(demo.user, serial)


def _start(qtbot, panel: TestStimPanel) -> None:
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)
    qtbot.mouseClick(panel.setup.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._running is not None, timeout=5000)
    panel.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel, timeout=5000)


def _stop(qtbot, window, panel: TestStimPanel) -> None:
    window.context.controller.stop()
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)


def _cells(panel: TestStimPanel, row: int) -> list[str]:
    table = panel.marks.table
    items = [table.item(row, column) for column in range(table.columnCount())]
    return [item.text() if item is not None else "" for item in items]


def test_t_and_c_record_the_confirmed_amplitudes_and_the_table_shows_them(qtbot, window,
                                                                          demo):
    panel = select_tab(window, TestStimPanel)
    clock = panel.clock = ManualClock()
    assert not any(button.isEnabled() for button in panel.marks.buttons.values())
    _start(qtbot, panel)
    assert all(button.isEnabled() for button in panel.marks.buttons.values())

    qtbot.keyClick(panel, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: len(_marks(window, demo)) == 1, timeout=5000)
    clock.advance(1.0)
    qtbot.keyClick(panel, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "1.0 mA", timeout=5000)
    qtbot.keyClick(panel, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: len(_marks(window, demo)) == 2, timeout=5000)

    threshold, target = _marks(window, demo)
    assert (threshold.kind, threshold.amplitude_ma, target.kind, target.amplitude_ma) == (
        MarkKind.THRESHOLD, D("0.5"), MarkKind.TARGET, D("1.0"))
    for mark in (threshold, target):  # the demo's left pair, as the device delivered it
        assert (mark.lead, mark.anode, mark.cathode, mark.pulse_width_us, mark.frequency_hz,
                mark.visit_id, mark.operator) == (0, 2, 1, 214, 20, demo.visit_id,
                                                  demo.user.username)
    qtbot.waitUntil(lambda: "Marked target" in panel.marks.status.text(), timeout=5000)
    assert panel.marks.table.rowCount() == 3
    assert _cells(panel, 0)[0] == "Left lead"
    assert _cells(panel, 1)[:4] == ["E1− E2+", "0.5 mA", "1.0 mA", ""]
    assert _cells(panel, 2)[0] == "Right lead — no marks"
    assert panel.marks.status.text().startswith("Marked target 1.0 mA on left")


def test_letters_typed_into_the_note_never_mark(qtbot, window, demo):
    panel = select_tab(window, TestStimPanel)
    _start(qtbot, panel)
    note = panel.marks.note
    note.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is note, timeout=5000)
    qtbot.keyClicks(note, "tcm-twitch")
    assert note.text() == "tcm-twitch"
    panel.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel, timeout=5000)
    QApplication.sendEvent(panel, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_T,
                                            Qt.KeyboardModifier.NoModifier, "t", True))
    QApplication.sendEvent(panel, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_C,
                                            Qt.KeyboardModifier.ControlModifier, "c"))

    # one mark by the button: marks are stored in order, so any earlier one would show first
    qtbot.mouseClick(panel.marks.buttons[MarkKind.MAXIMUM], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _marks(window, demo) != [], timeout=5000)
    qtbot.waitUntil(lambda: "Marked" in panel.marks.status.text(), timeout=5000)
    (only,) = _marks(window, demo)
    assert (only.kind, only.note) == (MarkKind.MAXIMUM, "tcm-twitch")
    assert note.text() == ""  # the note went with its mark


def test_space_in_the_note_is_still_stop_while_stimulating(qtbot, window, demo):
    panel = select_tab(window, TestStimPanel)
    _start(qtbot, panel)
    note = panel.marks.note
    note.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is note, timeout=5000)
    qtbot.keyClicks(note, "weak ")
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)
    assert demo.emulator.state()["state"] == "IDLE"
    assert note.text() == "weak"  # the space went to STOP, not into the note
    assert not any(button.isEnabled() for button in panel.marks.buttons.values())
    assert _marks(window, demo) == []


def test_a_chosen_target_goes_into_the_program_on_screen(qtbot, window, demo):
    panel = select_tab(window, TestStimPanel)
    clock = panel.clock = ManualClock()
    session = window.context.model.session
    held = session.device_program
    _start(qtbot, panel)
    clock.advance(1.0)
    qtbot.keyClick(panel, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "1.0 mA", timeout=5000)
    qtbot.keyClick(panel, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: panel.marks.table.rowCount() == 3, timeout=5000)
    qtbot.keyClick(panel, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: panel.amplitude_now.text() == "0.5 mA", timeout=5000)
    panel.marks.table.setCurrentCell(1, 0)  # the pair's row: its target
    assert not panel.marks.use_button.isEnabled()  # not while stimulating
    _stop(qtbot, window, panel)

    assert panel.marks.use_button.isEnabled()
    assert panel.marks.use_button.text() == "Use target 1.0 mA in program"
    qtbot.mouseClick(panel.marks.use_button, Qt.MouseButton.LeftButton)

    program = window.findChild(ProgramPanel)
    assert window.tabs.current_panel() is program
    left = session.draft.leads[0]
    assert (left.enabled, left.anode, left.cathode, left.amplitude_ma) == (True, 2, 1, D("1.0"))
    assert "left.amplitude_ma" in session.differing_fields()  # on screen, not written
    assert session.device_program == held
    assert demo.emulator.state()["state"] == "IDLE"


def test_a_mark_the_record_refuses_is_said_and_its_note_kept(qtbot, window, demo):
    panel = select_tab(window, TestStimPanel)
    _start(qtbot, panel)
    visit = next(v for v in demo.record.timeline(demo.user, demo.patient_clinic_id).visits
                 if v.id == demo.visit_id)
    demo.record.end_visit(demo.user, visit.id, expected_revision=visit.revision)
    panel.marks.note.setText("first twitch")

    qtbot.mouseClick(panel.marks.buttons[MarkKind.THRESHOLD], Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "NOT recorded" in panel.marks.status.text(), timeout=5000)
    said = panel.marks.status.text()
    assert said.startswith("NOT recorded: threshold 0.5 mA on left")
    assert "closed visit takes no new entries" in said
    assert panel.marks.status.objectName() == "findingBlock"
    assert panel.marks.note.text() == "first twitch"
    assert _marks(window, demo) == []
