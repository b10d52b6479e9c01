"""A scripted device on a raw pseudo-terminal, for link tests the real emulator must not fake.

It answers frames with whatever a test scripts: a rogue device, a silent one, one
that vanishes. Tests of the faithful device use the emulator process instead.
"""

from __future__ import annotations

import os
import select
import threading
import tty
from collections.abc import Callable

from device_link.frame import Frame, build_wire
from device_link.framing import FrameDecoder
from device_link.protocol import Kind

Responder = Callable[[Frame], list[bytes]]


class RawDevice:
    """Serves a pty; ``responder`` maps each request frame to the wire bytes to send back."""

    def __init__(self, responder: Responder) -> None:
        self._responder = responder
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self.received: list[Frame] = []
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        decoder = FrameDecoder()
        while True:
            ready, _, _ = select.select([self.master, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            for frame in decoder.feed(data):
                self.received.append(frame)
                for reply in self._responder(frame):
                    os.write(self.master, reply)

    def vanish(self) -> None:
        """Close the master side, as when a USB adapter is pulled."""
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=2)
        os.close(self.master)
        os.close(self._slave)

    def close(self) -> None:
        if self._thread.is_alive():
            self.vanish()


def reply(frame: Frame, payload: bytes, kind: Kind = Kind.RESPONSE) -> bytes:
    return build_wire(kind, frame.seq, frame.opcode, payload)
