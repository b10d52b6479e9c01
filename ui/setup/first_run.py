"""The first run: where the clinical record is created, its installation key, its first admin.

Shown when the console finds no record (or one without users) where it looks. Creating
goes through ``console.storage.setup.set_up_record``, as ``mfconsole users add`` does, so
the password rules and the audit entry are the command line's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url

from console.accounts import AccessError
from console.accounts.passwords import MIN_PASSWORD_LENGTH
from console.storage import ClinicalRecord, RecordError, database_url
from console.storage.config import ENV_DATABASE
from console.storage.database import describe
from console.storage.installation_key import installation_key_path
from console.storage.setup import NewRecord, set_up_record

SERVER_OPTION = (
    "A clinic whose consoles share one record keeps it on a PostgreSQL server: ask for an "
    "empty database there, then start the console with --db postgresql+psycopg://USER@HOST"
    f"/DATABASE (or set {ENV_DATABASE} to that address). This dialog creates the record in "
    "such a database but never creates the server database itself.")
KEY_BACKUP = (
    "Back this file up, apart from the record: without it, the device pairing keys stored "
    "in the record cannot be read. Every console sharing the record needs a copy of it.")


def _wrapped(text: str, name: str = "findingInfo") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


class FirstRunDialog(QDialog):
    """Create the record where chosen, with its installation key and first administrator.

    ``record`` and ``created`` are set once the record exists; the caller signs in next.
    """

    def __init__(self, url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Set up the clinical record — Multifidus Console")
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 90)  # follows the zoom
        self.record: ClinicalRecord | None = None
        self.created: NewRecord | None = None
        self._url = url
        self._default_url = url
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("No clinical record is set up here yet. Create it with its "
                                "first administrator; then sign in."))
        layout.addWidget(self._record_box())
        layout.addWidget(self._key_box())
        layout.addWidget(self._admin_box())
        self.message = _wrapped("", "findingBlock")
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.create_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setText("Create record")
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._show_location()

    def _record_box(self) -> QGroupBox:
        box = QGroupBox("Clinical record")
        layout = QVBoxLayout(box)
        row = QHBoxLayout()
        self.location = QLabel()
        self.location.setWordWrap(True)
        row.addWidget(self.location, 1)
        self.choose_button = QPushButton("Choose another file…")
        self.choose_button.clicked.connect(self._choose_file)
        row.addWidget(self.choose_button)
        layout.addLayout(row)
        self.location_note = _wrapped("")
        layout.addWidget(self.location_note)
        layout.addWidget(_wrapped(SERVER_OPTION))
        return box

    def _key_box(self) -> QGroupBox:
        box = QGroupBox("Installation key")
        layout = QVBoxLayout(box)
        path = installation_key_path()
        state = ("exists already and will be used" if path.exists()
                 else "will be created now, readable only by you")
        self.key_location = QLabel(f"Kept in {path} ({state}). It encrypts the device pairing "
                                   "keys stored in the record.")
        self.key_location.setWordWrap(True)
        layout.addWidget(self.key_location)
        layout.addWidget(_wrapped(KEY_BACKUP, "findingConfirm"))
        return box

    def _admin_box(self) -> QGroupBox:
        box = QGroupBox("First administrator")
        form = QFormLayout(box)
        self.username = QLineEdit()
        self.username.setPlaceholderText("lower-case letters, digits, '.', '_' or '-'")
        self.full_name = QLineEdit()
        self.password = QLineEdit()
        self.password_again = QLineEdit()
        for field in (self.password, self.password_again):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(f"at least {MIN_PASSWORD_LENGTH} characters")
        form.addRow("User name", self.username)
        form.addRow("Full name", self.full_name)
        form.addRow("Password", self.password)
        form.addRow("Password again", self.password_again)
        form.addRow(_wrapped("The administrator adds the other users once signed in "
                             "(Users…)."))
        return box

    # -- where --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._url

    def set_location(self, path: Path) -> None:
        """Create the record in the SQLite file ``path`` instead."""
        self._url = database_url(str(path))
        self._show_location()

    def _show_location(self) -> None:
        parsed = make_url(self._url)
        sqlite = parsed.get_backend_name() == "sqlite"
        self.location.setText(f"Created in {describe(parsed)}")
        self.choose_button.setVisible(sqlite)
        if self._url == self._default_url:
            self.location_note.setText("")
            self.location_note.hide()
        else:
            self.location_note.setText(
                "This is not where the console looks by default: start it with "
                f"--db {parsed.database} (or set {ENV_DATABASE}) to open this record.")
            self.location_note.show()

    def _choose_file(self) -> None:
        current = make_url(self._url).database or ""
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Where to create the clinical record", current,
            "Clinical record (*.sqlite3);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite)
        if chosen:
            self.set_location(Path(chosen))

    # -- creating -----------------------------------------------------------------------

    def create(self) -> None:
        """Create the record, its key and its admin; on a refusal say what was wrong."""
        if self.password.text() != self.password_again.text():
            self._refuse("The two passwords differ: type the same password twice.")
            return
        record: ClinicalRecord | None = None
        try:
            record = ClinicalRecord.open(self._url)
            created = set_up_record(record, self.username.text().strip(),
                                    self.password.text(), full_name=self.full_name.text())
        except (RecordError, AccessError) as exc:
            if record is not None:
                record.close()
            self._refuse(f"The record was not created: {exc}")
            return
        self.record, self.created = record, created
        self.accept()

    def _refuse(self, text: str) -> None:
        self.password.clear()
        self.password_again.clear()
        self.message.setText(text)
