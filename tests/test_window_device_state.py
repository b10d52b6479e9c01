"""What the window says about the device is true: after a write, after Disconnect, after a
lost link; and the Program tab's layout holds still at 1280×800."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from console.programming.link_state import ScreenState
from ui.leads.view import LeadsPanel
from ui.program.panel import ProgramPanel

from .test_window_program import click_write, type_into, wait_written
from .window_fixtures import select_tab


def _panel(window) -> ProgramPanel:
    return select_tab(window, ProgramPanel)


def _disconnect(qtbot, window) -> None:
    """The Connect/Disconnect button, as a person presses it."""
    assert window.connection.connect_button.text() == "Disconnect"
    with qtbot.waitSignal(window.context.controller.disconnected, timeout=5000) as ended:
        qtbot.mouseClick(window.connection.connect_button, Qt.MouseButton.LeftButton)
    assert ended.args == [""], "a chosen disconnect carries no reason"


def test_after_a_confirmed_write_the_headline_says_the_device_holds_it(qtbot, window):
    panel = _panel(window)
    type_into(qtbot, panel, "left.amplitude_ma", "10.5")
    assert panel.summary_state == "Needs your confirmation (1)"
    qtbot.keyClicks(panel.reason_edit, "titrated in clinic")
    click_write(qtbot, panel)
    qtbot.keyClicks(panel.confirm_dialog.reason_edit, "patient tolerated it")
    qtbot.mouseClick(panel.confirm_dialog.confirm_button, Qt.MouseButton.LeftButton)
    wait_written(qtbot, panel)
    assert window.context.model.state is ScreenState.IN_SYNC
    assert panel.summary_state == "On the device"
    assert "Needs your confirmation" not in panel.summary.text()
    assert "1 finding(s) were confirmed when it was written" in panel.summary.text()
    type_into(qtbot, panel, "session_min", "45")  # a change: the verdict is back
    assert panel.summary_state == "Needs your confirmation (1)"


def test_a_chosen_disconnect_says_disconnected_not_link_lost(qtbot, window):
    panel = _panel(window)
    _disconnect(qtbot, window)
    model = window.context.model
    assert model.state is ScreenState.DISCONNECTED
    assert not window.link_banner.isVisible()
    assert "Disconnected" in window.statusBar().currentMessage()
    assert window.header._state.text() == "DISCONNECTED"
    assert "Link lost" not in panel.result.text() and "Disconnected" in panel.result.text()
    assert "LINK" not in panel.summary.text().upper()


def test_without_a_device_the_program_tab_never_says_writable(qtbot, window):
    panel = _panel(window)
    _disconnect(qtbot, window)
    assert panel.summary_state == "Checked against the limits"
    assert "Writable" not in panel.summary.text()
    assert "once a device is connected" in panel.summary.text()
    assert not panel.write_button.isEnabled()
    assert "no device is connected" in panel.write_blocker.text()


def test_without_a_device_the_fields_say_not_connected_not_a_difference(qtbot, window):
    panel = _panel(window)
    type_into(qtbot, panel, "session_min", "45")
    assert panel.fields["session_min"].marker.text() == "• not on device"
    _disconnect(qtbot, window)
    for field in panel.fields.values():
        assert field.marker.isVisible()
        assert field.marker.text() == "• not connected", field.name
        assert not field.edit.property("changed"), "no difference is claimed offline"
    assert all("not on device" not in label.text() for label in panel.electrodes.values())
    assert panel.session.draft.session_min == 45, "the change stays on screen"
    leads = window.findChild(LeadsPanel)
    for summary in leads.summaries:
        assert "not on device" not in summary.text() and "not connected" in summary.text()


def test_a_lost_link_is_told_as_lost(qtbot, window, demo):
    panel = _panel(window)
    with qtbot.waitSignal(window.context.controller.disconnected, timeout=10000):
        demo.emulator.disconnect()
    assert window.context.model.state is ScreenState.LINK_LOST
    assert window.link_banner.isVisible()
    assert window.header._state.text().startswith("LINK LOST")
    assert all(field.marker.text() == "• link lost" for field in panel.fields.values())
    assert all("link lost" in summary.text() for summary in window.findChild(LeadsPanel).summaries)


def _clipped(widget) -> str | None:
    """The text of a non-wrapping label or button that does not fit its width, else None."""
    if isinstance(widget, QLabel):
        if widget.wordWrap() or widget.textFormat() == Qt.TextFormat.RichText \
                or "<" in widget.text() or not widget.text():
            return None
        text, room = widget.text(), widget.contentsRect().width()
        needed = widget.fontMetrics().horizontalAdvance(text)
    else:  # a button needs its own size hint: the text, its frame and padding
        text, room, needed = widget.text(), widget.width(), widget.sizeHint().width()
    return f"{text!r}: {needed} px in {room} px" if needed > room else None


def _settle() -> None:
    """Let pending layout requests run (posted events, no waiting on the clock)."""
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def _geometry(panel: ProgramPanel) -> dict[str, object]:
    """Where every field and the Write button sit, in panel coordinates."""
    places = {name: field.edit.mapTo(panel, field.edit.rect().topLeft())
              for name, field in panel.fields.items()}
    places["write"] = panel.write_button.mapTo(panel, panel.write_button.rect().topLeft())
    places["write size"] = panel.write_button.size()
    return places


def test_program_tab_at_1280_by_800_shows_every_text_whole_and_holds_still(qtbot, window):
    window.resize(1280, 800)
    panel = _panel(window)
    model = window.context.model
    model.session.set_lead(1, enabled=False)
    model.notify_draft()
    type_into(qtbot, panel, "on_s", "12.0")  # a "not on device" mark on the cycle column
    _settle()
    before = _geometry(panel)
    panel._show_result(False, "NOT applied: the device refused the program. Read from "
                              "device to see what slot 0 holds.")
    qtbot.keyClicks(panel.reason_edit, "x")  # the reason no longer missing
    qtbot.waitUntil(lambda: panel.write_button.isEnabled(), timeout=2000)
    _settle()
    assert _geometry(panel) == before, "a message or a reason moved a field or Write"
    assert panel.result.isVisible()
    cycle = panel.fields["on_s"]
    assert cycle.marker.isVisible() and cycle.marker.visibleRegion().boundingRect().width() \
        >= cycle.marker.fontMetrics().horizontalAdvance(cycle.marker.text())
    shown = [w for w in panel.findChildren(QLabel) + panel.findChildren(QPushButton)
             if w.isVisible() and w.visibleRegion().boundingRect().width() > 0]
    clipped = [text for text in map(_clipped, shown) if text is not None]
    assert not clipped, clipped
