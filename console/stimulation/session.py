"""One test stimulation, the same sequence whether the window or the command line drives it.

The order is kept here once, because each step guards the next:

1. the stimulus is judged on its own values (``judge``): a refused one costs no
   measurement;
2. the pair is measured if this connection has not measured it, the measurement kept in
   the record, and the stimulus judged again with that impedance (``measure``);
3. the start, and every confirmation given for it, goes into the clinical record before
   any current, so nothing is delivered that the record does not show (``begin``);
4. the device starts. A STOP noted meanwhile (``note_stop``, from any thread) wins:
   nothing is sent, or the device is stopped again at once;
5. only the amplitude moves: each change is judged by the safety engine and, going up,
   by the titration pace, counted from when the increase really goes out (``adjustment``,
   ``adjust``); lowering is never held back by the pace;
6. the end is noted once, after the STOP (``record_end``; STOP itself is
   ``console.stimulation.stopping``).

Each device step is one synchronous call on the thread that talks to the device.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from console.accounts import AccessError, Action
from console.audit.events import AuditEvent
from console.device.record_keeper import RecordKeeper
from console.leads.integrity import LeadIntegrity, PreCheck, stimulus_pairs, unmeasured_refusal
from console.leads.measure_first import MeasureProgress, keep_measurement, measure_first
from console.programming.program import UA_PER_MA, NotRepresentable, TestStimulus, from_device_units
from console.safety import SafetyEngine, SafetyRefusal
from console.safety.assessment import Finding
from console.safety.titration_pace import Clock
from console.stimulation.start import NOTHING_SENT, OVERTAKEN, Start, StartResult
from console.stimulation.stopping import record_stop, send_stop
from console.storage import Confirmation, RecordError
from device_link.client import DeviceClient
from device_link.errors import Aborted, DeviceLinkError, DeviceRefused
from device_link.messages import TestStimStart

Impedances = dict[int, int | None]


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One amplitude change, judged. ``amp_ua`` is what goes to the device, None when
    refused: ``refused`` holds the findings that refuse it, ``why`` says so in words."""

    current: TestStimulus
    requested: TestStimulus
    amp_ua: int | None
    refused: tuple[Finding, ...] = ()
    why: str = ""

    @property
    def allowed(self) -> bool:
        return self.amp_ua is not None


