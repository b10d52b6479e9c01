"""Leaving the window (closing it or signing out), ending a visit or switching patient: what
would be lost, and the question first.

The question is a modal box whose default is Cancel. It runs in a nested event loop, so
the device worker, the status poll and the application-wide STOP keys go on working
while it is shown: Esc stops (and cancels), Space stops while the device stimulates.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from console.programming.link_state import ScreenState
from ui.outcomes.entry_dialog import EntryDialog
from ui.shell.context import WindowContext
from ui.shell.patient_dialog import visit_text

CLOSE_ANYWAY = "Close anyway"


def unsaved_reasons(context: WindowContext) -> list[str]:
    """What would be lost or left uncertain by ending the work on screen (leaving, ending a
    visit, switching patient); empty when nothing is."""
    session = context.model.session
    reasons = []
    if session.unwritten_changes:
        reasons.append("The program on screen has changes that were never written to the "
                       "device: they are lost.")
    if session.state is ScreenState.OUTCOME_UNKNOWN:
        reasons.append("The outcome of the last write or STOP is unknown: read the slot "
                       "again before leaving if you can.")
    reasons.extend(f"“{form.windowTitle()}” is open and not saved: what it holds is lost."
                   for form in open_entry_forms())
    return reasons


def open_entry_forms() -> list[EntryDialog]:
    """Outcome and adverse event forms on screen (they are not modal: any may be open)."""
    return [widget for widget in QApplication.topLevelWidgets()
            if isinstance(widget, EntryDialog) and widget.isVisible()]


def leaving_reasons(context: WindowContext) -> list[str]:
    """Why leaving now needs a second thought; empty when nothing is lost or left open."""
    reasons = unsaved_reasons(context)
    if context.model.stimulating:
        reasons.append("The device is stimulating: leaving closes the link, and the device "
                       "stops on its watchdog. Press STOP first.")
    if context.visit is not None:
        visit = visit_text(context.visit)
        reasons.append(f"{visit[0].upper()}{visit[1:]} is open: leaving ends it.")
    return reasons


class LeaveQuestion:
    """Asks before leaving. ``answer`` may be set (tests) to answer without showing it."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self.box: QMessageBox | None = None
        self.answer: bool | None = None

    def ask(self, title: str, reasons: list[str], *, question: str = "Leave anyway?",
            go_on: str = CLOSE_ANYWAY) -> bool:
        """True to go on (leave, or whatever ``go_on`` names). Cancel is the default and
        what Esc chooses."""
        if self.answer is not None:
            return self.answer
        box = QMessageBox(QMessageBox.Icon.Warning, title,
                          "\n\n".join(reasons) + f"\n\n{question}", parent=self._parent)
        leave = box.addButton(go_on, QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        self.box = box
        try:
            box.exec()
            return box.clickedButton() is leave
        finally:
            self.box = None
            box.deleteLater()
