"""Failed sign-ins in a row lock an account for a time, in the record itself (so at every
console and process, on SQLite and PostgreSQL); an administrator can unlock it; blank
passwords are refused."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update

from console.accounts import AccountLocked, AuthenticationFailed
from console.cli.main import main
from console.safety.profile import load_profile
from console.storage import ClinicalRecord, InstallationKey, InvalidRecord
from console.storage.models import UserRow
from console.storage.types import utc_now
from tests.record_fixtures import FAST_HASHER

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {"admin": "admin password 1", "doc": "doctor password 1",
             "nurse": "nurse password 1"}
PROFILE = load_profile()
BLANK_RULE = "a password may not be empty or only spaces"


@pytest.fixture()
def staff(record):
    """The record with an admin, a clinician (doc) and a theatre nurse."""
    admin = record.add_user(None, "admin", "admin", PASSWORDS["admin"])
    record.add_user(admin, "doc", "clinician", PASSWORDS["doc"])
    record.add_user(admin, "nurse", "theatre", PASSWORDS["nurse"])
    return record


def fail(record: ClinicalRecord, username: str, times: int) -> None:
    """``times`` sign-ins with a wrong password, none of which may lock the account."""
    for _ in range(times):
        with pytest.raises(AuthenticationFailed) as refused:
            record.authenticate(username, "not the password")
        assert not isinstance(refused.value, AccountLocked)


def lock(record: ClinicalRecord, username: str) -> AccountLocked:
    fail(record, username, PROFILE.sign_in_failed_attempts_lockout - 1)
    with pytest.raises(AccountLocked) as locked:
        record.authenticate(username, "not the password")
    return locked.value


def audit_since(record: ClinicalRecord, seq: int) -> list[tuple[str, str | None, dict]]:
    with record.engine.connect() as connection:
        rows = connection.execute(text("SELECT event, actor, details FROM audit_entries "
                                       "WHERE seq > :seq ORDER BY seq"), {"seq": seq})
        return [(event, actor, json.loads(details)) for event, actor, details in rows]


def last_seq(record: ClinicalRecord) -> int:
    with record.engine.connect() as connection:
        return connection.execute(text("SELECT last_seq FROM audit_head")).scalar_one()


def test_five_failures_in_a_row_lock_the_account_even_for_the_right_password(staff):
    start = last_seq(staff)
    before = utc_now()
    locked = lock(staff, "doc")
    assert before + timedelta(minutes=15) <= locked.until <= utc_now() + timedelta(minutes=15)
    with pytest.raises(AccountLocked) as refused:
        staff.authenticate("doc", PASSWORDS["doc"])
    assert str(refused.value) == (
        f"account doc is locked until {locked.until:%Y-%m-%d %H:%M:%S} UTC after 5 failed "
        "sign-ins in a row: sign in after that time, or ask an administrator to unlock it "
        "(mfconsole users unlock doc)")
    entries = audit_since(staff, start)
    wrong = ("login_failed", None, {"reason": "wrong password", "username": "doc"})
    assert entries[:5] == [wrong] * 5
    event, actor, details = entries[5]
    assert (event, actor, details["username"], details["failed_sign_ins"]) == (
        "account_locked", None, "doc", 5)
    assert entries[6:] == [("login_failed", None, {"reason": "locked", "username": "doc"})]
    assert staff.authenticate("nurse", PASSWORDS["nurse"]).username == "nurse"


def test_a_successful_sign_in_starts_the_count_again(staff):
    fail(staff, "doc", 4)
    assert staff.authenticate("doc", PASSWORDS["doc"]).username == "doc"
    lock(staff, "doc")  # four more failures do not lock it; the fifth in a row does


def mfconsole(url: str, *argv: str, user: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MFCONSOLE_DB": url, "MFCONSOLE_USER": user,
                   "MFCONSOLE_PASSWORD": PASSWORDS[user], "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "console.cli.main", *argv], env=environment,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_lock_holds_at_another_console_and_in_another_process(staff, backend_url):
    until = lock(staff, "doc").until
    other_console = ClinicalRecord.open_existing(backend_url, password_hasher=FAST_HASHER)
    with pytest.raises(AccountLocked):
        other_console.authenticate("doc", PASSWORDS["doc"])
    other_console.close()
    done = mfconsole(backend_url, "patients", "list", user="doc")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"mfconsole: account doc is locked until "
                                  f"{until:%Y-%m-%d %H:%M:%S} UTC")


def test_the_lock_ends_at_its_time(staff):
    lock(staff, "doc")
    with staff.engine.begin() as connection:  # fifteen minutes later, without waiting them
        connection.execute(update(UserRow).where(UserRow.username == "doc").values(
            locked_until=utc_now() - timedelta(seconds=1)))
    assert staff.authenticate("doc", PASSWORDS["doc"]).username == "doc"
    fail(staff, "doc", 4)  # the count started again with the lock


def test_an_administrator_unlocks_from_the_command_line(staff, backend_url, capsys,
                                                        monkeypatch):
    until = lock(staff, "doc").until
    monkeypatch.setenv("MFCONSOLE_DB", backend_url)
    monkeypatch.setenv("MFCONSOLE_USER", "nurse")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", PASSWORDS["nurse"])
    assert main(["users", "unlock", "doc"]) == 1
    assert "may not manage users" in capsys.readouterr().err
    monkeypatch.setenv("MFCONSOLE_USER", "admin")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", PASSWORDS["admin"])
    start = last_seq(staff)
    assert main(["users", "unlock", "doc"]) == 0
    assert capsys.readouterr().out == "unlocked doc\n"
    assert audit_since(staff, start)[-1] == ("account_unlocked", "admin", {
        "username": "doc", "was_locked_until": until.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    assert staff.authenticate("doc", PASSWORDS["doc"]).username == "doc"
    assert main(["users", "unlock", "doc"]) == 1
    assert capsys.readouterr().err == "mfconsole: user doc is not locked\n"


def test_the_clinics_profile_sets_the_attempts_and_the_time(backend_url):
    profile = dataclasses.replace(PROFILE, sign_in_failed_attempts_lockout=2,
                                  sign_in_lockout_minutes=1)
    record = ClinicalRecord.open(backend_url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)),
                                 safety_profile=profile)
    record.add_user(None, "admin", "admin", PASSWORDS["admin"])
    with pytest.raises(AuthenticationFailed) as first:
        record.authenticate("admin", "not the password")
    assert not isinstance(first.value, AccountLocked)
    with pytest.raises(AccountLocked, match="after 2 failed sign-ins") as locked:
        record.authenticate("admin", "not the password")
    assert locked.value.until <= utc_now() + timedelta(minutes=1)
    record.close()


def test_the_sign_in_window_says_the_account_is_locked(qtbot, staff):
    from ui.shell.app import application
    from ui.shell.signin_dialog import SignInDialog

    application()
    until = lock(staff, "doc").until
    dialog = SignInDialog(staff)
    qtbot.addWidget(dialog)
    dialog.username.setText("doc")
    dialog.password.setText(PASSWORDS["doc"])
    dialog._try()
    assert dialog.user is None
    assert dialog.message.text().startswith(
        f"account doc is locked until {until:%Y-%m-%d %H:%M:%S} UTC")


@pytest.mark.parametrize("password", ["", " " * 12, " \t " * 5])
def test_a_blank_password_is_refused_when_set(staff, password):
    admin = staff.authenticate("admin", PASSWORDS["admin"])
    with pytest.raises(InvalidRecord) as refused:
        staff.add_user(admin, "eve", "clinician", password)
    assert str(refused.value) == BLANK_RULE
    with pytest.raises(InvalidRecord) as refused:
        staff.change_password(admin, "doc", password)
    assert str(refused.value) == BLANK_RULE
    assert staff.authenticate("doc", PASSWORDS["doc"]).username == "doc"


def test_the_command_line_refuses_a_blank_new_password(staff, backend_url, capsys,
                                                       monkeypatch):
    monkeypatch.setenv("MFCONSOLE_DB", backend_url)
    monkeypatch.setenv("MFCONSOLE_USER", "doc")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", PASSWORDS["doc"])
    monkeypatch.setenv("MFCONSOLE_NEW_PASSWORD", " " * 16)
    assert main(["users", "passwd", "doc"]) == 1
    assert capsys.readouterr().err == f"mfconsole: {BLANK_RULE}\n"


def test_a_record_from_before_the_lockout_keeps_its_users_and_gains_it(backend_url):
    from alembic import command

    from console.storage.database import WRITE_OPTION, create_record_engine
    from console.storage.migrate import _config

    engine = create_record_engine(backend_url).execution_options(**{WRITE_OPTION: True})
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0003")
        connection.execute(text(
            "INSERT INTO users (username, role, password_hash, disabled, created_at, revision) "
            "VALUES ('old.admin', 'admin', :hash, false, CURRENT_TIMESTAMP, 1)"),
            {"hash": FAST_HASHER.hash(PASSWORDS["admin"])})
    engine.dispose()
    record = ClinicalRecord.open_existing(backend_url, password_hasher=FAST_HASHER)
    with record.engine.connect() as connection:
        assert connection.execute(text(
            "SELECT failed_sign_ins, locked_until FROM users")).one() == (0, None)
    assert record.authenticate("old.admin", PASSWORDS["admin"]).username == "old.admin"
    assert lock(record, "old.admin").until > utc_now()
    with pytest.raises(Exception, match="kept for the record"), record.engine.begin() as conn:
        conn.execute(text("DELETE FROM users"))
    record.close()
