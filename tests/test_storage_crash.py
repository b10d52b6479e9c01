"""A console killed at any moment while saving leaves a record that opens, holds no partial
version, and whose audit chain verifies."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from console.audit import verify_chain
from console.storage import ClinicalRecord, InstallationKey
from console.storage.database import open_database

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 6

# The writer: every iteration is a version created, written and verified, plus a log
# download; it reports each finished iteration on stdout and is killed mid-way through one.
WRITER = r"""
import sys
from decimal import Decimal
from argon2 import PasswordHasher
from console.programming.program import LeadProgram, Program
from console.storage import ClinicalRecord, InstallationKey
from device_link.messages import LogEntry

record = ClinicalRecord.open(sys.argv[1], installation_key=InstallationKey(bytes(32)),
                             password_hasher=PasswordHasher(time_cost=1, memory_cost=1024,
                                                            parallelism=1))
doc = record.authenticate("doc", "doctor password 1")
latest = record.latest_version(doc, "SN1", 0)
latest_id = latest.id if latest else None
n = 0
while True:
    n += 1
    prog = Program((LeadProgram(True, 0, 1, Decimal(n % 200) / 10, 200), LeadProgram.off()),
                   20, Decimal(0), Decimal(0), Decimal(5), Decimal(10), 30)
    version = record.create_program_version(doc, "SN1", 0, prog, reason=f"iteration {n}",
                                            expected_latest=latest_id)
    latest_id = version.id
    version = record.mark_written(doc, version.id, version.record_crc, expected_revision=1)
    record.mark_verified(doc, version.id, version.record_crc, expected_revision=2)
    first = record.device_log(doc, "SN1")
    start = len(first)
    record.record_log_entries(doc, "SN1", [LogEntry(i, 1_700_000_000 + i, 1)
                                           for i in range(start, start + 30)])
    print("ok", n, flush=True)
"""


def _prepare(url: str) -> None:
    record = ClinicalRecord.open(url, installation_key=InstallationKey(bytes(32)),
                                 password_hasher=PasswordHasher(time_cost=1, memory_cost=1024,
                                                                parallelism=1))
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    doc = record.add_user(admin, "doc", "clinician", "doctor password 1")
    record.add_patient(doc, "P1")
    record.register_device(doc, "SN1", "MF-1", "1.0", patient_clinic_id="P1")
    record.close()


def _run_and_kill(url: str, finished_iterations: int) -> None:
    child = subprocess.Popen([sys.executable, "-c", WRITER, url], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(finished_iterations):
            line = child.stdout.readline()
            assert line.startswith("ok"), f"writer died: {line!r} {child.stderr.read()}"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def _check_consistent(url: str) -> int:
    engine = open_database(url)
    with engine.connect() as connection:
        scalar = lambda sql: connection.execute(text(sql)).scalar()  # noqa: E731
        if connection.dialect.name == "sqlite":
            assert scalar("PRAGMA integrity_check") == "ok"
        versions = scalar("SELECT count(*) FROM program_versions")
        assert scalar("SELECT count(*) FROM program_versions v WHERE NOT EXISTS (SELECT 1 FROM "
                      "program_status_events s WHERE s.version_id = v.id AND s.revision = 1 "
                      "AND s.status = 'draft')") == 0
        assert versions == scalar("SELECT count(*) FROM audit_entries "
                                  "WHERE event = 'version_created'")
        assert scalar("SELECT count(*) FROM program_status_events") == scalar(
            "SELECT count(*) FROM audit_entries WHERE event IN ('version_created', "
            "'program_written', 'program_verified', 'program_failed')")
        assert scalar("SELECT count(*) FROM device_log_entries") % 30 == 0
        assert scalar("SELECT max(device_index) + 1 FROM device_log_entries") == scalar(
            "SELECT count(*) FROM device_log_entries")
    result = verify_chain(engine)
    engine.dispose()
    assert result.ok, result.problem
    return versions


@pytest.mark.slow
def test_killing_a_writer_mid_save_never_leaves_a_partial_record(backend_url):
    _prepare(backend_url)
    rng = random.Random(1234)
    versions = 0
    for _ in range(ROUNDS):
        _run_and_kill(backend_url, rng.randint(1, 6))
        now = _check_consistent(backend_url)
        assert now > versions, "every round finishes at least one whole iteration"
        versions = now
