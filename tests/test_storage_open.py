"""Opening the clinical record: migrations only, SQLite settings, and refusing what is not ours."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from console.storage import (
    DatabaseUnavailable,
    ForeignDatabase,
    SchemaMismatch,
    database_url,
)
from console.storage.database import open_database
from console.storage.migrate import APPLICATION_ID, head_revision
from console.storage.models import Base
from tests.pg_harness import PostgresCluster


def test_migrations_create_exactly_the_models_schema(backend_url):
    engine = open_database(backend_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert set(inspect(connection).get_table_names()) >= {
            "users", "patients", "devices", "pairing_keys", "visits", "program_versions",
            "program_status_events", "impedance_measurements", "placement_tests",
            "device_log_entries", "audit_entries", "audit_head", "alembic_version"}
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert revision == head_revision()
    engine.dispose()


def test_a_record_at_an_older_revision_is_upgraded_keeping_its_data(backend_url):
    from alembic import command

    from console.storage.database import WRITE_OPTION, create_record_engine
    from console.storage.migrate import _config

    engine = create_record_engine(backend_url).execution_options(**{WRITE_OPTION: True})
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0001")
        connection.execute(text("INSERT INTO patients (clinic_id, created_at, revision) "
                                "VALUES ('P-old', CURRENT_TIMESTAMP, 1)"))
    engine.dispose()
    engine = open_database(backend_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            == head_revision()
        assert connection.execute(text("SELECT clinic_id FROM patients")).scalar() == "P-old"
    with pytest.raises(Exception, match="kept for the record"), engine.begin() as connection:
        connection.execute(text("DELETE FROM patients"))
    engine.dispose()


def test_reopening_an_up_to_date_record_changes_nothing(backend_url):
    open_database(backend_url).dispose()
    engine = open_database(backend_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM record_meta")).scalar() == 1
    engine.dispose()


def test_sqlite_connections_use_wal_full_sync_and_foreign_keys(tmp_path):
    path = tmp_path / "record.sqlite3"
    engine = open_database(f"sqlite:///{path}")
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("application_id") == APPLICATION_ID
    engine.dispose()


def test_a_missing_data_directory_is_created(tmp_path):
    path = tmp_path / "not" / "yet" / "record.sqlite3"
    open_database(f"sqlite:///{path}").dispose()
    assert path.is_file()


def _foreign_sqlite(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    conn.commit()
    conn.close()
    return path.read_bytes()


def test_another_programs_sqlite_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "other.sqlite3"
    before = _foreign_sqlite(path)
    with pytest.raises(ForeignDatabase, match="another program"):
        open_database(f"sqlite:///{path}")
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


@pytest.mark.parametrize("content", [b"hello, not a database\n" * 10,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_corrupt_file_is_refused_and_left_untouched(tmp_path, content):
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(content)
    with pytest.raises(ForeignDatabase, match="untouched"):
        open_database(f"sqlite:///{path}")
    assert path.read_bytes() == content


def test_a_record_from_a_newer_console_is_refused(backend_url):
    engine = open_database(backend_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(SchemaMismatch, match=r"revision 9999.*newer console"):
        open_database(backend_url)


def test_a_record_missing_its_schema_revision_is_refused(backend_url):
    engine = open_database(backend_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    engine.dispose()
    with pytest.raises(SchemaMismatch, match="without a schema revision"):
        open_database(backend_url)


def test_a_foreign_postgresql_database_is_refused_and_left_untouched(
        postgres_cluster: PostgresCluster, fresh_postgres_url):
    database = fresh_postgres_url.rsplit("/", 1)[1]
    with postgres_cluster.connect(database) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('abc123')")
    with pytest.raises(ForeignDatabase, match="another program"):
        open_database(fresh_postgres_url)
    with postgres_cluster.connect(database) as conn:
        tables = {row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        assert tables == {"alembic_version"}


def test_a_server_that_is_down_gives_a_clear_message():
    with pytest.raises(DatabaseUnavailable, match=r"cannot open .* on 127\.0\.0\.1:1.*refused"):
        open_database("postgresql+psycopg://nobody:secret@127.0.0.1:1/record")


def test_messages_never_contain_the_password():
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database("postgresql+psycopg://nobody:s3cr3t-pw@127.0.0.1:1/record")
    assert "s3cr3t-pw" not in str(caught.value)


def test_two_consoles_creating_one_postgresql_record_at_once_migrate_once(fresh_postgres_url):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        engines = list(pool.map(lambda _: open_database(fresh_postgres_url), range(4)))
    with engines[0].connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_head")).scalar() == 1
    for engine in engines:
        engine.dispose()


def test_memory_and_unknown_backends_are_refused():
    with pytest.raises(DatabaseUnavailable, match="SQLite file"):
        open_database("sqlite://")
    with pytest.raises(DatabaseUnavailable, match="unsupported database"):
        open_database("mysql://x@localhost/db")


def test_database_url_prefers_option_then_environment_then_default(monkeypatch, tmp_path):
    monkeypatch.setenv("MFCONSOLE_DB", "postgresql+psycopg://clinic/record")
    assert database_url("sqlite:////srv/a.db") == "sqlite:////srv/a.db"
    assert database_url(None) == "postgresql+psycopg://clinic/record"
    monkeypatch.delenv("MFCONSOLE_DB")
    assert database_url(None).endswith("/mfconsole/clinical-record.sqlite3")
    assert database_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"


def test_psycopg_is_the_postgresql_driver(postgres_url):
    engine = open_database(postgres_url)
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as connection:
        assert isinstance(connection.connection.dbapi_connection, psycopg.Connection)
    engine.dispose()
