"""The Users dialog: an administrator adds, disables, resets and re-roles users in the
window under the command line's rules, each change audited by the record."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import text, update

from console.accounts import Role
from console.storage import ClinicalRecord, InstallationKey
from console.storage.models import UserRow
from console.storage.types import utc_now
from ui.setup.users_dialog import UsersDialog
from ui.shell.app import application

from .record_fixtures import FAST_HASHER


@pytest.fixture
def record(tmp_path):
    opened = ClinicalRecord.open(f"sqlite:///{tmp_path / 'record.sqlite3'}",
                                 password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    yield opened
    opened.close()


@pytest.fixture
def admin(record):
    return record.add_user(None, "ward.admin", Role.ADMIN, "admin password 1")


@pytest.fixture
def dialog(qtbot, record, admin):
    application()
    opened = UsersDialog(record, admin)
    qtbot.addWidget(opened)
    return opened


def _audit(record: ClinicalRecord) -> list[tuple[str, str | None, dict]]:
    with record.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT event, actor, details FROM audit_entries ORDER BY seq"))
        return [(row[0], row[1], json.loads(row[2])) for row in rows]


def _rows(dialog: UsersDialog) -> list[list[str]]:
    table = dialog.table
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def _add(dialog: UsersDialog, username: str, role: Role, password: str = "doctor password 1",
         again: str | None = None) -> None:
    dialog.add_username.setText(username)
    dialog.add_full_name.setText(f"{username.title()} Person")
    dialog.add_role.setCurrentIndex(dialog.add_role.findData(role.value))
    dialog.add_password.setText(password)
    dialog.add_password_again.setText(password if again is None else again)
    dialog.add_button.click()


def test_the_list_shows_name_full_name_role_state_and_lock(record, admin, dialog):
    _add(dialog, "doc", Role.CLINICIAN)
    with record.engine.begin() as connection:
        connection.execute(update(UserRow).where(UserRow.username == "doc").values(
            locked_until=utc_now() + timedelta(minutes=15)))
    dialog.refresh()
    rows = _rows(dialog)
    assert rows[0][:4] == ["doc", "Doc Person", "clinician", "enabled"]
    assert rows[0][4].startswith("until ") and rows[0][4].endswith(" UTC")
    assert rows[1] == ["ward.admin", "", "admin", "enabled", ""]


def test_adding_a_user_is_audited_and_listed(record, admin, dialog):
    _add(dialog, "doc", Role.CLINICIAN)
    assert dialog.message.text() == "Added doc (clinician)."
    assert dialog.selected().username == "doc"
    assert record.authenticate("doc", "doctor password 1").role is Role.CLINICIAN
    assert ("user_added", "ward.admin", {"username": "doc", "role": "clinician",
                                         "bootstrap": False,
                                         "full_name": "Doc Person"}) in _audit(record)


@pytest.mark.parametrize(("username", "password", "again", "said"), [
    ("doc", "short", None, "a password needs at least 10 characters, got 5"),
    ("doc", "doctor password 1", "doctor password 2", "the two passwords differ"),
    ("Doc", "doctor password 1", None, "username 'Doc' must be 1-64 characters"),
    ("ward.admin", "doctor password 1", None, "user ward.admin exists already"),
])
def test_adding_refuses_what_the_command_line_refuses(record, admin, dialog, username,
                                                       password, again, said):
    _add(dialog, username, Role.CLINICIAN, password, again)
    assert said in dialog.message.text()
    assert dialog.message.objectName() == "findingBlock"
    assert [a.user.username for a in record.user_accounts(admin)] == ["ward.admin"]
    assert dialog.add_password.text() == ""


def test_disabling_asks_first_and_is_audited(record, admin, dialog):
    _add(dialog, "doc", Role.CLINICIAN)
    asked: list[str] = []
    dialog.confirm = lambda title, question: asked.append(question) or False
    dialog.select("doc")
    dialog.disable_button.click()
    assert asked and "doc" in asked[0]
    assert not record.user_accounts(admin)[0].user.disabled
    dialog.confirm = lambda title, question: True
    dialog.disable_button.click()
    assert record.user_accounts(admin)[0].user.disabled
    assert _rows(dialog)[0][3] == "disabled"
    assert not dialog.disable_button.isEnabled()
    assert ("user_disabled", "ward.admin", {"username": "doc"}) in _audit(record)


def test_the_last_enabled_admin_can_be_neither_disabled_nor_demoted(record, admin, dialog):
    dialog.confirm = lambda title, question: True
    dialog.select("ward.admin")
    dialog.disable_button.click()
    assert "user ward.admin is the last enabled admin" in dialog.message.text()
    dialog.role.setCurrentIndex(dialog.role.findData(Role.ENGINEER.value))
    dialog.change_role_button.click()
    assert "Role not changed: user ward.admin is the last enabled admin" in (
        dialog.message.text())
    assert record.user_accounts(admin)[0].user.role is Role.ADMIN
    assert not record.user_accounts(admin)[0].user.disabled


def test_changing_a_role_is_audited(record, admin, dialog):
    _add(dialog, "doc", Role.CLINICIAN)
    dialog.select("doc")
    dialog.role.setCurrentIndex(dialog.role.findData(Role.ENGINEER.value))
    QTest.mouseClick(dialog.change_role_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "doc is now engineer (was clinician)."
    assert _rows(dialog)[0][2] == "engineer"
    assert ("role_changed", "ward.admin", {"username": "doc", "from": "clinician",
                                           "to": "engineer"}) in _audit(record)
    dialog.change_role_button.click()
    assert "user doc has the role engineer already" in dialog.message.text()


def test_resetting_a_password_is_audited_and_checked(record, admin, dialog):
    _add(dialog, "doc", Role.CLINICIAN)
    dialog.select("doc")
    dialog.new_password.setText("short")
    dialog.new_password_again.setText("short")
    dialog.reset_button.click()
    assert "Password of doc not changed: a password needs at least 10" in dialog.message.text()
    dialog.new_password.setText("a new password 1")
    dialog.new_password_again.setText("a new password 1")
    dialog.reset_button.click()
    assert dialog.message.text() == "Password of doc changed."
    assert record.authenticate("doc", "a new password 1").username == "doc"
    assert ("password_changed", "ward.admin", {"username": "doc"}) in _audit(record)


def test_a_locked_user_is_unlocked(record, admin, dialog):
    _add(dialog, "doc", Role.CLINICIAN)
    with record.engine.begin() as connection:
        connection.execute(update(UserRow).where(UserRow.username == "doc").values(
            locked_until=utc_now() + timedelta(minutes=15)))
    dialog.refresh()
    dialog.select("doc")
    assert dialog.unlock_button.isEnabled()
    dialog.unlock_button.click()
    assert dialog.message.text() == "Unlocked doc."
    assert _rows(dialog)[0][4] == ""
    assert [e for e, _, _ in _audit(record)][-1] == "account_unlocked"


def test_an_administrator_demoted_elsewhere_is_refused_here(record, admin, dialog):
    other = record.add_user(admin, "second.admin", Role.ADMIN, "admin password 2")
    record.change_role(other, "ward.admin", Role.CLINICIAN)
    _add(dialog, "doc", Role.CLINICIAN)
    assert "Not added: user ward.admin (role clinician) may not manage users" in (
        dialog.message.text())
