"""The STOP control: a large button on every screen, and Esc/Space from any focus.

The key filter sits on the whole application, so it also sees keys typed in dialogs.
Esc always stops. Space stops while the device stimulates (then it is taken from the
focused widget); otherwise Space keeps its ordinary meaning, so reasons can be typed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPushButton, QWidget


class StopButton(QPushButton):
    def __init__(self, on_stop: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__("STOP", parent)
        self.setObjectName("stopButton")
        self.setToolTip("Stop all stimulation and measurement now (Esc, or Space while "
                        "stimulating)")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a click never needs focus first
        self.pressed.connect(on_stop)  # on press, not release: no time lost


class StopKeyFilter(QObject):
    """Application-wide: Esc (and Space while stimulating) calls ``on_stop``."""

    def __init__(self, on_stop: Callable[[], None], is_stimulating: Callable[[], bool],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_stop = on_stop
        self._is_stimulating = is_stimulating
        self._armed = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self._fire(event)
            return False  # Esc still closes a dialog: the stop has already gone out
        if key == Qt.Key.Key_Space and self._is_stimulating():
            self._fire(event)
            return True
        return False

    def _fire(self, event: QKeyEvent) -> None:
        # One press reaches the filter several times within one dispatch (as
        # ShortcutOverride, then up the parent chain): stop once, re-arm afterwards.
        if not self._armed or event.isAutoRepeat():
            return
        self._armed = False
        QTimer.singleShot(0, self._rearm)
        self._on_stop()

    def _rearm(self) -> None:
        self._armed = True
