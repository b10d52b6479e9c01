"""Titration marks: the amplitudes a clinician marks on a pair during test stimulation.

First visible contraction (threshold), strong comfortable contraction (target) and maximum
tolerated, with the stimulus they were seen at. Append-only, like every measurement: a
mark made in error is followed by a new one, never changed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(column: str, table: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(column, BigId, sa.ForeignKey(f"{table}.id"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "titration_marks",
        sa.Column("id", BigId, primary_key=True),
        _fk("device_id", "devices"),
        _fk("visit_id", "visits", nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        _fk("actor_id", "users"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("lead", sa.Integer(), nullable=False),
        sa.Column("anode", sa.Integer(), nullable=False),
        sa.Column("cathode", sa.Integer(), nullable=False),
        sa.Column("amp_ua", sa.Integer(), nullable=False),
        sa.Column("pulse_width_us", sa.Integer(), nullable=False),
        sa.Column("frequency_hz", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint("kind IN ('threshold', 'target', 'maximum')",
                           name="ck_titration_marks_kind"),
        sa.CheckConstraint("lead IN (0, 1)", name="ck_titration_marks_lead"),
        sa.CheckConstraint("amp_ua >= 0", name="ck_titration_marks_amp_ua"),
    )
    op.create_index("ix_titration_marks_device_id_marked_at", "titration_marks",
                    ["device_id", "marked_at"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE TRIGGER titration_marks_append_only BEFORE UPDATE OR DELETE ON "
                   "titration_marks FOR EACH ROW EXECUTE FUNCTION mfconsole_refuse_change()")
        op.execute("CREATE TRIGGER titration_marks_no_truncate BEFORE TRUNCATE ON "
                   "titration_marks FOR EACH STATEMENT EXECUTE FUNCTION "
                   "mfconsole_refuse_change()")
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER titration_marks_no_{operation.lower()} BEFORE "
                       f"{operation} ON titration_marks BEGIN SELECT RAISE(ABORT, "
                       f"'titration_marks is append-only: {operation} refused'); END")


def downgrade() -> None:
    raise NotImplementedError("the clinical record is never downgraded: restore a backup")
