"""Finding text a widget cuts off: labels and buttons too narrow for what they say.

``clipped(root)`` walks the visible widgets under ``root`` and lists every
non-wrapping ``QLabel`` and every ``QPushButton``, ``QCheckBox`` or ``QRadioButton``
whose text needs more width than the widget has. Wrapping labels are left out: they
fold their text instead of cutting it. Each entry names the widget's class, object
name, text, width needed and width given, so a failing assertion says what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

SLACK_PX = 1  # rounding between text measurement and layout


@dataclass(frozen=True, slots=True)
class Clipped:
    widget: QWidget
    text: str
    needed: int
    given: int

    def __str__(self) -> str:
        name = self.widget.objectName()
        kind = type(self.widget).__name__ + (f"#{name}" if name else "")
        return f"{kind} {self.text!r}: needs {self.needed} px, has {self.given} px"


def _label_need(label: QLabel) -> int | None:
    if label.wordWrap() or not label.text() or not label.pixmap().isNull():
        return None
    return label.sizeHint().width()  # the text on one line, margins and style padding


def _button_need(button: QAbstractButton) -> tuple[int, int] | None:
    """(text width, width the style leaves for it) for a button with text."""
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text:
        return None
    option = QStyleOptionButton()
    option.initFrom(button)
    option.text = button.text()
    option.icon = button.icon()
    option.iconSize = button.iconSize()
    if isinstance(button, QPushButton):
        element = QStyle.SubElement.SE_PushButtonContents
    elif isinstance(button, QCheckBox):
        element = QStyle.SubElement.SE_CheckBoxContents
    else:
        element = QStyle.SubElement.SE_RadioButtonContents
    room = button.style().subElementRect(element, option, button).width()
    needed = button.fontMetrics().horizontalAdvance(text)
    if not button.icon().isNull():
        needed += button.iconSize().width() + 4
    return needed, room


def clipped(root: QWidget) -> list[Clipped]:
    """Every visible label or button under ``root`` (itself included) that cuts its text."""
    found: list[Clipped] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel):
            needed = _label_need(widget)
            if needed is not None and needed > widget.width() + SLACK_PX:
                found.append(Clipped(widget, widget.text(), needed, widget.width()))
        elif isinstance(widget, QPushButton | QCheckBox | QRadioButton):
            need = _button_need(widget)
            if need is not None and need[0] > need[1] + SLACK_PX:
                found.append(Clipped(widget, widget.text(), *need))
    return found


def describe(found: list[Clipped]) -> str:
    return "\n".join(str(entry) for entry in found)
