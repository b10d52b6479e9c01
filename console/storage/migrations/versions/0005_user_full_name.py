"""Users' full names: who a user name belongs to, shown where users are managed.

Optional: users added before this revision have none until an administrator gives one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends: rebuilding the table would drop its triggers.
    op.add_column("users", sa.Column("full_name", sa.String(200)))


def downgrade() -> None:
    raise NotImplementedError("the clinical record is never downgraded: restore a backup")
