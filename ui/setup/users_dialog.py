"""Managing users in the window (administrators): the same rules as ``mfconsole users``.

Every change goes through the clinical record, which checks the administrator's
permission against the database, refuses what the command line refuses (the last
enabled admin, a weak password, a taken user name) and audits what it does. A refusal
is shown here in the record's words, which name the user and what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.accounts import AccessError, Action, Role, User
from console.accounts.passwords import MIN_PASSWORD_LENGTH
from console.storage import ClinicalRecord, RecordError
from console.storage.users import UserAccount
from ui.shell.context import WindowContext

COLUMNS = ("User name", "Full name", "Role", "State", "Locked")
Confirm = Callable[[str, str], bool]


def _ask(parent: QWidget) -> Confirm:
    def confirm(title: str, question: str) -> bool:
        answer = QMessageBox.question(parent, title, question)
        return answer == QMessageBox.StandardButton.Yes
    return confirm


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(f"at least {MIN_PASSWORD_LENGTH} characters")
    return field


def _roles() -> QComboBox:
    box = QComboBox()
    for role in Role:
        box.addItem(role.value, role.value)
    return box


def _locked_text(account: UserAccount) -> str:
    until = account.locked_until
    return "" if until is None else f"until {until:%Y-%m-%d %H:%M} UTC"


class UsersDialog(QDialog):
    """The users of the record, and what an administrator may change about them."""

    def __init__(self, record: ClinicalRecord, actor: User,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Users — Multifidus Console")
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 120)
        self._record = record
        self._actor = actor
        self.confirm: Confirm = _ask(self)
        self.accounts: list[UserAccount] = []
        layout = QVBoxLayout(self)
        body = QHBoxLayout()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("Full name"), QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._reflect_selection)
        body.addWidget(self.table, 3)
        side = QVBoxLayout()
        side.addWidget(self._selected_box())
        side.addWidget(self._add_box())
        side.addStretch(1)
        body.addLayout(side, 2)
        layout.addLayout(body, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def _selected_box(self) -> QGroupBox:
        box = QGroupBox("Selected user")
        form = QFormLayout(box)
        self.selected_label = QLabel("Choose a user in the list.")
        self.selected_label.setWordWrap(True)
        form.addRow(self.selected_label)
        self.role = _roles()
        self.change_role_button = QPushButton("Change role")
        self.change_role_button.clicked.connect(self.change_role)
        row = QHBoxLayout()
        row.addWidget(self.role, 1)
        row.addWidget(self.change_role_button)
        form.addRow("Role", row)
        self.new_password = _password_field()
        self.new_password_again = _password_field()
        form.addRow("New password", self.new_password)
        form.addRow("Again", self.new_password_again)
        self.reset_button = QPushButton("Reset password")
        self.reset_button.clicked.connect(self.reset_password)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setToolTip("End a lock after failed sign-ins now")
        self.unlock_button.clicked.connect(self.unlock)
        self.disable_button = QPushButton("Disable…")
        self.disable_button.setToolTip("Users are never deleted; a disabled user cannot "
                                       "sign in or act")
        self.disable_button.clicked.connect(self.disable)
        actions = QHBoxLayout()
        for button in (self.reset_button, self.unlock_button, self.disable_button):
            actions.addWidget(button)
        form.addRow(actions)
        return box

    def _add_box(self) -> QGroupBox:
        box = QGroupBox("Add a user")
        form = QFormLayout(box)
        self.add_username = QLineEdit()
        self.add_username.setPlaceholderText("lower-case letters, digits, '.', '_' or '-'")
        self.add_full_name = QLineEdit()
        self.add_role = _roles()
        self.add_password = _password_field()
        self.add_password_again = _password_field()
        form.addRow("User name", self.add_username)
        form.addRow("Full name", self.add_full_name)
        form.addRow("Role", self.add_role)
        form.addRow("Password", self.add_password)
        form.addRow("Again", self.add_password_again)
        self.add_button = QPushButton("Add user")
        self.add_button.clicked.connect(self.add_user)
        form.addRow(self.add_button)
        return box

    # -- the list ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the users again, keeping the selection."""
        keep = self.selected()
        try:
            self.accounts = self._record.user_accounts(self._actor)
        except (RecordError, AccessError) as exc:
            self._refused("The users could not be read", exc)
            self.accounts = []
        self.table.setRowCount(len(self.accounts))
        for row, account in enumerate(self.accounts):
            user = account.user
            cells = (user.username, user.full_name or "", user.role.value,
                     "disabled" if user.disabled else "enabled", _locked_text(account))
            for column, value in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(value))
        if keep is not None:
            self.select(keep.username)
        self._reflect_selection()

    def select(self, username: str) -> None:
        for row, account in enumerate(self.accounts):
            if account.user.username == username:
                self.table.selectRow(row)

    def selected(self) -> User | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.accounts):
            return None
        return self.accounts[rows[0].row()].user

    def _reflect_selection(self) -> None:
        user = self.selected()
        for widget in (self.role, self.change_role_button, self.new_password,
                       self.new_password_again, self.reset_button, self.unlock_button,
                       self.disable_button):
            widget.setEnabled(user is not None)
        if user is None:
            self.selected_label.setText("Choose a user in the list.")
            return
        account = next(a for a in self.accounts if a.user.username == user.username)
        name = f" ({user.full_name})" if user.full_name else ""
        states = [user.role.value, "disabled" if user.disabled else "",
                  f"locked {_locked_text(account)}" if account.locked_until else ""]
        self.selected_label.setText(", ".join(filter(None, (f"{user.username}{name}",
                                                            *states))))
        self.role.setCurrentIndex(self.role.findData(user.role.value))
        self.disable_button.setEnabled(not user.disabled)
        self.unlock_button.setEnabled(account.locked_until is not None)

    # -- changes ----------------------------------------------------------------------

    def add_user(self) -> None:
        username = self.add_username.text().strip()
        password = self.add_password.text()
        same = password == self.add_password_again.text()
        self.add_password.clear()
        self.add_password_again.clear()
        if not same:
            self._say_refused(f"{username or 'The user'} was not added: the two passwords "
                              "differ.")
            return
        role = Role(self.add_role.currentData())
        try:
            self._record.add_user(self._actor, username, role, password,
                                  full_name=self.add_full_name.text())
        except (RecordError, AccessError) as exc:
            self._refused("Not added", exc)
            return
        self.add_username.clear()
        self.add_full_name.clear()
        self._done(f"Added {username} ({role.value}).", username)

    def change_role(self) -> None:
        user = self.selected()
        if user is None:
            return
        role = Role(self.role.currentData())
        try:
            self._record.change_role(self._actor, user.username, role)
        except (RecordError, AccessError) as exc:
            self._refused("Role not changed", exc)
            return
        self._done(f"{user.username} is now {role.value} (was {user.role.value}).",
                   user.username)

    def reset_password(self) -> None:
        user = self.selected()
        if user is None:
            return
        password = self.new_password.text()
        same = password == self.new_password_again.text()
        self.new_password.clear()
        self.new_password_again.clear()
        if not same:
            self._say_refused(f"Password of {user.username} not changed: the two passwords "
                              "differ.")
            return
        try:
            self._record.change_password(self._actor, user.username, password)
        except (RecordError, AccessError) as exc:
            self._refused(f"Password of {user.username} not changed", exc)
            return
        self._done(f"Password of {user.username} changed.",
                   user.username)

    def unlock(self) -> None:
        user = self.selected()
        if user is None:
            return
        try:
            self._record.unlock_user(self._actor, user.username)
        except (RecordError, AccessError) as exc:
            self._refused("Not unlocked", exc)
            return
        self._done(f"Unlocked {user.username}.", user.username)

    def disable(self) -> None:
        user = self.selected()
        if user is None or not self.confirm(
                "Disable user?", f"Disable {user.username}? They can no longer sign in or "
                                 "act. Users are never deleted, and this cannot be undone "
                                 "here."):
            return
        try:
            self._record.disable_user(self._actor, user.username)
        except (RecordError, AccessError) as exc:
            self._refused("Not disabled", exc)
            return
        self._done(f"Disabled {user.username}.", user.username)

    def _done(self, text: str, username: str) -> None:
        self.message.setObjectName("findingInfo")
        self.message.setText(text)
        self._restyle()
        self.refresh()
        self.select(username)

    def _refused(self, what: str, exc: Exception) -> None:
        self._say_refused(f"{what}: {exc}.")

    def _say_refused(self, text: str) -> None:
        self.message.setObjectName("findingBlock")
        self.message.setText(text)
        self._restyle()

    def _restyle(self) -> None:
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)


def open_users_dialog(parent: QWidget, context: WindowContext) -> None:
    """The Users… dialog for an administrator; others are told who manages users."""
    if context.record is None or context.user is None:
        return
    if not context.may(Action.MANAGE_USERS):
        QMessageBox.information(parent, "Users", "Only an administrator manages users.")
        return
    UsersDialog(context.record, context.user, parent).exec()
