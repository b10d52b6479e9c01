"""Users, patients, devices and visits are never deleted: the database refuses it.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEPT = ("users", "patients", "devices", "visits")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE FUNCTION mfconsole_refuse_delete() RETURNS trigger "
                   "LANGUAGE plpgsql AS $$ BEGIN "
                   "RAISE EXCEPTION '% are kept for the record: DELETE refused', TG_TABLE_NAME; "
                   "END $$")
    for table in KEPT:
        if dialect == "postgresql":
            op.execute(f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION mfconsole_refuse_delete()")
        else:
            op.execute(f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} are kept for the record: "
                       "DELETE refused'); END")


def downgrade() -> None:
    raise NotImplementedError("the clinical record is never downgraded: restore a backup")
