"""Is the connected device this patient's? What the clinical record says, and the answers.

Checked on every connection: a device registered to someone else, or to no one, must be
answered before it is worked with — register it to this patient, change to its owner, or
disconnect. Everything here is record I/O, run off the window's GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from console.accounts.roles import User
from console.storage import ClinicalRecord, Device, NotFound, Patient, Visit, VisitKind
from device_link.messages import Identity


class Ownership(Enum):
    PATIENTS = "the patient's device"
    UNREGISTERED = "not in the clinical record"
    UNASSIGNED = "in the record, not assigned to a patient"
    OTHER_PATIENT = "another patient's device"


@dataclass(frozen=True, slots=True)
class DeviceMatch:
    serial: str
    model: str
    firmware: str
    ownership: Ownership
    owner: str | None  # the clinic ID the record gives the device, if any

    @property
    def registrable(self) -> bool:
        """A device may be registered to the patient unless it belongs to someone else."""
        return self.ownership in (Ownership.UNREGISTERED, Ownership.UNASSIGNED)


def match_device(record: ClinicalRecord, user: User, identity: Identity,
                 patient_clinic_id: str) -> DeviceMatch:
    """What the record says about ``identity``'s device relative to the patient."""
    try:
        owner = record.device(user, identity.serial).patient_clinic_id
    except NotFound:
        return DeviceMatch(identity.serial, identity.model, identity.firmware,
                           Ownership.UNREGISTERED, None)
    if owner is None:
        ownership = Ownership.UNASSIGNED
    elif owner == patient_clinic_id:
        ownership = Ownership.PATIENTS
    else:
        ownership = Ownership.OTHER_PATIENT
    return DeviceMatch(identity.serial, identity.model, identity.firmware, ownership, owner)


def register_to_patient(record: ClinicalRecord, user: User, match: DeviceMatch,
                        patient_clinic_id: str) -> Device:
    """Record the matched device as the patient's (the record refuses a device of another)."""
    return record.register_device(user, match.serial, match.model, match.firmware,
                                  patient_clinic_id=patient_clinic_id)


def change_to_owner(record: ClinicalRecord, user: User, match: DeviceMatch,
                    kind: VisitKind) -> tuple[Patient, Visit]:
    """The device's owner and a new visit of ``kind`` for them, with this device."""
    if match.owner is None:
        raise NotFound(f"device {match.serial} is not assigned to a patient")
    return (record.patient(user, match.owner),
            record.start_visit(user, match.owner, kind, device_serial=match.serial))
