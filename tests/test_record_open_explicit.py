"""A record is never invented: a mistyped place is refused everywhere, and only the first
administrator (or the demo, on purpose) creates a record."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from console.cli.main import main
from console.storage import ClinicalRecord, InstallationKey, NoRecord
from tests.pg_harness import PostgresCluster
from tests.record_fixtures import FAST_HASHER

ROOT = Path(__file__).resolve().parent.parent
HOW_TO_CREATE = "mfconsole users add NAME --role admin"


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("MFCONSOLE_INSTALLATION_KEY", str(tmp_path / "installation.key"))
    monkeypatch.setenv("MFCONSOLE_USER", "admin")
    monkeypatch.setenv("MFCONSOLE_PASSWORD", "admin password 1")
    monkeypatch.setenv("MFCONSOLE_NEW_PASSWORD", "admin password 1")
    return monkeypatch


@pytest.mark.parametrize("argv", [
    ("patients", "list"),
    ("users", "list"),
    ("history", "list"),
    ("audit", "verify"),
    ("export", "history", "--format", "csv"),
    ("users", "add", "doc", "--role", "clinician"),
    ("users", "add", "second", "--role", "admin", "--user", "admin"),
    ("device", "--port", "/dev/no-such-port", "interrogate"),
])
def test_a_mistyped_path_is_refused_in_one_line_and_nothing_is_created(env, capsys, tmp_path,
                                                                       argv):
    missing = tmp_path / "no" / "such" / "dir" / "r.sqlite"
    env.setenv("MFCONSOLE_DB", str(missing))
    code, out, err = _cli(capsys, *argv)
    assert (code, out, err.count("\n")) == (1, "", 1)
    assert f"no clinical record in SQLite file {missing} (no such file)" in err
    assert HOW_TO_CREATE in err
    assert not (tmp_path / "no").exists()


def test_a_value_that_is_neither_a_path_nor_a_url_is_refused_by_the_real_program(tmp_path):
    environment = {**os.environ, "MFCONSOLE_DB": "notaurl", "MFCONSOLE_USER": "admin",
                   "MFCONSOLE_PASSWORD": "admin password 1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "console.cli.main", "patients", "list"],
                          cwd=tmp_path, env=environment, capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"mfconsole: no clinical record in SQLite file "
                                  f"{tmp_path / 'notaurl'} (no such file)")
    assert done.stderr.count("\n") == 1 and HOW_TO_CREATE in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_first_admin_creates_the_record_explicitly_and_says_so(env, capsys, tmp_path):
    place = tmp_path / "clinic" / "record.sqlite3"
    env.setenv("MFCONSOLE_DB", str(place))
    code, out, _ = _cli(capsys, "users", "add", "admin", "--role", "admin")
    assert code == 0
    assert out == (f"created a new clinical record: SQLite file {place}\n"
                   "added admin (admin) as the record's first admin\n")
    env.setenv("MFCONSOLE_NEW_PASSWORD", "doctor password 1")
    code, out, _ = _cli(capsys, "users", "add", "doc", "--role", "clinician", "--json")
    assert code == 0 and '"created_record": false' in out
    assert _cli(capsys, "patients", "list")[0] == 0


def test_a_refused_first_password_creates_nothing(env, capsys, tmp_path):
    place = tmp_path / "clinic" / "record.sqlite3"
    env.setenv("MFCONSOLE_DB", str(place))
    env.setenv("MFCONSOLE_NEW_PASSWORD", "          ")
    code, _, err = _cli(capsys, "users", "add", "admin", "--role", "admin")
    assert (code, err) == (1, "mfconsole: a password may not be empty or only spaces\n")
    assert not (tmp_path / "clinic").exists()


def test_an_empty_postgresql_database_is_refused_then_created_by_its_first_admin(
        env, capsys, postgres_cluster: PostgresCluster, fresh_postgres_url):
    env.setenv("MFCONSOLE_DB", fresh_postgres_url)
    code, _, err = _cli(capsys, "users", "list")
    assert code == 1 and "(the database is empty)" in err and HOW_TO_CREATE in err
    database = fresh_postgres_url.rsplit("/", 1)[1]
    with postgres_cluster.connect(database) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                            ).fetchone() == (0,)
    assert _cli(capsys, "users", "add", "admin", "--role", "admin")[0] == 0
    assert _cli(capsys, "users", "list")[0] == 0


def test_the_library_creates_a_record_only_for_its_first_admin(backend_url):
    record = ClinicalRecord.open(backend_url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    other_console = ClinicalRecord.open(backend_url, password_hasher=FAST_HASHER)
    assert not record.exists() and not record.has_users()
    with pytest.raises(NoRecord, match="mfconsole users add NAME --role admin"):
        record.authenticate("admin", "admin password 1")
    with pytest.raises(NoRecord):
        ClinicalRecord.open_existing(backend_url)
    assert not record.exists()  # the refused sign-in created nothing either
    record.add_user(None, "admin", "admin", "admin password 1")
    # A console opened before the record existed finds it once it does.
    assert other_console.authenticate("admin", "admin password 1").username == "admin"
    with ClinicalRecord.open_existing(backend_url).engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 1
    record.close()
    other_console.close()


def test_a_stop_with_a_mistyped_record_is_sent_but_creates_no_record(emulator, tmp_path,
                                                                     capsys, monkeypatch):
    missing = tmp_path / "typo" / "r.sqlite"
    monkeypatch.setenv("MFCONSOLE_DB", str(missing))
    code, out, err = _cli(capsys, "device", "--port", emulator.port, "stop")
    assert (code, out) == (0, "stopped (device was IDLE)\n")
    assert err.startswith(f"mfconsole: the stop was not recorded: no clinical record in "
                          f"SQLite file {missing}")
    assert not (tmp_path / "typo").exists()


def test_the_window_asks_about_a_mistyped_record_and_quitting_creates_nothing(
        tmp_path, monkeypatch, capsys):
    from ui.setup import start
    from ui.shell import app

    asked: list[str] = []
    monkeypatch.setattr(start, "ask_to_set_up", lambda where: asked.append(where) or False)
    missing = tmp_path / "no" / "r.sqlite"
    assert app.run(["--db", str(missing)]) == 1
    assert asked == [f"SQLite file {missing}"]
    assert capsys.readouterr().err == (f"mfconsole: no clinical record was set up in SQLite "
                                       f"file {missing}; nothing was created\n")
    assert not (tmp_path / "no").exists()

