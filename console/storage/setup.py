"""Setting up a new clinical record: its installation key and its first administrator.

``mfconsole users add NAME --role admin`` on a new record and the window's first-run
dialog both come here, so a clinic gets the same record whichever it starts with. The
installation key is made now rather than when the first pairing key is stored, so that
it can be backed up from the start: without it no stored pairing key can be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console.accounts import Role, User
from console.storage.errors import ConflictError
from console.storage.installation_key import installation_key_path
from console.storage.record import ClinicalRecord
from console.storage.users import check_new_account


@dataclass(frozen=True, slots=True)
class NewRecord:
    """What setting up made: the first admin, where the record and its key are."""

    admin: User
    where: str
    created_record: bool
    installation_key: Path
    created_installation_key: bool


def set_up_record(record: ClinicalRecord, username: str, password: str, *,
                  full_name: str | None = None) -> NewRecord:
    """Make ``record`` (absent, or without users) a record with its first administrator.

    Nothing is created when the user name, password or full name would be refused
    (InvalidRecord), or when the record has users already (ConflictError: sign in instead).
    """
    check_new_account(username, password, full_name)
    created_record = not record.exists()
    if not created_record and record.has_users():
        raise ConflictError(f"{record.where} has users already: sign in to it, or choose "
                            "another place for a new record")
    key_path = installation_key_path()
    key_existed = key_path.exists()
    record.installation_key()  # loaded, or created private (0600) where there is none
    admin = record.add_user(None, username, Role.ADMIN, password, full_name=full_name)
    return NewRecord(admin, record.where, created_record, key_path,
                     not key_existed and key_path.exists())
