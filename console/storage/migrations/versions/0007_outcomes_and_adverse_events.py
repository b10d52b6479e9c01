"""Outcome assessments and adverse events: the NICE audit's and the registry's data.

Both are append-only: a correction is a new row that amends the one before (``amends_id``,
once only, so corrections form a single line), with its reason; an entry made in error is
withdrawn by such a row. Codes are checked by the database as well as by the console.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

TIMEPOINTS = ("baseline", "6w", "3m", "6m", "12m", "24m", "other")
ANALGESICS = ("none", "non-opioid", "weak-opioid", "strong-opioid")
WORK = ("working", "working-reduced", "off-work-back-pain", "not-working-other", "retired")
CATEGORIES = (
    "procedure-related", "lead-migration", "lead-fracture", "lead-erosion",
    "inadequate-stimulation", "intermittent-stimulation", "overstimulation",
    "loss-of-stimulation", "wound-infection", "haemorrhage", "wound-inflammation", "haematoma",
    "surgical-site-pain", "anchor-or-pocket-discomfort", "muscle-fatigue",
    "undesired-sensation", "nerve-irritation", "nerve-damage", "ipg-failure",
    "revision-surgery", "explant", "other")
RELATED = ("device", "procedure", "both", "unrelated", "unknown")
ACTIONS = ("none", "reprogramming", "revision", "explant")
EXPLANT_REASONS = ("lack-of-efficacy", "pain-resolution", "adverse-event", "other")


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IS NULL OR {column} IN ({listed})", name=name)


def _fk(column: str, table: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(column, BigId, sa.ForeignKey(f"{table}.id"), nullable=nullable)


def _entry_columns(table: str) -> list[sa.SchemaItem]:
    """What every entry carries: who recorded it, when, in which visit, what it amends."""
    return [
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _fk("actor_id", "users"),
        _fk("visit_id", "visits", nullable=True),
        _fk("amends_id", table, nullable=True),
        sa.Column("amend_reason", sa.Text()),
        sa.Column("withdrawn", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("amends_id", name=f"uq_{table}_amends_id"),
        sa.CheckConstraint("(amends_id IS NULL) = (amend_reason IS NULL)",
                           name=f"ck_{table}_amend_reason"),
        sa.CheckConstraint("amends_id IS NOT NULL OR NOT withdrawn",
                           name=f"ck_{table}_withdrawn"),
    ]


def upgrade() -> None:
    op.create_table(
        "outcome_entries",
        sa.Column("id", BigId, primary_key=True),
        _fk("patient_id", "patients"),
        sa.Column("timepoint", sa.String(16), nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=False),
        sa.Column("nrs", sa.Integer()),
        sa.Column("odi_items", sa.String(10)),
        sa.Column("eq5d", sa.String(5)),
        sa.Column("eq_vas", sa.Integer()),
        sa.Column("pgic", sa.Integer()),
        sa.Column("analgesics", sa.String(16)),
        sa.Column("work_status", sa.String(24)),
        *_entry_columns("outcome_entries"),
        _one_of("timepoint", TIMEPOINTS, "ck_outcome_entries_timepoint"),
        _one_of("analgesics", ANALGESICS, "ck_outcome_entries_analgesics"),
        _one_of("work_status", WORK, "ck_outcome_entries_work_status"),
        sa.CheckConstraint("nrs IS NULL OR nrs BETWEEN 0 AND 10", name="ck_outcome_entries_nrs"),
        sa.CheckConstraint("eq_vas IS NULL OR eq_vas BETWEEN 0 AND 100",
                           name="ck_outcome_entries_eq_vas"),
        sa.CheckConstraint("pgic IS NULL OR pgic BETWEEN 1 AND 7",
                           name="ck_outcome_entries_pgic"),
        sa.CheckConstraint("odi_items IS NULL OR length(odi_items) = 10",
                           name="ck_outcome_entries_odi_items"),
        sa.CheckConstraint("eq5d IS NULL OR length(eq5d) = 5", name="ck_outcome_entries_eq5d"),
    )
    op.create_index("ix_outcome_entries_patient_id_collected_on", "outcome_entries",
                    ["patient_id", "collected_on"])
    op.create_table(
        "adverse_events",
        sa.Column("id", BigId, primary_key=True),
        _fk("patient_id", "patients"),
        _fk("device_id", "devices", nullable=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("onset_on", sa.Date(), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("related", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("explant_reason", sa.String(24)),
        sa.Column("resolved_on", sa.Date()),
        sa.Column("yellow_card", sa.String(40)),
        sa.Column("notes", sa.Text()),
        *_entry_columns("adverse_events"),
        _one_of("category", CATEGORIES, "ck_adverse_events_category"),
        _one_of("related", RELATED, "ck_adverse_events_related"),
        _one_of("action", ACTIONS, "ck_adverse_events_action"),
        _one_of("explant_reason", EXPLANT_REASONS, "ck_adverse_events_explant_reason"),
        sa.CheckConstraint("resolved_on IS NULL OR resolved_on >= onset_on",
                           name="ck_adverse_events_resolved_on"),
    )
    op.create_index("ix_adverse_events_patient_id_onset_on", "adverse_events",
                    ["patient_id", "onset_on"])
    for table in ("outcome_entries", "adverse_events"):
        _append_only(table, op.get_bind().dialect.name)


def _append_only(table: str, dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION mfconsole_refuse_change()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION mfconsole_refuse_change()")
        return
    for operation in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON "
                   f"{table} BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} "
                   "refused'); END")


def downgrade() -> None:
    raise NotImplementedError("the clinical record is never downgraded: restore a backup")
