"""The placement wizard's keys: one press per action, each named on the button it presses.

N next / begin / sign off (after a STOP: end the test), S start on the pair shown, C
contraction seen, U unwanted response then 1–5 to name it, ↑ one step (manual stepping),
P other pair, I measure impedance again, F fluoroscopy confirms, A / M automatic or
manual stepping, R resume after a STOP, T theatre view. Esc (and Space while
stimulating) is STOP, application wide. The nurse works the test from the keyboard while
watching the patient; a held key is one press, never a ramp.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QWidget

from console.placement import UNWANTED_CHOICES
from ui.common.held_keys import HeldKeyGuard

KEYS_TEXT = ("Keys: N next · S start · C contraction seen · U unwanted response (then 1–5) · "
             "↑ one step · P other pair · I impedance · F fluoroscopy · R resume after STOP · "
             "T theatre view · Esc/Space STOP")
UNWANTED_KEYS = tuple((Qt.Key.Key_0 + number, kind)
                      for number, kind in enumerate(UNWANTED_CHOICES, start=1))
"""1–5 name the unwanted response, numbered as the lead pages number their buttons."""


def bind_keys(widget: QWidget, bindings: Iterable[tuple[int, Callable[[], None]]]) -> None:
    """Each key calls its handler while ``widget`` (or a child) has focus; held, once."""
    bindings = list(bindings)
    HeldKeyGuard(widget, [key for key, _ in bindings])
    for key, handler in bindings:
        shortcut = QShortcut(QKeySequence(key), widget, handler,
                             context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.setAutoRepeat(False)


def keys_label() -> QLabel:
    """Every key in one line, under the wizard."""
    label = QLabel(KEYS_TEXT)
    label.setObjectName("wizardKeys")
    label.setWordWrap(True)
    return label
