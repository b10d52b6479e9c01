"""The window's zoom: Ctrl+= / Ctrl++ larger, Ctrl+- smaller, Ctrl+0 back to 100 %.

The zoom multiplies the application's type sizes and style-sheet lengths, on top of
whatever scaling the platform already applies (Qt 6 follows the screen's scale
factor by itself). It is kept with ``QSettings`` in the console's settings file, an INI
file in the user's configuration folder on every platform (``console/paths.py``), so
``mfconsole paths`` can name it; it is a preference of the window alone. The current
zoom shows for a moment in a status bar field of its own, never over a status message
such as a STOP confirmation.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from console.paths import settings_file
from ui.common.theme import BASE_FONT_PT, style_sheet

SETTING = "window/zoom_percent"
STEPS = (80, 90, 100, 110, 125, 140, 160)
"""Zoom levels in percent; 100 is the designed size."""
SHOWN_MS = 2500

ZOOM_IN_KEYS = ("Ctrl+=", "Ctrl++", QKeySequence.StandardKey.ZoomIn)
ZOOM_OUT_KEYS = ("Ctrl+-", QKeySequence.StandardKey.ZoomOut)
RESET_KEYS = ("Ctrl+0",)


def user_settings() -> QSettings:
    """The signed-in operating-system user's preferences for the console."""
    return QSettings(str(settings_file()), QSettings.Format.IniFormat)


def _sequences(keys: tuple[str | QKeySequence.StandardKey, ...]) -> list[QKeySequence]:
    """Each distinct sequence once: a sequence bound twice would be ambiguous and do nothing."""
    found: dict[str, QKeySequence] = {}
    for key in keys:
        bound = QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey) \
            else [QKeySequence(key)]
        for sequence in bound:
            found.setdefault(sequence.toString(), sequence)
    return list(found.values())


class Zoom(QObject):
    """Applies the saved zoom at once; ``install(window)`` adds the keys to a window."""

    changed = Signal(int)  # the new zoom, percent

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        saved = settings.value(SETTING, 100)
        try:
            percent = int(saved)
        except (TypeError, ValueError):
            percent = 100
        self.percent = percent if percent in STEPS else 100  # a hand-edited value: ignored
        self._apply()
        self._label: QLabel | None = None
        self._hide = QTimer(self)
        self._hide.setSingleShot(True)
        self._hide.setInterval(SHOWN_MS)
        self._hide.timeout.connect(self._hide_label)

    def install(self, window: QMainWindow) -> None:
        """Zoom keys on ``window`` and a status bar field that shows the zoom briefly."""
        for keys, slot in ((ZOOM_IN_KEYS, self.zoom_in), (ZOOM_OUT_KEYS, self.zoom_out),
                           (RESET_KEYS, self.reset)):
            action = QAction(window)
            action.setShortcuts(_sequences(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            window.addAction(action)
        self._label = QLabel()
        self._label.setToolTip("Ctrl+= larger, Ctrl+- smaller, Ctrl+0 back to 100 %")
        self._label.hide()
        window.statusBar().addPermanentWidget(self._label)

    def _hide_label(self) -> None:
        """The field of the window in use: after a sign-out a new window has its own."""
        if self._label is not None:
            self._label.hide()

    def zoom_in(self) -> None:
        self._step(+1)

    def zoom_out(self) -> None:
        self._step(-1)

    def reset(self) -> None:
        self._set(100)

    def _step(self, direction: int) -> None:
        index = STEPS.index(self.percent) + direction
        self._set(STEPS[max(0, min(index, len(STEPS) - 1))])

    def _set(self, percent: int) -> None:
        if percent != self.percent:
            self.percent = percent
            self._apply()
            self._settings.setValue(SETTING, percent)
            self._settings.sync()
            self.changed.emit(percent)
        if self._label is not None:  # also at either end, so the key press is answered
            self._label.setText(f"Zoom {self.percent} %")
            self._label.show()
            self._hide.start()

    def _apply(self) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        scale = self.percent / 100
        font = app.font()
        font.setPointSizeF(BASE_FONT_PT * scale)
        app.setFont(font)
        app.setStyleSheet(style_sheet(scale))
