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

What a therapy session started from the console does the same way (measuring first, the
start in the record, STOP winning, the end noted once) is ``recorded_start``'s.
Each device step is one synchronous call on the thread that talks to the device.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from console.accounts import Action
from console.audit.events import AuditEvent
from console.device.record_keeper import RecordKeeper
from console.leads.integrity import LeadIntegrity, stimulus_pairs
from console.leads.measure_first import MeasureProgress
from console.programming.program import UA_PER_MA, NotRepresentable, TestStimulus, from_device_units
from console.safety import SafetyEngine, SafetyRefusal
from console.safety.assessment import Finding
from console.safety.titration_pace import Clock
from console.stimulation.recorded_start import RecordedStart
from console.stimulation.start import NOTHING_SENT, Start, StartResult
from console.storage import Confirmation
from device_link.client import DeviceClient
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


class StimulationSession(RecordedStart):
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
        super().__init__(keeper, "test stimulation")
        self.engine = engine
        self.current = stimulus
        self.acknowledged = tuple(acknowledged)
        self.confirmations = tuple(confirmations)
        self.pace = engine.titration.pace(clock)
        self.impedances: Impedances = {}  # the pair's, as judged before the start
        self.highest_ma: Decimal | None = None
        self._request: TestStimStart | None = None

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
        check = self._measured(client, integrity, stimulus_pairs(self.current),
                               self.engine.profile, progress)
        if isinstance(check, StartResult):
            return check
        impedances = check.integrity.engine_impedances(stimulus_pairs(self.current))
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
        request = self._request
        assert request is not None, "judge first"
        result = self._launch(client, self._record_start,
                              lambda: client.start_test_stim(request))
        if result.started:
            self.pace.started()
            self.highest_ma = self.current.amplitude_ma
        return result

    def _record_start(self, serial: str) -> None:
        """The confirmations given, then the start; raises what the record raises."""
        keeper = self.keeper
        assert keeper is not None
        if self.confirmations:
            keeper.require(Action.CONFIRM_SAFETY_FINDING)
        for confirmation in self.confirmations:
            keeper.record.audit(AuditEvent.SAFETY_FINDING_CONFIRMED, keeper.actor, {
                "device": serial, "visit": keeper.visit_id, "test_stimulation": True,
                **confirmation.as_dict()})
        keeper.record_test_start(serial, self.current)

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
