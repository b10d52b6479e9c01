"""``mfconsole devices add|key|list``, the device commands taking their key from the record,
and ``mfconsole --help``: every command runs as its own process, as at a clinic.

The key a test stores is checked never to come back: not in any output, not in the audit
trail, not in the database file (it is kept encrypted with the installation key).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from console.storage import ClinicalRecord, InstallationKey
from console.storage.models import AuditEntryRow, PairingKeyRow
from tests.emulator_harness import ROOT
from tests.record_fixtures import FAST_HASHER

SERIAL = "EMU-000001"  # the emulator's serial
PASSWORDS = {"admin": "admin password 1", "doc": "doctor password 1",
             "th": "theatre password 1", "eng": "engineer password 1"}
ROLES = {"admin": "admin", "doc": "clinician", "th": "theatre", "eng": "engineer"}
PROCESS_TIMEOUT_S = 120.0
QT_PACKAGES = ("PySide6", "pyqtgraph", "shiboken6")


def write_key_file(directory: Path, name: str, text: str, mode: int = 0o600) -> Path:
    path = directory / name
    path.write_text(text, encoding="ascii")
    path.chmod(mode)
    return path


@dataclass
class Clinic:
    """A clinical record with one user per role and two patients; ``run`` is mfconsole."""

    url: str
    tmp: Path
    env: dict[str, str]
    outputs: list[str] = field(default_factory=list)

    def run(self, user: str, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``mfconsole ARGV`` through the script's entry point, acting as ``user``."""
        environment = {**self.env, "MFCONSOLE_USER": user,
                       "MFCONSOLE_PASSWORD": PASSWORDS[user], **env}
        result = subprocess.run([sys.executable, "-m", "ui.shell.entry", *argv], cwd=ROOT,
                                env=environment, capture_output=True, text=True,
                                timeout=PROCESS_TIMEOUT_S, check=False)
        self.outputs += [result.stdout, result.stderr]
        return result

    def refused(self, user: str, *argv: str) -> str:
        """The one-line refusal of ``mfconsole ARGV`` (status 1, nothing on stdout)."""
        result = self.run(user, *argv)
        assert (result.returncode, result.stdout) == (1, ""), result
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
        return result.stderr

    def open(self) -> ClinicalRecord:
        return ClinicalRecord.open(self.url, password_hasher=FAST_HASHER,
                                   installation_key=InstallationKey.load_or_create())

    def keys_stored(self) -> int:
        record = self.open()
        try:
            with record.engine.connect() as connection:
                return connection.execute(select(func.count()).select_from(
                    PairingKeyRow)).scalar_one()
        finally:
            record.close()

    def audit(self) -> list[tuple[str, str | None, str]]:
        """Every audit entry: event, actor and its details as stored (JSON text)."""
        record = self.open()
        try:
            with record.engine.connect() as connection:
                return [tuple(row) for row in connection.execute(select(
                    AuditEntryRow.event, AuditEntryRow.actor, AuditEntryRow.details
                ).order_by(AuditEntryRow.seq))]
        finally:
            record.close()


def make_clinic(url: str, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Clinic:
    """The record at ``url``, its installation key in ``tmp`` (here and in the commands)."""
    monkeypatch.setenv("MFCONSOLE_INSTALLATION_KEY", str(tmp / "installation.key"))
    environment = {**os.environ, "MFCONSOLE_DB": url,
                   "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"),
                   "XDG_STATE_HOME": str(tmp / "state"),
                   "PYTHONPATH": os.pathsep.join(filter(None, [
                       str(ROOT), os.environ.get("PYTHONPATH")]))}
    record = ClinicalRecord.open(url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey.load_or_create())
    try:
        admin = record.add_user(None, "admin", "admin", PASSWORDS["admin"])
        for name in ("doc", "th", "eng"):
            record.add_user(admin, name, ROLES[name], PASSWORDS[name])
        record.add_patient(admin, "P001")
        record.add_patient(admin, "P002")
    finally:
        record.close()
    return Clinic(url, tmp, environment)


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clinic:
    return make_clinic(f"sqlite:///{tmp_path / 'record.sqlite3'}", tmp_path, monkeypatch)


