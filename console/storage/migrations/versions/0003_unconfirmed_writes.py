"""A program version may be "unconfirmed": the link dropped before the device answered.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The status column's CHECK constraint gains the new value. PostgreSQL changes the
constraint in place; SQLite cannot, so the append-only table is rebuilt from its own
definition (rows copied, not changed) and its UPDATE/DELETE guards are put back.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLE = "program_status_events"
OLD = "status IN ('draft', 'written', 'verified', 'failed')"
NEW = "status IN ('draft', 'written', 'verified', 'failed', 'unconfirmed')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT ck_{TABLE}_status")
        op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT ck_{TABLE}_status CHECK ({NEW})")
        return
    _rebuild_sqlite()


def _rebuild_sqlite() -> None:
    bind = op.get_bind()
    definition = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).scalar_one()
    if OLD not in definition:
        raise RuntimeError(f"{TABLE}: unexpected definition, cannot add 'unconfirmed'")
    rebuilt = definition.replace(OLD, NEW).replace(f"TABLE {TABLE}", f"TABLE {TABLE}_new", 1)
    rebuilt = rebuilt.replace(f'TABLE "{TABLE}"', f'TABLE "{TABLE}_new"', 1)
    op.execute(rebuilt)
    op.execute(f"INSERT INTO {TABLE}_new SELECT * FROM {TABLE}")
    op.execute(f"DROP TABLE {TABLE}")  # its triggers go with it; no row is deleted one by one
    op.execute(f"ALTER TABLE {TABLE}_new RENAME TO {TABLE}")
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} "
                   f"ON {TABLE} BEGIN SELECT RAISE(ABORT, "
                   f"'{TABLE} is append-only: {operation} refused'); END")


def downgrade() -> None:
    raise NotImplementedError("the clinical record is never downgraded: restore a backup")
