"""The clinical record's tables (SQLAlchemy 2.0 typed ORM).

The schema is created and changed only by the Alembic migrations beside this
module; these classes describe it for queries. Rows that are facts of the
record (program versions, their status events, audit entries) are append-only:
the migrations add triggers that refuse UPDATE and DELETE on them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.sql import false

from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    ExplantReason,
    Relatedness,
)
from console.outcomes.measures import AnalgesicUse, WorkStatus
from console.outcomes.timepoints import Timepoint
from console.storage.types import BigId, Bytes, UtcDateTime

JsonValue = JSON().with_variant(JSONB(), "postgresql")

ROLES = ("clinician", "theatre", "engineer", "admin")
VISIT_KINDS = ("implant", "programming", "follow-up", "engineering")
VERSION_STATUSES = ("draft", "written", "verified", "failed", "unconfirmed")
TITRATION_MARKS = ("threshold", "target", "maximum")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _codes(column: str, codes: type[StrEnum]) -> CheckConstraint:
    """A nullable column that holds one of ``codes`` (checked by the database too)."""
    listed = ", ".join(repr(code.value) for code in codes)
    return CheckConstraint(f"{column} IS NULL OR {column} IN ({listed})", name=column)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RecordMetaRow(Base):
    """Marks a database as a clinical record (and so safe to migrate)."""

    __tablename__ = "record_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    # Failed sign-ins since the last success or lock, and the end of the current lock.
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 - SQLAlchemy reads it


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 - SQLAlchemy reads it


class DeviceRow(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    serial: Mapped[str] = mapped_column(String(16), unique=True)
    model: Mapped[str] = mapped_column(String(16))
    firmware: Mapped[str] = mapped_column(String(16))
    implant_date: Mapped[date | None] = mapped_column(Date)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 - SQLAlchemy reads it


class PairingKeyRow(Base):
    """A device's pairing key, AES-GCM encrypted with the installation key (kept off-database)."""

    __tablename__ = "pairing_keys"

    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    key_id: Mapped[bytes] = mapped_column(Bytes)
    nonce: Mapped[bytes] = mapped_column(Bytes)
    ciphertext: Mapped[bytes] = mapped_column(Bytes)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stored_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class VisitRow(Base):
    __tablename__ = "visits"
    __table_args__ = (CheckConstraint(_one_of("kind", VISIT_KINDS), name="kind"),
                      Index(None, "patient_id", "started_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    kind: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012 - SQLAlchemy reads it


class ProgramVersionRow(Base):
    """One immutable program: the 28 record bytes as written, plus clinical-unit copies."""

    __tablename__ = "program_versions"
    __table_args__ = (UniqueConstraint("device_id", "slot", "slot_sequence"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    slot_sequence: Mapped[int] = mapped_column(Integer)
    record: Mapped[bytes] = mapped_column(Bytes)
    record_crc: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    confirmations: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("program_versions.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    left_enabled: Mapped[bool] = mapped_column(Boolean)
    left_anode: Mapped[int] = mapped_column(Integer)
    left_cathode: Mapped[int] = mapped_column(Integer)
    left_amplitude_ma: Mapped[float] = mapped_column(Float)
    left_pulse_width_us: Mapped[int] = mapped_column(Integer)
    right_enabled: Mapped[bool] = mapped_column(Boolean)
    right_anode: Mapped[int] = mapped_column(Integer)
    right_cathode: Mapped[int] = mapped_column(Integer)
    right_amplitude_ma: Mapped[float] = mapped_column(Float)
    right_pulse_width_us: Mapped[int] = mapped_column(Integer)
    frequency_hz: Mapped[int] = mapped_column(Integer)
    ramp_up_s: Mapped[float] = mapped_column(Float)
    ramp_down_s: Mapped[float] = mapped_column(Float)
    on_s: Mapped[float] = mapped_column(Float)
    off_s: Mapped[float] = mapped_column(Float)
    session_min: Mapped[int] = mapped_column(Integer)


class ProgramStatusRow(Base):
    """One step of a version's life (draft, written, verified, failed), appended, never changed.

    ``revision`` counts the steps of one version; the unique constraint is the
    optimistic check that stops two consoles from both advancing the same step.
    """

    __tablename__ = "program_status_events"
    __table_args__ = (
        UniqueConstraint("version_id", "revision"),
        CheckConstraint(_one_of("status", VERSION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("program_versions.id"))
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    device_crc: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[str | None] = mapped_column(Text)


class ImpedanceRow(Base):
    """One measured contact (against the case) or pair; ``ohms`` NULL is an open circuit."""

    __tablename__ = "impedance_measurements"
    __table_args__ = (Index(None, "device_id", "measured_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    measured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lead: Mapped[int] = mapped_column(Integer)
    electrode_a: Mapped[int] = mapped_column(Integer)
    electrode_b: Mapped[int | None] = mapped_column(Integer)
    ohms: Mapped[int | None] = mapped_column(Integer)


class PlacementTestRow(Base):
    """An intraoperative placement test: key columns to query, the full result as JSON."""

    __tablename__ = "placement_tests"
    __table_args__ = (Index(None, "patient_id", "tested_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    tested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    operator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lead: Mapped[int] = mapped_column(Integer)
    electrode_a: Mapped[int] = mapped_column(Integer)
    electrode_b: Mapped[int | None] = mapped_column(Integer)
    threshold_ma: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JsonValue)


class DeviceLogRow(Base):
    """One entry of a device's own log, stored once whatever how often it is downloaded."""

    __tablename__ = "device_log_entries"

    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    device_index: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    device_time: Mapped[int] = mapped_column(BigId)
    code: Mapped[int] = mapped_column(Integer)
    a: Mapped[int] = mapped_column(Integer)
    b: Mapped[int] = mapped_column(Integer)
    c: Mapped[int] = mapped_column(BigId)
    downloaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TitrationMarkRow(Base):
    """An amplitude marked on a pair during test stimulation (threshold, target, maximum)."""

    __tablename__ = "titration_marks"
    __table_args__ = (
        CheckConstraint(_one_of("kind", TITRATION_MARKS), name="kind"),
        CheckConstraint("lead IN (0, 1)", name="lead"),
        CheckConstraint("amp_ua >= 0", name="amp_ua"),
        Index(None, "device_id", "marked_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    lead: Mapped[int] = mapped_column(Integer)
    anode: Mapped[int] = mapped_column(Integer)
    cathode: Mapped[int] = mapped_column(Integer)
    amp_ua: Mapped[int] = mapped_column(Integer)
    pulse_width_us: Mapped[int] = mapped_column(Integer)
    frequency_hz: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class _AmendableEntry:
    """Columns of an append-only entry that is corrected by a later one (never changed)."""

    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    amend_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @declared_attr
    def actor_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("users.id"))

    @declared_attr
    def visit_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("visits.id"))

    @declared_attr
    def amends_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey(f"{cls.__tablename__}.id"), unique=True)


def _amendment_checks() -> tuple[CheckConstraint, ...]:
    return (CheckConstraint("(amends_id IS NULL) = (amend_reason IS NULL)",
                            name="amend_reason"),
            CheckConstraint("amends_id IS NOT NULL OR NOT withdrawn", name="withdrawn"))


class OutcomeEntryRow(_AmendableEntry, Base):
    """One outcome assessment of a patient at a timepoint; ODI as its ten item scores."""

    __tablename__ = "outcome_entries"
    __table_args__ = (
        _codes("timepoint", Timepoint), _codes("analgesics", AnalgesicUse),
        _codes("work_status", WorkStatus), *_amendment_checks(),
        CheckConstraint("nrs IS NULL OR nrs BETWEEN 0 AND 10", name="nrs"),
        CheckConstraint("eq_vas IS NULL OR eq_vas BETWEEN 0 AND 100", name="eq_vas"),
        CheckConstraint("pgic IS NULL OR pgic BETWEEN 1 AND 7", name="pgic"),
        CheckConstraint("odi_items IS NULL OR length(odi_items) = 10", name="odi_items"),
        CheckConstraint("eq5d IS NULL OR length(eq5d) = 5", name="eq5d"),
        Index(None, "patient_id", "collected_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    timepoint: Mapped[str] = mapped_column(String(16))
    collected_on: Mapped[date] = mapped_column(Date)
    nrs: Mapped[int | None] = mapped_column(Integer)
    odi_items: Mapped[str | None] = mapped_column(String(10))
    eq5d: Mapped[str | None] = mapped_column(String(5))
    eq_vas: Mapped[int | None] = mapped_column(Integer)
    pgic: Mapped[int | None] = mapped_column(Integer)
    analgesics: Mapped[str | None] = mapped_column(String(16))
    work_status: Mapped[str | None] = mapped_column(String(24))


class AdverseEventRow(_AmendableEntry, Base):
    """One adverse event of a patient (and, where known, of which device)."""

    __tablename__ = "adverse_events"
    __table_args__ = (
        _codes("category", EventCategory), _codes("related", Relatedness),
        _codes("action", EventAction), _codes("explant_reason", ExplantReason),
        *_amendment_checks(),
        CheckConstraint("resolved_on IS NULL OR resolved_on >= onset_on", name="resolved_on"),
        Index(None, "patient_id", "onset_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    category: Mapped[str] = mapped_column(String(32))
    onset_on: Mapped[date] = mapped_column(Date)
    serious: Mapped[bool] = mapped_column(Boolean)
    related: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    explant_reason: Mapped[str | None] = mapped_column(String(24))
    resolved_on: Mapped[date | None] = mapped_column(Date)
    yellow_card: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)


class AuditEntryRow(Base):
    """One audit entry; ``hash`` chains it to the entry before (see console.audit.chain)."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[bytes] = mapped_column(Bytes)
    hash: Mapped[bytes] = mapped_column(Bytes)


class AuditHeadRow(Base):
    """The single row that serialises appends: the chain's last sequence number and hash."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigId)
    last_hash: Mapped[bytes] = mapped_column(Bytes)
