"""Opening the clinical record: refuse what is not ours, migrate what is, and set up SQLite.

Nothing is written to a database until it is known to be a clinical record or
empty: an SQLite file is first inspected read-only (header, application id,
tables), and a PostgreSQL database must be empty or carry the record's marker.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, select
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from .errors import DatabaseUnavailable, ForeignDatabase
from .migrate import APPLICATION_ID, APPLICATION_MARKER, upgrade_to_head
from .models import RecordMetaRow

SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_BUSY_TIMEOUT_S = 30
WRITE_OPTION = "mfconsole_write"


def describe(url: URL) -> str:
    """Where the database is, for messages: never the password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    return f"{url.get_backend_name()} database {url.database} on {url.host}:{url.port or ''}"


def first_line(exc: BaseException) -> str:
    """The useful line of a driver error (drivers append hints and SQL on later lines)."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def inspect_sqlite_file(path: Path) -> bool:
    """True when ``path`` is a clinical record, False when it is absent or empty.

    Anything else raises ForeignDatabase; the file is opened read-only.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot read {path}: {exc.strerror}") from None
    if size == 0:
        return False
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot read {path}: {exc.strerror}") from None
    if header != SQLITE_HEADER:
        raise ForeignDatabase(f"{path} is not an SQLite database (corrupt or another "
                              "program's file); it was left untouched")
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            marker = (conn.execute("SELECT value FROM record_meta WHERE key = 'application'")
                      .fetchone() if "record_meta" in tables else None)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise ForeignDatabase(f"{path} cannot be read as a clinical record ({exc}); "
                              "it was left untouched") from None
    if not tables and application_id in (0, APPLICATION_ID):
        return False
    if application_id == APPLICATION_ID and marker == (APPLICATION_MARKER,):
        return True
    raise ForeignDatabase(f"{path} is an SQLite database of another program; "
                          "it was left untouched")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer takes the write lock at BEGIN; upgrading a read lock later could
        # fail at once with "database is locked" instead of waiting its turn.
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _check_ours(connection: Connection, where: str) -> None:
    tables = set(inspect(connection).get_table_names())
    if not tables:
        return
    marker = None
    if "record_meta" in tables:
        marker = connection.execute(select(RecordMetaRow.value).where(
            RecordMetaRow.key == "application")).scalar()
    if marker != APPLICATION_MARKER:
        raise ForeignDatabase(f"{where} holds tables of another program; it was left untouched")


def create_record_engine(url: str | URL) -> Engine:
    """An engine with the record's connection settings, without checking the database."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
            _configure_sqlite(engine)
            return engine
        if parsed.get_backend_name() == "postgresql":
            return create_engine(parsed, pool_pre_ping=True,
                                 connect_args={"connect_timeout": 10})
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseUnavailable(f"cannot use database URL: {exc}") from None
    raise DatabaseUnavailable(f"unsupported database {parsed.get_backend_name()!r}: "
                              "use an SQLite file or postgresql+psycopg://")


def open_database(url: str | URL, *, migrate: bool = True) -> Engine:
    """Open the clinical record at ``url``, creating or migrating its schema if needed.

    Raises DatabaseUnavailable (cannot open or reach), ForeignDatabase (not ours,
    untouched) or SchemaMismatch (made by a newer console).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"cannot use database URL: {exc}") from None
    where = describe(parsed)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise DatabaseUnavailable("the clinical record needs an SQLite file, not memory")
        path = Path(parsed.database)
        if not inspect_sqlite_file(path):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(f"cannot create {path.parent}: {exc.strerror}") from None
    engine = create_record_engine(parsed)
    try:
        with engine.connect() as connection:
            _check_ours(connection, where)
        if migrate:
            upgrade_to_head(engine.execution_options(**{WRITE_OPTION: True}), where)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnavailable(f"cannot open {where}: {first_line(exc)}") from None
    except BaseException:
        engine.dispose()
        raise
    return engine

