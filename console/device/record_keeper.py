"""What a device session did, kept in the clinical record as it happens.

The command line and the window both talk to devices; ``RecordKeeper`` is the one
place that decides which facts reach the record and in which order, so both keep the
same record. The record is told *before* the device acts where the record must allow
the act (a program version is created, a test stimulation audited, before anything is
sent) and *after* the device acts where the record states an outcome (written, verified,
failed, measured, downloaded, stopped). A step the device took but the record could not
note is reported as ``RecordBehind``, never papered over; a version is never marked
verified unless the read-back matched byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from console.accounts import AccessError, Action, PermissionDenied, User
from console.accounts.roles import PERMISSIONS
from console.programming.program import Program, TestStimulus
from console.storage import (
    ClinicalRecord,
    Confirmation,
    Device,
    InvalidRecord,
    NotFound,
    ProgramVersion,
    RecordError,
    VersionStatus,
)
from console.titration.marks import TitrationMark
from device_link.client import AppliedProgram, DeviceClient
from device_link.errors import DeviceLinkError, DeviceRefused, ReadBackMismatch
from device_link.errors import NotFound as SlotEmpty
from device_link.keystore import KeyStore
from device_link.messages import (
    Identity,
    ImpedanceRecord,
    LogEntry,
    ReadProgramResponse,
    WriteProgramResponse,
)
from device_link.program_record import ProgramRecord


class WriteNotApplied(Exception):
    """The device does not hold the program: refused, link lost, or read back different.

    ``version`` is the version as the record holds it afterwards (normally ``failed``;
    the message says so when the record could not be updated).
    """

    def __init__(self, message: str, version: ProgramVersion) -> None:
        super().__init__(message)
        self.version = version


class WriteOutcomeUnknown(Exception):
    """The link dropped before the device confirmed: it may hold the new program or not.

    The version is recorded ``unconfirmed`` (never ``failed``: the device may hold it)
    and resolved by reading the slot on the next connection to the device.
    """

    def __init__(self, message: str, version: ProgramVersion) -> None:
        super().__init__(message)
        self.version = version


def outcome_unknown_advice(slot: int) -> str:
    """What the clinician does when a write's outcome is unknown: one sentence everywhere."""
    return f"the device may hold the new program: reconnect and read slot {slot}"


@dataclass(frozen=True, slots=True)
class Resolution:
    """An unconfirmed version settled by reading its slot on a later connection."""

    version: ProgramVersion
    held: bool  # the slot holds exactly this version

    def text(self) -> str:
        version = self.version
        if self.held:
            return (f"version {version.id} of slot {version.slot}, whose write was "
                    f"unconfirmed, is on the device: read back byte for byte, now verified")
        return (f"version {version.id} of slot {version.slot}, whose write was unconfirmed, "
                f"is not on the device: recorded as failed")


class RecordBehind(Exception):
    """The device did its part but the record could not note it; the message says both."""

    def __init__(self, message: str, version: ProgramVersion) -> None:
        super().__init__(message)
        self.version = version


@dataclass(frozen=True, slots=True)
class RecordedWrite:
    """A program the device holds (proven by read-back) and its ``verified`` version."""

    version: ProgramVersion
    applied: AppliedProgram


def _roles_allowed(action: Action) -> str:
    """"admin, clinician or theatre": the roles that may ``action``, for a message."""
    roles = sorted(role.value for role in PERMISSIONS[action])
    return roles[0] if len(roles) == 1 else f"{', '.join(roles[:-1])} or {roles[-1]}"


