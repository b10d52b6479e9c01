"""Device pairing keys in the record, encrypted with the installation key.

A key is stored AES-GCM encrypted, bound to its device's serial (a ciphertext
moved to another device's row does not decrypt). It is never returned by any
listing, never written to the audit trail or an export; ``DatabaseKeyStore``
hands it only to the MFL/1 client as a ``PairingKey`` with a redacted repr.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from console.accounts import Action, User
from console.audit.events import AuditEvent
from console.storage import transactions
from console.storage.errors import RecordError
from console.storage.installation_key import InstallationKey
from console.storage.models import DeviceRow, PairingKeyRow, UserRow
from console.storage.service import RecordService, device_row
from console.storage.types import utc_now
from device_link.keystore import KeyStoreError, PairingKey


def _associated(serial: str) -> bytes:
    return b"mfconsole pairing key\x00" + serial.encode("ascii")


class NoPairingKey(KeyStoreError):
    """The record holds no key for ``serial``; ``device_known``: the device itself is in it."""

    def __init__(self, serial: str, *, device_known: bool) -> None:
        super().__init__(f"no pairing key for device {serial} in the record")
        self.serial = serial
        self.device_known = device_known


@dataclass(frozen=True, slots=True)
class StoredKey:
    """That a device's key is in the record, when and by whom: never the key itself."""

    serial: str
    stored_at: datetime
    stored_by: str


class KeysMixin(RecordService):
    def store_pairing_key(self, actor: User, device_serial: str, key: PairingKey) -> bool:
        """Store (or replace) a device's pairing key; the audit entry never contains it.

        True when a key stored earlier was replaced.
        """
        with transactions.write(self.engine) as tx:
            acting = self._acting(tx.session, actor, Action.MANAGE_PAIRING_KEYS)
            device = device_row(tx.session, device_serial)
            # Encrypted only once the user may store it and the device is known.
            installation = self.installation_key()
            nonce, ciphertext = installation.encrypt(key.reveal(), _associated(device_serial))
            row = tx.session.get(PairingKeyRow, device.id)
            replaced = row is not None
            if row is None:
                row = PairingKeyRow(device_id=device.id)
                tx.session.add(row)
            row.key_id, row.nonce, row.ciphertext = installation.key_id, nonce, ciphertext
            row.stored_at, row.stored_by = utc_now(), acting.id
            tx.audit(AuditEvent.PAIRING_KEY_STORED, actor,
                     {"device": device_serial, "replaced": replaced})
            return replaced

    def stored_keys(self, actor: User) -> dict[str, StoredKey]:
        """Which devices have a key in the record, by serial (for listings)."""
        with transactions.read(self.engine) as session:
            self._acting(session, actor, Action.VIEW_RECORD)
            rows = session.execute(
                select(DeviceRow.serial, PairingKeyRow.stored_at, UserRow.username)
                .join(PairingKeyRow, PairingKeyRow.device_id == DeviceRow.id)
                .join(UserRow, PairingKeyRow.stored_by == UserRow.id))
            return {serial: StoredKey(serial, stored_at, username)
                    for serial, stored_at, username in rows}

    def key_store(self) -> DatabaseKeyStore:
        """A KeyStore for the MFL/1 client, reading keys from this record."""
        return DatabaseKeyStore(self.engine, self.installation_key())


class DatabaseKeyStore:
    """``device_link.keystore.KeyStore`` backed by the clinical record."""

    def __init__(self, engine: Engine, installation_key: InstallationKey) -> None:
        self._engine = engine
        self._installation_key = installation_key

    def key_for(self, serial: str) -> PairingKey:
        try:
            with transactions.read(self._engine) as session:
                row = session.execute(select(PairingKeyRow).join(
                    DeviceRow, PairingKeyRow.device_id == DeviceRow.id).where(
                    DeviceRow.serial == serial)).scalar()
                if row is None:
                    known = session.execute(select(DeviceRow.id).where(
                        DeviceRow.serial == serial)).first() is not None
                    raise NoPairingKey(serial, device_known=known)
                secret = self._installation_key.decrypt(
                    bytes(row.key_id), bytes(row.nonce), bytes(row.ciphertext),
                    _associated(serial))
        except RecordError as exc:
            raise KeyStoreError(f"pairing key of device {serial}: {exc}") from None
        return PairingKey(secret)
