"""Pairing keys and where the client finds them. A key never appears in a repr, log or error."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .auth import KEY_SIZE


class KeyStoreError(Exception):
    """No usable key for a device (the message names the serial, never the key)."""


class PairingKey:
    """32 secret bytes with a redacted repr, so a stray print or traceback shows nothing."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_SIZE:
            raise KeyStoreError(f"a pairing key is {KEY_SIZE} bytes, got {len(secret)}")
        self._secret = bytes(secret)

    @classmethod
    def from_hex(cls, text: str) -> PairingKey:
        cleaned = text.strip()
        if len(cleaned) != 2 * KEY_SIZE:
            raise KeyStoreError(f"a pairing key is {2 * KEY_SIZE} hex characters, "
                                f"got {len(cleaned)}")
        try:
            return cls(bytes.fromhex(cleaned))
        except ValueError:
            raise KeyStoreError("a pairing key must be hexadecimal") from None

    def reveal(self) -> bytes:
        """The raw key, for the HMAC computations only."""
        return self._secret

    def __repr__(self) -> str:
        return "PairingKey(<redacted>)"

    __str__ = __repr__


class KeyStore(Protocol):
    """Where the client looks up the key of the device it has just met."""

    def key_for(self, serial: str) -> PairingKey: ...


class KeyFileStore:
    """One key file (64 hex characters) used for whatever device answers, as the CLI needs."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        try:
            text = self._path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyStoreError(f"cannot read key file {self._path}: "
                                f"{getattr(exc, 'strerror', None) or 'not ASCII'}") from None
        try:
            self._key = PairingKey.from_hex(text)
        except KeyStoreError as exc:
            raise KeyStoreError(f"key file {self._path}: {exc}") from None

    def key_for(self, serial: str) -> PairingKey:
        return self._key


class StaticKeyStore:
    """Keys held in memory by serial (tests, the demo and the clinical record's adapter)."""

    def __init__(self, keys: dict[str, PairingKey]) -> None:
        self._keys = dict(keys)

    def key_for(self, serial: str) -> PairingKey:
        try:
            return self._keys[serial]
        except KeyError:
            raise KeyStoreError(f"no pairing key for device {serial}") from None
