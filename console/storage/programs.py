"""Program versions: immutable programs and the append-only steps of their lives.

A version is created as a ``draft`` and then becomes ``written`` (the device
stored it and reported its CRC), ``verified`` (read back, byte for byte) or
``failed``. Each step is a new row; the step count is the version's revision,
and every step names the revision it expects, so two consoles cannot both
advance the same version. Creating a version names the slot's latest version
the author saw, so a change made meanwhile at another console is never
overwritten unseen.

A program found on a device when it arrives at a visit is recorded too, as a version
whose first and only step is ``verified``: it was read from the device, never written
by a console, so it has no draft. That first step is how it is told apart
(``found_on_arrival``), and its detail says so in words.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.accounts import Action, User
from console.audit.events import AuditEvent
from console.programming.program import NotRepresentable, Program
from console.storage import transactions
from console.storage.entities import Confirmation, ProgramVersion, StatusChange, VersionStatus
from console.storage.errors import ConflictError, InvalidRecord, NotFound
from console.storage.models import DeviceRow, ProgramStatusRow, ProgramVersionRow, UserRow
from console.storage.service import RecordService, device_row, open_visit
from console.storage.types import utc_now
from device_link.program_record import ProgramRecord

MAX_SLOT = 0xFF
_ALLOWED_FROM: dict[VersionStatus, frozenset[VersionStatus]] = {
    VersionStatus.WRITTEN: frozenset({VersionStatus.DRAFT}),
    VersionStatus.VERIFIED: frozenset({VersionStatus.WRITTEN, VersionStatus.UNCONFIRMED}),
    VersionStatus.FAILED: frozenset({VersionStatus.DRAFT, VersionStatus.WRITTEN,
                                     VersionStatus.UNCONFIRMED}),
    VersionStatus.UNCONFIRMED: frozenset({VersionStatus.DRAFT, VersionStatus.WRITTEN}),
}
_EVENT_OF = {VersionStatus.WRITTEN: AuditEvent.PROGRAM_WRITTEN,
             VersionStatus.VERIFIED: AuditEvent.PROGRAM_VERIFIED,
             VersionStatus.FAILED: AuditEvent.PROGRAM_FAILED,
             VersionStatus.UNCONFIRMED: AuditEvent.PROGRAM_UNCONFIRMED}
_LOAD_CHUNK = 500
FOUND_REASON = "as found on the device on arrival"
FOUND_DETAIL = "read from the device at the start of the visit; not written by this console"


def found_on_arrival(version: ProgramVersion) -> bool:
    """True for a program recorded as the device held it on arrival (never written here)."""
    return version.history[0].status is VersionStatus.VERIFIED


def _as_record(program: Program | ProgramRecord) -> tuple[ProgramRecord, Program]:
    """Both forms of a program; refuses a record no device would store."""
    try:
        if isinstance(program, Program):
            return program.to_record(), program
        record = ProgramRecord.decode(program.encode())
        return record, Program.from_record(record)
    except NotRepresentable as exc:
        raise InvalidRecord(f"program cannot be stored: {exc}") from None
    except struct.error as exc:  # a field outside its wire range
        raise InvalidRecord(f"program cannot be encoded: {exc}") from None


def clinical_columns(program: Program) -> dict[str, Any]:
    """The queryable copies of a program's fields, named as the table's columns."""
    columns: dict[str, Any] = {}
    for name, value in program.as_fields().items():
        column = name.replace(".", "_")
        columns[column] = value if isinstance(value, bool | int) else float(value)
    return columns


def _check_confirmations(confirmations: Sequence[Confirmation]) -> None:
    for confirmation in confirmations:
        if not confirmation.reason.strip():
            raise InvalidRecord(f"safety finding {confirmation.finding!r} was confirmed "
                                "without a reason: a reason is required")


def load_versions(session: Session, rows: Iterable[ProgramVersionRow]) -> list[ProgramVersion]:
    """Whole versions (with their status steps) for rows, in a few queries, not one per row."""
    rows = list(rows)
    steps: dict[int, list[ProgramStatusRow]] = {row.id: [] for row in rows}
    ids = list(steps)
    for start in range(0, len(ids), _LOAD_CHUNK):
        chunk = ids[start:start + _LOAD_CHUNK]
        for step in session.execute(select(ProgramStatusRow).where(
                ProgramStatusRow.version_id.in_(chunk)).order_by(
                ProgramStatusRow.version_id, ProgramStatusRow.revision)).scalars():
            steps[step.version_id].append(step)
    users = dict(session.execute(select(UserRow.id, UserRow.username)).all())
    device_ids = {row.device_id for row in rows}
    serials = dict(session.execute(select(DeviceRow.id, DeviceRow.serial).where(
        DeviceRow.id.in_(device_ids))).all()) if device_ids else {}
    return [
        ProgramVersion(
            row.id, serials[row.device_id], row.slot, row.slot_sequence,
            ProgramRecord.decode(bytes(row.record)), row.record_crc, users[row.author_id],
            row.created_at, row.reason,
            tuple(Confirmation(**item) for item in row.confirmations), row.parent_id,
            row.visit_id,
            tuple(StatusChange(step.revision, VersionStatus(step.status), step.at,
                               users[step.actor_id], step.device_crc, step.detail)
                  for step in steps[row.id]))
        for row in rows]


def _latest(session: Session, device_id: int, slot: int) -> ProgramVersionRow | None:
    return session.execute(select(ProgramVersionRow).where(
        ProgramVersionRow.device_id == device_id, ProgramVersionRow.slot == slot).order_by(
        ProgramVersionRow.slot_sequence.desc()).limit(1)).scalar()


class ProgramsMixin(RecordService):
    def create_program_version(
            self, actor: User, device_serial: str, slot: int, program: Program | ProgramRecord,
            *, reason: str, expected_latest: int | None,
            confirmations: Sequence[Confirmation] = (), parent_id: int | None = None,
            visit_id: int | None = None) -> ProgramVersion:
        """Record a new draft version for a device slot.

        ``expected_latest`` is the id of the slot's latest version as the author
        saw it (None for an empty slot); if another console added one since,
        ConflictError. Confirmed safety findings need a reason each.
        """
        record, clinical = _as_record(program)
        if not reason.strip():
            raise InvalidRecord("a new program version needs a reason")
        if not 0 <= slot <= MAX_SLOT:
            raise InvalidRecord(f"slot {slot} is outside 0..{MAX_SLOT}")
        _check_confirmations(confirmations)
        with transactions.write(self.engine) as tx:
            author = self._acting(tx.session, actor, Action.PROGRAM_DEVICE)
            if confirmations:
                self._acting(tx.session, actor, Action.CONFIRM_SAFETY_FINDING)
            device = device_row(tx.session, device_serial)
            latest = _latest(tx.session, device.id, slot)
            if (latest.id if latest else None) != expected_latest:
                raise ConflictError(self._moved_on(tx.session, device_serial, slot, latest,
                                                   expected_latest))
            self._check_links(tx.session, device, parent_id, visit_id)
            row = ProgramVersionRow(
                device_id=device.id, slot=slot,
                slot_sequence=latest.slot_sequence + 1 if latest else 1,
                record=record.encode(), record_crc=record.crc, author_id=author.id,
                created_at=utc_now(), reason=reason,
                confirmations=[c.as_dict() for c in confirmations], parent_id=parent_id,
                visit_id=visit_id, **clinical_columns(clinical))
            tx.session.add(row)
            tx.session.flush()
            tx.session.add(ProgramStatusRow(version_id=row.id, revision=1,
                                            status=VersionStatus.DRAFT.value, at=row.created_at,
                                            actor_id=author.id))
            tx.audit(AuditEvent.VERSION_CREATED, actor, {
                "version": row.id, "device": device_serial, "slot": slot,
                "record": record.encode().hex(), "crc": record.crc, "parent": parent_id,
                "reason": reason, "visit": visit_id})
            for confirmation in confirmations:
                tx.audit(AuditEvent.SAFETY_FINDING_CONFIRMED, actor,
                         {"version": row.id, **confirmation.as_dict()})
            tx.session.flush()
            return load_versions(tx.session, [row])[0]

    def restore_version(self, actor: User, version_id: int, *, reason: str,
                        expected_latest: int | None,
                        confirmations: Sequence[Confirmation] = (),
                        visit_id: int | None = None) -> ProgramVersion:
        """A new draft with an old version's program (parent = that version), to write again."""
        old = self.version(actor, version_id)
        return self.create_program_version(
            actor, old.device_serial, old.slot, old.record, reason=reason,
            expected_latest=expected_latest, confirmations=confirmations, parent_id=old.id,
            visit_id=visit_id)

    def record_found_program(self, actor: User, device_serial: str, slot: int,
                             program: ProgramRecord, *, device_crc: int,
                             visit_id: int) -> ProgramVersion | None:
        """Record a program read from the device on arrival at ``visit_id``, with its CRC.

        Nothing is recorded (None) when the slot's newest verified version already holds
        exactly this program, or when this visit has already recorded the slot as found.
        Reading is not authoring: anyone who may see the record may note what a device
        held, but only within an open visit of the device's patient.
        """
        record, clinical = _as_record(program)
        if device_crc != record.crc:
            raise InvalidRecord(f"slot {slot} reported CRC {device_crc:#06x} but its program's "
                                f"CRC is {record.crc:#06x}: not recorded as found")
        if not 0 <= slot <= MAX_SLOT:
            raise InvalidRecord(f"slot {slot} is outside 0..{MAX_SLOT}")
        with transactions.write(self.engine) as tx:
            author = self._acting(tx.session, actor, Action.VIEW_RECORD)
            device = device_row(tx.session, device_serial)
            self._check_links(tx.session, device, None, visit_id)  # an ended visit: refused
            slot_rows = list(tx.session.execute(select(ProgramVersionRow).where(
                ProgramVersionRow.device_id == device.id, ProgramVersionRow.slot == slot).order_by(
                ProgramVersionRow.slot_sequence)).scalars())
            versions = load_versions(tx.session, slot_rows)
            if any(found_on_arrival(v) and v.visit_id == visit_id for v in versions):
                return None
            verified = [v for v in versions if v.status is VersionStatus.VERIFIED]
            if verified and verified[-1].record == record:
                return None
            row = ProgramVersionRow(
                device_id=device.id, slot=slot,
                slot_sequence=slot_rows[-1].slot_sequence + 1 if slot_rows else 1,
                record=record.encode(), record_crc=record.crc, author_id=author.id,
                created_at=utc_now(), reason=FOUND_REASON, confirmations=[], parent_id=None,
                visit_id=visit_id, **clinical_columns(clinical))
            tx.session.add(row)
            tx.session.flush()
            tx.session.add(ProgramStatusRow(version_id=row.id, revision=1,
                                            status=VersionStatus.VERIFIED.value,
                                            device_crc=device_crc, at=row.created_at,
                                            actor_id=author.id, detail=FOUND_DETAIL))
            tx.audit(AuditEvent.VERSION_CREATED, actor, {
                "version": row.id, "device": device_serial, "slot": slot,
                "record": record.encode().hex(), "crc": record.crc, "parent": None,
                "reason": FOUND_REASON, "visit": visit_id, "found_on_arrival": True})
            tx.audit(AuditEvent.PROGRAM_VERIFIED, actor, {
                "version": row.id, "device": device_serial, "slot": slot,
                "device_crc": device_crc, "detail": FOUND_DETAIL})
            tx.session.flush()
            return load_versions(tx.session, [row])[0]

    def mark_written(self, actor: User, version_id: int, device_crc: int, *,
                     expected_revision: int) -> ProgramVersion:
        """The device stored the version and reported ``device_crc`` (it must match)."""
        return self._advance(actor, version_id, VersionStatus.WRITTEN, expected_revision,
                             device_crc, None)

    def mark_verified(self, actor: User, version_id: int, device_crc: int, *,
                      expected_revision: int) -> ProgramVersion:
        """The program read back from the device equals the version, byte for byte."""
        return self._advance(actor, version_id, VersionStatus.VERIFIED, expected_revision,
                             device_crc, None)

    def mark_failed(self, actor: User, version_id: int, reason: str, *,
                    expected_revision: int, device_crc: int | None = None) -> ProgramVersion:
        """The write was refused, lost or read back different; ``reason`` says which."""
        if not reason.strip():
            raise InvalidRecord("a failed write needs a reason")
        return self._advance(actor, version_id, VersionStatus.FAILED, expected_revision,
                             device_crc, reason)

    def mark_unconfirmed(self, actor: User, version_id: int, reason: str, *,
                         expected_revision: int) -> ProgramVersion:
        """The link dropped before the device's answer: it may or may not hold the version.

        Resolved on the next connection to the device by reading the slot back.
        """
        if not reason.strip():
            raise InvalidRecord("an unconfirmed write needs a reason")
        return self._advance(actor, version_id, VersionStatus.UNCONFIRMED, expected_revision,
                             None, reason)

    def unconfirmed_versions(self, actor: User, device_serial: str) -> list[ProgramVersion]:
        """The device's versions whose write ended with the outcome unknown, oldest first."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            device = device_row(session, device_serial)
            waiting = select(ProgramStatusRow.version_id).where(
                ProgramStatusRow.status == VersionStatus.UNCONFIRMED.value)
            rows = session.execute(select(ProgramVersionRow).where(
                ProgramVersionRow.device_id == device.id,
                ProgramVersionRow.id.in_(waiting)).order_by(ProgramVersionRow.id)).scalars()
            return [version for version in load_versions(session, rows)
                    if version.status is VersionStatus.UNCONFIRMED]

    def version(self, actor: User, version_id: int) -> ProgramVersion:
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            row = session.get(ProgramVersionRow, version_id)
            if row is None:
                raise NotFound(f"no program version {version_id}")
            return load_versions(session, [row])[0]

    def latest_version(self, actor: User, device_serial: str, slot: int) -> ProgramVersion | None:
        """The slot's newest version (pass its id as ``expected_latest`` when changing it)."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            latest = _latest(session, device_row(session, device_serial).id, slot)
            return load_versions(session, [latest])[0] if latest else None

    def _advance(self, actor: User, version_id: int, status: VersionStatus,
                 expected_revision: int, device_crc: int | None,
                 detail: str | None) -> ProgramVersion:
        with transactions.write(self.engine) as tx:
            acting = self._acting(tx.session, actor, Action.PROGRAM_DEVICE)
            row = tx.session.get(ProgramVersionRow, version_id)
            if row is None:
                raise NotFound(f"no program version {version_id}")
            last = tx.session.execute(select(ProgramStatusRow).where(
                ProgramStatusRow.version_id == version_id).order_by(
                ProgramStatusRow.revision.desc()).limit(1)).scalar_one()
            if last.revision != expected_revision:
                by = tx.session.get_one(UserRow, last.actor_id).username
                raise ConflictError(f"version {version_id} is now {last.status} (step "
                                    f"{last.revision}, by {by}), not step {expected_revision} "
                                    "as this console saw it: reload")
            if VersionStatus(last.status) not in _ALLOWED_FROM[status]:
                raise ConflictError(f"version {version_id} is {last.status}; it cannot "
                                    f"become {status.value}")
            if status in (VersionStatus.WRITTEN, VersionStatus.VERIFIED) \
                    and device_crc != row.record_crc:
                raise InvalidRecord(f"device CRC {device_crc:#06x} differs from version "
                                    f"{version_id}'s CRC {row.record_crc:#06x}: "
                                    "record the write as failed")
            tx.session.add(ProgramStatusRow(version_id=version_id, revision=last.revision + 1,
                                            status=status.value, device_crc=device_crc,
                                            at=utc_now(), actor_id=acting.id, detail=detail))
            serial = tx.session.get_one(DeviceRow, row.device_id).serial
            tx.audit(_EVENT_OF[status], actor, {
                "version": version_id, "device": serial, "slot": row.slot,
                "device_crc": device_crc, "detail": detail})
            tx.session.flush()
            return load_versions(tx.session, [row])[0]

    @staticmethod
    def _moved_on(session: Session, serial: str, slot: int, latest: ProgramVersionRow | None,
                  expected: int | None) -> str:
        if latest is None:
            return (f"slot {slot} of device {serial} holds no version {expected}: reload")
        by = session.get_one(UserRow, latest.author_id).username
        seen = f"version {expected}" if expected is not None else "an empty slot"
        return (f"slot {slot} of device {serial} now holds version {latest.id} by {by} "
                f"(created {latest.created_at:%Y-%m-%d %H:%M} UTC); this change was based on "
                f"{seen}: reload and decide again")

    @staticmethod
    def _check_links(session: Session, device: DeviceRow, parent_id: int | None,
                     visit_id: int | None) -> None:
        if parent_id is not None:
            parent = session.get(ProgramVersionRow, parent_id)
            if parent is None or parent.device_id != device.id:
                raise InvalidRecord(f"parent version {parent_id} is not a version of "
                                    f"device {device.serial}")
        open_visit(session, visit_id, device.patient_id, f"device {device.serial}'s patient")

