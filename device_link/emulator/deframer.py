"""The device's receiver: split the byte stream at 0x00 and decode each frame.

Like ``device_link.framing.FrameDecoder``, but it reports *why* a frame was
discarded, because the emulator's trace shows engineers every discarded frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from cobs import cobs

from ..frame import Frame, FrameError, parse_body
from ..protocol import RESYNC_LIMIT


@dataclass(frozen=True, slots=True)
class Discarded:
    """Bytes that did not make a frame, and the reason."""

    reason: str
    raw: bytes


class Deframer:
    def __init__(self) -> None:
        self._buffer = bytearray()
        self._overflowed = False

    def feed(self, data: bytes) -> list[Frame | Discarded]:
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
        if self._overflowed or not chunk:
            return
        self._buffer += chunk
        if len(self._buffer) > RESYNC_LIMIT:
            items.append(Discarded(f"more than {RESYNC_LIMIT} bytes without a delimiter",
                                   bytes(self._buffer[:64])))
            self._buffer.clear()
            self._overflowed = True

    def _complete(self) -> Frame | Discarded | None:
        encoded = bytes(self._buffer)
        self._buffer.clear()
        if self._overflowed:
            self._overflowed = False
            return None
        if not encoded:
            return None
        try:
            return parse_body(cobs.decode(encoded))
        except cobs.DecodeError as exc:
            return Discarded(f"COBS: {exc}", encoded)
        except FrameError as exc:
            return Discarded(str(exc), encoded)
