"""Stream de-framing: split received bytes at 0x00 delimiters and COBS-decode each frame.

The receiver of MFL/1 section 2 for both ends of the link: the console wants the frames
and a count of what was dropped, the emulator's trace shows engineers every dropped frame
and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from cobs import cobs

from device_link.frame import Frame, FrameError, parse_body
from device_link.protocol import RESYNC_LIMIT


@dataclass(frozen=True, slots=True)
class Discarded:
    """Bytes that did not make a frame, and the reason."""

    reason: str
    raw: bytes


class FrameDecoder:
    """Accumulates bytes from a stream and yields parsed frames.

    Bad frames are dropped and counted in ``errors``, never raised: on a serial line,
    noise is expected and the sender's retransmission recovers.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._discarding = False
        self.errors = 0

    def feed(self, data: bytes) -> list[Frame]:
        """The frames that ``data`` completes."""
        return [item for item in self.feed_with_discards(data) if isinstance(item, Frame)]

    def feed_with_discards(self, data: bytes) -> list[Frame | Discarded]:
        """The frames that ``data`` completes and, in stream order, what was dropped."""
        items: list[Frame | Discarded] = []
        start = 0
        while True:
            end = data.find(0, start)
            if end < 0:
                self._append(data[start:], items)
                return items
            self._append(data[start:end], items)
            item = self._complete()
            if item is not None:
                items.append(item)
            start = end + 1

    def _append(self, chunk: bytes, items: list[Frame | Discarded]) -> None:
        if self._discarding or not chunk:
            return
        self._buffer += chunk
        if len(self._buffer) > RESYNC_LIMIT:
            items.append(self._discard(f"more than {RESYNC_LIMIT} bytes without a delimiter",
                                       bytes(self._buffer[:64])))
            self._buffer.clear()
            self._discarding = True

    def _complete(self) -> Frame | Discarded | None:
        encoded = bytes(self._buffer)
        self._buffer.clear()
        if self._discarding:
            self._discarding = False
            return None
        if not encoded:
            return None
        try:
            return parse_body(cobs.decode(encoded))
        except cobs.DecodeError as exc:
            return self._discard(f"COBS: {exc}", encoded)
        except FrameError as exc:
            return self._discard(str(exc), encoded)

    def _discard(self, reason: str, raw: bytes) -> Discarded:
        self.errors += 1
        return Discarded(reason, raw)