def test_add_links_a_device_and_adding_it_again_changes_nothing(clinic):
    result = clinic.run("th", "devices", "add", "SN-1", "--patient", "P001",
                        "--implanted", "2024-03-01", "--model", "MF-2")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "added device SN-1 to patient P001 (model MF-2, implanted " \
                            "2024-03-01)\n"
    again = clinic.run("doc", "devices", "add", "SN-1", "--patient", "P001", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "serial": "SN-1", "model": "MF-2", "firmware": None, "patient": "P001",
        "implant_date": "2024-03-01", "outcome": "unchanged", "changes": {}}
    result = clinic.run("doc", "devices", "add", "SN-1", "--patient", "P001")
    assert result.stdout == "device SN-1 is patient P001's already: nothing changed\n"
    registered = [(event, actor, json.loads(details)) for event, actor, details
                  in clinic.audit() if event.startswith("device_")]
    assert registered == [("device_registered", "th", {
        "serial": "SN-1", "model": "MF-2", "firmware": None, "patient": "P001",
        "implant_date": "2024-03-01"})]


def test_adding_again_records_only_what_is_new(clinic):
    assert clinic.run("doc", "devices", "add", "SN-2", "--patient", "P002").returncode == 0
    result = clinic.run("doc", "devices", "add", "SN-2", "--patient", "P002",
                        "--implanted", "2024-04-02")
    assert (result.returncode, result.stdout) == (
        0, "device SN-2: recorded implant date 2024-04-02\n")
    assert clinic.audit()[-1][:2] == ("device_updated", "doc")
    assert json.loads(clinic.audit()[-1][2]) == {
        "serial": "SN-2", "implant_date": [None, "2024-04-02"]}
    assert clinic.refused("doc", "devices", "add", "SN-2", "--patient", "P002",
                          "--implanted", "2024-04-03") == (
        "mfconsole: device SN-2 was implanted on 2024-04-02, not 2024-04-03\n")


def test_a_device_met_over_the_link_is_linked_to_its_patient(clinic):
    record = clinic.open()
    try:
        admin = record.authenticate("admin", PASSWORDS["admin"])
        record.register_device(admin, "SN-7", "MF-1", "2.0")  # connected, no patient yet
    finally:
        record.close()
    assert clinic.refused("doc", "devices", "add", "SN-7", "--patient", "P001",
                          "--model", "MF-9") == (
        "mfconsole: device SN-7 is recorded as model MF-1, not MF-9\n")
    result = clinic.run("doc", "devices", "add", "SN-7", "--patient", "P001", "--model", "MF-1")
    assert (result.returncode, result.stdout) == (0, "device SN-7: recorded patient P001\n")
    listed = json.loads(clinic.run("doc", "devices", "list", "--json").stdout)
    assert [(d["serial"], d["model"], d["firmware"], d["patient"], d["key_stored"])
            for d in listed] == [("SN-7", "MF-1", "2.0", "P001", False)]
    table = clinic.run("doc", "devices", "list").stdout.splitlines()
    assert table[1].split() == ["SN-7", "MF-1", "P001", "—", "not", "stored"]


def test_a_device_never_moves_to_another_patient(clinic):
    assert clinic.run("doc", "devices", "add", "SN-3", "--patient", "P001").returncode == 0
    entries = len(clinic.audit())
    assert clinic.refused("admin", "devices", "add", "SN-3", "--patient", "P002") == (
        "mfconsole: device SN-3 belongs to patient P001; a device never moves to another "
        "patient, so it cannot be added to patient P002\n")
    listed = json.loads(clinic.run("doc", "devices", "list", "--json").stdout)
    assert [(d["serial"], d["patient"]) for d in listed] == [("SN-3", "P001")]
    assert len(clinic.audit()) == entries + 2  # the two logins only


