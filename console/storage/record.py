"""``ClinicalRecord``: the one object the device commands, the window and the CLI talk to."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy.engine import URL, Engine

from console.safety.profile import SafetyProfile
from console.storage.adverse_events import AdverseEventsMixin
from console.storage.cohort import CohortMixin
from console.storage.database import open_database
from console.storage.errors import NoRecord
from console.storage.history import HistoryMixin
from console.storage.installation_key import InstallationKey
from console.storage.measurements import MeasurementsMixin
from console.storage.outcomes import OutcomesMixin
from console.storage.pairing_keys import KeysMixin
from console.storage.patients import PatientsMixin
from console.storage.registry import RegistryMixin
from console.storage.titration import TitrationMixin
from console.storage.users import UsersMixin


class ClinicalRecord(UsersMixin, PatientsMixin, HistoryMixin, MeasurementsMixin, KeysMixin,
                     TitrationMixin, OutcomesMixin, AdverseEventsMixin, CohortMixin,
                     RegistryMixin):
    """Every operation of the clinical record.

    Each method that changes something runs in one transaction with its audit
    entry and checks the acting user's permission against the database.
    """

    @classmethod
    def open(cls, url: str | URL, *, password_hasher: PasswordHasher | None = None,
             installation_key: InstallationKey | None = None,
             safety_profile: SafetyProfile | None = None) -> ClinicalRecord:
        """The record at ``url``, migrated if older; nothing is created here.

        Where there is no record yet, every operation raises NoRecord except adding the
        first administrator (``add_user(None, ...)``), which creates it: creating a
        record is always that explicit act. The entry points use ``open_existing``.
        """
        try:
            database: Engine | str | URL = open_database(url, create=False)
        except NoRecord:
            database = url
        return cls(database, password_hasher=password_hasher,
                   installation_key=installation_key, safety_profile=safety_profile)

    @classmethod
    def open_existing(cls, url: str | URL, *, full_check: bool = False,
                      password_hasher: PasswordHasher | None = None,
                      installation_key: InstallationKey | None = None,
                      safety_profile: SafetyProfile | None = None) -> ClinicalRecord:
        """The record at ``url``; NoRecord at once where there is none (a mistyped path).

        ``full_check`` runs SQLite's ``integrity_check`` instead of ``quick_check``.
        """
        return cls(open_database(url, create=False, full_check=full_check),
                   password_hasher=password_hasher, installation_key=installation_key,
                   safety_profile=safety_profile)
