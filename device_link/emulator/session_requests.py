"""HELLO and AUTH: how a console opens a session with the emulated device (MFL/1 section 4).

Mutual authentication, the lockout after repeated failures and the end of a session
live here, apart from the ordinary requests a session then allows.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING

from device_link.auth import console_tag, device_tag, session_key, tags_equal
from device_link.emulator.outgoing import Outgoing
from device_link.emulator.stimulation import Refusal
from device_link.emulator.tissue import ELECTRODES, LEADS
from device_link.frame import Frame
from device_link.messages import AuthRequest, AuthResponse, HelloRequest, Identity, PayloadError
from device_link.protocol import (
    AUTH_LOCKOUT_FAILURES,
    AUTH_LOCKOUT_S,
    PROTOCOL_VERSION,
    ErrorCode,
    Kind,
    LogCode,
    StopReason,
)

if TYPE_CHECKING:
    from device_link.emulator.core import DeviceCore


class SessionRequests:
    """HELLO, AUTH and the end of a session; mixed into ``DeviceCore``."""

    def _hello(self: DeviceCore, frame: Frame, now: float, ks: bytes | None) -> list[Outgoing]:
        try:
            HelloRequest.decode(frame.payload)
        except PayloadError:
            return [self._error(frame, ks, Refusal(ErrorCode.BAD_LENGTH))]
        self._end_session()
        self._measurement = None  # its reply belonged to the connection that just ended
        if self._test is not None:
            self._stop_stimulation(StopReason.STOP_REQUEST, now)
        self._nonce_d = os.urandom(16)
        identity = Identity(PROTOCOL_VERSION, self.config.model, self.config.serial,
                            self.config.firmware, self._nonce_d, LEADS, ELECTRODES,
                            self.config.program_slots)
        return [self._frame(Kind.RESPONSE, frame.seq, frame.opcode, identity.encode(), None),
                *self._events]

    def _auth(self: DeviceCore, frame: Frame, now: float) -> bytes:
        request = AuthRequest.decode(frame.payload)
        if self._locked_until is not None:
            if now < self._locked_until:
                raise Refusal(ErrorCode.LOCKED_OUT, 0, math.ceil(self._locked_until - now))
            self._locked_until = None
            self._auth_failures = 0
        key = self.config.key.reveal()
        nonce_d = self._nonce_d
        if nonce_d is None or not tags_equal(request.tag_c,
                                             console_tag(key, nonce_d, request.nonce_c)):
            self._auth_failures += 1
            self._log(now, LogCode.AUTH_FAILED)
            if self._auth_failures >= AUTH_LOCKOUT_FAILURES:
                self._locked_until = now + AUTH_LOCKOUT_S
                self._log(now, LogCode.AUTH_LOCKED)
            raise Refusal(ErrorCode.AUTH_FAILED)
        self._auth_failures = 0
        self._nonce_d = None
        self._ks = session_key(key, nonce_d, request.nonce_c)
        self._session_seen = now
        self._last_seq = frame.seq
        return AuthResponse(device_tag(key, request.nonce_c, nonce_d)).encode()

    def _end_session(self: DeviceCore) -> None:
        self._ks = None
        self._last_seq = None
        self._remembered = None