def test_add_refusals_name_what_is_wrong(clinic):
    assert clinic.refused("eng", "devices", "add", "SN-4", "--patient", "P001") == (
        "mfconsole: user eng (role engineer) may not add patients, devices and visits\n")
    assert clinic.refused("doc", "devices", "add", "SN-4", "--patient", "P009") == (
        "mfconsole: no patient with clinic ID 'P009'\n")
    assert clinic.refused("doc", "devices", "add", "SN-4", "--patient", "P001",
                          "--implanted", "2999-01-01") == (
        "mfconsole: implant date 2999-01-01 is in the future\n")
    assert clinic.refused("doc", "devices", "add", "SN-4", "--patient", "P001",
                          "--implanted", "last week") == (
        "mfconsole: implant date 'last week' is not a date like 2024-05-31\n")
    assert clinic.refused("doc", "devices", "add", "SERIAL-LONGER-THAN-16", "--patient",
                          "P001") == (
        "mfconsole: serial 'SERIAL-LONGER-THAN-16' must be 1-16 printable ASCII characters "
        "without spaces, as the device announces it\n")
    assert json.loads(clinic.run("doc", "devices", "list", "--json").stdout) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_key_is_stored_encrypted_audited_and_never_shown(backend, tmp_path, request,
                                                         monkeypatch):
    url = (f"sqlite:///{tmp_path / 'record.sqlite3'}" if backend == "sqlite"
           else request.getfixturevalue("fresh_postgres_url"))
    clinic = make_clinic(url, tmp_path, monkeypatch)
    secret = secrets.token_hex(32)
    path = write_key_file(tmp_path, "SN-5.key", secret + "\n")
    assert clinic.run("doc", "devices", "add", "SN-5", "--patient", "P001").returncode == 0
    result = clinic.run("eng", "devices", "key", "SN-5", "--key-file", str(path))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "stored the pairing key of device SN-5, encrypted in the " \
                            "clinical record\n"
    upper = write_key_file(tmp_path, "upper.key", secret.upper())  # no newline, capitals
    result = clinic.run("admin", "devices", "key", "SN-5", "--key-file", str(upper))
    assert result.stdout == "replaced the pairing key of device SN-5, encrypted in the " \
                            "clinical record\n"
    stored = [(actor, json.loads(details)) for event, actor, details in clinic.audit()
              if event == "pairing_key_stored"]
    assert stored == [("eng", {"device": "SN-5", "replaced": False}),
                      ("admin", {"device": "SN-5", "replaced": True})]

    table = clinic.run("th", "devices", "list")
    assert table.returncode == 0
    header, row = table.stdout.splitlines()
    assert header.split() == ["serial", "model", "patient", "implanted", "pairing", "key"]
    assert row.startswith("SN-5    —      P001     —          stored ") and row.endswith(
        " UTC by admin")
    listed = json.loads(clinic.run("th", "devices", "list", "--json").stdout)
    assert [{k: v for k, v in d.items() if k != "key_stored_at"} for d in listed] == [
        {"serial": "SN-5", "model": None, "firmware": None, "patient": "P001",
         "implant_date": None, "key_stored": True, "key_stored_by": "admin"}]
    assert listed[0]["key_stored_at"].endswith("+00:00")

    record = clinic.open()
    try:
        assert str(record.key_store().key_for("SN-5").reveal().hex()) == secret
    finally:
        record.close()
    everything = "".join(clinic.outputs) + repr(clinic.audit())
    assert secret not in everything.lower()
    if backend == "sqlite":
        database = (tmp_path / "record.sqlite3").read_bytes()
        assert secret.encode() not in database.lower()
        assert bytes.fromhex(secret) not in database


