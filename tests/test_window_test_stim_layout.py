"""The Test stimulation tab at 1280×800: every label and button shows its whole text, the
tab needs no scrolling, and what the tab says (start, titration, a mark, the end) never
moves a control from under the pointer."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QWidget

from console.titration.marks import MarkKind
from ui.stimulation.panel import TestStimPanel

from .test_placement_workflow import ManualClock
from .window_fixtures import select_tab


def clipped(panel: QWidget) -> list[str]:
    """Visible labels and buttons whose text does not fit where they are drawn."""
    cut = []
    for widget in panel.findChildren(QLabel) + panel.findChildren(QPushButton):
        if not widget.isVisible() or not widget.text():
            continue
        hint = widget.sizeHint()
        if isinstance(widget, QLabel) and widget.wordWrap():
            fits = widget.heightForWidth(widget.width()) <= widget.height()
        else:
            fits = hint.width() <= widget.width() and hint.height() <= widget.height()
        if not fits:
            cut.append(f"{type(widget).__name__} {widget.text()!r} {widget.size().toTuple()} "
                       f"needs {hint.toTuple()}")
    return cut


def scrolls(panel: QWidget) -> bool:
    """Whether the tab needs its scroll bar at this size (it must not, at 1280×800)."""
    area = panel.parentWidget().parentWidget().parentWidget()
    assert isinstance(area, QScrollArea), type(area)
    return area.verticalScrollBar().maximum() > 0


def places(panel: TestStimPanel) -> dict[str, QPoint]:
    """Where the controls a pointer rests on are, in the window (the button that appears
    after the end takes its place then, under nothing that was there before)."""
    controls = {"start": panel.setup.start_button, "raise": panel.raise_button,
                "lower": panel.lower_button, "step": panel.setup.step,
                "note": panel.marks.note, "marks": panel.marks.table,
                "use mark": panel.marks.use_button,
                **{f"mark {kind.value}": button for kind, button in panel.marks.buttons.items()}}
    return {name: widget.mapTo(panel.window(), QPoint(0, 0))
            for name, widget in controls.items()}


def test_the_tab_shows_every_text_whole_and_keeps_its_controls_in_place(qtbot, window):
    window.resize(1280, 800)
    panel = select_tab(window, TestStimPanel)
    panel.clock = ManualClock()
    qtbot.waitUntil(panel.setup.start_button.isEnabled, timeout=5000)
    qtbot.waitUntil(lambda: window.size().toTuple() == (1280, 800), timeout=5000)
    before = places(panel)
    assert clipped(panel) == []

    qtbot.mouseClick(panel.setup.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._running is not None, timeout=5000)
    qtbot.mouseClick(panel.raise_button, Qt.MouseButton.LeftButton)  # refused: a message
    assert "Not sent" in panel.message.text()
    assert "STIMULATING left" in panel.banner.text()
    assert clipped(panel) == []
    assert places(panel) == before

    panel.marks.note.setText("slight twitch, right side first")
    qtbot.mouseClick(panel.marks.buttons[MarkKind.TARGET], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.marks.status.text().startswith("Marked"), timeout=5000)
    assert panel.marks.table.rowCount() == 3  # left heading, the pair, right heading
    assert clipped(panel) == []
    assert places(panel) == before
    assert not scrolls(panel)

    window.context.controller.stop()
    qtbot.waitUntil(lambda: panel._running is None, timeout=5000)
    assert panel.titrated.button.isVisible()
    assert "Test stimulation ended" in panel.message.text()
    assert clipped(panel) == []
    assert places(panel) == before

    panel.marks.table.setCurrentCell(1, 2)  # the target: described in full, ready to use
    assert panel.marks.use_button.isEnabled()
    assert "slight twitch, right side first" in panel.marks.status.text()
    assert clipped(panel) == []
    assert places(panel) == before
    assert not scrolls(panel)
