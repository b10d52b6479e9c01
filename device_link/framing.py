"""Stream de-framing: split received bytes at 0x00 delimiters and COBS-decode each frame."""

from __future__ import annotations

from cobs import cobs

from .frame import Frame, FrameError, parse_body
from .protocol import RESYNC_LIMIT


class FrameDecoder:
    """Accumulates bytes from a stream and yields parsed frames.

    Bad frames are dropped and counted, never raised: on a serial line, noise is
    expected and the sender's retransmission recovers.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._discarding = False
        self.errors = 0

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        start = 0
        while True:
            end = data.find(0, start)
            if end < 0:
                self._append(data[start:])
                return frames
            self._append(data[start:end])
            frame = self._complete()
            if frame is not None:
                frames.append(frame)
            start = end + 1

    def _append(self, chunk: bytes) -> None:
        if self._discarding or not chunk:
            return
        self._buffer += chunk
        if len(self._buffer) > RESYNC_LIMIT:
            self._buffer.clear()
            self._discarding = True
            self.errors += 1

    def _complete(self) -> Frame | None:
        encoded = bytes(self._buffer)
        self._buffer.clear()
        if self._discarding:
            self._discarding = False
            return None
        if not encoded:
            return None
        try:
            return parse_body(cobs.decode(encoded))
        except (cobs.DecodeError, FrameError):
            self.errors += 1
            return None
