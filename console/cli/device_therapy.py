"""``mfconsole device therapy start SLOT``: one therapy session of a stored program, to try it
with the patient at the programming visit.

The slot is read and judged first (``console.stimulation.therapy``: refused when the
safety engine blocks it or the slot is empty; the pairs measured; the start recorded).
While it runs the phases are printed as the device reports them (ramp up, ON, ramp down,
off, with set and delivered current), until the device ends the session, ``--max-seconds``
pass (STOP is sent, and said), or the user ends the command: every way out sends STOP, as
for test stimulation (``console.cli.stimulating_run``). With ``--json`` each line is one
JSON object: the start, each phase change, and the end with its reason.
"""

from __future__ import annotations

import argparse
import json
import time

from console.accounts import Action
from console.cli.device_access import key_store_for, open_device, recording
from console.cli.errors import CliError
from console.cli.lead_check import MEASUREMENT_STOPPED, MeasureNotes, measurement_refused
from console.cli.program_command import EXIT_BLOCKED, profile_or_fail, program_slot, whole_number
from console.cli.stimulating_run import StimulatingRun
from console.cli.stop_requests import StopRequest
from console.leads.integrity import LeadIntegrity
from console.programming.program import plain
from console.safety import SafetyEngine
from console.stimulation.start import STOPPED_BY_STOP, Start, StartResult
from console.stimulation.stopping import stop_reason_text
from console.stimulation.therapy import PhaseChange, PhaseTracker, TherapyTrial, program_lines
from device_link.client import DeviceClient
from device_link.errors import DeviceLinkError
from device_link.events import LinkDown, Notice
from device_link.messages import StimStopped, StimTelemetry
from device_link.protocol import StopReason

LONGEST_TRY_S = 3600
"""No session is longer than an hour (MFL/1 session_max_min is at most 60)."""


def register_therapy(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("therapy", help="try a stored program: one therapy session")
    actions = parser.add_subparsers(dest="therapy_action", metavar="ACTION", required=True)
    start = actions.add_parser(
        "start", help="start one therapy session of a slot (Ctrl-C stops at once)",
        description="Read the slot's program, check it against the device's limits and the "
                    "clinic profile, measure the pairs in use, then start one therapy session "
                    "and print its phases until it ends. Exit 4 when the safety engine blocks "
                    "the program.")
    start.add_argument("slot", type=program_slot)
    start.add_argument("--max-seconds", type=_max_seconds, metavar="N",
                       help="send STOP after N seconds (to try only the first cycles)")
    start.add_argument("--profile", help="clinic safety profile (default: the one shipped)")
    start.set_defaults(handler=run_therapy)


def _max_seconds(text: str) -> int:
    return whole_number(text, 1, LONGEST_TRY_S)


def run_therapy(args: argparse.Namespace) -> int:
    profile = profile_or_fail(args.profile)
    with recording(args, Action.PROGRAM_DEVICE) as keeper, open_device(
            args.port, args.key_file, args.baud,
            key_store=key_store_for(keeper, args.key_file), keeper=keeper) as client:
        assert client.limits is not None and client.identity is not None
        engine = SafetyEngine(client.limits, profile,
                              electrodes_per_lead=client.identity.electrodes_per_lead)
        trial = TherapyTrial(engine, args.slot, keeper)
        refused = trial.prepare(client, LeadIntegrity(), MeasureNotes(args.json))
        if refused is not None:
            raise _not_started(refused)
        return _TherapyRun(client, trial, args.json, args.max_seconds).run()


def _not_started(result: StartResult) -> CliError:
    """The one line for a session that did not start."""
    if result.ending is Start.REFUSED:
        return CliError(f"therapy session not started: {result.reason}", EXIT_BLOCKED)
    if result.ending is Start.MEASUREMENT_STOPPED:
        return CliError(MEASUREMENT_STOPPED)
    if result.ending is Start.MEASUREMENT_REFUSED:
        return CliError(measurement_refused(result.detail))
    return CliError(f"therapy session not started: {result.reason}")


class _TherapyRun(StimulatingRun):
    """The session on the command line: start, print each phase change, end."""

    def __init__(self, client: DeviceClient, trial: TherapyTrial, json_lines: bool,
                 max_seconds: int | None) -> None:
        super().__init__(client, trial)
        self.trial = trial
        self.json_lines = json_lines
        self.max_seconds = max_seconds
        self.tracker: PhaseTracker = trial.tracker()
        self._changes: list[PhaseChange] = []

    def _stimulate(self) -> int:
        try:
            started = self.trial.begin(self.client)
            if started.ending in STOPPED_BY_STOP or self.stops.asked:
                return self._stopped_on_request()
            if not started.started:
                raise _not_started(started)
            self._say_started()
            return self._until_end()
        except DeviceLinkError as exc:
            if self.stops.asked:
                return self._stopped_on_request()
            raise CliError(f"therapy session: {exc}") from None

    def _until_end(self) -> int:
        deadline = None if self.max_seconds is None else time.monotonic() + self.max_seconds
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            with self._ended:
                self._ended.wait_for(lambda: self._end is not None or self.stops.asked
                                     or bool(self._changes), wait)
                end, changes, self._changes = self._end, self._changes, []
            for change in changes:
                self._emit(change.as_dict(), change.text())
            if self.stops.asked:
                return self._stopped_on_request()
            if end is not None:
                return self._report(end)
            if deadline is not None and time.monotonic() >= deadline:
                self.stops.ask(StopRequest(f"after --max-seconds {self.max_seconds}", 0))

    def _on_notice(self, notice: Notice) -> None:
        if isinstance(notice, StimTelemetry):
            change = self.tracker.add(notice)
            if change is not None:
                with self._ended:
                    self._changes.append(change)
                    self._ended.notify_all()
        super()._on_notice(notice)

    # -- what it says ------------------------------------------------------------------------

    def _emit(self, data: dict, text: str) -> None:
        self.stops.say(json.dumps(data, ensure_ascii=False) if self.json_lines else text)

    def _say_started(self) -> None:
        judged = self.trial.judged
        assert judged is not None
        data = {"event": "started", "slot": self.trial.slot, "session_s": self.trial.session_s,
                "program": {name: value if isinstance(value, int) else plain(value)
                            for name, value in judged.program.as_fields().items()},
                "findings": [finding.to_dict() for finding in judged.assessment.findings]}
        lines = [f"therapy session of slot {self.trial.slot} started "
                 f"({self.trial.session_s} s):"]
        lines += [f"  {line}" for line in program_lines(judged.program)]
        lines += [f"  {line}" for line in judged.assessment.lines()]
        self._emit(data, "\n".join(lines))

    def _say_stopped(self, request: StopRequest) -> None:
        self._emit({"event": "stopped", "reason": stop_reason_text(StopReason.STOP_REQUEST),
                    "code": int(StopReason.STOP_REQUEST), "by": f"STOP sent {request.why}"},
                   f"STOP sent: therapy session stopped {request.why}")

    def _report(self, end: Notice) -> int:
        if isinstance(end, LinkDown):
            raise CliError(f"link lost during the therapy session ({end.reason}): the device "
                           f"goes on with the session until it ends; reconnect and STOP "
                           f"(mfconsole device stop needs no key)")
        assert isinstance(end, StimStopped)
        text = self.ending = stop_reason_text(end.reason)
        self._emit({"event": "stopped", "reason": text, "code": end.reason},
                   f"therapy session ended: {text}")
        if end.reason == StopReason.SESSION_COMPLETE:
            return 0
        raise CliError(f"therapy session stopped: {text}")
