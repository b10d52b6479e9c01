"""A damaged SQLite record is refused, never written to, and ``audit verify`` says it is damaged.

The damage is real: bytes in the middle of a b-tree page that holds rows (users or audit
entries) are overwritten, as a failing disk or a stray write would.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from console.storage import ClinicalRecord, DamagedRecord, InstallationKey
from tests.record_fixtures import FAST_HASHER

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {"admin": "admin password 1", "doc": "doctor password 1",
             "nurse": "nurse password 1"}
TABLE_LEAF = 0x0D
TABLE_INTERIOR = 0x05


@pytest.fixture()
def record_file(tmp_path: Path) -> Path:
    """A closed SQLite record with three users and 200 audit entries, all in the main file."""
    path = tmp_path / "record.sqlite3"
    record = ClinicalRecord.open(f"sqlite:///{path}", password_hasher=FAST_HASHER,
                                 installation_key=InstallationKey(bytes(32)))
    admin = record.add_user(None, "admin", "admin", PASSWORDS["admin"])
    record.add_user(admin, "doc", "clinician", PASSWORDS["doc"])
    record.add_user(admin, "nurse", "theatre", PASSWORDS["nurse"])
    for n in range(200):
        record.audit("note", admin, {"n": n, "text": "x" * 50})
    record.close()
    assert wal_is_empty(path), "the WAL was checkpointed on close"
    return path


def wal_is_empty(path: Path) -> bool:
    """True when no write is waiting in the write-ahead log beside ``path``."""
    wal = Path(f"{path}-wal")
    return not wal.exists() or wal.stat().st_size == 0


def _root_page(path: Path, kind: str, table: str) -> tuple[int, int]:
    """The page size, and the root page of ``table`` (kind "table") or of its index."""
    with closing(sqlite3.connect(path)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE type = ? AND "
                                  "tbl_name = ?", (kind, table)).fetchone()[0]
    return page_size, root


def _first_leaf(data: bytes, page_size: int, page: int) -> int:
    """Follow a table b-tree's leftmost children down to a leaf page that holds rows."""
    start = (page - 1) * page_size
    kind = data[start]
    if kind == TABLE_LEAF:
        return page
    assert kind == TABLE_INTERIOR, f"page {page} is not a table b-tree page"
    first_cell = struct.unpack(">H", data[start + 12:start + 14])[0]
    return _first_leaf(data, page_size,
                       struct.unpack(">I", data[start + first_cell:start + first_cell + 4])[0])


def damage_rows(path: Path, table: str) -> None:
    """Overwrite 256 bytes in the middle of the rows of a leaf page of ``table``."""
    page_size, root = _root_page(path, "table", table)
    data = path.read_bytes()
    leaf = _first_leaf(data, page_size, root)
    page_start = (leaf - 1) * page_size
    content_start = struct.unpack(">H", data[page_start + 5:page_start + 7])[0]
    length = min(256, page_size - content_start)
    offset = page_start + content_start + (page_size - content_start - length) // 2
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(b"\xa5" * length)


def damage_username_index(path: Path) -> None:
    """Change one user name in the unique index only: the pages stay well formed, so only
    ``integrity_check`` (every index against its table) notices, not ``quick_check``."""
    page_size, root = _root_page(path, "index", "users")
    data = bytearray(path.read_bytes())
    page = slice((root - 1) * page_size, root * page_size)
    assert data[page].count(b"nurse") == 1
    data[page] = bytes(data[page]).replace(b"nurse", b"nursz")
    path.write_bytes(bytes(data))


def mfconsole(path: Path, *argv: str, user: str = "admin") -> subprocess.CompletedProcess[str]:
    """The command line as a real process, on the record at ``path``."""
    environment = {**os.environ, "MFCONSOLE_DB": str(path), "MFCONSOLE_USER": user,
                   "MFCONSOLE_PASSWORD": PASSWORDS[user], "PYTHONPATH": str(ROOT),
                   "MFCONSOLE_INSTALLATION_KEY": str(path.parent / "installation.key")}
    return subprocess.run([sys.executable, "-m", "console.cli.main", *argv], env=environment,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("table", ["users", "audit_entries"])
def test_a_damaged_record_is_refused_and_left_as_it_was(record_file, table):
    damage_rows(record_file, table)
    before = record_file.read_bytes()
    url = f"sqlite:///{record_file}"
    for opening in (ClinicalRecord.open, ClinicalRecord.open_existing):
        with pytest.raises(DamagedRecord) as refused:
            opening(url)
        message = str(refused.value)
        assert message.startswith(f"SQLite file {record_file} is damaged (quick_check: ")
        assert message.endswith("restore the record from a backup")
    assert record_file.read_bytes() == before and wal_is_empty(record_file)


def test_a_sign_in_to_a_damaged_record_is_refused_and_writes_nothing(record_file):
    damage_rows(record_file, "audit_entries")
    before = record_file.read_bytes()
    done = mfconsole(record_file, "patients", "list", user="doc")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"mfconsole: SQLite file {record_file} is damaged (")
    assert done.stderr.count("\n") == 1 and "restore the record from a backup" in done.stderr
    assert record_file.read_bytes() == before and wal_is_empty(record_file)


@pytest.mark.slow
def test_audit_verify_reports_a_damaged_file_not_an_intact_chain(record_file):
    assert mfconsole(record_file, "audit", "verify").returncode == 0
    damage_rows(record_file, "users")
    done = mfconsole(record_file, "audit", "verify")
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr.startswith(f"mfconsole: SQLite file {record_file} is damaged "
                                  "(integrity_check: ")
    done = mfconsole(record_file, "audit", "verify", "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 3 and (report["ok"], report["damaged"]) == (False, True)
    assert "restore the record from a backup" in report["problem"]


def test_audit_verify_runs_the_full_check_that_opening_skips(record_file):
    damage_username_index(record_file)
    with closing(sqlite3.connect(record_file)) as connection:
        assert connection.execute("PRAGMA quick_check").fetchall() == [("ok",)]
    done = mfconsole(record_file, "audit", "verify")
    assert done.returncode == 3 and "is damaged (integrity_check: " in done.stderr


def test_damage_found_after_opening_is_reported_as_damage(record_file):
    record = ClinicalRecord.open_existing(f"sqlite:///{record_file}",
                                          password_hasher=FAST_HASHER)
    record.engine.dispose()  # as when the pool reconnects later in a long session
    damage_rows(record_file, "users")
    with pytest.raises(DamagedRecord, match=r"is damaged \(.*malformed.*restore the record"):
        record.authenticate("doc", PASSWORDS["doc"])
    record.close()
