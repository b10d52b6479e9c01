"""A stimulating command from its start to its noted end: how every way out sends STOP.

``mfconsole device test-stim`` and ``mfconsole device therapy start`` both run one start
(``console.stimulation.recorded_start.RecordedStart``) this way. ``run``'s try/finally is
the one way out: STOP (unless the device stopped by itself, or the stop thread's STOP
surely came after the start), then the end in the record. Signals and a closed output are
served at once by ``StopRequests``' own thread; each command says only how it stimulates
(``_stimulate``) and how it reads the device's end.
"""

from __future__ import annotations

import sys
import threading

from console.cli.errors import CliError
from console.cli.stop_requests import StopRequest, StopRequests
from console.stimulation.recorded_start import RecordedStart
from console.stimulation.stopping import StopOutcome, send_stop
from device_link.client import DeviceClient
from device_link.events import LinkDown, Notice
from device_link.messages import StimStopped


class StimulatingRun:
    """One start on the command line, ended by the device, a STOP request or an error."""

    def __init__(self, client: DeviceClient, start: RecordedStart) -> None:
        self.client = client
        self.start = start
        self.stops = StopRequests(self._send_stop)
        self._ended = threading.Condition()
        self._end: Notice | None = None
        self._stop: StopOutcome | None = None  # the stop thread's
        self.ending = ""  # how it ended, for the record

    def run(self) -> int:
        with self.stops:
            unsubscribe = self.client.subscribe(self._on_notice)
            try:
                return self._stimulate()
            except BaseException as exc:
                self.ending = self.ending or _failure(exc)
                raise
            finally:
                unsubscribe()
                if self.start.live:
                    self._stop_unless_stopped()
                self._record_end()

    def _stimulate(self) -> int:
        """Start, then wait for the end; the exit status."""
        raise NotImplementedError

    # -- how it ends -------------------------------------------------------------------------

    def _on_notice(self, notice: Notice) -> None:
        if isinstance(notice, StimStopped | LinkDown):
            self._finish(notice)

    def _finish(self, notice: Notice | None) -> None:
        with self._ended:
            if self._end is None:
                self._end = notice
            self._ended.notify_all()

    def _wait_for_end(self, seconds: float | None) -> Notice | None:
        """The device's end (StimStopped or LinkDown) once it came, a STOP request, or
        ``seconds`` passing, whichever is first."""
        with self._ended:
            self._ended.wait_for(lambda: self._end is not None or self.stops.asked, seconds)
            return self._end

    def _send_stop(self, _request: StopRequest) -> None:
        """On the stop thread, at once, whatever the main thread is doing: a start on its
        way learns of it first, and is stopped again once the device has answered it."""
        self.start.note_stop()
        self._stop = send_stop(self.client)
        self._finish(None)

    def _stop_unless_stopped(self) -> None:
        """STOP, unless the device stopped by itself or the stop thread's STOP did.

        While the start is live, the stop thread's STOP left after the start's reply
        (one that may have overtaken it made the start stop again), and one that went
        unanswered means the link is gone. A STOP that fails here does not hide the error
        that ended the run: the record says so next to it.
        """
        if self.stops.asked:
            self.stops.done.wait()
            return
        if isinstance(self._end, StimStopped):
            return
        outcome = send_stop(self.client)
        if not outcome.confirmed:
            self.ending += f"; {outcome.unconfirmed_text()}"

    def _stopped_on_request(self) -> int:
        self.stops.done.wait()
        request = self.stops.request
        assert request is not None
        stop = self._stop
        if stop is not None and not stop.confirmed:
            raise CliError(stop.unconfirmed_text())
        self._say_stopped(request)
        self.ending = self.ending or f"STOP sent: stopped {request.why}"
        return request.exit_status

    def _say_stopped(self, request: StopRequest) -> None:
        self.stops.say(f"STOP sent: stimulation stopped {request.why}")

    def _record_end(self) -> None:
        """Audit the end (never refused); a record that cannot be reached is reported only."""
        problem = self.start.record_end(self.ending)
        if problem is not None:
            print(f"mfconsole: the end of {self.start.what} was not recorded: {problem}",
                  file=sys.stderr)


def _failure(exc: BaseException) -> str:
    """How an error ended the run, for the record."""
    if isinstance(exc, CliError):
        return str(exc)
    return f"ended by an unexpected error ({type(exc).__name__}: {exc})"