def test_key_refusals_store_nothing_and_say_why(clinic):
    secret = secrets.token_hex(32)
    good = write_key_file(clinic.tmp, "good.key", secret + "\n")
    assert clinic.run("doc", "devices", "add", "SN-6", "--patient", "P001").returncode == 0
    for user, role in (("doc", "clinician"), ("th", "theatre")):
        assert clinic.refused(user, "devices", "key", "SN-6", "--key-file", str(good)) == (
            f"mfconsole: user {user} (role {role}) may not store device pairing keys\n")
    assert clinic.refused("eng", "devices", "key", "SN-9", "--key-file", str(good)) == (
        "mfconsole: device SN-9 is not in the clinical record, so its key cannot be stored: "
        "add it with 'mfconsole devices add SN-9 --patient CLINIC_ID' (admin, clinician or "
        "theatre) first, then run this again\n")
    for mode in (0o644, 0o640, 0o604):
        shared = write_key_file(clinic.tmp, f"shared-{mode:o}.key", secret + "\n", mode)
        assert clinic.refused("eng", "devices", "key", "SN-6", "--key-file", str(shared)) == (
            f"mfconsole: key file {shared} is accessible to other users (mode {mode:04o}): "
            f"chmod 600 it; nothing was stored\n")
    for name, text, count in (("short", secret[:-1] + "\n", 63), ("long", secret + "0", 65),
                              ("two-newlines", secret + "\n\n", 65),
                              ("leading-space", " " + secret, 65), ("empty", "", 0)):
        path = write_key_file(clinic.tmp, f"{name}.key", text)
        assert clinic.refused("eng", "devices", "key", "SN-6", "--key-file", str(path)) == (
            f"mfconsole: key file {path} holds {count} characters, not the 64 hexadecimal "
            f"characters of a pairing key (one newline may follow them); nothing was stored\n")
    not_hex = write_key_file(clinic.tmp, "not-hex.key", secret[:9] + "g" + secret[10:])
    assert clinic.refused("eng", "devices", "key", "SN-6", "--key-file", str(not_hex)) == (
        f"mfconsole: key file {not_hex} has a character that is not hexadecimal (0-9, a-f) "
        f"at position 10; nothing was stored\n")
    missing = clinic.tmp / "missing.key"
    assert clinic.refused("eng", "devices", "key", "SN-6", "--key-file", str(missing)) == (
        f"mfconsole: key file {missing} cannot be opened (No such file or directory); "
        f"nothing was stored\n")
    assert clinic.keys_stored() == 0
    assert not any(event == "pairing_key_stored" for event, _, _ in clinic.audit())
    assert secret not in "".join(clinic.outputs)


def test_device_commands_take_the_key_from_the_record(clinic, emulator, key_file):
    """The emulator holds ``key_file``'s key; the command is given the record, not the file."""
    device = ("device", "--port", emulator.port, "--json", "interrogate")
    missing = clinic.refused("doc", *device)
    assert missing == (
        f"mfconsole: device {SERIAL} is not in the clinical record, so no pairing key is "
        f"stored for it: add it with 'mfconsole devices add {SERIAL} --patient CLINIC_ID' "
        f"(admin, clinician or theatre), then store its key with 'mfconsole devices key "
        f"{SERIAL} --key-file F' (admin or engineer)\n")
    assert clinic.run("doc", "devices", "add", SERIAL, "--patient", "P001").returncode == 0
    assert clinic.refused("doc", *device) == (
        f"mfconsole: no pairing key is stored for device {SERIAL}: store its key with "
        f"'mfconsole devices key {SERIAL} --key-file F' (admin or engineer)\n")
    assert clinic.run("eng", "devices", "key", SERIAL, "--key-file", str(key_file)
                      ).returncode == 0
    result = clinic.run("doc", *device)
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["identity"]["serial"] == SERIAL
    assert key_file.read_text().strip() not in "".join(clinic.outputs)


