"""The Placement test tab: the wizard, which can move to the theatre view and back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from console.accounts import Action
from ui.placement.flow import PlacementWizard
from ui.placement.theatre_window import TheatreWindow
from ui.shell.context import WindowContext

PANEL_TITLE = "Placement test"


def shown(context: WindowContext) -> bool:
    """For those who may record placement tests (clinician, theatre)."""
    return context.may(Action.RECORD_PLACEMENT)


def create(context: WindowContext) -> QWidget:
    return PlacementTab(context)


class PlacementTab(QWidget):
    """The tab: the wizard, which can move to a window of its own (theatre view) and back."""

    def __init__(self, context: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wizard = PlacementWizard(context)
        self.placeholder = QLabel("The placement test is in its theatre view window. Press T "
                                  "there, or close that window, to bring it back here.")
        self.placeholder.setWordWrap(True)
        self.placeholder.hide()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.wizard)
        self._layout.addWidget(self.placeholder)
        self.theatre: TheatreWindow | None = None
        self.wizard.theatre_requested.connect(self.toggle_theatre)

    def toggle_theatre(self) -> None:
        if self.theatre is None:
            self.theatre = TheatreWindow(self.wizard, self.toggle_theatre, self.window())
            self.placeholder.show()
            self.theatre.showMaximized()
            self.theatre.activateWindow()
        else:
            window, self.theatre = self.theatre, None
            window.release()
            self._layout.insertWidget(0, self.wizard)
            self.wizard.show()
            self.placeholder.hide()
            window.close()
        self.wizard.setFocus(Qt.FocusReason.OtherFocusReason)
