"""Sign-in lockout: each account's failed sign-ins in a row and the end of its lock.

Kept in the record, not in a console, so a lock holds at every console sharing it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: rebuilding the table would drop its triggers.
    op.add_column("users", sa.Column("failed_sign_ins", sa.Integer(), nullable=False,
                                     server_default="0"))
    op.add_column("users", sa.Column("locked_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    raise NotImplementedError("the clinical record is never downgraded: restore a backup")
