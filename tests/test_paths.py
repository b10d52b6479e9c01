"""Where the console keeps what it writes: one module decides, every part agrees, and
``mfconsole paths`` says it, hiding a database password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from console import paths
from console.storage.config import database_url, default_database_path
from console.storage.installation_key import installation_key_path
from ui.placement.keeping import report_directory
from ui.shell.zoom import user_settings

SOURCE = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user whose folders are all under ``tmp_path``, with nothing moved by MFCONSOLE_*."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for variable, folder in (("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                             ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(variable, str(tmp_path / folder))
    for variable in (paths.ENV_DATABASE, paths.ENV_INSTALLATION_KEY):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def _cli(home: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``mfconsole ARGV`` as its own process, for the user of ``home``."""
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(SOURCE),
                   "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                   "XDG_CONFIG_HOME": str(home / "config"),
                   "XDG_STATE_HOME": str(home / "state"), **env}
    return subprocess.run([sys.executable, "-m", "ui.shell.entry", *argv], cwd=home,
                          env=environment, capture_output=True, text=True, timeout=60)


def test_every_location_is_the_users_platform_folder(home):
    assert paths.record_file() == home / "data" / "mfconsole" / "clinical-record.sqlite3"
    assert paths.installation_key_file() == home / "config" / "mfconsole" / "installation.key"
    assert paths.settings_file() == home / "config" / "mfconsole" / "settings.ini"
    assert paths.log_folder() == home / "state" / "mfconsole" / "log"
    assert paths.reports_folder() == home / "Documents" / "Multifidus placement reports"


def test_the_record_the_key_the_settings_and_the_reports_come_from_paths(home):
    assert default_database_path() == paths.record_file()
    assert database_url(None) == f"sqlite:///{paths.record_file()}"
    assert installation_key_path() == paths.installation_key_file()
    assert Path(user_settings().fileName()) == paths.settings_file()
    assert report_directory(SimpleNamespace(demo=False)) == paths.reports_folder()
    assert report_directory(SimpleNamespace(demo=True)) == paths.demo_reports_folder()
    assert paths.demo_reports_folder() != paths.reports_folder()


def test_environment_variables_move_the_record_and_the_key(home, monkeypatch):
    monkeypatch.setenv(paths.ENV_DATABASE, str(home / "elsewhere" / "record.sqlite3"))
    monkeypatch.setenv(paths.ENV_INSTALLATION_KEY, "~/keys/clinic.key")
    record, key = paths.locations()[:2]
    assert (record.name, record.where, record.moved) == (
        "record", str(home / "elsewhere" / "record.sqlite3"), True)
    assert (key.name, key.where, key.moved) == ("installation key",
                                                str(home / "keys" / "clinic.key"), True)
    assert paths.installation_key_file() == home / "keys" / "clinic.key"


def test_a_record_url_is_shown_without_its_password(home, monkeypatch):
    monkeypatch.setenv(paths.ENV_DATABASE, "postgresql+psycopg://mf:s3cret@db.clinic/mf")
    record = paths.locations()[0]
    assert record.where == "postgresql+psycopg://mf:***@db.clinic/mf"
    assert record.moved_by == paths.ENV_DATABASE


def test_paths_command_names_every_location(home):
    done = _cli(home, "paths")
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    for name, where in (("record", home / "data" / "mfconsole" / "clinical-record.sqlite3"),
                        ("installation key", home / "config" / "mfconsole" / "installation.key"),
                        ("clinic profile",
                         home / "config" / "mfconsole" / "clinic_profile.toml"),
                        ("settings", home / "config" / "mfconsole" / "settings.ini"),
                        ("logs", home / "state" / "mfconsole" / "log"),
                        ("reports", home / "Documents" / "Multifidus placement reports")):
        assert any(line.startswith(name) and line.endswith(f"  {where}") for line in lines), \
            (name, done.stdout)
    assert "MFCONSOLE_DB moves it" in done.stdout
    assert "MFCONSOLE_INSTALLATION_KEY moves it" in done.stdout


def test_paths_json_for_scripts_never_shows_a_password(home):
    done = _cli(home, "paths", "--json",
                MFCONSOLE_DB="postgresql+psycopg://mf:s3cret@db.clinic/mf",
                MFCONSOLE_INSTALLATION_KEY=str(home / "clinic.key"))
    assert (done.returncode, done.stderr) == (0, "")
    assert "s3cret" not in done.stdout
    shown = json.loads(done.stdout)
    assert list(shown) == ["record", "installation_key", "clinic_profile", "settings", "logs",
                           "reports"]
    assert shown["record"] == {"where": "postgresql+psycopg://mf:***@db.clinic/mf",
                               "holds": "patients, programs, measurements, users, audit trail",
                               "environment": "MFCONSOLE_DB", "from_environment": True}
    assert shown["installation_key"]["where"] == str(home / "clinic.key")
    assert shown["installation_key"]["from_environment"] is True
    assert shown["logs"] == {"where": str(home / "state" / "mfconsole" / "log"),
                             "holds": "tracebacks of unexpected internal errors",
                             "environment": None, "from_environment": False}
