"""MFL/1 frames: the body layout of section 2, its CRC and MAC, and COBS framing on the wire."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cobs import cobs

from device_link.auth import frame_mac, tags_equal
from device_link.crc import crc16_ccitt_false
from device_link.protocol import (
    CRC_SIZE,
    FLAG_MAC,
    HEADER_SIZE,
    MAC_SIZE,
    MAX_PAYLOAD,
    MIN_BODY,
    PROTOCOL_VERSION,
    Kind,
)

_HEADER = struct.Struct("<BBHBBH")


class FrameError(ValueError):
    """A body that a receiver must silently discard (and count as a link error)."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame. ``signed`` holds header+payload as sent, for MAC checks."""

    kind: Kind
    seq: int
    opcode: int
    payload: bytes = b""
    mac: bytes | None = None
    signed: bytes = b""

    @property
    def has_mac(self) -> bool:
        return self.mac is not None

    def mac_valid(self, ks: bytes) -> bool:
        return self.mac is not None and tags_equal(self.mac, frame_mac(ks, self.signed))


def build_body(kind: Kind, seq: int, opcode: int, payload: bytes = b"",
               ks: bytes | None = None) -> bytes:
    """Body bytes of a frame; with a session key ``ks`` the frame carries a MAC."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    flags = FLAG_MAC if ks is not None else 0
    signed = _HEADER.pack(PROTOCOL_VERSION, kind, seq & 0xFFFF, opcode, flags, len(payload))
    signed += payload
    body = signed + frame_mac(ks, signed) if ks is not None else signed
    return body + crc16_ccitt_false(body).to_bytes(2, "little")


def parse_body(body: bytes) -> Frame:
    """Decode and check a body; raise FrameError for anything the spec says to discard.

    The MAC is returned, not verified: whether a frame needs one depends on the
    receiver's session state (see ``Frame.mac_valid``).
    """
    if len(body) < MIN_BODY:
        raise FrameError(f"body of {len(body)} bytes is shorter than {MIN_BODY}")
    if crc16_ccitt_false(body[:-CRC_SIZE]) != int.from_bytes(body[-CRC_SIZE:], "little"):
        raise FrameError("CRC mismatch")
    version, kind, seq, opcode, flags, length = _HEADER.unpack_from(body)
    if version != PROTOCOL_VERSION:
        raise FrameError(f"version {version} is not {PROTOCOL_VERSION}")
    if kind > Kind.EVENT:
        raise FrameError(f"kind {kind} out of range")
    if flags & ~FLAG_MAC:
        raise FrameError(f"reserved flag bits set: {flags:#04x}")
    mac_size = MAC_SIZE if flags & FLAG_MAC else 0
    if length > MAX_PAYLOAD or HEADER_SIZE + length + mac_size + CRC_SIZE != len(body):
        raise FrameError(f"length {length} disagrees with body size {len(body)}")
    end = HEADER_SIZE + length
    mac = body[end:end + MAC_SIZE] if mac_size else None
    return Frame(Kind(kind), seq, opcode, body[HEADER_SIZE:end], mac, body[:end])


def encode_wire(body: bytes) -> bytes:
    """``COBS(body) 0x00`` as sent on the line."""
    return cobs.encode(body) + b"\x00"


def build_wire(kind: Kind, seq: int, opcode: int, payload: bytes = b"",
               ks: bytes | None = None) -> bytes:
    return encode_wire(build_body(kind, seq, opcode, payload, ks))
