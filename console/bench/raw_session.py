"""MFL/1 spoken over pyserial in the calling thread, with no ``DeviceClient``.

The least any console can do for a request: build the frame, write it, read until
the reply decodes. Timed beside the client against an identical emulator, it
separates what the client's threads and bookkeeping cost from what the device and
the port cost. A benchmark tool only: no retransmission, no events, no STOP.
"""

from __future__ import annotations

import os

import serial

from console.bench.errors import BenchError
from device_link import auth
from device_link.frame import Frame, build_wire
from device_link.framing import FrameDecoder
from device_link.keystore import KeyStore
from device_link.messages import AuthRequest, AuthResponse, HelloRequest, Identity
from device_link.protocol import Kind, Opcode

READ_TIMEOUT_S = 1.0


class RawSession:
    """An authenticated session; ``request`` returns the reply frame (RESPONSE or ERROR)."""

    def __init__(self, port: str, keys: KeyStore, baud: int) -> None:
        try:
            self._serial = serial.serial_for_url(port, baudrate=baud, timeout=READ_TIMEOUT_S,
                                                 exclusive=True)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise BenchError(f"cannot open {port}: {exc}") from None
        self._decoder = FrameDecoder()
        self._seq = 0
        self._ks: bytes | None = None
        try:
            self._authenticate(keys)
        except BaseException:
            self.close()
            raise

    def _authenticate(self, keys: KeyStore) -> None:
        self._serial.write(b"\x00")
        identity = Identity.decode(self.request(Opcode.HELLO, HelloRequest().encode()).payload)
        key = keys.key_for(identity.serial).reveal()
        nonce_c = os.urandom(auth.NONCE_SIZE)
        request = AuthRequest(nonce_c, auth.console_tag(key, identity.nonce_d, nonce_c))
        reply = AuthResponse.decode(self.request(Opcode.AUTH, request.encode()).payload)
        if not auth.tags_equal(reply.tag_d, auth.device_tag(key, nonce_c, identity.nonce_d)):
            raise BenchError("the device failed to prove it holds the pairing key")
        self._ks = auth.session_key(key, identity.nonce_d, nonce_c)

    def request(self, opcode: Opcode, payload: bytes = b"") -> Frame:
        self._seq += 1
        self._serial.write(build_wire(Kind.REQUEST, self._seq, opcode, payload, self._ks))
        while True:
            data = self._serial.read(1)
            if not data:
                raise BenchError(f"no reply to {opcode.name} within {READ_TIMEOUT_S:.0f} s")
            data += self._serial.read(self._serial.in_waiting)
            for frame in self._decoder.feed(data):
                if frame.kind in (Kind.RESPONSE, Kind.ERROR) and frame.seq == self._seq:
                    if self._ks is not None and not frame.mac_valid(self._ks):
                        raise BenchError(f"the reply to {opcode.name} has a bad MAC")
                    return frame

    def close(self) -> None:
        self._serial.close()
