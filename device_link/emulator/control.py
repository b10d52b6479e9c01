"""``ControlClient``: the engineers' and tests' handle on a running emulator.

It speaks the emulator's JSON-lines control channel; every method is one command
and returns the command's result as a plain dict. The console's device path never
uses it: a real device has no such channel.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

DEFAULT_TIMEOUT_S = 40.0  # above the longest trace wait


class ControlError(RuntimeError):
    """The emulator refused a control command (the message says why)."""


class ControlClient:
    """Connect to ``"HOST:PORT"``, ``("HOST", PORT)`` or ``"unix:/path"``."""

    def __init__(self, address: str | tuple[str, int],
                 timeout: float = DEFAULT_TIMEOUT_S) -> None:
        if isinstance(address, str) and address.startswith("unix:"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(address[len("unix:"):])
        else:
            if isinstance(address, str):
                host, _, port = address.rpartition(":")
                address = (host, int(port))
            sock = socket.create_connection(address, timeout=timeout)
        self._sock = sock
        self._reader = sock.makefile("rb")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._reader.close()
        self._sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def call(self, command: str, **arguments: Any) -> dict[str, Any]:
        """Send one command; return its result or raise ControlError."""
        line = json.dumps({"cmd": command, **arguments}).encode() + b"\n"
        with self._lock:
            self._sock.sendall(line)
            answer_line = self._reader.readline()
        if not answer_line:
            raise ControlError("the emulator closed the control channel")
        answer = json.loads(answer_line)
        if not answer.get("ok"):
            raise ControlError(answer.get("error", "refused"))
        return answer["result"]

    # -- one method per command ------------------------------------------------------------

    def ping(self) -> dict[str, Any]:
        return self.call("ping")

    def state(self) -> dict[str, Any]:
        """Device state, session, battery, fault flags, link errors, stimulation, port."""
        return self.call("state")

    def programs(self) -> dict[str, Any]:
        """``{"slots": [{"slot", "program" (28 bytes, hex), "crc"}, ...]}``, written slots only."""
        return self.call("programs")

    def observe(self) -> dict[str, Any]:
        """Per lead: contraction 0–1, unwanted responses, set and delivered amplitude."""
        return self.call("observe")

    def patient(self, pw_us: int = 214) -> dict[str, Any]:
        """Contraction/unwanted thresholds of every (anode, cathode) at ``pw_us``."""
        return self.call("patient", pw_us=pw_us)

    def impedances(self) -> dict[str, Any]:
        return self.call("impedances")

    def inject_open(self, lead: int, electrode: int, is_open: bool = True) -> dict[str, Any]:
        return self.call("inject_open", lead=lead, electrode=electrode, is_open=is_open)

    def inject_short(self, lead: int, a: int, b: int) -> dict[str, Any]:
        return self.call("inject_short", lead=lead, a=a, b=b)

    def inject_rising(self, lead: int, electrode: int, ohm_per_s: float) -> dict[str, Any]:
        return self.call("inject_rising", lead=lead, electrode=electrode, ohm_per_s=ohm_per_s)

    def set_contact_ohms(self, lead: int, electrode: int, ohms: float) -> dict[str, Any]:
        return self.call("set_contact_ohms", lead=lead, electrode=electrode, ohms=ohms)

    def set_battery(self, percent: float) -> dict[str, Any]:
        return self.call("set_battery", percent=percent)

    def clear_faults(self) -> dict[str, Any]:
        return self.call("clear_faults")

    def set_link_faults(self, corrupt_rate: float = 0.0, drop_rate: float = 0.0,
                        delay_ms: float = 0.0, direction: str = "both") -> dict[str, Any]:
        return self.call("set_link_faults", corrupt_rate=corrupt_rate, drop_rate=drop_rate,
                         delay_ms=delay_ms, direction=direction)

    def link_faults(self) -> dict[str, Any]:
        return self.call("link_faults")

    def disconnect(self) -> dict[str, Any]:
        return self.call("disconnect")

    def reconnect(self) -> dict[str, Any]:
        """Returns ``{"port": ...}``: a pseudo-terminal comes back under a new path."""
        return self.call("reconnect")

    def reboot(self) -> dict[str, Any]:
        return self.call("reboot")

    def trace(self, since: int = 0, limit: int | None = None,
              wait_s: float = 0.0) -> dict[str, Any]:
        """``{"entries": [...], "next": n}``; pass ``next`` as ``since`` to continue.

        ``wait_s`` blocks (in the emulator) until an entry numbered ``since`` or later
        exists, or that many seconds pass.
        """
        return self.call("trace", since=since, limit=limit, wait_s=wait_s)

    def await_trace(self, predicate: Callable[[dict[str, Any]], bool], since: int = 0,
                    timeout: float = 5.0) -> dict[str, Any]:
        """The first trace entry from ``since`` on that satisfies ``predicate``.

        Raises TimeoutError when none is recorded within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            page = self.trace(since=since, wait_s=left)
            for entry in page["entries"]:
                if predicate(entry):
                    return entry
            since = page["next"]
        raise TimeoutError(f"no matching trace entry within {timeout} s")

    def clear_trace(self) -> dict[str, Any]:
        return self.call("clear_trace")