class StimulationSession:
    """One test stimulation of one stimulus, from the first check to the noted end.

    ``acknowledged`` are the findings the clinician confirmed before the start, and
    ``confirmations`` their reasons for the record; nothing can be confirmed once
    stimulation runs. ``current`` is what the device confirmed it delivers, and
    ``highest_ma`` the highest amplitude it confirmed in this run (None before it started):
    what titration reached, kept after the end so it can be carried into a program.
    """

    def __init__(self, engine: SafetyEngine, stimulus: TestStimulus,
                 keeper: RecordKeeper | None, *, acknowledged: Sequence[Finding] = (),
                 confirmations: Sequence[Confirmation] = (),
                 clock: Clock = time.monotonic) -> None:
        self.engine = engine
        self.keeper = keeper
        self.current = stimulus
        self.acknowledged = tuple(acknowledged)
        self.confirmations = tuple(confirmations)
        self.pace = engine.titration.pace(clock)
        self.impedances: Impedances = {}  # the pair's, as judged before the start
        self.serial: str | None = None
        self.live = False  # the start went out and this session has not stopped it since
        self.highest_ma: Decimal | None = None
        self._stop = threading.Event()
        self._request: TestStimStart | None = None
        self._check: PreCheck | None = None
        self._start_recorded = False
        self._end_recorded = False

    def note_stop(self) -> None:
        """STOP was sent (by whoever sends it); any thread, never blocks."""
        self._stop.set()

    @property
    def stop_noted(self) -> bool:
        """Whether a STOP went out while this session was the current one."""
        return self._stop.is_set()

    # -- before the start -----------------------------------------------------------------

    def judge(self, impedances: Impedances | None = None) -> StartResult | None:
        """REFUSED with the engine's words, or None when the stimulus may start."""
        try:
            self._request = self.engine.approve_test_start(
                self.current, impedances=impedances, acknowledged=self.acknowledged)
        except (SafetyRefusal, NotRepresentable) as exc:
            return StartResult(Start.REFUSED, str(exc), str(exc), self._check)
        return None

    def measure(self, client: DeviceClient, integrity: LeadIntegrity,
                progress: MeasureProgress | None = None) -> StartResult | None:
        """Measure the pair unless ``integrity`` (this connection's) holds it, keep the
        measurement, judge again with it; why not to start, or None."""
        pairs = stimulus_pairs(self.current)
        try:
            check = measure_first(client, integrity, pairs, self.engine.profile, progress)
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
        impedances = check.integrity.engine_impedances(pairs)
        refused = self.judge(impedances)
        if refused is not None:
            return self._result(Start.REFUSED, f"{check.summary()}; refused by the safety "
                                               f"engine: {refused.detail}", refused.detail)
        self.impedances = impedances
        return None

    def start(self, client: DeviceClient, integrity: LeadIntegrity,
              progress: MeasureProgress | None = None) -> StartResult:
        """``measure`` then ``begin``, after ``judge`` passed: the whole start at once."""
        if self._stop.is_set():
            return StartResult(Start.STOPPED, NOTHING_SENT)
        refused = self.measure(client, integrity, progress)
        return refused if refused is not None else self.begin(client)

    def begin(self, client: DeviceClient) -> StartResult:
        """Record the start, then start the device, unless STOP came first."""
        assert client.identity is not None and self._request is not None, "judge first"
        serial = self.serial = client.identity.serial
        if self._stop.is_set():
            return self._result(Start.STOPPED, NOTHING_SENT)
        refused = self._record_start(serial)
        if refused is not None:
            return refused
        if self._stop.is_set():
            return self._not_started(Start.STOPPED, NOTHING_SENT)
        self.live = True
        try:
            client.start_test_stim(self._request)
        except DeviceRefused as exc:  # the device answered: nothing started
            self.live = False
            return self._not_started(Start.DEVICE_FAILED, str(exc))
        except DeviceLinkError as exc:  # no answer: it may have started
            return self._stop_again(client, Start.DEVICE_FAILED, str(exc))
        if self._stop.is_set():  # STOP may have overtaken the start on the line
            return self._stop_again(client, Start.STOPPED_WHILE_STARTING, OVERTAKEN)
        self.pace.started()
        self.highest_ma = self.current.amplitude_ma
        return self._result(Start.STARTED, recorded=self._start_recorded)

    def _record_start(self, serial: str) -> StartResult | None:
        keeper = self.keeper
        if keeper is None:
            return None
        try:
            if self.confirmations:
                keeper.require(Action.CONFIRM_SAFETY_FINDING)
            for confirmation in self.confirmations:
                keeper.record.audit(AuditEvent.SAFETY_FINDING_CONFIRMED, keeper.actor, {
                    "device": serial, "visit": keeper.visit_id, "test_stimulation": True,
                    **confirmation.as_dict()})
            keeper.record_test_start(serial, self.current)
        except (RecordError, AccessError) as exc:
            return self._result(Start.NOT_RECORDED, f"the clinical record refused the start "
                                                    f"({exc}); nothing was sent to the device",
                                str(exc))
        self._start_recorded = True
        return None

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
            problem = record_stop(self.keeper, self.serial,
                                  f"test stimulation did not start: {reason}")
            if problem is not None:
                reason += (f"; the clinical record shows the start but could not note that it "
                           f"failed ({problem})")
        return self._result(ending, reason, detail)

    def _result(self, ending: Start, reason: str = "", detail: str = "",
                recorded: bool = False) -> StartResult:
        return StartResult(ending, reason, detail or reason, self._check, recorded)

    # -- while it runs --------------------------------------------------------------------

    def adjustment(self, amplitude_ma: Decimal, impedances: Impedances | None = None
                   ) -> Adjustment:
        """``amplitude_ma`` instead of what runs, judged: by the engine (with ``impedances``,
        else the pair's as judged before the start) and, going up, by the pace. Lowering
        is refused only by a block; raising also by a confirmation not given before."""
        current = self.current
        requested = replace(current, amplitude_ma=amplitude_ma)
        assessment = self.engine.check_adjustment(
            current, requested,
            impedances=self.impedances if impedances is None else impedances,
        ).merged(self.pace.check(current, requested))
        unconfirmed = tuple(finding for finding in assessment.confirmations
                            if finding not in self.acknowledged)
        refused = assessment.blocks
        if amplitude_ma > current.amplitude_ma:
            refused += unconfirmed
        if refused:
            why = " ".join(finding.message for finding in refused)
            if not assessment.blocked:
                why += " A confirmation is not taken while stimulating."
            return Adjustment(current, requested, None, refused, why)
        try:
            return Adjustment(current, requested, requested.amplitude_record())
        except NotRepresentable as exc:
            return Adjustment(current, requested, None, why=str(exc))

    def adjust(self, client: DeviceClient, change: Adjustment) -> Decimal:
        """Send an allowed change; the pace counts from now, as it goes out, not from the
        press. Returns the amplitude the device confirmed, now ``current``."""
        assert change.amp_ua is not None, "a refused change is never sent"
        self.pace.sent(change.current, change.requested)
        now_ua = client.adjust_test_stim(change.amp_ua)
        self.current = replace(self.current, amplitude_ma=from_device_units(now_ua, UA_PER_MA))
        now = self.current.amplitude_ma
        self.highest_ma = now if self.highest_ma is None else max(self.highest_ma, now)
        return now

    # -- the end --------------------------------------------------------------------------

    def record_end(self, why: str) -> str | None:
        """Note once, after STOP, how the stimulation ended; None when noted (or nothing
        to note), else why the record could not."""
        if not self._start_recorded or self._end_recorded:
            return None
        self._end_recorded = True
        return record_stop(self.keeper, self.serial, f"test stimulation ended: {why}")
