"""The clinical record: users, patients, devices, visits, programs, measurements, audit.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Time = sa.DateTime(timezone=True)

APPLICATION_ID = 0x4D46434E
APPEND_ONLY = ("audit_entries", "program_versions", "program_status_events",
               "impedance_measurements", "device_log_entries")


def _id() -> sa.Column:
    return sa.Column("id", BigId, primary_key=True)


def _fk(column: str, table: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(column, BigId, sa.ForeignKey(f"{table}.id"), nullable=nullable)


def _create_people() -> None:
    op.create_table("record_meta",
                    sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text(), nullable=False))
    op.create_table(
        "users", _id(),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text()),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint("role IN ('clinician', 'theatre', 'engineer', 'admin')",
                           name="ck_users_role"))
    op.create_table(
        "patients", _id(),
        sa.Column("clinic_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("date_of_birth", sa.Date()),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.UniqueConstraint("clinic_id", name="uq_patients_clinic_id"))
    op.create_table(
        "devices", _id(),
        sa.Column("serial", sa.String(16), nullable=False),
        sa.Column("model", sa.String(16), nullable=False),
        sa.Column("firmware", sa.String(16), nullable=False),
        sa.Column("implant_date", sa.Date()),
        _fk("patient_id", "patients", nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.UniqueConstraint("serial", name="uq_devices_serial"))
    op.create_index("ix_devices_patient_id", "devices", ["patient_id"])
    op.create_table(
        "pairing_keys",
        sa.Column("device_id", BigId, sa.ForeignKey("devices.id"), primary_key=True),
        sa.Column("key_id", sa.LargeBinary(), nullable=False),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", Time, nullable=False),
        _fk("stored_by", "users"))
    op.create_table(
        "visits", _id(),
        _fk("patient_id", "patients"),
        _fk("device_id", "devices", nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        _fk("operator_id", "users"),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("ended_at", Time),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('implant', 'programming', 'follow-up', 'engineering')",
                           name="ck_visits_kind"))
    op.create_index("ix_visits_patient_id_started_at", "visits", ["patient_id", "started_at"])


def _lead_columns(side: str) -> list[sa.Column]:
    return [sa.Column(f"{side}_enabled", sa.Boolean(), nullable=False),
            sa.Column(f"{side}_anode", sa.Integer(), nullable=False),
            sa.Column(f"{side}_cathode", sa.Integer(), nullable=False),
            sa.Column(f"{side}_amplitude_ma", sa.Float(), nullable=False),
            sa.Column(f"{side}_pulse_width_us", sa.Integer(), nullable=False)]


def _create_programs() -> None:
    op.create_table(
        "program_versions", _id(),
        _fk("device_id", "devices"),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("slot_sequence", sa.Integer(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("record_crc", sa.Integer(), nullable=False),
        _fk("author_id", "users"),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("confirmations", Json, nullable=False),
        _fk("parent_id", "program_versions", nullable=True),
        _fk("visit_id", "visits", nullable=True),
        *_lead_columns("left"), *_lead_columns("right"),
        sa.Column("frequency_hz", sa.Integer(), nullable=False),
        sa.Column("ramp_up_s", sa.Float(), nullable=False),
        sa.Column("ramp_down_s", sa.Float(), nullable=False),
        sa.Column("on_s", sa.Float(), nullable=False),
        sa.Column("off_s", sa.Float(), nullable=False),
        sa.Column("session_min", sa.Integer(), nullable=False),
        sa.UniqueConstraint("device_id", "slot", "slot_sequence",
                            name="uq_program_versions_device_id_slot_slot_sequence"))
    op.create_index("ix_program_versions_device_id", "program_versions", ["device_id"])
    op.create_table(
        "program_status_events", _id(),
        _fk("version_id", "program_versions"),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("device_crc", sa.Integer()),
        sa.Column("at", Time, nullable=False),
        _fk("actor_id", "users"),
        sa.Column("detail", sa.Text()),
        sa.UniqueConstraint("version_id", "revision",
                            name="uq_program_status_events_version_id_revision"),
        sa.CheckConstraint("status IN ('draft', 'written', 'verified', 'failed')",
                           name="ck_program_status_events_status"))


def _create_measurements() -> None:
    op.create_table(
        "impedance_measurements", _id(),
        _fk("device_id", "devices"),
        _fk("visit_id", "visits", nullable=True),
        sa.Column("measured_at", Time, nullable=False),
        sa.Column("lead", sa.Integer(), nullable=False),
        sa.Column("electrode_a", sa.Integer(), nullable=False),
        sa.Column("electrode_b", sa.Integer()),
        sa.Column("ohms", sa.Integer()))
    op.create_index("ix_impedance_measurements_device_id_measured_at",
                    "impedance_measurements", ["device_id", "measured_at"])
    op.create_table(
        "placement_tests", _id(),
        _fk("patient_id", "patients"),
        _fk("visit_id", "visits", nullable=True),
        _fk("device_id", "devices", nullable=True),
        sa.Column("tested_at", Time, nullable=False),
        _fk("operator_id", "users"),
        sa.Column("lead", sa.Integer(), nullable=False),
        sa.Column("electrode_a", sa.Integer(), nullable=False),
        sa.Column("electrode_b", sa.Integer()),
        sa.Column("threshold_ma", sa.Float()),
        sa.Column("outcome", sa.String(64)),
        sa.Column("data", Json, nullable=False))
    op.create_index("ix_placement_tests_patient_id_tested_at", "placement_tests",
                    ["patient_id", "tested_at"])
    op.create_table(
        "device_log_entries",
        sa.Column("device_id", BigId, sa.ForeignKey("devices.id"), primary_key=True),
        sa.Column("device_index", BigId, primary_key=True, autoincrement=False),
        sa.Column("device_time", BigId, nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("a", sa.Integer(), nullable=False),
        sa.Column("b", sa.Integer(), nullable=False),
        sa.Column("c", BigId, nullable=False),
        sa.Column("downloaded_at", Time, nullable=False))


def _create_audit() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", BigId, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False))
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("last_seq", BigId, nullable=False),
        sa.Column("last_hash", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_head_single_row"))
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": bytes(32)}])


def _refuse_changes(dialect: str) -> None:
    """Append-only tables: the database itself refuses UPDATE and DELETE on them."""
    if dialect == "postgresql":
        op.execute("CREATE FUNCTION mfconsole_refuse_change() RETURNS trigger "
                   "LANGUAGE plpgsql AS $$ BEGIN "
                   "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; "
                   "END $$")
    for table in APPEND_ONLY:
        if dialect == "postgresql":
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION mfconsole_refuse_change()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION mfconsole_refuse_change()")
        else:
            for operation in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} "
                           f"ON {table} BEGIN SELECT RAISE(ABORT, "
                           f"'{table} is append-only: {operation} refused'); END")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _create_people()
    _create_programs()
    _create_measurements()
    _create_audit()
    _refuse_changes(dialect)
    meta = sa.table("record_meta", sa.column("key"), sa.column("value"))
    op.bulk_insert(meta, [{"key": "application", "value": "mfconsole clinical record"}])
    if dialect == "sqlite":
        op.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def downgrade() -> None:
    raise NotImplementedError("the clinical record is never downgraded: restore a backup")
