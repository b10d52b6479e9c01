"""What happens when STOP is pressed, in the window, on the command line and in the
placement test alike.

1. STOP goes to the device at once. Nothing is asked first: no login, no key, no record,
   no confirmation. ``Stopper`` sends it from a thread kept for it, so it never queues
   behind other work; ``send_stop`` sends it from a thread that is already free for it
   (a signal's, a finally's). Either way ``DeviceClient.stop`` flushes the line and the
   device executes STOP whatever it is doing, even while another request waits for its
   reply (MFL/1, section 4).
2. The device answers with the state it was in. No answer means the link is gone: then
   ``WATCHDOG`` says what still stops stimulation.
3. Only then is the stop noted in the clinical record, when one is open
   (``record_stop``): never refused, and a record that cannot be reached is reported,
   never allowed to delay or undo the STOP.
4. Why stimulation stopped, whoever stopped it, is told with ``stop_reason_text``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from console.accounts import AccessError
from console.storage import RecordError
from device_link.errors import DeviceLinkError
from device_link.protocol import DeviceState, StopReason

WATCHDOG = "the device's watchdog stops test stimulation when the console falls silent"
"""What stops test stimulation when STOP cannot reach the device: one sentence everywhere."""

STOP_REASON_TEXT = {
    StopReason.STOP_REQUEST: "stopped on request",
    StopReason.WATCHDOG: "stopped by the device watchdog (console went silent)",
    StopReason.DURATION_ELAPSED: "test duration elapsed",
    StopReason.FAULT: "stopped by a device fault",
    StopReason.SESSION_COMPLETE: "therapy session complete",
}


def stop_reason_text(reason: int) -> str:
    """The device's stop reason in words; a reason this console does not know is quoted."""
    try:
        return STOP_REASON_TEXT[StopReason(reason)]
    except ValueError:
        return f"stopped by the device (reason {reason})"


@dataclass(frozen=True, slots=True)
class StopOutcome:
    """What the device said to one STOP: its previous state, or why it said nothing."""

    previous_state: int | None
    error: DeviceLinkError | None = None

    @property
    def confirmed(self) -> bool:
        return self.error is None

    def device_was(self) -> str:
        """The state the device stopped from, by name when this console knows it."""
        state = self.previous_state
        return DeviceState(state).name if state in DeviceState._value2member_map_ else str(state)

    def unconfirmed_text(self) -> str:
        return f"STOP NOT confirmed ({self.error}); {WATCHDOG}"


class StopTarget(Protocol):
    """A connected device: ``device_link.client.DeviceClient``, whose ``stop`` any thread
    may call, even while another request waits for its reply."""

    def stop(self) -> int: ...


def send_stop(client: StopTarget) -> StopOutcome:
    """STOP now, on the calling thread; any thread may call it, whatever else is under way."""
    try:
        return StopOutcome(client.stop())
    except DeviceLinkError as exc:
        return StopOutcome(None, exc)


class StopRecorder(Protocol):
    """Whoever notes stops in the clinical record (``RecordKeeper`` does)."""

    def record_stop(self, serial: str | None, reason: str) -> None: ...


def record_stop(keeper: StopRecorder | None, serial: str | None, reason: str) -> str | None:
    """Note a stop already sent; None when noted (or no record is open), else why not."""
    if keeper is None:
        return None
    try:
        keeper.record_stop(serial, reason)
    except (RecordError, AccessError) as exc:
        return str(exc)
    return None


class Stopper:
    """Sends STOP from a thread of its own the moment ``press`` is called.

    ``client`` gives the device to stop (None: none connected, nothing is sent).
    ``on_sent(perf_counter)`` runs on the stop thread just before STOP goes out,
    ``on_done(outcome)`` once the device has answered or the link has failed. Presses
    that come while one STOP is under way are served by one more STOP, not one each.
    """

    def __init__(self, client: Callable[[], StopTarget | None], *,
                 on_sent: Callable[[float], None] = lambda _at: None,
                 on_done: Callable[[StopOutcome], None] = lambda _outcome: None) -> None:
        self._client = client
        self._on_sent = on_sent
        self._on_done = on_done
        self._wanted = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._serve, daemon=True, name="device-stop")
        self._thread.start()

    def press(self) -> None:
        """Stop everything now. Safe from any thread, cheap enough for a key handler."""
        self._wanted.set()

    def close(self) -> None:
        """Let the stop thread end; a STOP under way is not waited for."""
        self._closing = True
        self._wanted.set()

    def _serve(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._closing:
                return
            client = self._client()
            if client is None:
                continue
            self._on_sent(time.perf_counter())
            self._on_done(send_stop(client))
