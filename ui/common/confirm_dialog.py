"""Agreeing to safety findings before a write: each finding in words, and a reason.

The reason is required and is kept in the clinical record with the program version,
the user's name and the time. The dialog never opens while the device stimulates (no
modal dialog may stand between the clinician and STOP), and closes by itself if
stimulation starts while it is open.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.safety import Finding
from ui.common.theme import CONFIRM_AMBER

STIMULATING_REFUSAL = ("Confirmation refused: the device is stimulating. Stop stimulation "
                       "first (STOP or Esc), then write the program.")


class ConfirmDialog(QDialog):
    """Lists the findings to confirm; "Confirm and write" stays disabled until a reason."""

    def __init__(self, findings: Sequence[Finding], username: str, slot: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.findings = tuple(findings)
        self.setWindowTitle("Confirm safety findings")
        self.setModal(True)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 93)  # follows the zoom
        layout = QVBoxLayout(self)
        count = len(self.findings)
        heading = QLabel(f"<b>Writing to slot {slot} needs your confirmation of "
                         f"{count} finding{'s' if count != 1 else ''}:</b>")
        layout.addWidget(heading)
        self.finding_labels: list[QLabel] = []
        for finding in self.findings:
            label = QLabel(f"⚠ {finding.message}")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setStyleSheet(f"color: {CONFIRM_AMBER}; font-weight: bold; "
                                "padding: 4px 0px;")
            layout.addWidget(label)
            self.finding_labels.append(label)
        prompt = QLabel("Reason (required): why these are right for this patient")
        layout.addWidget(prompt)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setAccessibleName("Reason for confirming")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        prompt.setBuddy(self.reason_edit)
        layout.addWidget(self.reason_edit)
        note = QLabel(f"Kept in the clinical record with each finding, as confirmed by "
                      f"{username}, with the time of writing.")
        note.setObjectName("findingInfo")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.buttons = QDialogButtonBox()
        self.confirm_button: QPushButton = self.buttons.addButton(
            "Confirm and write", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button: QPushButton = self.buttons.addButton(
            "Cancel: write nothing", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason_edit.textChanged.connect(self._reflect)
        self._reflect()
        self.reason_edit.setFocus()

    @property
    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _reflect(self) -> None:
        self.confirm_button.setEnabled(bool(self.reason))
        self.confirm_button.setDefault(bool(self.reason))

    def accept(self) -> None:
        if self.reason:  # Enter cannot slip past the required reason
            super().accept()
