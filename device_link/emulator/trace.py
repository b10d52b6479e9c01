"""The emulator's protocol trace: every frame in both directions, decoded, timestamped.

Timestamps are ``time.perf_counter()`` (CLOCK_MONOTONIC on Linux), so a test in
another process can compare them with its own. Nothing secret is recorded:
frames carry nonces, tags and MACs, never the pairing or session key.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from itertools import islice

from device_link.frame import Frame
from device_link.messages import ErrorPayload, PayloadError
from device_link.protocol import ErrorCode, EventCode, Kind, Opcode


def opcode_name(kind: Kind, opcode: int) -> str:
    table = EventCode if kind == Kind.EVENT else Opcode
    try:
        return table(opcode).name
    except ValueError:
        return f"0x{opcode:02X}"


def _error_name(frame: Frame) -> str | None:
    if frame.kind != Kind.ERROR:
        return None
    try:
        code = ErrorPayload.decode(frame.payload).code
    except PayloadError:
        return "malformed"
    try:
        return ErrorCode(code).name
    except ValueError:
        return str(code)


class ProtocolTrace:
    """A bounded, thread-safe record; entries are numbered so readers can poll for news."""

    def __init__(self, capacity: int = 20_000) -> None:
        self._entries: deque[dict[str, object]] = deque(maxlen=max(1, capacity))
        self._lock = threading.Lock()
        self._news = threading.Condition(self._lock)
        self._next = 0

    def frame(self, direction: str, frame: Frame, *, mac_valid: bool | None, note: str = "",
              t: float | None = None) -> None:
        self._add({
            "t": time.perf_counter() if t is None else t, "dir": direction,
            "kind": frame.kind.name, "opcode": opcode_name(frame.kind, frame.opcode),
            "seq": frame.seq, "payload": frame.payload.hex(), "mac_present": frame.has_mac,
            "mac_valid": mac_valid, "error": _error_name(frame), "note": note,
        })

    def discarded(self, reason: str, raw: bytes, t: float | None = None) -> None:
        self._add({
            "t": time.perf_counter() if t is None else t, "dir": "rx", "kind": None,
            "opcode": None, "seq": None, "payload": None, "raw": raw[:64].hex(),
            "mac_present": False, "mac_valid": None, "error": None,
            "note": f"discarded: {reason}",
        })

    def note(self, text: str) -> None:
        """A link event without a frame (disconnect, reconnect, reboot)."""
        self._add({"t": time.perf_counter(), "dir": "link", "kind": None, "opcode": None,
                   "seq": None, "payload": None, "mac_present": False, "mac_valid": None,
                   "error": None, "note": text})

    def _add(self, entry: dict[str, object]) -> None:
        with self._lock:
            entry["n"] = self._next
            self._next += 1
            self._entries.append(entry)
            self._news.notify_all()

    def entries(self, since: int = 0, limit: int | None = None,
                wait_s: float = 0.0) -> tuple[list[dict], int]:
        """Entries numbered ``since`` or later (oldest first), and the next number.

        With ``wait_s``, waits up to that long for such an entry to be recorded.
        """
        with self._lock:
            if wait_s > 0:
                self._news.wait_for(lambda: self._next > since, timeout=wait_s)
            first = self._next - len(self._entries)
            skip = max(0, since - first)
            stop = None if limit is None else skip + max(0, limit)
            selected = list(islice(self._entries, skip, stop))
            following = selected[-1]["n"] + 1 if selected else max(since, first)
            return [dict(e) for e in selected], int(following)  # type: ignore[call-overload]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
