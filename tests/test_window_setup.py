"""The first run: a new clinic sets up its record, installation key and first admin in the
window; a missing record is never opened or created silently."""

from __future__ import annotations

import json
import stat

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from console.accounts import Role
from console.storage import ClinicalRecord
from ui.setup.first_run import FirstRunDialog
from ui.setup.start import SET_UP_HERE, clinic_record, missing_record_question
from ui.shell.app import application
from ui.shell.signin_dialog import SignInDialog

PASSWORD = "first admin password"


@pytest.fixture
def places(tmp_path, monkeypatch):
    """A record file and installation key that do not exist yet, and no MFCONSOLE_DB."""
    key = tmp_path / "config" / "installation.key"
    monkeypatch.setenv("MFCONSOLE_INSTALLATION_KEY", str(key))
    monkeypatch.delenv("MFCONSOLE_DB", raising=False)
    return tmp_path / "data" / "clinical-record.sqlite3", key


def _fill(dialog: FirstRunDialog, username: str = "ward.admin", password: str = PASSWORD,
          again: str | None = None) -> None:
    dialog.username.setText(username)
    dialog.full_name.setText("Ada Admin")
    dialog.password.setText(password)
    dialog.password_again.setText(password if again is None else again)


def _audit(record: ClinicalRecord) -> list[tuple[str, dict]]:
    with record.engine.connect() as connection:
        return [(row[0], json.loads(row[1])) for row in connection.execute(text(
            "SELECT event, details FROM audit_entries ORDER BY seq"))]


def test_first_run_creates_the_record_its_key_and_an_admin_who_then_signs_in(qtbot, places):
    application()
    record_file, key_file = places
    dialog = FirstRunDialog(f"sqlite:///{record_file}")
    qtbot.addWidget(dialog)
    assert str(record_file) in dialog.location.text()
    assert str(key_file) in dialog.key_location.text()
    assert "will be created" in dialog.key_location.text()
    _fill(dialog)
    dialog.create()
    assert dialog.result() == FirstRunDialog.DialogCode.Accepted
    assert record_file.exists() and key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert dialog.created.created_record and dialog.created.created_installation_key
    record = dialog.record
    try:
        assert _audit(record) == [("user_added", {"username": "ward.admin", "role": "admin",
                                                  "bootstrap": True,
                                                  "full_name": "Ada Admin"})]
        signin = SignInDialog(record)
        qtbot.addWidget(signin)
        assert signin.message.text() == ""
        signin.username.setText("ward.admin")
        signin.password.setText(PASSWORD)
        signin._try()
        assert signin.user is not None and signin.user.role is Role.ADMIN
        assert signin.user.full_name == "Ada Admin"
    finally:
        record.close()


@pytest.mark.parametrize(("username", "password", "again", "said"), [
    ("ward.admin", "short", None, "at least 10 characters"),
    ("ward.admin", PASSWORD, "another password", "two passwords differ"),
    ("Ward Admin", PASSWORD, None, "username 'Ward Admin' must be"),
])
def test_first_run_refuses_what_the_command_line_refuses_and_creates_nothing(
        qtbot, places, username, password, again, said):
    application()
    record_file, key_file = places
    dialog = FirstRunDialog(f"sqlite:///{record_file}")
    qtbot.addWidget(dialog)
    _fill(dialog, username, password, again)
    dialog.create()
    assert said in dialog.message.text()
    assert dialog.record is None and dialog.result() != FirstRunDialog.DialogCode.Accepted
    assert dialog.password.text() == ""
    assert not record_file.exists() and not key_file.exists()


def test_a_record_with_users_is_not_set_up_again(qtbot, places):
    application()
    record_file, _ = places
    existing = ClinicalRecord.open(f"sqlite:///{record_file}")
    existing.add_user(None, "first.admin", Role.ADMIN, PASSWORD)
    existing.close()
    dialog = FirstRunDialog(f"sqlite:///{record_file}")
    qtbot.addWidget(dialog)
    _fill(dialog)
    dialog.create()
    assert "has users already: sign in to it" in dialog.message.text()
    assert dialog.record is None


