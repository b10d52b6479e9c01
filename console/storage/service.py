"""What every part of the clinical record service shares: the engine and the acting user.

Permissions are checked against the user's row as it is now in the database,
so an account disabled at one console cannot keep acting at another.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..accounts import Action, PermissionDenied, Role, User, require
from ..accounts.passwords import default_hasher
from .errors import NotFound
from .installation_key import InstallationKey
from .models import DeviceRow, PatientRow, UserRow


def user_from_row(row: UserRow) -> User:
    return User(row.id, row.username, Role(row.role), row.disabled)


class RecordService:
    """Base of ClinicalRecord: holds the engine, the password hasher and the installation key."""

    def __init__(self, engine: Engine, *, password_hasher: PasswordHasher | None = None,
                 installation_key: InstallationKey | None = None) -> None:
        self.engine = engine
        self._hasher = password_hasher or default_hasher()
        self._installation_key = installation_key

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
