"""``mfconsole device test-stim``: continuous test pulses on one pair, optionally titrated up.

However the command ends once the start may have gone out (the duration elapsing,
Ctrl-C, SIGTERM, SIGQUIT, SIGHUP, the reader of its output going away, a link failure,
any exception), STOP is sent first, unless the device said it stopped by itself, and the
end is recorded afterwards. Signals and a closed output are served at once by
``StopRequests``' own thread; every other way out goes through the run's try/finally
(``console.cli.stimulating_run``). The device's watchdog stops stimulation anyway if this
process dies outright.
The sequence itself (judge, measure first, record, start, titrate, note the end) is the
window's too: ``console.stimulation.session``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from decimal import Decimal, InvalidOperation

from console.accounts import Action
from console.cli.device_access import key_store_for, open_device, recording
from console.cli.errors import CliError
from console.cli.lead_check import MEASUREMENT_STOPPED, MeasureNotes, measurement_refused
from console.cli.program_command import EXIT_BLOCKED, profile_or_fail
from console.cli.stimulating_run import StimulatingRun
from console.leads.integrity import LeadIntegrity
from console.leads.naming import on_lead, polarised_pair_name
from console.programming.program import OutOfBounds, TestStimulus, number_from_text
from console.safety import SafetyEngine
from console.safety.titration_pace import TitrationPace
from console.stimulation.session import StimulationSession
from console.stimulation.start import STOPPED_BY_STOP, Start, StartResult
from console.stimulation.stopping import WATCHDOG, stop_reason_text
from device_link.client import DeviceClient
from device_link.errors import DeviceLinkError
from device_link.events import LinkDown, Notice
from device_link.messages import StimStopped
from device_link.protocol import StopReason

EXIT_USAGE = 2
LONGEST_EVERY_S = Decimal(3600)
"""No titration schedule is longer than this, whatever the device (its own limit is lower)."""


def register_test_stim(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "test-stim", help="test stimulation on one pair (Ctrl-C stops at once)",
        description="Start test stimulation at --amp (at or below the device's start limit) "
                    "and optionally raise it by --step every --every seconds (at least the "
                    "clinic profile's shortest interval between increases).")
    parser.add_argument("--lead", type=int, required=True, help="0 left, 1 right")
    parser.add_argument("--anode", type=int, required=True, help="electrode, 0 = the tip")
    parser.add_argument("--cathode", type=int, required=True, help="electrode, 0 = the tip")
    parser.add_argument("--amp", type=_milliamps, required=True, metavar="MA",
                        help="starting amplitude, mA")
    parser.add_argument("--pw", type=int, required=True, metavar="US", help="pulse width, µs")
    parser.add_argument("--freq", type=int, required=True, metavar="HZ", help="frequency, Hz")
    parser.add_argument("--seconds", type=int, required=True, metavar="S",
                        help="duration; the device stops by itself after it")
    parser.add_argument("--step", type=_milliamps, metavar="MA", help="raise by this much …")
    parser.add_argument("--every", metavar="S",
                        help="… every this many seconds (at least the profile's "
                             "test_stimulation.min_interval_s)")
    parser.add_argument("--profile", help="clinic safety profile (default: the one shipped)")
    parser.set_defaults(handler=run_test_stim)


def _milliamps(text: str) -> Decimal:
    """A non-negative number of mA, bounded before anything is computed with it."""
    try:
        value = number_from_text(text, "--amp/--step")
    except OutOfBounds as exc:
        raise argparse.ArgumentTypeError(exc.detail) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative number of mA")
    return value


def run_test_stim(args: argparse.Namespace) -> int:
    if (args.step is None) != (args.every is None):
        raise CliError("--step and --every go together", EXIT_USAGE)
    try:
        stimulus = TestStimulus(args.lead, args.anode, args.cathode, args.freq, args.pw,
                                args.amp, args.seconds)
    except (TypeError, ValueError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    profile = profile_or_fail(args.profile)
    pace = TitrationPace(profile.titration_min_interval_s)
    every = _every(args.every, pace, LONGEST_EVERY_S, "the longest schedule taken")
    with recording(args, Action.TEST_STIMULATION) as keeper, open_device(
            args.port, args.key_file, args.baud,
            key_store=key_store_for(keeper, args.key_file), keeper=keeper) as client:
        assert client.limits is not None and client.identity is not None
        engine = SafetyEngine(client.limits, profile,
                              electrodes_per_lead=client.identity.electrodes_per_lead)
        _every(args.every, pace, Decimal(client.limits.test_duration_max_s),
               "the longest test stimulation the device allows")
        if args.step is not None and args.step > engine.titration.step_max_ma:
            raise CliError(f"--step {args.step} mA exceeds the largest titration step "
                           f"{engine.titration.step_max_ma} mA", EXIT_BLOCKED)
        session = StimulationSession(engine, stimulus, keeper)
        refused = session.judge()  # on its own values: refused, it costs no measurement
        if refused is None:  # a new connection has measured nothing: the pair always is
            refused = session.measure(client, LeadIntegrity(), MeasureNotes(args.json))
        if refused is not None:
            raise _not_started(refused)
        titration = None if every is None else _Titration(args.step, every, session.pace)
        return _Run(client, session, titration).run()


def _not_started(result: StartResult) -> CliError:
    """The one line for a start that did not happen, worded as the command always has."""
    if result.ending is Start.REFUSED:
        return CliError(f"test stimulation refused: {result.detail}", EXIT_BLOCKED)
    if result.ending is Start.MEASUREMENT_STOPPED:
        return CliError(MEASUREMENT_STOPPED)
    if result.ending is Start.MEASUREMENT_REFUSED:
        return CliError(measurement_refused(result.detail))
    if result.ending is Start.DEVICE_FAILED:
        return CliError(f"test stimulation: {result.reason}")
    return CliError(result.detail)


def _every(text: str | None, pace: TitrationPace, longest: Decimal,
           longest_is: str) -> Decimal | None:
    """``--every`` as exact seconds a person can follow and the device can reach, or exit 2
    before anything is sent; the message quotes the value as typed."""
    if text is None:
        return None
    try:
        every = Decimal(text)
    except InvalidOperation:
        every = Decimal("NaN")
    problem = pace.schedule_refusal(every)
    if problem is None and every > longest:
        problem = f"is longer than {longest_is}, {longest} s"
    if problem is not None:
        raise CliError(f"--every {text} s {problem}", EXIT_USAGE)
    return every


@dataclasses.dataclass(slots=True)
class _Titration:
    """Automatic steps: ``step`` every ``every`` seconds, never sooner than ``pace`` allows."""

    step: Decimal
    every: Decimal
    pace: TitrationPace
    due: float | None = None  # monotonic time of the next step; None: holding

    def seconds_to_step(self) -> float | None:
        if self.due is None:
            return None
        return max(0.0, max(self.due, self.pace.allowed_at()) - time.monotonic())

    def schedule(self) -> None:
        self.due = time.monotonic() + float(self.every)


class _Run(StimulatingRun):
    """The session on the command line: start, titrate on a timer, end on an event."""

    def __init__(self, client: DeviceClient, session: StimulationSession,
                 titration: _Titration | None) -> None:
        super().__init__(client, session)
        self.session = session
        self.titration = titration

    def _stimulate(self) -> int:
        try:
            started = self.session.begin(self.client)
            if started.ending in STOPPED_BY_STOP or self.stops.asked:
                return self._stopped_on_request()
            if not started.started:
                raise _not_started(started)
            current = self.session.current
            pair = on_lead(current.lead, polarised_pair_name(current.anode, current.cathode))
            self.stops.say(f"stimulating lead {current.lead} ({pair}) at "
                           f"{current.amplitude_ma} mA")
            if self.titration is not None:
                self.titration.schedule()
            return self._until_end()
        except DeviceLinkError as exc:
            if self.stops.asked:
                return self._stopped_on_request()
            raise CliError(f"test stimulation: {exc}") from None

    # -- while it runs -----------------------------------------------------------------------

    def _until_end(self) -> int:
        while True:
            end = self._wait_for_end(
                None if self.titration is None else self.titration.seconds_to_step())
            if self.stops.asked:
                return self._stopped_on_request()
            if end is not None:
                return self._report(end)
            if self.titration is not None and self.titration.seconds_to_step() == 0:
                self._raise_one_step(self.titration)

    def _raise_one_step(self, titration: _Titration) -> None:
        change = self.session.adjustment(self.session.current.amplitude_ma + titration.step)
        if not change.allowed:
            reason = change.refused[0].message if change.refused else change.why
            self.stops.say(f"holding at {change.current.amplitude_ma} mA: {reason}")
            titration.due = None
            return
        now = self.session.adjust(self.client, change)
        titration.schedule()
        self.stops.say(f"amplitude {now} mA")

    def _report(self, end: Notice) -> int:
        if isinstance(end, LinkDown):
            raise CliError(f"link lost during test stimulation ({end.reason}); {WATCHDOG}")
        assert isinstance(end, StimStopped)
        text = stop_reason_text(end.reason)
        if end.reason == StopReason.DURATION_ELAPSED:
            self.stops.say(f"stimulation ended: {text}")
            self.ending = text
            return 0
        raise CliError(f"stimulation stopped: {text}")

