"""The Try program tab against the demo emulator on a real pseudo-terminal: the slot shown in
words, Start, the phases as the device reports them, Esc stopping, the device's own end."""

from __future__ import annotations

import json
import os

from PySide6.QtCore import Qt
from sqlalchemy import select

from console.programming.link_state import ScreenState
from console.storage.models import AuditEntryRow
from device_link.program_record import LeadRecord, ProgramRecord
from device_link.protocol import StimPhase, StopReason
from ui.program.panel import ProgramPanel
from ui.stimulation.therapy_panel import TherapyPanel

from .window_fixtures import select_tab

SHORT = ProgramRecord(leads=(LeadRecord(1, 1, 2, 2000, 214), LeadRecord(1, 2, 1, 2500, 214)),
                      freq_hz=20, ramp_up_ds=5, ramp_down_ds=5, on_ds=15, off_ds=10,
                      session_min=1)
"""Ramps and hold of half a second, a second off: every phase seen within three seconds."""
SHORT_SLOT = 1


def _store(demo, slot: int, program: ProgramRecord) -> None:
    """Put a program straight into the emulator's slot, as an earlier visit left it."""
    with demo.emulator.device.locked() as core:
        core.programs[slot] = program.encode()


def _on_the_program_tab(qtbot, window, slot: int) -> None:
    """Show ``slot`` on the Program tab, as read from the device: the leads drawing then
    shows what the session runs (Start waits for that)."""
    session = window.context.model.session
    program = window.findChild(ProgramPanel)
    qtbot.waitUntil(lambda: program._operation is None, timeout=10000)
    program.read(slot)
    qtbot.waitUntil(lambda: session.slot == slot and session.state is ScreenState.IN_SYNC
                    and program._operation is None, timeout=10000)


def _panel(qtbot, window, demo, slot: int = SHORT_SLOT) -> TherapyPanel:
    _store(demo, slot, SHORT)
    _on_the_program_tab(qtbot, window, slot)
    panel = select_tab(window, TherapyPanel)
    panel.slot_box.setCurrentIndex(slot)
    panel.read()
    qtbot.waitUntil(lambda: panel._judged is not None and panel._judged.slot == slot,
                    timeout=5000)
    return panel


def _start(qtbot, panel: TherapyPanel, demo) -> None:
    qtbot.waitUntil(panel.start_button.isEnabled, timeout=5000)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel._running, timeout=5000)
    assert demo.emulator.state()["state"] == "THERAPY"


def _audit(demo, event: str) -> list[dict]:
    with demo.record.engine.connect() as connection:
        rows = connection.execute(select(AuditEntryRow.details).where(
            AuditEntryRow.event == event).order_by(AuditEntryRow.seq))
        return [json.loads(details) for (details,) in rows]


def test_the_slot_is_shown_in_words_before_the_start(qtbot, window, demo):
    panel = _panel(qtbot, window, demo)

    words = panel.program_text.text().splitlines()
    assert words[0] == "left E1+ E2−: 2.0 mA, 214 µs"
    assert words[1] == "right E1− E2+: 2.5 mA, 214 µs"
    assert words[3:] == ["ramp up 0.5 s, ON 0.5 s, ramp down 0.5 s, off 1.0 s",
                         "one cycle every 2.5 s", "session 1 min, about 24 cycles"]
    assert panel.banner.text() == "NOT STIMULATING"


