"""Where the console keeps what it writes: one module, so every part agrees and
``mfconsole paths`` and ``docs/installing.md`` can say exactly where each thing is.

The folders are the platform's own for the signed-in user (``platformdirs``): a Linux
user's XDG folders, ``~/Library`` on macOS, ``%LOCALAPPDATA%`` on Windows. The record
and the installation key can each be moved by an environment variable; nothing here
creates a folder, that is done by whatever first writes there.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "mfconsole"
ENV_DATABASE = "MFCONSOLE_DB"
ENV_INSTALLATION_KEY = "MFCONSOLE_INSTALLATION_KEY"
ENV_CLINIC_PROFILE = "MFCONSOLE_CLINIC_PROFILE"
CLINIC_PROFILE_FILENAME = "clinic_profile.toml"
RECORD_FILENAME = "clinical-record.sqlite3"
INSTALLATION_KEY_FILENAME = "installation.key"
SETTINGS_FILENAME = "settings.ini"
REPORTS_FOLDER = "Multifidus placement reports"
DEMO_REPORTS_FOLDER = "mfconsole-demo-reports"
ICON_PNG = "icons/mfconsole.png"
ICON_SVG = "icons/mfconsole.svg"
DESKTOP_ENTRY = "desktop/mfconsole.desktop"


def record_file() -> Path:
    """The local SQLite record used when neither ``--db`` nor ``MFCONSOLE_DB`` names one."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / RECORD_FILENAME


def installation_key_file() -> Path:
    """The key that encrypts pairing keys in the record: ``MFCONSOLE_INSTALLATION_KEY``,
    else a file in the user's configuration folder, never in the database."""
    override = os.environ.get(ENV_INSTALLATION_KEY)
    if override:
        return Path(override).expanduser()
    return config_folder() / INSTALLATION_KEY_FILENAME


def clinic_profile_file() -> Path:
    """Where the installation's clinic profile is looked for (the built-in one serves while
    no file is there)."""
    override = os.environ.get(ENV_CLINIC_PROFILE)
    if override:
        return Path(override).expanduser()
    return config_folder() / CLINIC_PROFILE_FILENAME


def config_folder() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def settings_file() -> Path:
    """The window's preferences (its zoom), an INI file on every platform."""
    return config_folder() / SETTINGS_FILENAME


def log_folder() -> Path:
    """Where an unexpected internal error leaves its traceback."""
    return Path(platformdirs.user_log_dir(APP_NAME))


def reports_folder() -> Path:
    """Where the window saves placement reports: the user's documents, to be found again."""
    return Path(platformdirs.user_documents_dir()) / REPORTS_FOLDER


def demo_reports_folder() -> Path:
    """Reports made in the demo: the temporary folder, never the clinic's documents."""
    return Path(tempfile.gettempdir()) / DEMO_REPORTS_FOLDER


def shipped(name: str) -> Path:
    """A file shipped in the package's ``resources/`` (``"icons/mfconsole.png"``): a plain
    file wherever the console is installed, since wheels are installed unpacked."""
    return Path(str(resources.files("resources").joinpath(name)))


def desktop_data_folder() -> Path:
    """Where a Linux desktop looks for a user's menu entries and icons (``$XDG_DATA_HOME``)."""
    configured = os.environ.get("XDG_DATA_HOME", "")
    if os.path.isabs(configured):
        return Path(configured)
    return Path.home() / ".local" / "share"


def desktop_integration_supported() -> bool:
    """Menu entries of the freedesktop kind exist on Linux and the BSDs, not macOS or Windows."""
    return not sys.platform.startswith(("darwin", "win32", "cygwin"))


@dataclass(frozen=True)
class Location:
    """One place the console reads or writes, for people: what it holds and what moves it."""

    name: str
    where: str
    holds: str
    moved_by: str | None = None
    moved: bool = False


def locations() -> tuple[Location, ...]:
    """Every place, in the order a clinic backs them up: record first, then its key."""
    return (
        _record_location(),
        Location("installation key", str(installation_key_file()),
                 "unlocks the pairing keys in the record: back it up with the record",
                 ENV_INSTALLATION_KEY, bool(os.environ.get(ENV_INSTALLATION_KEY))),
        Location("clinic profile", str(clinic_profile_file()),
                 "the clinic's prescription, usage flags, handout words and outcome rules "
                 "(the built-in profile serves while this file is absent)",
                 ENV_CLINIC_PROFILE, bool(os.environ.get(ENV_CLINIC_PROFILE))),
        Location("settings", str(settings_file()), "the window's zoom"),
        Location("logs", str(log_folder()), "tracebacks of unexpected internal errors"),
        Location("reports", str(reports_folder()), "placement test and visit reports (PDF)"),
    )


def _record_location() -> Location:
    holds = "patients, programs, measurements, users, audit trail"
    chosen = os.environ.get(ENV_DATABASE, "")
    if not chosen:
        return Location("record", str(record_file()), holds, ENV_DATABASE)
    if "://" in chosen:
        where = _without_password(chosen)
    else:
        where = str(Path(chosen).expanduser().resolve())
    return Location("record", where, holds, ENV_DATABASE, moved=True)


def _without_password(url: str) -> str:
    """A database URL fit to print: a password in it is shown as ``***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"