class RecordKeeper:
    """Records one user's device acts in one clinical record.

    ``visit_id``, when given, links measurements, test stimulation and new program
    versions to that visit (the record checks it is a visit of the device's patient).
    """

    def __init__(self, record: ClinicalRecord, actor: User, *,
                 visit_id: int | None = None) -> None:
        self.record = record
        self.actor = actor
        self.visit_id = visit_id

    def require(self, action: Action) -> None:
        """PermissionDenied unless the actor, as the record knows them now, may ``action``.

        Called before the device is contacted, so a refusal sends nothing.
        """
        self.record.require(self.actor, action)

    def key_store(self) -> KeyStore:
        """The record's pairing keys, for the MFL/1 client."""
        return self.record.key_store()

    def known_device(self, identity: Identity) -> Device:
        """The record's device for ``identity``, registered on first contact.

        A user who may add devices registers an unknown one with its model and firmware
        (audited; a changed model or firmware is recorded as an update). Anyone else
        works only on devices the record knows already.
        """
        try:
            self.record.require(self.actor, Action.MANAGE_PATIENTS)
        except PermissionDenied:
            try:
                return self.record.device(self.actor, identity.serial)
            except NotFound:
                raise NotFound(
                    f"device {identity.serial} ({identity.model}) is not in the clinical "
                    f"record and user {self.actor.username} may not add devices: a user with "
                    f"role {_roles_allowed(Action.MANAGE_PATIENTS)} must connect it first"
                ) from None
        return self.record.register_device(self.actor, identity.serial, identity.model,
                                           identity.firmware)

    def latest_version_id(self, serial: str, slot: int) -> int | None:
        """The slot's newest version id, to pass as ``expected_latest`` (None: empty)."""
        latest = self.record.latest_version(self.actor, serial, slot)
        return latest.id if latest is not None else None

    def write_program(self, client: DeviceClient, slot: int, program: ProgramRecord, *,
                      reason: str, expected_latest: int | None,
                      confirmations: Sequence[Confirmation] = (),
                      parent_id: int | None = None, draft_id: int | None = None
                      ) -> RecordedWrite:
        """Create the draft (or take the recorded ``draft_id``), write it, note ``written``,
        read it back, note ``verified``.

        ``draft_id`` names a draft already recorded, such as a restored version, which is
        written as it is: its program must be exactly ``program``. Raises the record's
        ConflictError (nothing sent) if the slot moved on since ``expected_latest``;
        WriteNotApplied when the device does not hold the program (the version is then
        ``failed``); RecordBehind when the device acted but the record could not note it.
        """
        assert client.identity is not None, "the client is not connected"
        if draft_id is not None:
            version = self.record.version(self.actor, draft_id)
            if (version.status != VersionStatus.DRAFT or version.slot != slot
                    or version.record != program):
                raise InvalidRecord(f"version {draft_id} is not a draft of this program for "
                                    f"slot {slot}; nothing was sent")
        else:
            version = self.record.create_program_version(
                self.actor, client.identity.serial, slot, program, reason=reason,
                expected_latest=expected_latest, confirmations=confirmations,
                parent_id=parent_id, visit_id=self.visit_id)
        return _ProgramWrite(self.record, self.actor, client, version).run()

    def resolve_unconfirmed(self, client: DeviceClient) -> list[Resolution]:
        """Settle every unconfirmed write to this device by reading its slot back.

        Called on each new connection, window and command line alike. A slot that reads
        back exactly as the version is ``verified``; anything else (another program, an
        empty slot) is ``failed``. A link failure here leaves the version unconfirmed.
        """
        assert client.identity is not None, "the client is not connected"
        try:
            waiting = self.record.unconfirmed_versions(self.actor, client.identity.serial)
        except NotFound:
            return []
        return [self._resolve(client, version) for version in waiting]

    def settle_on_connect(self, client: DeviceClient) -> list[str]:
        """``resolve_unconfirmed`` for a new connection, as sentences for the user.

        A user who may not program cannot settle a write: they are told it waits.
        """
        try:
            return [resolution.text() for resolution in self.resolve_unconfirmed(client)]
        except (AccessError, RecordError) as exc:
            return [f"an earlier program write to this device is unconfirmed and could not be "
                    f"settled now ({exc}): a user who may program devices must connect"]

    def _resolve(self, client: DeviceClient, version: ProgramVersion) -> Resolution:
        data = version.record.encode()
        try:
            stored = client.read_program(version.slot)
            held = stored.program == data and stored.crc == version.record_crc
            found = f"slot {version.slot} holds CRC {stored.crc:#06x}"
        except SlotEmpty:
            held, found = False, f"slot {version.slot} is empty"
        if held:
            updated = self.record.mark_verified(self.actor, version.id, version.record_crc,
                                                expected_revision=version.revision)
        else:
            updated = self.record.mark_failed(
                self.actor, version.id, f"read on a later connection: {found}, not this "
                f"version (CRC {version.record_crc:#06x})", expected_revision=version.revision)
        return Resolution(updated, held)

    def record_found(self, serial: str, stored: ReadProgramResponse) -> ProgramVersion | None:
        """Note a program read from the device on arrival (None: the record held it already).

        Only within a visit: what a device arrived with is a fact about that visit.
        """
        if self.visit_id is None:
            raise InvalidRecord("what a device arrived with is recorded only within a visit")
        return self.record.record_found_program(
            self.actor, serial, stored.slot, ProgramRecord.decode(stored.program),
            device_crc=stored.crc, visit_id=self.visit_id)

    def record_impedance(self, serial: str, measurements: Sequence[ImpedanceRecord]) -> int:
        """Store one measurement run; returns the rows stored."""
        return self.record.record_impedance(self.actor, serial, measurements,
                                            visit_id=self.visit_id)

    def record_log(self, serial: str, entries: Sequence[LogEntry]) -> int:
        """Store downloaded log entries once each (by device index); returns how many were new."""
        return self.record.record_log_entries(self.actor, serial, entries)

    def record_test_start(self, serial: str, stimulus: TestStimulus) -> None:
        """Audit a test stimulation about to start; refused for a role that may not."""
        self.record.record_test_stimulation(self.actor, serial, stimulus,
                                            visit_id=self.visit_id)

    def record_titration_mark(self, serial: str, mark: TitrationMark) -> TitrationMark:
        """Store a mark made during test stimulation, in this visit; returns it as stored."""
        return self.record.record_titration_mark(self.actor, serial, mark,
                                                 visit_id=self.visit_id)

    def record_therapy_start(self, serial: str, slot: int, program: Program) -> None:
        """Audit a therapy session about to start from the console; refused for a role
        that may not."""
        self.record.record_therapy_session(self.actor, serial, slot, program,
                                           visit_id=self.visit_id)

    def record_stop(self, serial: str | None, reason: str) -> None:
        """Audit a stop already sent (never refused)."""
        self.record.record_stop(self.actor, serial, reason=reason)


