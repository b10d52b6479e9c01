"""Users: roles, argon2id passwords, audited logins, disabling, and what each role may do."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from console.accounts import (
    PERMISSIONS,
    Action,
    AuthenticationFailed,
    PermissionDenied,
    Role,
    User,
    allowed,
    require,
)
from console.cli.main import main
from console.storage import ClinicalRecord, ConflictError, InvalidRecord, NotFound
from console.storage.setup import set_up_record


@pytest.fixture()
def admin(record):
    return record.add_user(None, "admin", "admin", "admin password 1")


def _audit(record) -> list[tuple]:
    with record.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(
            "SELECT event, actor, details FROM audit_entries ORDER BY seq"))]


def test_the_first_user_is_an_admin_added_without_login(record):
    assert not record.has_users()
    with pytest.raises(InvalidRecord, match="first user must be an admin"):
        record.add_user(None, "doc", "clinician", "doctor password 1")
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    assert admin.role is Role.ADMIN and record.has_users()
    with pytest.raises(PermissionDenied, match="only the first user"):
        record.add_user(None, "second", "admin", "second password 1")
    assert _audit(record) == [("user_added", None,
                               '{"bootstrap":true,"role":"admin","username":"admin"}')]


def test_passwords_are_stored_as_argon2id_hashes_only(record, admin):
    record.add_user(admin, "doc", "clinician", "doctor password 1")
    with record.engine.connect() as connection:
        hashes = [row[0] for row in connection.execute(text("SELECT password_hash FROM users"))]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any("password 1" in h for h in hashes)


def test_logins_and_failed_logins_are_audited(record, admin):
    record.add_user(admin, "doc", "clinician", "doctor password 1")
    assert record.authenticate("doc", "doctor password 1").username == "doc"
    for username, password in (("doc", "wrong password"), ("nobody", "whatever it is")):
        with pytest.raises(AuthenticationFailed, match="unknown user, wrong password"):
            record.authenticate(username, password)
    events = [(e, a, d) for e, a, d in _audit(record) if e.startswith("login")]
    assert events == [
        ("login", "doc", '{"username":"doc"}'),
        ("login_failed", None, '{"reason":"wrong password","username":"doc"}'),
        ("login_failed", None, '{"reason":"unknown user","username":"nobody"}')]


def test_a_disabled_user_can_neither_log_in_nor_act(record, admin):
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    record.disable_user(admin, "doc")
    with pytest.raises(AuthenticationFailed):
        record.authenticate("doc", "doctor password 1")
    # A session opened before the account was disabled cannot act any more either.
    with pytest.raises(PermissionDenied, match="disabled"):
        record.add_patient(doc, "P1")
    assert [u.disabled for u in record.list_users(admin) if u.username == "doc"] == [True]


def test_users_are_never_deleted_from_the_database(record, admin):
    with pytest.raises(Exception, match="kept for the record"), record.engine.begin() as conn:
        conn.execute(text("DELETE FROM users"))
    assert [u.username for u in record.list_users(admin)] == ["admin"]


def test_generic_audit_entries_need_an_enabled_user_or_none(record, admin):
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    record.audit("console_started", None, {})
    record.disable_user(admin, "doc")
    with pytest.raises(PermissionDenied, match="disabled"):
        record.audit("note", doc, {"text": "after being disabled"})


def test_the_last_enabled_admin_cannot_be_disabled(record, admin):
    with pytest.raises(ConflictError, match="last enabled admin"):
        record.disable_user(admin, "admin")
    record.add_user(admin, "admin2", "admin", "admin password 2")
    record.disable_user(admin, "admin2")
    with pytest.raises(ConflictError, match="disabled already"):
        record.disable_user(admin, "admin2")


def test_users_change_their_own_password_and_admins_anyones(record, admin):
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    nurse = record.add_user(admin, "nurse", "theatre", "nurse password 1")
    record.change_password(doc, "doc", "doctor password 2")
    record.authenticate("doc", "doctor password 2")
    with pytest.raises(PermissionDenied):
        record.change_password(nurse, "doc", "nurse chose this")
    record.change_password(admin, "nurse", "reset by admin 1")
    record.authenticate("nurse", "reset by admin 1")
    with pytest.raises(InvalidRecord, match="at least 10 characters"):
        record.change_password(doc, "doc", "short")


def test_a_role_change_is_audited_and_the_last_enabled_admin_keeps_theirs(record, admin):
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    assert record.change_role(admin, "doc", "engineer").role is Role.ENGINEER
    assert record.authenticate("doc", "doctor password 1").role is Role.ENGINEER
    assert _audit(record)[-2] == ("role_changed", "admin",
                                  '{"from":"clinician","to":"engineer","username":"doc"}')
    with pytest.raises(ConflictError, match="has the role engineer already"):
        record.change_role(admin, "doc", "engineer")
    with pytest.raises(ConflictError, match="last enabled admin and cannot be made clinician"):
        record.change_role(admin, "admin", "clinician")
    with pytest.raises(InvalidRecord, match="role 'surgeon'"):
        record.change_role(admin, "doc", "surgeon")
    with pytest.raises(PermissionDenied, match="may not manage users"):
        record.change_role(doc, "doc", "admin")
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        record.change_role(admin, "nobody", "admin")
    record.change_role(admin, "doc", "admin")
    assert record.change_role(admin, "admin", "clinician").role is Role.CLINICIAN
    with pytest.raises(PermissionDenied, match="may not manage users"):
        record.change_role(admin, "doc", "clinician")


def test_a_disabled_admin_does_not_count_as_the_admin_kept(record, admin):
    record.add_user(admin, "admin2", "admin", "admin password 2")
    record.disable_user(admin, "admin2")
    with pytest.raises(ConflictError, match="last enabled admin"):
        record.change_role(admin, "admin", "engineer")
    assert record.change_role(admin, "admin2", "engineer").role is Role.ENGINEER


def test_full_names_are_kept_trimmed_and_bounded(record, admin):
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1",
                          full_name="  Dr Ada Jones ")
    assert doc.full_name == "Dr Ada Jones"
    assert record.add_user(admin, "nurse", "theatre", "nurse password 1",
                           full_name="   ").full_name is None
    with pytest.raises(InvalidRecord, match="full name is 201 characters, at most 200"):
        record.add_user(admin, "eve", "theatre", "eve password 12", full_name="x" * 201)
    assert record.authenticate("doc", "doctor password 1").full_name == "Dr Ada Jones"


def test_administrators_see_every_account_with_its_lock(record, admin):
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    for _ in range(record.safety_profile().sign_in_failed_attempts_lockout):
        with pytest.raises(AuthenticationFailed):
            record.authenticate("doc", "wrong password")
    accounts = {a.user.username: a for a in record.user_accounts(admin)}
    assert accounts["admin"].locked_until is None
    assert accounts["doc"].locked_until is not None
    with pytest.raises(PermissionDenied, match="may not manage users"):
        record.user_accounts(doc)


def test_usernames_and_roles_are_checked(record, admin):
    with pytest.raises(InvalidRecord, match="username 'Bad Name'"):
        record.add_user(admin, "Bad Name", "clinician", "doctor password 1")
    with pytest.raises(InvalidRecord, match="role 'surgeon'"):
        record.add_user(admin, "doc", "surgeon", "doctor password 1")
    record.add_user(admin, "doc", "clinician", "doctor password 1")
    with pytest.raises(ConflictError, match="exists already"):
        record.add_user(admin, "doc", "engineer", "doctor password 1")


def test_only_admins_manage_users(record, admin):
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    with pytest.raises(PermissionDenied, match="may not manage users"):
        record.add_user(doc, "eve", "admin", "eve password 12")
    with pytest.raises(PermissionDenied):
        record.list_users(doc)


def test_a_user_unknown_to_this_record_cannot_act(record, admin):
    impostor = User(admin.id, "someone", Role.ADMIN)
    with pytest.raises(PermissionDenied, match="not a user of this record"):
        record.list_users(impostor)


@pytest.mark.parametrize(("role", "action", "expected"), [
    (Role.CLINICIAN, Action.PROGRAM_DEVICE, True),
    (Role.THEATRE, Action.PROGRAM_DEVICE, False),
    (Role.THEATRE, Action.TEST_STIMULATION, True),
    (Role.ENGINEER, Action.TEST_STIMULATION, False),
    (Role.ENGINEER, Action.MANAGE_PAIRING_KEYS, True),
    (Role.ADMIN, Action.MANAGE_USERS, True),
    (Role.ADMIN, Action.PROGRAM_DEVICE, False),
    (Role.CLINICIAN, Action.MANAGE_USERS, False),
])
def test_the_permission_table(role, action, expected):
    user = User(1, "u", role)
    assert allowed(user, action) is expected
    if expected:
        require(user, action)
    else:
        with pytest.raises(PermissionDenied, match=action.value):
            require(user, action)


def test_every_action_has_a_rule_and_every_role_may_view():
    assert set(PERMISSIONS) == set(Action)
    assert PERMISSIONS[Action.VIEW_RECORD] == frozenset(Role)
    assert not allowed(User(1, "u", Role.ADMIN, disabled=True), Action.VIEW_RECORD)


# The command line: bootstrap, acting user, errors as one line.

def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def cli_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MFCONSOLE_DB", str(tmp_path / "record.sqlite3"))
    monkeypatch.setenv("MFCONSOLE_INSTALLATION_KEY", str(tmp_path / "installation.key"))
    monkeypatch.delenv("MFCONSOLE_USER", raising=False)
    monkeypatch.delenv("MFCONSOLE_PASSWORD", raising=False)
    return monkeypatch


def test_cli_users_bootstrap_add_list_disable_passwd(cli_env, capsys):
    cli_env.setenv("MFCONSOLE_NEW_PASSWORD", "admin password 1")
    code, out, _ = _cli(capsys, "users", "add", "admin", "--role", "admin")
    assert code == 0 and "first admin" in out
    cli_env.setenv("MFCONSOLE_USER", "admin")
    cli_env.setenv("MFCONSOLE_PASSWORD", "admin password 1")
    cli_env.setenv("MFCONSOLE_NEW_PASSWORD", "doctor password 1")
    assert _cli(capsys, "users", "add", "doc", "--role", "clinician", "--json")[0] == 0
    code, out, _ = _cli(capsys, "users", "list", "--json")
    assert '"username": "doc"' in out and '"disabled": false' in out
    cli_env.setenv("MFCONSOLE_NEW_PASSWORD", "doctor password 2")
    assert _cli(capsys, "users", "passwd", "doc")[0] == 0
    assert _cli(capsys, "users", "disable", "doc")[0] == 0
    code, out, _ = _cli(capsys, "users", "list")
    assert "doc    clinician  disabled" in out


def test_cli_refusals_are_one_line_errors(cli_env, capsys):
    cli_env.setenv("MFCONSOLE_NEW_PASSWORD", "admin password 1")
    _cli(capsys, "users", "add", "admin", "--role", "admin")
    code, _, err = _cli(capsys, "users", "list")
    assert (code, err) == (1, "mfconsole: who is acting? give --user NAME or set "
                              "MFCONSOLE_USER\n")
    cli_env.setenv("MFCONSOLE_PASSWORD", "not the password")
    code, _, err = _cli(capsys, "users", "list", "--user", "admin")
    assert code == 1 and err.count("\n") == 1 and "wrong password" in err
    cli_env.setenv("MFCONSOLE_PASSWORD", "admin password 1")
    code, _, err = _cli(capsys, "users", "add", "admin", "--role", "clinician", "--user",
                        "admin")
    assert (code, err) == (1, "mfconsole: user admin exists already\n")


def test_cli_without_a_password_and_no_terminal_says_how_to_give_one(cli_env, capsys,
                                                                     monkeypatch):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = _cli(capsys, "users", "add", "admin", "--role", "admin")
    assert (code, err) == (1, "mfconsole: no password: set MFCONSOLE_NEW_PASSWORD or run in "
                              "a terminal\n")


def test_setting_up_makes_the_installation_key_then_the_first_admin(monkeypatch, tmp_path):
    key = tmp_path / "config" / "installation.key"
    monkeypatch.setenv("MFCONSOLE_INSTALLATION_KEY", str(key))
    record = ClinicalRecord.open(f"sqlite:///{tmp_path / 'record.sqlite3'}")
    try:
        with pytest.raises(InvalidRecord, match="at least 10 characters"):
            set_up_record(record, "admin", "short")
        assert not key.exists() and not record.exists()
        made = set_up_record(record, "admin", "admin password 1", full_name="Ada Admin")
        assert made.created_record and made.created_installation_key
        assert made.installation_key == key and key.stat().st_mode & 0o077 == 0
        assert made.admin.role is Role.ADMIN and made.admin.full_name == "Ada Admin"
        with pytest.raises(ConflictError, match="has users already: sign in to it"):
            set_up_record(record, "second", "admin password 2")
    finally:
        record.close()


def test_cli_bootstrap_creates_the_installation_key_and_keeps_the_full_name(cli_env, capsys,
                                                                          tmp_path):
    cli_env.setenv("MFCONSOLE_NEW_PASSWORD", "admin password 1")
    code, out, _ = _cli(capsys, "users", "add", "admin", "--role", "admin", "--full-name",
                        "Ada Admin")
    assert code == 0 and (tmp_path / "installation.key").exists()
    cli_env.setenv("MFCONSOLE_USER", "admin")
    cli_env.setenv("MFCONSOLE_PASSWORD", "admin password 1")
    cli_env.setenv("MFCONSOLE_NEW_PASSWORD", "doctor password 1")
    assert _cli(capsys, "users", "add", "doc", "--role", "clinician")[0] == 0
    code, out, _ = _cli(capsys, "users", "list", "--json")
    assert code == 0 and '"username": "admin"' in out
    assert _cli(capsys, "users", "add", "eve", "--role", "theatre", "--full-name",
                "Eve Nurse")[0] == 0
    record = ClinicalRecord.open_existing(f"sqlite:///{tmp_path / 'record.sqlite3'}")
    try:
        admin = record.authenticate("admin", "admin password 1")
        assert {a.user.username: a.user.full_name for a in record.user_accounts(admin)} == {
            "admin": "Ada Admin", "doc": None, "eve": "Eve Nurse"}
    finally:
        record.close()
