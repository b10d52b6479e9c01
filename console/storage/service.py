"""What every part of the clinical record service shares: the engine and the acting user.

Permissions are checked against the user's row as it is now in the database,
so an account disabled at one console cannot keep acting at another.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session

from console.accounts import Action, PermissionDenied, Role, User, require
from console.accounts.passwords import default_hasher
from console.safety.profile import SafetyProfile, load_profile
from console.storage.database import describe, open_database
from console.storage.errors import ConflictError, InvalidRecord, NoRecord, NotFound
from console.storage.installation_key import InstallationKey
from console.storage.models import DeviceRow, PatientRow, UserRow, VisitRow
from console.storage.paired_sessions import PairedSessions


def user_from_row(row: UserRow) -> User:
    return User(row.id, row.username, Role(row.role), row.disabled, row.full_name)


class RecordService:
    """Base of ClinicalRecord: the database, the password hasher, the installation key and
    the clinic's safety profile (whose sign-in rules the record enforces)."""

    def __init__(self, database: Engine | str | URL, *,
                 password_hasher: PasswordHasher | None = None,
                 installation_key: InstallationKey | None = None,
                 safety_profile: SafetyProfile | None = None) -> None:
        """``database`` is the open engine, or the URL of a record not created yet."""
        self._engine = database if isinstance(database, Engine) else None
        self._url = database.url if isinstance(database, Engine) else make_url(database)
        self._hasher = password_hasher or default_hasher()
        self._installation_key = installation_key
        self._safety_profile = safety_profile
        self._paired_sessions = PairedSessions()  # the audit's, kept while logs are unchanged

    @property
    def engine(self) -> Engine:
        """The record's database; NoRecord while there is none (looked for again each time,
        so a record another console has just created is found)."""
        if self._engine is None:
            self._engine = open_database(self._url, create=False)
        return self._engine

    @property
    def where(self) -> str:
        """Where the record is, for messages (never the password)."""
        return describe(self._url)

    def exists(self) -> bool:
        """True once there is a record here (until then it is looked for again each time)."""
        try:
            return self.engine is not None
        except NoRecord:
            return False

    def _create(self) -> None:
        """Create the record where there is none: only ever for its first administrator."""
        if self._engine is None:
            self._engine = open_database(self._url, create=True)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def safety_profile(self) -> SafetyProfile:
        """The clinic's safety profile (sign-in lockout), loaded on first need."""
        if self._safety_profile is None:
            self._safety_profile = load_profile()
        return self._safety_profile

    def installation_key(self) -> InstallationKey:
        """The key that encrypts pairing keys, loaded (or created) on first need."""
        if self._installation_key is None:
            self._installation_key = InstallationKey.load_or_create()
        return self._installation_key

    def _acting(self, session: Session, user: User, action: Action) -> UserRow:
        """The acting user's current row, once ``action`` is known to be allowed."""
        row = session.get(UserRow, user.id)
        if row is None or row.username != user.username:
            raise PermissionDenied(f"user {user.username} is not a user of this record")
        require(user_from_row(row), action)
        return row


def patient_row(session: Session, clinic_id: str) -> PatientRow:
    row = session.execute(select(PatientRow).where(PatientRow.clinic_id == clinic_id)).scalar()
    if row is None:
        raise NotFound(f"no patient with clinic ID {clinic_id!r}")
    return row


def device_row(session: Session, serial: str) -> DeviceRow:
    row = session.execute(select(DeviceRow).where(DeviceRow.serial == serial)).scalar()
    if row is None:
        raise NotFound(f"no device with serial {serial!r}")
    return row


def open_visit(session: Session, visit_id: int | None, patient_id: int | None,
               whose: str = "this patient") -> None:
    """Refuse an entry for a visit of someone else, or for a visit that has ended: a closed
    visit takes no new entries (its report would no longer be what was signed)."""
    if visit_id is None:
        return
    visit = session.get(VisitRow, visit_id)
    if visit is None or visit.patient_id != patient_id:
        raise InvalidRecord(f"visit {visit_id} is not a visit of {whose}")
    if visit.ended_at is not None:
        raise ConflictError(f"visit {visit_id} ended at {visit.ended_at:%Y-%m-%d %H:%M} UTC: a "
                            "closed visit takes no new entries; start a new visit")
