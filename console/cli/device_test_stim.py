"""``mfconsole device test-stim``: continuous test pulses on one pair, optionally titrated up.

Ctrl-C or SIGTERM sends STOP at once: the handler only wakes a thread kept for that, so
a signal landing while the main thread holds a lock can never delay it. The device's
watchdog stops stimulation anyway if this process dies.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
from decimal import Decimal, InvalidOperation
from types import FrameType

from console.program import UA_PER_MA, NotRepresentable, TestStimulus, from_device_units
from console.safety import SafetyEngine, SafetyRefusal
from device_link.client import DeviceClient
from device_link.errors import DeviceLinkError
from device_link.events import LinkDown, Notice
from device_link.messages import StimStopped, TestStimStart
from device_link.protocol import StopReason

from ..accounts import Action
from ..device_facts import STOP_REASON_TEXT
from ..device_recording import DeviceRecorder
from ..storage import RecordError
from .device_access import key_store_for, open_device, recording
from .errors import CliError
from .program_command import EXIT_BLOCKED, profile_or_fail

EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}


def register_test_stim(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "test-stim", help="test stimulation on one pair (Ctrl-C stops at once)",
        description="Start test stimulation at --amp (at or below the device's start limit) "
                    "and optionally raise it by --step every --every seconds.")
    parser.add_argument("--lead", type=int, required=True, help="0 left, 1 right")
    parser.add_argument("--anode", type=int, required=True, help="electrode 0 (tip) .. 3")
    parser.add_argument("--cathode", type=int, required=True, help="electrode 0 (tip) .. 3")
    parser.add_argument("--amp", type=_milliamps, required=True, metavar="MA",
                        help="starting amplitude, mA")
    parser.add_argument("--pw", type=int, required=True, metavar="US", help="pulse width, µs")
    parser.add_argument("--freq", type=int, required=True, metavar="HZ", help="frequency, Hz")
    parser.add_argument("--seconds", type=int, required=True, metavar="S",
                        help="duration; the device stops by itself after it")
    parser.add_argument("--step", type=_milliamps, metavar="MA", help="raise by this much …")
    parser.add_argument("--every", type=float, metavar="S", help="… every this many seconds")
    parser.add_argument("--profile", help="clinic safety profile (default: the one shipped)")
    parser.set_defaults(handler=run_test_stim)


def _milliamps(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of mA") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative number of mA")
    return value


def run_test_stim(args: argparse.Namespace) -> int:
    if (args.step is None) != (args.every is None):
        raise CliError("--step and --every go together", 2)
    if args.every is not None and args.every <= 0:
        raise CliError(f"--every {args.every} s must be positive", 2)
    try:
        stimulus = TestStimulus(args.lead, args.anode, args.cathode, args.freq, args.pw,
                                args.amp, args.seconds)
    except (TypeError, ValueError) as exc:
        raise CliError(str(exc), 2) from None
    profile = profile_or_fail(args.profile)
    with recording(args, Action.TEST_STIMULATION) as recorder, open_device(
            args.port, args.key_file, args.baud,
            key_store=key_store_for(recorder, args.key_file)) as client:
        assert client.limits is not None and client.identity is not None
        engine = SafetyEngine(client.limits, profile,
                              electrodes_per_lead=client.identity.electrodes_per_lead)
        if args.step is not None and args.step > engine.titration.step_max_ma:
            raise CliError(f"--step {args.step} mA exceeds the largest titration step "
                           f"{engine.titration.step_max_ma} mA", EXIT_BLOCKED)
        try:
            request = engine.approve_test_start(stimulus)
        except (SafetyRefusal, NotRepresentable) as exc:
            raise CliError(f"test stimulation refused: {exc}", EXIT_BLOCKED) from None
        session = _Session(client, engine, stimulus, args.step, args.every)
        if recorder is None:
            return session.run(request)
        serial = recorder.known_device(client.identity).serial
        recorder.record_test_start(serial, stimulus)
        return _run_recorded(session, request, recorder, serial)


def _run_recorded(session: _Session, request: TestStimStart, recorder: DeviceRecorder,
                  serial: str) -> int:
    """Run the audited session; however it ends, the end is audited as a stop."""
    try:
        code = session.run(request)
    except CliError as exc:
        _record_end(recorder, serial, str(exc))
        raise
    _record_end(recorder, serial, session.ending)
    return code


def _record_end(recorder: DeviceRecorder, serial: str, how: str) -> None:
    """Audit the end (never refused); a record that cannot be reached is reported only."""
    try:
        recorder.record_stop(serial, f"test stimulation ended: {how}")
    except RecordError as exc:
        print(f"mfconsole: the end of test stimulation was not recorded: {exc}",
              file=sys.stderr)


class _Session:
    """One test stimulation: start, titrate on a timer, end on an event or a signal.

    The signal handler only records the request: a dedicated thread sends STOP, so a
    signal that lands while the main thread holds a lock can never deadlock the stop.
    """

    def __init__(self, client: DeviceClient, engine: SafetyEngine, stimulus: TestStimulus,
                 step: Decimal | None, every: float | None) -> None:
        self.client = client
        self.engine = engine
        self.current = stimulus
        self.step = step
        self.every = every
        self._ended = threading.Condition()
        self._end: Notice | None = None
        self._signal: int | None = None
        self._stop_requested = threading.Event()
        self._stop_done = threading.Event()
        self._stop_error: DeviceLinkError | None = None
        self._stopper = threading.Thread(target=self._stop_when_asked, daemon=True,
                                         name="test-stim-stopper")
        self.ending = ""  # how a session that ended without an error ended, for the record

    def _on_notice(self, notice: Notice) -> None:
        if isinstance(notice, StimStopped | LinkDown):
            self._finish(notice)

    def _finish(self, notice: Notice | None) -> None:
        with self._ended:
            if self._end is None:
                self._end = notice
            self._ended.notify_all()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._signal is None:
            self._signal = signum
        self._stop_requested.set()

    def _stop_when_asked(self) -> None:
        self._stop_requested.wait()
        try:
            self.client.stop()
        except DeviceLinkError as exc:
            self._stop_error = exc
        self._stop_done.set()
        self._finish(None)

    def run(self, request) -> int:
        self._stopper.start()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in EXIT_SIGNAL}
        unsubscribe = self.client.subscribe(self._on_notice)
        try:
            self.client.start_test_stim(request)
            if self._stop_requested.is_set():
                # The STOP may have gone out before this START reached the device.
                self.client.stop()
                return self._stopped_by_operator()
            print(f"stimulating lead {self.current.lead} (anode {self.current.anode}, "
                  f"cathode {self.current.cathode}) at {self.current.amplitude_ma} mA",
                  flush=True)
            return self._until_end()
        except DeviceLinkError as exc:
            if self._stop_requested.is_set():
                return self._stopped_by_operator()
            raise CliError(f"test stimulation: {exc}") from None
        finally:
            unsubscribe()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _until_end(self) -> int:
        while True:
            with self._ended:
                self._ended.wait_for(lambda: self._end is not None or self._stop_done.is_set(),
                                     self.every)
                end = self._end
            if self._stop_requested.is_set():
                return self._stopped_by_operator()
            if end is not None:
                return self._report(end)
            self._raise_one_step()

    def _stopped_by_operator(self) -> int:
        self._stop_done.wait()
        if self._stop_error is not None:
            raise CliError(f"STOP not confirmed by the device ({self._stop_error}); its "
                           "watchdog stops stimulation when this console falls silent")
        print("STOP sent: stimulation stopped by the operator", flush=True)
        signum = self._signal or signal.SIGINT
        self.ending = f"STOP sent: stopped by the operator ({signal.Signals(signum).name})"
        return EXIT_SIGNAL.get(signum, 130)

    def _raise_one_step(self) -> None:
        assert self.step is not None
        requested = dataclasses.replace(self.current,
                                        amplitude_ma=self.current.amplitude_ma + self.step)
        verdict = self.engine.check_adjustment(self.current, requested)
        if not verdict.clear:
            reason = (verdict.blocks or verdict.confirmations)[0].message
            print(f"holding at {self.current.amplitude_ma} mA: {reason}", flush=True)
            self.step = None
            self.every = None
            return
        now_ua = self.client.adjust_test_stim(requested.amplitude_record())
        self.current = requested
        print(f"amplitude {from_device_units(now_ua, UA_PER_MA)} mA", flush=True)

    def _report(self, end: Notice) -> int:
        if isinstance(end, LinkDown):
            raise CliError(f"link lost during test stimulation ({end.reason}); the device's "
                           "watchdog stops stimulation")
        assert isinstance(end, StimStopped)
        text = STOP_REASON_TEXT.get(StopReason(end.reason), f"reason {end.reason}") \
            if end.reason in StopReason._value2member_map_ else f"reason {end.reason}"
        if end.reason == StopReason.DURATION_ELAPSED:
            print(f"stimulation ended: {text}", flush=True)
            self.ending = text
            return 0
        raise CliError(f"stimulation stopped: {text}")