def test_the_local_record_gives_the_key_when_no_database_is_named(tmp_path, emulator,
                                                                  key_file, monkeypatch):
    """No --db, no MFCONSOLE_DB, no --key-file: the record at the default place is used."""
    local = tmp_path / "data" / "mfconsole" / "clinical-record.sqlite3"
    local.parent.mkdir(parents=True)
    clinic = make_clinic(f"sqlite:///{local}", tmp_path, monkeypatch)
    del clinic.env["MFCONSOLE_DB"]
    assert clinic.run("doc", "devices", "add", SERIAL, "--patient", "P002").returncode == 0
    assert clinic.run("eng", "devices", "key", SERIAL, "--key-file", str(key_file)
                      ).returncode == 0
    result = clinic.run("doc", "device", "--port", emulator.port, "interrogate")
    assert (result.returncode, result.stderr) == (0, "")
    assert f"serial               {SERIAL}" in result.stdout
    # The key served a signed-in user: the login is in the local record's audit trail.
    assert clinic.audit()[-1][:2] == ("login", "doc")
    wrong = clinic.run("doc", "device", "--port", emulator.port, "interrogate",
                       MFCONSOLE_PASSWORD="not the password")
    assert wrong.returncode == 1 and "password" in wrong.stderr


def test_without_any_record_the_message_says_where_a_key_comes_from(tmp_path, emulator):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
           "PYTHONPATH": str(ROOT)}
    env.pop("MFCONSOLE_DB", None)
    result = subprocess.run([sys.executable, "-m", "ui.shell.entry", "device", "--port",
                             emulator.port, "interrogate"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
                            check=False)
    assert (result.returncode, result.stderr) == (1, (
        "mfconsole: no pairing key: give --key-file (64 hexadecimal characters), or --db URL "
        "or MFCONSOLE_DB naming the clinical record that holds the device's key\n"))
    assert not (tmp_path / "data").exists()


@pytest.fixture
def without_qt(tmp_path: Path) -> dict[str, str]:
    """An environment where Qt's packages refuse to import, as where Qt is not installed."""
    stubs = tmp_path / "no-qt"
    for name in QT_PACKAGES:
        (stubs / name).mkdir(parents=True)
        (stubs / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named {name!r}\", name={name!r})\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join((str(stubs), str(ROOT)))}


def test_help_shows_the_window_and_the_commands_without_qt(without_qt):
    from ui.shell.entry import WINDOW_OPTIONS

    result = subprocess.run([sys.executable, "-m", "ui.shell.entry", "--help"], cwd=ROOT,
                            env=without_qt, capture_output=True, text=True,
                            timeout=PROCESS_TIMEOUT_S, check=False)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    text = result.stdout
    assert text.startswith("usage: mfconsole [--db URL]")
    assert "mfconsole --demo [--demo-role ROLE]" in text
    assert "The window (mfconsole without a command):" in text
    for option in WINDOW_OPTIONS:
        assert f"\n  {option} " in text, option
    assert "clinician, theatre, engineer, admin" in text
    for command in ("device", "devices", "users", "patients", "emulator"):
        assert f"\n    {command} " in text, command
    assert "'devices key SERIAL --key-file F'" in text


def test_devices_help_says_what_adding_again_does(without_qt):
    def help_of(*argv: str) -> str:
        result = subprocess.run([sys.executable, "-m", "ui.shell.entry", *argv, "--help"],
                                cwd=ROOT, env=without_qt, capture_output=True, text=True,
                                timeout=PROCESS_TIMEOUT_S, check=False)
        assert result.returncode == 0, result.stderr
        return " ".join(result.stdout.split())

    add = help_of("devices", "add")
    assert "usage: mfconsole devices add" in add
    assert "a serial that is already another patient's is refused, never moved" in add
    assert "Adding a device again to its own patient records only what is new" in add
    assert "otherwise changes nothing; either way the command succeeds" in add
    key = help_of("devices", "key")
    assert "(mode 0600) holding exactly 64 hexadecimal characters" in key
    assert "Roles: admin or engineer." in key
    assert "--json" in help_of("devices", "list")
