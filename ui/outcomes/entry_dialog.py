"""What the outcome and adverse event dialogs share: open beside the window, keep STOP.

The dialogs are not modal, so the header's STOP button stays within reach of the mouse;
Esc is STOP everywhere (the application's key filter sends it before the dialog sees the
key), and here it does nothing more: what was typed stays. A refusal from the record is
shown in the dialog, naming the field, and the dialog stays open with every value as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import TypeVar

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.storage.amendments import MAX_REASON

Done = Callable[[], None]
Refused = Callable[[str], None]
Code = TypeVar("Code", bound=StrEnum)


def chosen(box: QComboBox, codes: type[Code]) -> Code | None:
    """The code chosen in ``box`` (Qt hands item data back as plain text), or None."""
    data = box.currentData()
    return None if data is None else codes(data)


def date_edit(today: date, chosen: date | None = None) -> QDateEdit:
    """A date no later than today (the record refuses a future one anyway)."""
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd MMM yyyy")
    edit.setMaximumDate(QDate(today.year, today.month, today.day))
    shown = chosen or today
    edit.setDate(QDate(shown.year, shown.month, shown.day))
    return edit


def date_of(edit: QDateEdit) -> date:
    chosen = edit.date()
    return date(chosen.year(), chosen.month(), chosen.day())


class EntryDialog(QDialog):
    """A form saved into the record: Save stays disabled, saying why, until it is whole."""

    def __init__(self, title: str, save_text: str, *, correcting: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.correcting = correcting
        self.reason = QLineEdit()
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setPlaceholderText("why the entry is corrected (required, kept in the "
                                       "record)")
        self.reason.setAccessibleName("Reason for the correction")
        self.reason.textChanged.connect(self.reflect)
        self.hint = QLabel()
        self.hint.setObjectName("findingInfo")
        self.hint.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("findingBlock")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.hide()
        self.buttons = QDialogButtonBox()
        self.save_button: QPushButton = self.buttons.addButton(
            save_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button: QPushButton = self.buttons.addButton(
            "Cancel: save nothing", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.saving = False

    def finish_layout(self, form: QWidget) -> None:
        """The form, then the reason (corrections), what is wrong, and the buttons."""
        layout = QVBoxLayout(self)
        layout.addWidget(form)
        if self.correcting:
            row = QHBoxLayout()
            label = QLabel("Reason for the correction:")
            label.setBuddy(self.reason)
            row.addWidget(label)
            row.addWidget(self.reason, 1)
            layout.addLayout(row)
        layout.addWidget(self.message)
        bottom = QHBoxLayout()
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self.reflect()

    # -- to be given by each form ----------------------------------------------------------

    def problem(self) -> str | None:
        """Why the form cannot be saved yet, in words; None when it can."""
        if self.correcting and not self.reason.text().strip():
            return "Give the reason: it is kept in the record with the entry."
        return None

    def send(self, done: Done, refused: Refused) -> None:
        """Hand the form's values to the record; ``done`` or ``refused`` follows."""
        raise NotImplementedError

    # -- saving ----------------------------------------------------------------------------

    def reflect(self) -> None:
        problem = self.problem()
        self.save_button.setEnabled(problem is None and not self.saving)
        self.save_button.setToolTip(problem or "")
        self.hint.setText(problem or "")

    def submit(self) -> None:
        if self.saving or self.problem() is not None:
            return
        self.saving = True
        self.message.hide()
        self.reflect()
        self.hint.setText("Saving into the clinical record …")
        self.send(self._saved, self.refuse)

    def _saved(self) -> None:
        self.saving = False
        self.accept()

    def refuse(self, why: str) -> None:
        """The record said no: say why, keep every value, let the user correct it."""
        self.saving = False
        self.message.setText(f"Not saved: {why}")
        self.message.show()
        self.reflect()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:  # STOP has been sent; the form stays as it is
            event.accept()
            return
        super().keyPressEvent(event)
