"""The theatre view: the placement wizard alone on a window of its own, in larger type."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.placement.common import wizard_style
from ui.placement.flow import PlacementWizard

THEATRE_SCALE = 1.25  # type in the theatre view, relative to the tab
THEATRE_AMPLITUDE_PT = 60  # the amplitude, read from across the theatre


class TheatreWindow(QWidget):
    """The wizard alone on a window of its own, for the screen the team looks at."""

    def __init__(self, wizard: PlacementWizard, on_close: Callable[[], None],
                 owner: QWidget) -> None:
        super().__init__(owner, Qt.WindowType.Window)  # closes with the main window
        self.setWindowTitle("Placement test — theatre view")
        self.wizard: PlacementWizard | None = wizard
        self._on_close = on_close
        layout = QVBoxLayout(self)
        layout.addWidget(wizard)
        wizard.theatre_button.setText("Back to the console  [T]")
        wizard.setStyleSheet(wizard_style(THEATRE_SCALE, THEATRE_AMPLITUDE_PT))
        wizard.identity.show()

    def release(self) -> None:
        """Hand the wizard back (it is re-parented by the tab)."""
        if self.wizard is not None:
            self.wizard.theatre_button.setText("Theatre view  [T]")
            self.wizard.setStyleSheet(wizard_style())
            self.wizard.identity.hide()
            self.wizard = None

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.wizard is not None:
            self._on_close()  # the tab takes the wizard back and closes this window
        super().closeEvent(event)