def test_choosing_another_file_says_how_to_open_it_next_time(qtbot, places, tmp_path):
    application()
    record_file, _ = places
    dialog = FirstRunDialog(f"sqlite:///{record_file}")
    qtbot.addWidget(dialog)
    assert dialog.location_note.isHidden()
    other = tmp_path / "elsewhere" / "ward.sqlite3"
    dialog.set_location(other)
    assert str(other) in dialog.location.text()
    assert f"--db {other}" in dialog.location_note.text()
    _fill(dialog)
    dialog.create()
    assert other.exists() and not record_file.exists()
    dialog.record.close()


def test_a_missing_db_path_asks_and_quitting_creates_nothing(places, tmp_path):
    mistyped = tmp_path / "clinical-recrod.sqlite3"
    asked: list[str] = []

    def quit_(where: str) -> bool:
        asked.append(where)
        return False

    def never(url: str) -> None:
        raise AssertionError(f"set up without asking: {url}")

    assert clinic_record(str(mistyped), ask=quit_, set_up=never) is None
    assert asked == [f"SQLite file {mistyped}"]
    assert not mistyped.exists()


def test_a_missing_db_path_is_set_up_only_when_the_user_says_so(places, tmp_path):
    mistyped = tmp_path / "new-ward.sqlite3"
    set_up: list[str] = []
    assert clinic_record(str(mistyped), ask=lambda where: True,
                         set_up=lambda url: set_up.append(url)) is None
    assert set_up == [f"sqlite:///{mistyped}"]
    assert not mistyped.exists(), "the setup dialog creates the record, not the question"


def test_mfconsole_db_naming_a_missing_file_asks_too(places, tmp_path, monkeypatch):
    monkeypatch.setenv("MFCONSOLE_DB", str(tmp_path / "typo.sqlite3"))
    asked: list[str] = []
    clinic_record(None, ask=lambda where: asked.append(where) or False,
                  set_up=lambda url: pytest.fail("set up without asking"))
    assert asked and not (tmp_path / "typo.sqlite3").exists()


def test_the_default_place_without_a_record_opens_the_first_run_without_asking(
        places, monkeypatch):
    record_file, _ = places
    monkeypatch.setattr("console.storage.config.default_database_path", lambda: record_file)
    set_up: list[str] = []
    clinic_record(None, ask=lambda where: pytest.fail("asked about the default place"),
                  set_up=lambda url: set_up.append(url))
    assert set_up == [f"sqlite:///{record_file}"]


def test_a_record_without_users_opens_the_first_run_and_one_with_users_opens(
        places, tmp_path):
    record_file, _ = places
    empty = ClinicalRecord.open(f"sqlite:///{record_file}")
    empty._create()
    empty.close()
    set_up: list[str] = []
    never_asked = lambda where: pytest.fail("asked about an existing record")  # noqa: E731
    clinic_record(str(record_file), ask=never_asked, set_up=lambda url: set_up.append(url))
    assert set_up == [f"sqlite:///{record_file}"]
    with_users = ClinicalRecord.open(f"sqlite:///{record_file}")
    with_users.add_user(None, "first.admin", Role.ADMIN, PASSWORD)
    with_users.close()
    opened = clinic_record(str(record_file), ask=never_asked,
                           set_up=lambda url: pytest.fail("set up an existing record"))
    assert opened is not None and opened.has_users()
    opened.close()


def test_the_question_offers_setting_up_or_quitting_with_quit_the_default(qtbot):
    application()
    box = missing_record_question("SQLite file /srv/typo.sqlite3")
    qtbot.addWidget(box)
    assert "no clinical record in SQLite file /srv/typo.sqlite3" in box.text()
    assert [b.text() for b in box.buttons()] == [SET_UP_HERE, "Quit"]
    assert box.defaultButton().text() == "Quit"
    assert box.buttonRole(box.defaultButton()) == QMessageBox.ButtonRole.RejectRole


def test_the_sign_in_hint_of_a_record_without_users_stays_after_a_failed_sign_in(
        qtbot, places):
    application()
    record_file, _ = places
    record = ClinicalRecord.open(f"sqlite:///{record_file}")
    record._create()
    try:
        dialog = SignInDialog(record)
        qtbot.addWidget(dialog)
        dialog.username.setText("nobody")
        dialog.password.setText("wrong password")
        dialog._try()
        assert "wrong password" in dialog.message.text()
        assert "mfconsole users add NAME --role admin" in dialog.message.text()
    finally:
        record.close()
