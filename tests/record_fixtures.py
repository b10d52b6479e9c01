"""The clinical record on each backend, with a password hasher fast enough for tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from console.accounts.roles import User
from console.device.record_keeper import RecordKeeper
from console.storage import ClinicalRecord, InstallationKey

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""argon2id still, with minimal cost: the tests check behaviour, not hashing strength."""


@pytest.fixture()
def record(backend_url) -> Iterator[ClinicalRecord]:
    """An empty record on each backend in turn (``backend_url`` is parametrized)."""
    opened = ClinicalRecord.open(backend_url, password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    yield opened
    opened.close()


@pytest.fixture
def keeper(tmp_path: Path) -> Iterator[RecordKeeper]:
    """A clinician's keeper on a fresh SQLite record."""
    record = ClinicalRecord.open(f"sqlite:///{tmp_path / 'record.sqlite3'}",
                                 password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    doctor = record.add_user(admin, "doc", "clinician", "doctor password 1")
    yield RecordKeeper(record, doctor)
    record.close()


def staff_by_role(record: ClinicalRecord) -> dict[str, User]:
    """An admin and one user of every other role, each named after the role."""
    admin = record.add_user(None, "admin", "admin", "admin password 1")
    users = {role: record.add_user(admin, role, role, f"{role} password 1")
             for role in ("clinician", "theatre", "engineer")}
    return {**users, "admin": admin}


def table_rows(record: ClinicalRecord, sql: str) -> list[tuple]:
    """The rows a raw SQL query returns, as tuples: what is really in the tables."""
    with record.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]