def test_start_shows_the_phases_in_order_and_the_header_says_therapy(qtbot, window, demo):
    panel = _panel(qtbot, window, demo)
    seen: list[str] = []
    qtbot.waitUntil(panel.start_button.isEnabled, timeout=5000)
    panel._context.controller.notice.connect(lambda _n: seen.append(panel.phase.text()))

    _start(qtbot, panel, demo)

    assert panel.banner.text() == "THERAPY SESSION RUNNING — slot 1"
    assert window.context.model.state_name == "THERAPY"
    assert "THERAPY" in window.header._state.text()
    qtbot.waitUntil(lambda: panel.phase.text() == "off", timeout=5000)
    shown = [text for i, text in enumerate(seen) if i == 0 or seen[i - 1] != text]
    assert shown[shown.index("ramp up"):][:4] == ["ramp up", "ON", "ramp down", "off"]
    assert panel.plot.band_phases()[:4] == [StimPhase.RAMP_UP, StimPhase.ON,
                                            StimPhase.RAMP_DOWN, StimPhase.OFF]
    assert panel.cycle.text().startswith("cycle 1 of about 24")
    [started] = _audit(demo, "therapy_session")
    assert (started["slot"], started["left.amplitude_ma"], started["visit"]) == (
        1, "2.0", demo.visit_id)
    if os.environ.get("MFCONSOLE_THERAPY_SHOT"):
        window.resize(1280, 800)
        qtbot.waitUntil(lambda: panel.phase.text() == "ON", timeout=5000)
        window.grab().save(os.environ["MFCONSOLE_THERAPY_SHOT"])


def test_escape_stops_and_the_tab_and_record_say_why(qtbot, window, demo):
    panel = _panel(qtbot, window, demo)
    _start(qtbot, panel, demo)

    qtbot.keyClick(panel.start_button, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: not panel._running, timeout=5000)
    state = demo.emulator.state()
    assert state["state"] == "IDLE" and state["last_stop_reason"] == StopReason.STOP_REQUEST
    assert panel.banner.text() == "NOT STIMULATING"
    assert "Therapy session ended: stopped on request." in panel.message.text()
    qtbot.waitUntil(lambda: len(_audit(demo, "stop")) == 1, timeout=5000)
    assert _audit(demo, "stop")[0]["reason"] == (
        "therapy session of slot 1 ended: stopped on request")
    qtbot.waitUntil(panel.start_button.isEnabled, timeout=5000)


def test_the_device_ending_the_session_is_reported(qtbot, window, demo):
    demo.emulator.config.time_scale = 60.0  # the one-minute session lasts one second
    panel = _panel(qtbot, window, demo)
    _start(qtbot, panel, demo)

    qtbot.waitUntil(lambda: not panel._running, timeout=10000)

    assert "Therapy session ended: therapy session complete." in panel.message.text()
    assert demo.emulator.state()["last_stop_reason"] == StopReason.SESSION_COMPLETE
    qtbot.waitUntil(lambda: len(_audit(demo, "stop")) == 1, timeout=5000)
    assert "ended: therapy session complete" in _audit(demo, "stop")[0]["reason"]


def test_a_program_the_engine_blocks_cannot_be_started(qtbot, window, demo):
    high = ProgramRecord(leads=(LeadRecord(1, 1, 2, 24000, 214), LeadRecord()), freq_hz=20,
                         ramp_up_ds=5, ramp_down_ds=5, on_ds=15, off_ds=10, session_min=1)
    panel = _panel(qtbot, window, demo)
    _store(demo, 2, high)
    panel.slot_box.setCurrentIndex(2)
    panel.read()
    qtbot.waitUntil(lambda: panel._judged is not None and panel._judged.slot == 2, timeout=5000)

    assert panel._judged.blocked
    assert "BLOCK" in panel.findings.text()
    assert not panel.start_button.isEnabled()
    assert "blocks this program" in panel.hint.text()


def test_a_slot_other_than_the_one_drawn_is_not_started(qtbot, window, demo):
    """The leads drawing shows the Program tab's slot: another slot would run electrodes
    the screen does not show, so Start waits and says how to show it."""
    _store(demo, SHORT_SLOT, SHORT)
    _on_the_program_tab(qtbot, window, 0)
    panel = select_tab(window, TherapyPanel)
    panel.slot_box.setCurrentIndex(SHORT_SLOT)
    panel.read()
    qtbot.waitUntil(lambda: panel._judged is not None and panel._judged.slot == SHORT_SLOT,
                    timeout=5000)

    assert not panel.start_button.isEnabled()
    assert "The leads drawing shows slot 0" in panel.hint.text()
    assert f"To try slot {SHORT_SLOT}, show it on the Program tab" in panel.hint.text()
