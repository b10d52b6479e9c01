"""What the programming screen shows, without Qt: device facts, the draft, the assessment.

The draft is what is on screen; ``device_program`` is what the device proved it
holds (read back byte for byte). After a link loss the device facts are dropped, so
nothing on screen can pretend to be on the device; what was learnt of the leads is kept
as earlier knowledge of that device (``LeadIntegrity``), never lost and never counted as
measured now.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from console.leads.impedance import ImpedanceMap
from console.leads.integrity import EarlierReading, LeadIntegrity, program_pairs, with_integrity
from console.programming.program import LEAD_NAMES, LeadProgram, Program
from console.safety import Assessment, SafetyEngine, SafetyProfile, load_profile
from device_link.messages import Identity, ImpedanceRecord, Limits, Status

DEFAULT_PROGRAM = Program(
    leads=(LeadProgram(True, 1, 2, Decimal("0.0"), 214),
           LeadProgram(True, 1, 2, Decimal("0.0"), 214)),
    frequency_hz=20, ramp_up_s=Decimal("1.0"), ramp_down_s=Decimal("1.0"),
    on_s=Decimal("10.0"), off_s=Decimal("20.0"), session_min=30)
"""A starting point at zero amplitude: nothing is delivered until a clinician titrates."""


@dataclass(frozen=True, slots=True)
class RestoredDraft:
    """A version restored from history: recorded as a draft, not yet on the device."""

    version_id: int
    slot: int
    program: Program


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    identity: Identity
    limits: Limits
    status: Status


class ProgrammingSession:
    """The state behind the programming screen. Every change goes through the engine."""

    def __init__(self, profile: SafetyProfile | None = None) -> None:
        self.profile = profile or load_profile()
        self.engine = SafetyEngine(None, self.profile)
        self.device: DeviceFacts | None = None
        self.slot = 0
        self.draft: Program = DEFAULT_PROGRAM
        self.device_program: Program | None = None
        self.integrity = LeadIntegrity()
        self.integrity_serial: str | None = None  # the device ``integrity`` is about
        self.restored: RestoredDraft | None = None

    # -- the device ------------------------------------------------------------------------

    def attach(self, identity: Identity, limits: Limits, status: Status) -> None:
        self.device = DeviceFacts(identity, limits, status)
        self.engine = SafetyEngine(limits, self.profile,
                                   electrodes_per_lead=identity.electrodes_per_lead)
        if identity.serial != self.integrity_serial:  # another device: nothing is known
            self.integrity = LeadIntegrity()
            self.integrity_serial = identity.serial
        self.integrity = self.integrity.device_status(status)

    def update_status(self, status: Status) -> None:
        if self.device is not None:
            self.device = dataclasses.replace(self.device, status=status)
            self.integrity = self.integrity.device_status(status)

    def detach(self) -> None:
        """The link is gone: forget what the device said, keep what was learnt of its leads
        as earlier knowledge (a pair seen open stays blocked until measured again)."""
        self.device = None
        self.device_program = None
        self.integrity = self.integrity.reconnected()
        self.restored = None

    @property
    def impedances(self) -> ImpedanceMap:
        """The readings taken on this connection."""
        return self.integrity.now

    @property
    def connected(self) -> bool:
        return self.device is not None

    # -- programs --------------------------------------------------------------------------

    def loaded_from_device(self, slot: int, program: Program | None) -> None:
        """A read-back (or an empty slot): the draft becomes what the device holds."""
        self.slot = slot
        self.device_program = program
        if program is not None:
            self.draft = program

    def applied(self, slot: int, program: Program) -> None:
        """A write whose read-back matched byte for byte."""
        self.slot = slot
        self.device_program = program
        self.draft = program
        self.restored = None

    def restore(self, version_id: int, slot: int, program: Program) -> None:
        """A restored version becomes the draft, to be written and verified again."""
        self.slot = slot
        self.draft = program
        self.restored = RestoredDraft(version_id, slot, program)

    def version_to_write(self, slot: int) -> tuple[int | None, int | None]:
        """(recorded draft to write as it is, parent of a new version) for a write to ``slot``.

        A restored draft written unchanged is that version; changed, it is the parent.
        """
        restored = self.restored
        if restored is None or restored.slot != slot:
            return None, None
        if restored.program == self.draft:
            return restored.version_id, None
        return None, restored.version_id

    def set_draft(self, program: Program) -> None:
        self.draft = program

    def set_lead(self, lead: int, **changes: object) -> None:
        """Change one lead; new electrodes set its amplitude back to zero (safety rule)."""
        current = self.draft.leads[lead]
        updated = dataclasses.replace(current, **changes)  # type: ignore[arg-type]
        if (updated.anode, updated.cathode, updated.enabled) != (
                current.anode, current.cathode, current.enabled):
            updated = dataclasses.replace(updated, amplitude_ma=Decimal("0.0"))
        leads = list(self.draft.leads)
        leads[lead] = updated
        self.draft = dataclasses.replace(self.draft, leads=tuple(leads))

    def differing_fields(self) -> set[str]:
        """Fields of the draft that the device does not hold (all of them if unknown)."""
        draft = self.draft.as_fields()
        if self.device_program is None:
            return set(draft)
        held = self.device_program.as_fields()
        return {name for name, value in draft.items() if held.get(name) != value}

    def pairs_in_use(self) -> dict[int, tuple[int, int]]:
        return program_pairs(self.draft)

    def assessment(self) -> Assessment:
        pairs = self.pairs_in_use()
        assessment = self.engine.check_program(self.draft, self.integrity.engine_impedances(pairs))
        return with_integrity(assessment, self.integrity, pairs, self.profile,
                              lambda lead: f"{LEAD_NAMES[lead]}.cathode")

    # -- measurements ----------------------------------------------------------------------

    def measured(self, records: list[ImpedanceRecord] | tuple[ImpedanceRecord, ...],
                 fault_flags: int | None = None, at: datetime | None = None) -> None:
        """A measurement run, with the device's fault flags read right after it."""
        self.integrity = self.integrity.measured(records, at or datetime.now(UTC), fault_flags)

    def remember(self, serial: str,
                 readings: Mapping[tuple[int, int, int], EarlierReading]) -> None:
        """The record's last stored reading of each pair of ``serial``, shown with its age."""
        if serial == self.integrity_serial:
            self.integrity = self.integrity.remembered(readings)
