"""What every start of current from the console shares, test stimulation and a therapy
session alike: the pairs measured first, the start in the record before the device hears
of it, a STOP that wins over a start on its way, and the end noted once.

Kept once here so the two sequences (``session.py``, ``therapy.py``) cannot drift apart
on what makes them safe; each says only what it starts and how it judges it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from console.accounts import AccessError
from console.device.record_keeper import RecordKeeper
from console.leads.integrity import LeadIntegrity, Pairs, PreCheck, unmeasured_refusal
from console.leads.measure_first import MeasureProgress, keep_measurement, measure_first
from console.safety import SafetyProfile
from console.stimulation.start import NOTHING_SENT, OVERTAKEN, Start, StartResult
from console.stimulation.stopping import record_stop, send_stop
from console.storage import RecordError
from device_link.client import DeviceClient
from device_link.errors import Aborted, DeviceLinkError, DeviceRefused


class RecordedStart:
    """One start and its noted end. ``what`` names it in the record ("test stimulation").

    ``live``: the start went out and this object has not stopped it since.
    """

    def __init__(self, keeper: RecordKeeper | None, what: str) -> None:
        self.keeper = keeper
        self.what = what
        self.serial: str | None = None
        self.live = False
        self._stop = threading.Event()
        self._check: PreCheck | None = None
        self._start_recorded = False
        self._end_recorded = False

    def note_stop(self) -> None:
        """STOP was sent (by whoever sends it); any thread, never blocks."""
        self._stop.set()

    @property
    def stop_noted(self) -> bool:
        """Whether a STOP went out while this start was the current one."""
        return self._stop.is_set()

    # -- before the start -----------------------------------------------------------------

    def _measured(self, client: DeviceClient, integrity: LeadIntegrity, pairs: Pairs,
                  profile: SafetyProfile, progress: MeasureProgress | None
                  ) -> PreCheck | StartResult:
        """Measure the pairs unless ``integrity`` (this connection's) holds them and keep
        the measurement: the check to judge again with, or why not to start."""
        try:
            check = measure_first(client, integrity, pairs, profile, progress)
        except Aborted as exc:
            return StartResult(Start.MEASUREMENT_STOPPED, "STOP pressed during the impedance "
                               "measurement before the start; nothing was started", str(exc))
        except DeviceLinkError as exc:
            ending = (Start.MEASUREMENT_REFUSED if isinstance(exc, DeviceRefused)
                      else Start.MEASUREMENT_FAILED)
            return StartResult(ending, f"the impedance measurement before the start failed "
                                       f"({exc}); nothing was started", str(exc))
        self._check = check
        if self.keeper is not None:
            try:
                keep_measurement(client, self.keeper, check)
            except (RecordError, AccessError) as exc:
                return self._result(Start.MEASUREMENT_NOT_STORED,
                                    f"the impedance measured before the start could not be "
                                    f"stored ({exc}); nothing was started", str(exc))
        refusal = unmeasured_refusal(check.integrity, pairs)
        if refusal is not None:
            return self._result(Start.UNMEASURED, refusal, refusal)
        return check

    # -- the start ------------------------------------------------------------------------

    def _launch(self, client: DeviceClient, record_start: Callable[[str], None],
                send: Callable[[], object]) -> StartResult:
        """``record_start(serial)`` (with a record), then ``send()``, unless STOP came first;
        a STOP that overtook ``send`` on the line stops the device again at once."""
        assert client.identity is not None, "the client is not connected"
        serial = self.serial = client.identity.serial
        if self._stop.is_set():
            return self._result(Start.STOPPED, NOTHING_SENT)
        if self.keeper is not None:
            try:
                record_start(serial)
            except (RecordError, AccessError) as exc:
                return self._result(Start.NOT_RECORDED, f"the clinical record refused the "
                                    f"start ({exc}); nothing was sent to the device", str(exc))
            self._start_recorded = True
        if self._stop.is_set():
            return self._not_started(Start.STOPPED, NOTHING_SENT)
        self.live = True
        try:
            send()
        except DeviceRefused as exc:  # the device answered: nothing started
            self.live = False
            return self._not_started(Start.DEVICE_FAILED, str(exc))
        except DeviceLinkError as exc:  # no answer: it may have started
            return self._stop_again(client, Start.DEVICE_FAILED, str(exc))
        if self._stop.is_set():  # STOP may have overtaken the start on the line
            return self._stop_again(client, Start.STOPPED_WHILE_STARTING, OVERTAKEN)
        return self._result(Start.STARTED, recorded=self._start_recorded)

    def _stop_again(self, client: DeviceClient, ending: Start, reason: str) -> StartResult:
        """The start may be running: STOP at once, then say so."""
        stopped = send_stop(client)
        self.live = False
        if not stopped.confirmed:
            reason += f"; {stopped.unconfirmed_text()}"
        return self._not_started(ending, reason)

    def _not_started(self, ending: Start, reason: str) -> StartResult:
        """The record shows the start: note that it did not happen (never refused)."""
        detail = reason
        if self._start_recorded:
            self._end_recorded = True
            problem = record_stop(self.keeper, self.serial, f"{self.what} did not start: {reason}")
            if problem is not None:
                reason += (f"; the clinical record shows the start but could not note that it "
                           f"failed ({problem})")
        return self._result(ending, reason, detail)

    def _result(self, ending: Start, reason: str = "", detail: str = "",
                recorded: bool = False) -> StartResult:
        return StartResult(ending, reason, detail or reason, self._check, recorded)

    # -- the end --------------------------------------------------------------------------

    def record_end(self, why: str) -> str | None:
        """Note once, after the end, how it ended; None when noted (or nothing to note),
        else why the record could not."""
        if not self._start_recorded or self._end_recorded:
            return None
        self._end_recorded = True
        return record_stop(self.keeper, self.serial, f"{self.what} ended: {why}")
