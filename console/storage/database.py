"""Opening the clinical record: refuse what is not ours, migrate what is, and set up SQLite.

Nothing is written to a database until it is known to be a sound clinical record
(or, when a record is being created, empty): an SQLite file is first inspected
read-only (header, application id, tables, SQLite's own consistency check), and a
PostgreSQL database must be empty or carry the record's marker.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, select
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from console.storage.config import ENV_DATABASE
from console.storage.errors import DamagedRecord, DatabaseUnavailable, ForeignDatabase, NoRecord
from console.storage.migrate import APPLICATION_ID, APPLICATION_MARKER, upgrade_to_head
from console.storage.models import RecordMetaRow

SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_BUSY_TIMEOUT_S = 30
WRITE_OPTION = "mfconsole_write"
QUICK_CHECK = "quick_check"  # every opening: page structure, in one pass over the file
INTEGRITY_CHECK = "integrity_check"  # audit verify: also every index against its table


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


def no_record(where: str, why: str) -> NoRecord:
    """The refusal to open a place that holds no record, saying how to create one."""
    return NoRecord(f"no clinical record in {where} ({why}): check --db or {ENV_DATABASE} "
                    "(an SQLite file or a postgresql+psycopg:// URL), or create a record there "
                    "with its first administrator: mfconsole users add NAME --role admin")


def damaged(where: str, problem: str) -> DamagedRecord:
    """The refusal of a damaged record: what is wrong, where, and what to do."""
    return DamagedRecord(f"{where} is damaged ({problem}): the console refuses to use it and "
                         "wrote nothing to it; restore the record from a backup")


def _first_problem(connection: sqlite3.Connection, pragma: str) -> str | None:
    """None when SQLite's ``quick_check`` or ``integrity_check`` finds nothing wrong."""
    try:
        rows = [str(row[0]) for row in connection.execute(f"PRAGMA {pragma}")]
    except sqlite3.DatabaseError as exc:  # too damaged even to be checked
        return f"{pragma}: {exc}"
    if rows == ["ok"]:
        return None
    lines = [line for row in rows for line in row.splitlines()
             if line.strip() and not line.startswith("*** in database")]
    more = f"; {len(lines) - 1} more" if len(lines) > 1 else ""
    return f"{pragma}: {lines[0] if lines else rows[0]}{more}"


def _inspect_sqlite(connection: sqlite3.Connection, path: Path, pragma: str) -> str | None:
    try:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise ForeignDatabase(f"{path} cannot be read as a clinical record ({exc}); "
                              "it was left untouched") from None
    try:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        marker = (connection.execute("SELECT value FROM record_meta WHERE key = 'application'")
                  .fetchone() if "record_meta" in tables else None)
    except sqlite3.DatabaseError as exc:
        if application_id == APPLICATION_ID:
            raise damaged(f"SQLite file {path}", str(exc)) from None
        raise ForeignDatabase(f"{path} cannot be read as a clinical record ({exc}); "
                              "it was left untouched") from None
    if not tables and application_id in (0, APPLICATION_ID):
        return "the file is empty"
    if application_id != APPLICATION_ID or marker != (APPLICATION_MARKER,):
        raise ForeignDatabase(f"{path} is an SQLite database of another program; "
                              "it was left untouched")
    problem = _first_problem(connection, pragma)
    if problem is not None:
        raise damaged(f"SQLite file {path}", problem)
    return None


def inspect_sqlite_file(path: Path, pragma: str = QUICK_CHECK) -> str | None:
    """None when ``path`` is a sound clinical record; else why it holds none (absent, empty).

    The file is opened read-only and checked with ``pragma`` (SQLite's ``quick_check``
    or the slower ``integrity_check``): a damaged record raises DamagedRecord, anything
    else ForeignDatabase.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot read {path}: {exc.strerror}") from None
    if size == 0:
        return "the file is empty"
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot read {path}: {exc.strerror}") from None
    if header != SQLITE_HEADER:
        raise ForeignDatabase(f"{path} is not an SQLite database (corrupt or another "
                              "program's file); it was left untouched")
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise DatabaseUnavailable(f"cannot read {path}: {exc}") from None
    try:
        return _inspect_sqlite(connection, path, pragma)
    finally:
        connection.close()


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


def _holds_record(connection: Connection, where: str) -> bool:
    """True when the database holds the record, False when it is empty; else ForeignDatabase."""
    tables = set(inspect(connection).get_table_names())
    if not tables:
        return False
    marker = None
    if "record_meta" in tables:
        marker = connection.execute(select(RecordMetaRow.value).where(
            RecordMetaRow.key == "application")).scalar()
    if marker != APPLICATION_MARKER:
        raise ForeignDatabase(f"{where} holds tables of another program; it was left untouched")
    return True


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


def _prepare_sqlite(parsed: URL, where: str, *, create: bool, pragma: str) -> None:
    """Check an SQLite file before any connection may write to it; make its folder if creating."""
    if not parsed.database or parsed.database == ":memory:":
        raise DatabaseUnavailable("the clinical record needs an SQLite file, not memory")
    path = Path(parsed.database)
    absent = inspect_sqlite_file(path, pragma)
    if absent is None:
        return
    if not create:
        raise no_record(where, absent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot create {path.parent}: {exc.strerror}") from None


def open_database(url: str | URL, *, create: bool = True, full_check: bool = False,
                  migrate: bool = True) -> Engine:
    """Open the clinical record at ``url``, migrating its schema if needed.

    With ``create`` an absent SQLite file or an empty database becomes a new record;
    without it they raise NoRecord and are left as they are. An SQLite record is checked
    first (``quick_check``, or ``integrity_check`` with ``full_check``). Raises
    DatabaseUnavailable (cannot open or reach), ForeignDatabase (not ours, untouched),
    DamagedRecord (fails the check, untouched) or SchemaMismatch (made by a newer console).
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"cannot use database URL: {exc}") from None
    where = describe(parsed)
    if parsed.get_backend_name() == "sqlite":
        _prepare_sqlite(parsed, where, create=create,
                        pragma=INTEGRITY_CHECK if full_check else QUICK_CHECK)
    engine = create_record_engine(parsed)
    try:
        with engine.connect() as connection:
            if not _holds_record(connection, where) and not create:
                raise no_record(where, "the database is empty")
        if migrate:
            upgrade_to_head(engine.execution_options(**{WRITE_OPTION: True}), where)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnavailable(f"cannot open {where}: {first_line(exc)}") from None
    except BaseException:
        engine.dispose()
        raise
    return engine
