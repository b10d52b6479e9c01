"""``ClinicalRecord``: the one object the device commands, the window and the CLI talk to."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy.engine import URL

from .database import open_database
from .history import HistoryMixin
from .installation_key import InstallationKey
from .keystore import KeysMixin
from .measurements import MeasurementsMixin
from .patients import PatientsMixin
from .users import UsersMixin


class ClinicalRecord(UsersMixin, PatientsMixin, HistoryMixin, MeasurementsMixin, KeysMixin):
    """Every operation of the clinical record.

    Each method that changes something runs in one transaction with its audit
    entry and checks the acting user's permission against the database.
    """

    @classmethod
    def open(cls, url: str | URL, *, password_hasher: PasswordHasher | None = None,
             installation_key: InstallationKey | None = None) -> ClinicalRecord:
        """Open (creating or migrating) the record at ``url``; see ``open_database``."""
        return cls(open_database(url), password_hasher=password_hasher,
                   installation_key=installation_key)

    def close(self) -> None:
        self.engine.dispose()
