"""The devices whose pairing key may be stored, as the pairing dialog offers them.

Only what choosing needs: the serial, whose device it is and whether a key is stored
already (and when). Never the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from console.accounts import Action, User
from console.storage.record import ClinicalRecord


@dataclass(frozen=True, slots=True)
class PairingTarget:
    serial: str
    patient_clinic_id: str | None
    key_stored_at: datetime | None  # None: no key stored for this device yet


def pairing_targets(record: ClinicalRecord, actor: User) -> list[PairingTarget]:
    """Every device in the record, by serial (engineers and administrators)."""
    record.require(actor, Action.MANAGE_PAIRING_KEYS)
    stored = record.stored_keys(actor)
    return [PairingTarget(device.serial, device.patient_clinic_id,
                          stored[device.serial].stored_at if device.serial in stored else None)
            for device in record.list_devices(actor)]
