"""Titration marks in the clinical record: what a clinician marked on a pair while test
stimulation ran (threshold, target, maximum), with the stimulus it was seen at.

A mark is a fact about the patient's response, so it is kept like a measurement:
append-only (the database refuses UPDATE and DELETE), audited, tied to the visit and
refused for a visit that has ended. Only a user who may deliver test stimulation marks;
anyone who may read the record reads the marks. Amplitudes are stored in whole µA, the
device's unit, so nothing is rounded between the device's confirmation and the record.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from console.accounts import Action, User
from console.audit.events import AuditEvent
from console.programming.program import (
    UA_PER_MA,
    OutOfBounds,
    bounded_decimal,
    from_device_units,
    scaled_integer,
)
from console.storage import transactions
from console.storage.errors import InvalidRecord
from console.storage.models import TitrationMarkRow, UserRow
from console.storage.service import RecordService, device_row, open_visit
from console.storage.types import utc_now
from console.titration.marks import MarkKind, TitrationMark

MAX_AMP_UA = 0xFFFF
"""The most a mark's amplitude can be: what the device's amplitude field carries, in µA."""
MAX_ELECTRODE = 0xFF
MAX_PULSE_WIDTH_US = 0xFFFF
MAX_FREQUENCY_HZ = 0xFF
MAX_NOTE_CHARACTERS = 500


def _in_range(field: str, value: object, low: int, high: int, unit: str = "") -> int:
    """``value`` when it is a whole number from ``low`` to ``high``; else InvalidRecord
    naming the field, the value and the limits (never clamped)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRecord(f"titration mark {field} = {value!r}: must be a whole number "
                            f"from {low} to {high}{unit}")
    return value


def amplitude_ua(amplitude_ma: Decimal) -> int:
    """The mark's amplitude in whole µA; InvalidRecord where it has no exact µA value or
    lies outside what the device can carry."""
    if not isinstance(amplitude_ma, Decimal):
        raise InvalidRecord(f"titration mark amplitude_ma = {amplitude_ma!r}: not a number "
                            f"of mA")
    try:
        value = bounded_decimal(amplitude_ma, "amplitude_ma")
    except OutOfBounds as exc:
        raise InvalidRecord(f"titration mark {exc}") from None
    limit = from_device_units(MAX_AMP_UA, UA_PER_MA)
    if not 0 <= value <= limit:
        raise InvalidRecord(f"titration mark amplitude_ma = {value} mA: must be from 0 to "
                            f"{limit} mA")
    raw = scaled_integer(value, UA_PER_MA)
    if raw is None:
        raise InvalidRecord(f"titration mark amplitude_ma = {value} mA: not a whole number "
                            f"of µA, the device's unit")
    return raw


def _note(note: str | None) -> str | None:
    """The note as stored: trimmed, None when empty; InvalidRecord when too long."""
    if note is None:
        return None
    if not isinstance(note, str):
        raise InvalidRecord(f"titration mark note: expected text, got {type(note).__name__}")
    text = note.strip()
    if len(text) > MAX_NOTE_CHARACTERS:
        raise InvalidRecord(f"titration mark note is {len(text)} characters long: at most "
                            f"{MAX_NOTE_CHARACTERS}")
    return text or None


def checked_row(mark: TitrationMark) -> dict[str, object]:
    """The mark's columns, each checked; InvalidRecord names the first field that is wrong."""
    try:
        kind = MarkKind(mark.kind)
    except ValueError:
        raise InvalidRecord(f"titration mark kind = {mark.kind!r}: must be one of "
                            f"{', '.join(k.value for k in MarkKind)}") from None
    row = {"kind": kind.value, "lead": _in_range("lead", mark.lead, 0, 1),
           "anode": _in_range("anode", mark.anode, 0, MAX_ELECTRODE),
           "cathode": _in_range("cathode", mark.cathode, 0, MAX_ELECTRODE),
           "amp_ua": amplitude_ua(mark.amplitude_ma),
           "pulse_width_us": _in_range("pulse_width_us", mark.pulse_width_us, 1,
                                       MAX_PULSE_WIDTH_US, " µs"),
           "frequency_hz": _in_range("frequency_hz", mark.frequency_hz, 1, MAX_FREQUENCY_HZ,
                                     " Hz"),
           "note": _note(mark.note)}
    if mark.anode == mark.cathode:
        raise InvalidRecord(f"titration mark anode = cathode = {mark.anode}: a pair needs two "
                            "electrodes")
    return row


def _mark(row: TitrationMarkRow, operator: str) -> TitrationMark:
    return TitrationMark(MarkKind(row.kind), row.lead, row.anode, row.cathode,
                         from_device_units(row.amp_ua, UA_PER_MA), row.pulse_width_us,
                         row.frequency_hz, row.note, row.marked_at, operator, row.visit_id)


class TitrationMixin(RecordService):
    def record_titration_mark(self, actor: User, device_serial: str, mark: TitrationMark, *,
                              visit_id: int | None = None) -> TitrationMark:
        """Store one mark; returns it as stored, with its time, operator and visit (the
        mark's own ``marked_at``, ``operator`` and ``visit_id`` are not taken from it)."""
        columns = checked_row(mark)
        with transactions.write(self.engine) as tx:
            operator = self._acting(tx.session, actor, Action.TEST_STIMULATION)
            device = device_row(tx.session, device_serial)
            open_visit(tx.session, visit_id, device.patient_id)
            row = TitrationMarkRow(device_id=device.id, visit_id=visit_id,
                                   marked_at=utc_now(), actor_id=operator.id, **columns)
            tx.session.add(row)
            tx.session.flush()
            stored = _mark(row, operator.username)
            tx.audit(AuditEvent.TITRATION_MARKED, actor, {
                "titration_mark": row.id, "device": device_serial, "visit": visit_id,
                "kind": row.kind, "lead": row.lead, "anode": row.anode,
                "cathode": row.cathode, "amplitude_ma": str(stored.amplitude_ma),
                "pulse_width_us": row.pulse_width_us, "frequency_hz": row.frequency_hz,
                "note": row.note is not None})  # whether there is one: free text stays out
            return stored

    def titration_marks(self, actor: User, device_serial: str, *,
                        visit_id: int | None = None) -> list[TitrationMark]:
        """Every mark of one device (or only those of ``visit_id``), oldest first."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            device = device_row(session, device_serial)
            query = (select(TitrationMarkRow, UserRow.username)
                     .join(UserRow, UserRow.id == TitrationMarkRow.actor_id)
                     .where(TitrationMarkRow.device_id == device.id)
                     .order_by(TitrationMarkRow.marked_at, TitrationMarkRow.id))
            if visit_id is not None:
                query = query.where(TitrationMarkRow.visit_id == visit_id)
            return [_mark(row, username) for row, username in session.execute(query)]