class _ProgramWrite:
    """One write of one draft version; ``version`` always holds the latest recorded step."""

    def __init__(self, record: ClinicalRecord, actor: User, client: DeviceClient,
                 version: ProgramVersion) -> None:
        self.record = record
        self.actor = actor
        self.client = client
        self.version = version
        self.slot = version.slot
        self.data = version.record.encode()
        self.crc = version.record_crc

    def run(self) -> RecordedWrite:
        try:
            applied = self.client.apply_program(self.slot, self.data, on_written=self._written)
        except ReadBackMismatch as exc:
            raise self._failed(str(exc), exc.device_crc) from None
        except DeviceRefused as exc:
            if self.version.status is VersionStatus.DRAFT:  # the write itself was refused
                raise self._failed(f"program NOT applied to slot {self.slot}: {exc}") from None
            raise self._unknown(f"the device acknowledged the program in slot {self.slot} "
                                f"but refused to read it back ({exc})") from None
        except DeviceLinkError as exc:
            raise self._unknown(f"the link failed before the device confirmed the program in "
                                f"slot {self.slot} ({exc})") from None
        except KeyboardInterrupt:
            self._unknown("interrupted before the device confirmed the program in slot "
                          f"{self.slot}")
            raise
        self._note(f"the program was written to slot {self.slot} and read back byte for byte",
                   lambda: self.record.mark_verified(self.actor, self.version.id, applied.crc,
                                                     expected_revision=self.version.revision))
        return RecordedWrite(self.version, applied)

    def _written(self, ack: WriteProgramResponse) -> None:
        self._note(f"the device acknowledged the program in slot {self.slot} "
                   f"(CRC {ack.crc:#06x})",
                   lambda: self.record.mark_written(self.actor, self.version.id, ack.crc,
                                                    expected_revision=self.version.revision),
                   "; it was not read back: read the slot before relying on it")

    def _note(self, what_happened: str, step: Callable[[], ProgramVersion],
              advice: str = "") -> None:
        """Record the next step, or say what the device did that the record does not show."""
        try:
            self.version = step()
        except (RecordError, AccessError) as exc:
            raise RecordBehind(f"{what_happened}, but the clinical record could not note it "
                               f"({exc}): version {self.version.id} stays "
                               f"{self.version.status.value}{advice}", self.version) from None

    def _failed(self, message: str, device_crc: int | None = None) -> WriteNotApplied:
        return WriteNotApplied(f"{message}; {self._mark_failed(message, device_crc)}",
                               self.version)

    def _unknown(self, what_happened: str) -> WriteOutcomeUnknown:
        """Record the version unconfirmed: the device may hold it, or its old program."""
        try:
            self.version = self.record.mark_unconfirmed(
                self.actor, self.version.id, what_happened,
                expected_revision=self.version.revision)
            noted = f"version {self.version.id} recorded as unconfirmed"
        except (RecordError, AccessError) as exc:
            noted = (f"version {self.version.id} could not be marked unconfirmed ({exc}): it "
                     f"stays {self.version.status.value}")
        return WriteOutcomeUnknown(f"{what_happened}: outcome unknown, "
                                   f"{outcome_unknown_advice(self.slot)}; {noted}",
                                   self.version)

    def _mark_failed(self, reason: str, device_crc: int | None) -> str:
        """Mark the version failed; says what the record now holds."""
        try:
            self.version = self.record.mark_failed(self.actor, self.version.id, reason,
                                                   expected_revision=self.version.revision,
                                                   device_crc=device_crc)
        except (RecordError, AccessError) as exc:
            return (f"version {self.version.id} could not be marked failed ({exc}): it stays "
                    f"{self.version.status.value}")
        return f"version {self.version.id} recorded as failed"
