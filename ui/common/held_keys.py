"""A held key is one press, even where Qt cannot tell a repeat from a press.

On some X servers (Xvfb among them, and any without detectable auto-repeat) a held key
arrives as release–press pairs with the same timestamp, most of them not flagged
``isAutoRepeat``; a ``QShortcut`` with ``setAutoRepeat(False)`` then fires on each, and a
held ↑ would titrate at the pace limit. A person cannot lift a key and press it again
within a few milliseconds, so a press that follows its own release that closely is a
repeat: it is swallowed before it can reach a shortcut (``ShortcutOverride``) or a widget.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

REPEAT_GAP_MS = 10
"""A press this soon after the same key's release is the key still held down."""

_PRESSES = (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride)


class HeldKeyGuard(QObject):
    """Swallows repeats of ``keys`` while the focus is in ``scope`` (application wide)."""

    def __init__(self, scope: QWidget, keys: Iterable[int]) -> None:
        super().__init__(scope)
        self._scope = scope
        self._keys = frozenset(int(key) for key in keys)
        self._released_at: dict[int, int] = {}
        QApplication.instance().installEventFilter(self)
        scope.destroyed.connect(self._uninstall)

    def _uninstall(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def is_repeat(self, event: QKeyEvent) -> bool:
        """Flagged by Qt, or a press right after this key's release (timestamps known)."""
        if event.isAutoRepeat():
            return True
        released = self._released_at.get(event.key())
        return (released is not None and event.timestamp() != 0
                and 0 <= event.timestamp() - released <= REPEAT_GAP_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (*_PRESSES, QEvent.Type.KeyRelease):
            return False
        assert isinstance(event, QKeyEvent)
        if event.key() not in self._keys or not self._in_scope(watched):
            return False
        if kind == QEvent.Type.KeyRelease:
            self._released_at[event.key()] = event.timestamp()
            return False
        if self.is_repeat(event):
            event.accept()  # an accepted override keeps the shortcut from firing
            return True
        return False

    def _in_scope(self, watched: QObject) -> bool:
        return isinstance(watched, QWidget) and (watched is self._scope
                                                 or self._scope.isAncestorOf(watched))
