"""Sign-in against the clinical record: good and bad passwords, and a record with no users."""

from __future__ import annotations

import secrets

import pytest

from console.accounts import Role
from console.storage import ClinicalRecord, InstallationKey
from ui.shell.app import application
from ui.shell.signin_dialog import SignInDialog


@pytest.fixture
def record(tmp_path):
    opened = ClinicalRecord.open(f"sqlite:///{tmp_path / 'record.sqlite'}",
                                 installation_key=InstallationKey(secrets.token_bytes(32)))
    yield opened
    opened.close()


def test_an_empty_record_says_how_to_create_the_first_administrator(qtbot, record):
    application()
    dialog = SignInDialog(record)
    qtbot.addWidget(dialog)
    assert "mfconsole users add NAME --role admin" in dialog.message.text()


def test_a_wrong_password_is_refused_and_cleared_then_the_right_one_signs_in(qtbot, record):
    application()
    record.add_user(None, "ward.admin", Role.ADMIN, "correct horse battery")
    dialog = SignInDialog(record)
    qtbot.addWidget(dialog)
    assert dialog.message.text() == ""
    dialog.username.setText("ward.admin")
    dialog.password.setText("wrong password")
    dialog._try()
    assert dialog.user is None and dialog.password.text() == ""
    assert dialog.message.text()
    dialog.password.setText("correct horse battery")
    dialog._try()
    assert dialog.user is not None and dialog.user.username == "ward.admin"
