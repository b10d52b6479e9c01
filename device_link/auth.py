"""Pairing-key cryptography of MFL/1 section 4: challenge tags, session key and frame MACs."""

from __future__ import annotations

import hashlib
import hmac

LABEL_CONSOLE = b"MFL1-C"
LABEL_DEVICE = b"MFL1-D"
LABEL_SESSION = b"MFL1-S"
NONCE_SIZE = 16
TAG_SIZE = 16
KEY_SIZE = 32


def _hmac(key: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def console_tag(key: bytes, nonce_d: bytes, nonce_c: bytes) -> bytes:
    """``tag_c`` that proves the console holds K."""
    return _hmac(key, LABEL_CONSOLE, nonce_d, nonce_c)[:TAG_SIZE]


def device_tag(key: bytes, nonce_c: bytes, nonce_d: bytes) -> bytes:
    """``tag_d`` that proves the device holds K (the console must verify it)."""
    return _hmac(key, LABEL_DEVICE, nonce_c, nonce_d)[:TAG_SIZE]


def session_key(key: bytes, nonce_d: bytes, nonce_c: bytes) -> bytes:
    """``Ks`` shared by both sides once AUTH has succeeded."""
    return _hmac(key, LABEL_SESSION, nonce_d, nonce_c)


def frame_mac(ks: bytes, header_and_payload: bytes) -> bytes:
    """The 8-byte MAC over header (flags bit 0 set) and payload."""
    return _hmac(ks, header_and_payload)[:8]


def tags_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison, so a forged tag leaks nothing through timing."""
    return hmac.compare_digest(a, b)
