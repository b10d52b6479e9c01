"""Sign-in against the users of the clinical record; every attempt is audited there."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from console.accounts import AccessError
from console.accounts.roles import User
from console.storage import ClinicalRecord, RecordError

NO_USERS_HINT = ("This clinical record has no users yet. Close this and start the console "
                 "again to set it up, or create the first administrator on the command line: "
                 "mfconsole users add NAME --role admin — then sign in here.")


class SignInDialog(QDialog):
    def __init__(self, record: ClinicalRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in — Multifidus Console")
        self._record = record
        self.user: User | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setObjectName("findingBlock")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        # Kept after a failed attempt too: without it nobody could ever sign in here.
        self._hint = NO_USERS_HINT if not record.has_users() else ""
        self.message.setText(self._hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        buttons.accepted.connect(self._try)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _try(self) -> None:
        try:
            self.user = self._record.authenticate(self.username.text().strip(),
                                                  self.password.text())
        except (AccessError, RecordError) as exc:
            self.password.clear()
            self.message.setText("\n\n".join(filter(None, (str(exc), self._hint))))
            return
        self.accept()
