"""A clinic for the outcomes and adverse events commands, each run as its own process.

One user per role; patient P001 has device SN1 implanted on ``IMPLANT``, P002 has no
device yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from console.storage import ClinicalRecord, InstallationKey
from console.storage.models import AuditEntryRow
from tests.emulator_harness import ROOT
from tests.record_fixtures import FAST_HASHER, table_rows

PASSWORDS = {"admin": "admin password 1", "doc": "doctor password 1",
             "th": "theatre password 1", "eng": "engineer password 1"}
ROLES = {"doc": "clinician", "th": "theatre", "eng": "engineer"}
IMPLANT = date(2025, 1, 10)
PROCESS_TIMEOUT_S = 120.0


@dataclass
class Clinic:
    url: str
    tmp: Path
    env: dict[str, str]

    def run(self, *argv: str, user: str = "doc") -> subprocess.CompletedProcess[str]:
        """``mfconsole ARGV`` as its own process, acting as ``user``."""
        environment = {**self.env, "MFCONSOLE_USER": user,
                       "MFCONSOLE_PASSWORD": PASSWORDS[user]}
        return subprocess.run([sys.executable, "-m", "console.cli.main", *argv], cwd=ROOT,
                              env=environment, capture_output=True, text=True,
                              timeout=PROCESS_TIMEOUT_S, check=False)

    def ok(self, *argv: str, user: str = "doc") -> str:
        result = self.run(*argv, user=user)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        return result.stdout

    def json(self, *argv: str, user: str = "doc") -> Any:
        return json.loads(self.ok(*argv, "--json", user=user))

    def refused(self, *argv: str, user: str = "doc") -> str:
        """The one line of an expected refusal (status 1, nothing on stdout)."""
        result = self.run(*argv, user=user)
        assert (result.returncode, result.stdout) == (1, ""), result
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result
        return result.stderr

    def rows(self, sql: str) -> list[tuple]:
        record = ClinicalRecord.open(self.url, password_hasher=FAST_HASHER)
        try:
            return table_rows(record, sql)
        finally:
            record.close()

    def audit(self, event: str) -> list[dict]:
        record = ClinicalRecord.open(self.url, password_hasher=FAST_HASHER)
        try:
            with record.engine.connect() as connection:
                rows = connection.execute(select(AuditEntryRow.details).where(
                    AuditEntryRow.event == event).order_by(AuditEntryRow.seq)).scalars().all()
        finally:
            record.close()
        return [json.loads(details) for details in rows]


def make_clinic(tmp: Path) -> Clinic:
    """The record, its users and patients, and the environment the processes run in."""
    key_file = tmp / "installation.key"
    url = f"sqlite:///{tmp / 'record.sqlite3'}"
    record = ClinicalRecord.open(url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey.load_or_create(key_file))
    try:
        admin = record.add_user(None, "admin", "admin", PASSWORDS["admin"])
        users = {name: record.add_user(admin, name, role, PASSWORDS[name])
                 for name, role in ROLES.items()}
        record.add_patient(users["doc"], "P001", name="Ada Example")
        record.add_patient(users["doc"], "P002")
        record.register_device(users["doc"], "SN1", "MF-1", "1.0.0",
                               patient_clinic_id="P001", implant_date=IMPLANT)
    finally:
        record.close()
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("MFCONSOLE_CLINIC_PROFILE", "MFCONSOLE_DB")}
    environment.update({
        "MFCONSOLE_DB": url, "MFCONSOLE_INSTALLATION_KEY": str(key_file),
        "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"),
        "XDG_STATE_HOME": str(tmp / "state"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    return Clinic(url, tmp, environment)
