"""What the device arrived with: every program slot read on the first connection of a visit.

A clinician compares what the patient came in with and what they leave with; a program
changed elsewhere (another clinic, a factory reset) must not be mistaken for the last one
this record wrote. So on the first connection of a visit every slot the device has is
read and, where the record does not already hold exactly that program as the slot's
latest verified version, recorded as found on the device, with its CRC. The window runs
it on its device worker; nothing here needs Qt. The record refuses a second arrival of
the same slot in one visit, so a reconnection never records it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.accounts import AccessError
from console.device.record_keeper import RecordKeeper
from console.storage import ProgramVersion, RecordError
from device_link.client import DeviceClient
from device_link.errors import NotFound as SlotEmpty


@dataclass(frozen=True, slots=True)
class SlotOnArrival:
    """One slot as the device held it: empty (``crc`` None), recorded now (``version``),
    already in the record, or not recordable (``problem``)."""

    slot: int
    crc: int | None
    version: ProgramVersion | None = None
    problem: str | None = None

    def text(self) -> str:
        if self.crc is None:
            return f"slot {self.slot} empty"
        if self.problem is not None:
            return f"slot {self.slot} (CRC {self.crc:#06x}) not recorded: {self.problem}"
        if self.version is not None:
            return (f"slot {self.slot} (CRC {self.crc:#06x}) recorded as found, "
                    f"version {self.version.id}")
        return f"slot {self.slot} (CRC {self.crc:#06x}) as the record holds it"


@dataclass(frozen=True, slots=True)
class Arrival:
    """Every slot of one device at the start of one visit."""

    serial: str
    visit_id: int
    slots: tuple[SlotOnArrival, ...]

    @property
    def recorded(self) -> tuple[ProgramVersion, ...]:
        return tuple(s.version for s in self.slots if s.version is not None)

    @property
    def complete(self) -> bool:
        """Every slot was read and is in the record (or empty)."""
        return all(s.problem is None for s in self.slots)

    def sentence(self) -> str:
        """One sentence for the status line or the command line."""
        return (f"Device {self.serial} arrived with: "
                + "; ".join(s.text() for s in self.slots) + ".")


def read_arrival(client: DeviceClient, keeper: RecordKeeper) -> Arrival:
    """Read every slot and record each program the record does not hold yet.

    Writes left unconfirmed are settled first, so a program this console wrote is never
    recorded as found. A link failure raises (DeviceLinkError): the arrival is then read
    again on the next connection. A record refusal is kept with its slot.
    """
    identity = client.identity
    assert identity is not None, "the client is not connected"
    if keeper.visit_id is None:
        raise ValueError("what a device arrived with is recorded only within a visit")
    keeper.settle_on_connect(client)
    slots = []
    for slot in range(identity.program_slots):
        try:
            stored = client.read_program(slot)
        except SlotEmpty:
            slots.append(SlotOnArrival(slot, None))
            continue
        try:
            version = keeper.record_found(identity.serial, stored)
        except (RecordError, AccessError, ValueError) as exc:
            slots.append(SlotOnArrival(slot, stored.crc, problem=str(exc)))
            continue
        slots.append(SlotOnArrival(slot, stored.crc, version))
    return Arrival(identity.serial, keeper.visit_id, tuple(slots))
