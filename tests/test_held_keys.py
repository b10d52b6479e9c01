"""A held key is one press even when the X server does not flag its repeats."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from ui.common.held_keys import REPEAT_GAP_MS, HeldKeyGuard
from ui.shell.app import application
from ui.stimulation.panel import TestStimPanel

from .window_fixtures import select_tab


def _key(kind: QEvent.Type, key: Qt.Key, timestamp: int, repeat: bool = False) -> QKeyEvent:
    event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, "", repeat)
    event.setTimestamp(timestamp)
    return event


def _delivered(widget: QWidget, event: QKeyEvent) -> bool:
    """Whether ``event`` got past the application's filters to ``widget``."""
    seen: list[int] = []
    original = widget.event

    def recording(received):
        if received.type() == event.type():
            seen.append(received.key())
        return original(received)

    widget.event = recording
    try:
        QApplication.sendEvent(widget, event)
    finally:
        widget.event = original
    return bool(seen)


def test_a_press_right_after_its_release_is_held_not_pressed(qtbot):
    application()
    scope = QWidget()
    qtbot.addWidget(scope)
    field = QLineEdit(scope)
    HeldKeyGuard(scope, (Qt.Key.Key_Up,))

    assert _delivered(field, _key(QEvent.Type.KeyPress, Qt.Key.Key_Up, 1000))
    _delivered(field, _key(QEvent.Type.KeyRelease, Qt.Key.Key_Up, 1500))
    # the X server's unflagged repeat: release and press with one timestamp
    assert not _delivered(field, _key(QEvent.Type.ShortcutOverride, Qt.Key.Key_Up, 1500))
    assert not _delivered(field, _key(QEvent.Type.KeyPress, Qt.Key.Key_Up, 1500))
    assert not _delivered(field, _key(QEvent.Type.KeyPress, Qt.Key.Key_Up, 1900, repeat=True))
    # lifted and pressed again by a person: a press
    _delivered(field, _key(QEvent.Type.KeyRelease, Qt.Key.Key_Up, 2000))
    assert _delivered(field, _key(QEvent.Type.KeyPress, Qt.Key.Key_Up,
                                  2000 + REPEAT_GAP_MS + 120))
    # other keys, and the same key outside the scope, are left alone
    _delivered(field, _key(QEvent.Type.KeyRelease, Qt.Key.Key_Down, 3000))
    assert _delivered(field, _key(QEvent.Type.KeyPress, Qt.Key.Key_Down, 3000))
    elsewhere = QLineEdit()
    qtbot.addWidget(elsewhere)
    _delivered(elsewhere, _key(QEvent.Type.KeyRelease, Qt.Key.Key_Up, 4000))
    assert _delivered(elsewhere, _key(QEvent.Type.KeyPress, Qt.Key.Key_Up, 4000))


def test_the_test_stimulation_tab_guards_its_amplitude_keys(qtbot, window):
    panel = select_tab(window, TestStimPanel)
    target = panel.raise_button
    _delivered(target, _key(QEvent.Type.KeyRelease, Qt.Key.Key_Up, 7000))
    assert not _delivered(target, _key(QEvent.Type.ShortcutOverride, Qt.Key.Key_Up, 7000))
    _delivered(target, _key(QEvent.Type.KeyRelease, Qt.Key.Key_Down, 8000))
    assert not _delivered(target, _key(QEvent.Type.ShortcutOverride, Qt.Key.Key_Down, 8000))
