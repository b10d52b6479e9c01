"""The devices whose pairing key may be stored, as the pairing dialog offers them.

Only what choosing needs: the serial, whose device it is and whether a key is stored
already (and when). Never the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from console.accounts import Action, User
from console.storage import transactions
from console.storage.models import DeviceRow, PairingKeyRow, PatientRow
from console.storage.record import ClinicalRecord


@dataclass(frozen=True, slots=True)
class PairingTarget:
    serial: str
    patient_clinic_id: str | None
    key_stored_at: datetime | None  # None: no key stored for this device yet


def pairing_targets(record: ClinicalRecord, actor: User) -> list[PairingTarget]:
    """Every device in the record, by serial (engineers and administrators)."""
    record.require(actor, Action.MANAGE_PAIRING_KEYS)
    with transactions.read(record.engine) as session:
        rows = session.execute(
            select(DeviceRow.serial, PatientRow.clinic_id, PairingKeyRow.stored_at)
            .outerjoin(PatientRow, DeviceRow.patient_id == PatientRow.id)
            .outerjoin(PairingKeyRow, PairingKeyRow.device_id == DeviceRow.id)
            .order_by(DeviceRow.serial))
        return [PairingTarget(serial, clinic_id, stored_at)
                for serial, clinic_id, stored_at in rows]
