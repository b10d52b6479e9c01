"""Withdrawing an entry made in error: the reason is required, and the dialog is the
confirmation. The entry stays in the record, marked withdrawn, and no longer counts."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.outcomes.entry_dialog import Done, EntryDialog, Refused

Withdraw = Callable[[str, Done, Refused], None]


class WithdrawDialog(EntryDialog):
    def __init__(self, what: str, withdraw: Withdraw, parent: QWidget | None = None) -> None:
        super().__init__(f"Withdraw {what}?", "Withdraw entry", correcting=True, parent=parent)
        self._withdraw = withdraw
        self.cancel_button.setText("Cancel: keep it")
        self.reason.setPlaceholderText("why it was made in error (required, kept in the record)")
        self.reason.setAccessibleName("Reason for withdrawing")
        text = QLabel(f"Withdraw <b>{html.escape(what)}</b> as made in error? It stays in the "
                      "clinical record, marked withdrawn with your reason, and is no longer "
                      "counted in the follow-up, the audit or the registry export.")
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        body = QWidget()
        QVBoxLayout(body).addWidget(text)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)
        self.finish_layout(body)

    def send(self, done: Done, refused: Refused) -> None:
        self._withdraw(self.reason.text().strip(), done, refused)
