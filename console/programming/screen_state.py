"""What the programming screen shows, without Qt: device facts, the draft, the assessment.

The draft is what is on screen; ``device_program`` is what the device proved it
holds (read back byte for byte). After a link loss the device facts are dropped, so
nothing on screen can pretend to be on the device; what was learnt of the leads is kept
as earlier knowledge of that device (``LeadIntegrity``), never lost and never counted as
measured now. ``state`` is the one answer every panel words itself from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from console.leads.impedance import ImpedanceMap
from console.leads.integrity import EarlierReading, LeadIntegrity, program_pairs, with_integrity
from console.programming.link_state import Link, ScreenState, Unconfirmed, screen_state
from console.programming.program import LEAD_NAMES, LeadProgram, Program
from console.programming.request import Consent, WriteRequest
from console.safety import Assessment, Finding, SafetyEngine, SafetyProfile, load_profile
from device_link.messages import Identity, ImpedanceRecord, Limits, Status
from device_link.protocol import DeviceState

DEFAULT_PROGRAM = Program(
    leads=(LeadProgram(True, 1, 2, Decimal("0.0"), 214),
           LeadProgram(True, 1, 2, Decimal("0.0"), 214)),
    frequency_hz=20, ramp_up_s=Decimal("1.0"), ramp_down_s=Decimal("1.0"),
    on_s=Decimal("10.0"), off_s=Decimal("20.0"), session_min=30)
"""A starting point at zero amplitude: nothing is delivered until a clinician titrates."""


@dataclass(frozen=True, slots=True)
class RestoredDraft:
    """A version restored from history: recorded as a draft, not yet on the device.

    ``consent`` is what the clinician confirmed when it was recorded: the draft keeps
    those confirmations, so writing it unchanged with them writes that very version.
    """

    version_id: int
    slot: int
    program: Program
    consent: Consent | None = None


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
        self.link = Link.DISCONNECTED
        self.unconfirmed: Unconfirmed | None = None
        self.proven: Program | None = None  # last program the device proved, kept offline
        self.confirmed: tuple[Finding, ...] = ()  # agreed to when device_program was written

    # -- the device ------------------------------------------------------------------------

    def attach(self, identity: Identity, limits: Limits, status: Status) -> None:
        self.device = DeviceFacts(identity, limits, status)
        self.link = Link.CONNECTED
        self._settle_stop(status)
        self.engine = SafetyEngine(limits, self.profile,
                                   electrodes_per_lead=identity.electrodes_per_lead)
        if identity.serial != self.integrity_serial:  # another device: nothing is known
            self.integrity = LeadIntegrity()
            self.integrity_serial = identity.serial
            self.restored = None  # a draft of another device's history
        self.integrity = self.integrity.device_status(status)

    def update_status(self, status: Status) -> None:
        if self.device is not None:
            self.device = dataclasses.replace(self.device, status=status)
            self.integrity = self.integrity.device_status(status)
            self._settle_stop(status)

    def detach(self, *, lost: bool = False) -> None:
        """The link is gone (``lost``: it failed, nobody asked): forget what the device said,
        keep what was learnt of its leads as earlier knowledge (a pair seen open stays
        blocked until measured again), and a restored draft, to write on reconnecting."""
        self.device = None
        self.device_program = None
        self.confirmed = ()
        self.integrity = self.integrity.reconnected()
        self.link = Link.LOST if lost else Link.DISCONNECTED

    def stop_unconfirmed(self, detail: str) -> None:
        """STOP went out but the device never confirmed it."""
        self.unconfirmed = Unconfirmed("stop", detail)

    def stop_confirmed(self) -> None:
        if self.unconfirmed is not None and self.unconfirmed.what == "stop":
            self.unconfirmed = None

    def _settle_stop(self, status: Status) -> None:
        """A device reporting itself idle settles an unconfirmed STOP."""
        if status.state == DeviceState.IDLE:
            self.stop_confirmed()

    @property
    def state(self) -> ScreenState:
        """What the screen may say about the device (see ``link_state``)."""
        return screen_state(self.link, self.unconfirmed, bool(self.differing_fields()))

    @property
    def unwritten_changes(self) -> bool:
        """The draft holds values the device was never proven to hold (leaving loses them)."""
        return self.draft != (self.proven or DEFAULT_PROGRAM)

    @property
    def impedances(self) -> ImpedanceMap:
        """The readings taken on this connection."""
        return self.integrity.now

    @property
    def connected(self) -> bool:
        return self.device is not None

    # -- programs --------------------------------------------------------------------------

    def loaded_from_device(self, slot: int, program: Program | None) -> None:
        """A read-back (or an empty slot): the draft becomes what the device holds, and a
        write to this slot whose outcome was unknown is settled."""
        self.slot = slot
        self.device_program = program
        self.confirmed = ()
        if program is not None:
            self.draft = program
            self.proven = program
        if self.unconfirmed is not None and self.unconfirmed.slot == slot:
            self.unconfirmed = None

    def forget_slot(self, slot: int) -> None:
        """``slot`` is the one on screen now, and what the device holds there is not known."""
        self.slot = slot
        self.device_program = None
        self.confirmed = ()

    def write_unconfirmed(self, slot: int, detail: str) -> None:
        """A write to ``slot`` whose result the device never confirmed: read it again."""
        self.forget_slot(slot)
        self.unconfirmed = Unconfirmed("write", detail, slot)

    def applied(self, slot: int, program: Program, confirmed: tuple[Finding, ...] = ()) -> None:
        """A write whose read-back matched byte for byte (``confirmed``: findings agreed to)."""
        self.slot = slot
        self.device_program = program
        self.draft = program
        self.proven = program
        self.confirmed = confirmed
        self.restored = None
        if self.unconfirmed is not None and self.unconfirmed.slot == slot:
            self.unconfirmed = None

    def restore(self, version_id: int, slot: int, program: Program,
                consent: Consent | None = None) -> None:
        """A restored version becomes the draft, to be written and verified again."""
        if slot != self.slot:
            self.forget_slot(slot)
        self.draft = program
        self.restored = RestoredDraft(version_id, slot, program, consent)

    def restored_consent(self, slot: int) -> Consent | None:
        """The consent recorded with the restored draft, if it is what would be written."""
        restored = self.restored
        if restored is None or restored.slot != slot or restored.program != self.draft:
            return None
        return restored.consent

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

    def write_request(self, program: Program, consent: Consent, reason: str) -> WriteRequest:
        """A write of ``program`` to the session's slot, carrying what a restore recorded:
        which version it is (or descends from) and the confirmations it was made with."""
        recorded = self.restored_consent(self.slot)
        return WriteRequest(program, self.slot, consent, reason,
                            self.version_to_write(self.slot),
                            tuple(recorded.confirmations(recorded.findings or ()))
                            if recorded is not None else ())

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
        return self.assess(self.draft)

    def assess(self, program: Program) -> Assessment:
        """The engine's findings on ``program`` with what is known of the leads now."""
        pairs = program_pairs(program)
        assessment = self.engine.check_program(program, self.integrity.engine_impedances(pairs))
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
