"""The window's tabs (and the leads pane), each in a scroll area, so the window fits a
1280×800 screen at any zoom.

A tab's content may need more height than a small screen leaves (the placement wizard,
test stimulation): it scrolls inside its tab instead of making the window taller than the
screen, which would push the status bar and its STOP confirmations out of sight. STOP
itself lives in the header, outside every tab.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget

PanelT = TypeVar("PanelT", bound=QWidget)


class _Fitted(QWidget):
    """A panel at the tab's whole size, scrolling only below the panel's minimum.

    Put straight into a scroll area, a panel with wrapped text is given its preferred
    height (height-for-width) and would scroll on any screen; this holder offers the
    panel's minimum instead, so charts and tables still grow into the space there is.
    """

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.panel = panel
        panel.setParent(self)
        panel.installEventFilter(self)

    def minimumSizeHint(self) -> QSize:
        return self.panel.minimumSizeHint()

    def sizeHint(self) -> QSize:
        return self.panel.minimumSizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.panel.setGeometry(self.rect())
        super().resizeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.panel and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the panel's minimum may have changed
        return False


def scrolling(panel: QWidget) -> QScrollArea:
    """``panel`` filling a scroll area that scrolls only below the panel's minimum."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(_Fitted(panel))
    return area


class PanelTabs(QTabWidget):
    """Tabs that hold panels; ``panel(index)`` is the panel, not its scroll area."""

    def add_panel(self, panel: QWidget, title: str) -> None:
        self.addTab(scrolling(panel), title)

    def panel(self, index: int) -> QWidget:
        area = self.widget(index)
        assert isinstance(area, QScrollArea)
        fitted = area.widget()
        assert isinstance(fitted, _Fitted)
        return fitted.panel

    def current_panel(self) -> QWidget:
        return self.panel(self.currentIndex())

    def show_panel(self, kind: type[PanelT]) -> PanelT | None:
        """Bring the tab holding a ``kind`` panel forward; None when there is none."""
        for index in range(self.count()):
            panel = self.panel(index)
            if isinstance(panel, kind):
                self.setCurrentIndex(index)
                return panel
        return None


def show_panel_of(widget: QWidget, kind: type[PanelT]) -> PanelT | None:
    """From inside a panel: bring the ``kind`` panel of the same window forward."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, PanelTabs):
        parent = parent.parentWidget()
    return None if parent is None else parent.show_panel(kind)
