"""Running the packaged Alembic migrations against an open engine.

The migration scripts live inside the package (``migrations/``), so an
installed console can create and upgrade its database with no alembic.ini.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from console.storage.errors import SchemaMismatch

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
APPLICATION_MARKER = "mfconsole clinical record"
# SQLite's header field for "which program's file is this": ASCII "MFCN".
APPLICATION_ID = 0x4D46434E
# Two consoles opening a new PostgreSQL database at once migrate one after the other.
_MIGRATION_LOCK = 0x4D46434E


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the package ships its migrations"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine, where: str) -> None:
    """Bring the schema to this console's head; refuse one made by a newer console."""
    scripts = ScriptDirectory.from_config(_config())
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _MIGRATION_LOCK})
        current = current_revision(connection)
        if current is None and inspect(connection).has_table("record_meta"):
            raise SchemaMismatch(f"{where} is a clinical record without a schema revision "
                                 "(its alembic_version row is missing): restore it from a "
                                 "backup; it was left untouched")
        if current is not None:
            try:
                scripts.get_revision(current)
            except CommandError:
                raise SchemaMismatch(
                    f"{where} has schema revision {current}, which this console does not "
                    f"know (it knows up to {scripts.get_current_head()}): it was made by a "
                    "newer console; upgrade this one") from None
        if current == scripts.get_current_head():
            return
        command.upgrade(_config(connection), "head")
