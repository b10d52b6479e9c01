"""The guided placement test: identify, measure, stimulate each lead pair by pair, judge, sign.

``PlacementWorkflow`` holds the test's state and talks to the device through a
``DevicePort`` (a connected ``DeviceClient``). Each operation is one short, synchronous
step that a driver calls: the command line calls them in a loop
(``console.placement.runner``), the window calls them one at a time on its device
thread. Time comes from an injected monotonic clock, so the automatic amplitude ramp is
driven by whoever calls ``tick`` — tests advance a manual clock and never sleep.

Safety, in the order it is applied:

* a pair whose contacts or reading are open, shorted or unmeasured is never stimulated;
* every start and every step is approved by the safety engine (device limits, clinic
  profile, the pair's impedance) before it is sent; a refused step stops the trial;
* increases come at least the clinic profile's interval apart, whatever the placement
  profile's ``step_interval_s``: an automatic step waits for it, an operator's step up
  sooner than that is refused and nothing is sent;
* a response, the trial's highest amplitude, or STOP ends stimulation at once;
* ``stop`` may be called from any thread at any moment: it sends STOP straight away and
  the test is incomplete, never passed (``console.placement.core``).

With ``may_resume`` (someone at the keys to decide), a STOP after identification only
interrupts the test: ``resume`` goes on where it was, ``end`` ends it incomplete; the
leads the team had finished (``finish_lead``) keep their verdicts either way. The
phases are ``console.placement.progress``'s.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import NoReturn

from console.device.facts import identity_dict
from console.leads.impedance import ImpedanceMap
from console.leads.naming import lead_name, polarised_pair_name
from console.placement.core import WorkflowCore
from console.placement.integrity import candidate_pairs, lead_integrity, pair_refusal
from console.placement.judge import margin_target
from console.placement.observation import Observation, Unwanted
from console.placement.port import DevicePort
from console.placement.progress import LEADS, PlacementRefused
from console.placement.result import (
    ImpedanceRun,
    Phase,
    PlacementResult,
    Purpose,
    Stepping,
    TrialEnd,
    UnwantedAt,
    lead_title,
)
from console.placement.trial import TrialState, threshold_of
from console.programming.program import UA_PER_MA, NotRepresentable, TestStimulus, from_device_units
from console.safety import SafetyEngine, SafetyRefusal
from console.stimulation.stopping import stop_reason_text
from device_link.errors import DeviceLinkError, InvalidState, LinkLost
from device_link.messages import ImpedanceRecord
from device_link.protocol import ImpedanceMode

BOTH_LEADS = 0b11
__all__ = ["LEADS", "PlacementRefused", "PlacementWorkflow"]


class PlacementWorkflow(WorkflowCore):
    """One placement test of one device. Operations return the new snapshot."""

    # -- reading ---------------------------------------------------------------------------

    def seconds_to_next_step(self) -> float | None:
        """Automatic stepping: seconds until ``tick`` should raise the amplitude."""
        trial = self._running()
        if self.stepping != Stepping.AUTOMATIC or trial is None:
            return None
        return max(0.0, trial.step_due() - self._clock())

    def candidate_pairs(self, lead: int) -> list[tuple[int, int]]:
        """Pairs that may be stimulated on ``lead``: the profile's order first, then the rest."""
        return candidate_pairs(self._snapshot.integrity[lead], self.profile.pairs)

    def suggested_pair(self, lead: int) -> tuple[int, int] | None:
        """The next pair to try on ``lead``: the first candidate not yet stimulated."""
        tried = {t.pair for t in self._snapshot.trials_of(lead)}
        return next((p for p in self.candidate_pairs(lead) if p not in tried), None)

    # -- operations ------------------------------------------------------------------------

    def identify(self, client: DevicePort) -> PlacementResult:
        """Step 1: the authenticated device, its clock set, the operator and patient noted."""
        return self._run(client, lambda: self._identify(client))

    def _identify(self, client: DevicePort) -> None:
        self._progress.require(Phase.START)
        identity, limits = client.identity, client.limits
        if identity is None or limits is None:
            raise PlacementRefused("no authenticated device: connect first")
        self._engine = SafetyEngine(limits, self._safety_profile,
                                    electrodes_per_lead=identity.electrodes_per_lead)
        titration = self._engine.titration
        refusal = self.profile.titration_refusal(titration.start_max_ma, titration.step_max_ma)
        if refusal is not None:
            raise PlacementRefused(refusal)
        self._device = {key: value for key, value in identity_dict(identity).items()
                        if key in ("model", "serial", "firmware")}
        self._step("device identified", detail=f"{identity.model} serial "
                   f"{identity.serial}, firmware {identity.firmware}; authenticated")
        self._make_idle(client)
        now = int(self._wall().timestamp())
        self._io(lambda: client.set_time(now))
        self._step("device clock set", detail=datetime.fromtimestamp(now, UTC).isoformat())
        who = "simulated by the emulator (not a patient)" if self.observer.simulated \
            else "observed by the team in theatre"
        self._step("test begun", detail=f"operator {self.operator}; patient "
                   f"{self.patient or 'not recorded'}; observations {who}")
        self._progress.advance(Phase.START, Phase.IMPEDANCE)

    def measure_impedance(self, client: DevicePort) -> PlacementResult:
        """Step 2 (may be repeated between trials): monopolar and bipolar, both leads."""
        return self._run(client, lambda: self._measure_impedance(client))

    def _measure_impedance(self, client: DevicePort) -> None:
        phase = self._progress.phase
        if phase not in (Phase.IMPEDANCE, Phase.STIMULATION):
            raise PlacementRefused(f"impedance is measured after identification and "
                                   f"before the verdict, not in phase {phase}")
        self._require_idle()
        at = self._log.iso()
        records: list[ImpedanceRecord] = []
        for mode in (ImpedanceMode.MONOPOLAR, ImpedanceMode.BIPOLAR):
            self._step(f"impedance: {mode.name.lower()} measurement")
            result = self._io(lambda m=mode: client.measure_impedance(BOTH_LEADS, m))
            records += result.records
        self._runs.append(ImpedanceRun(at, tuple(records)))
        self._impedances = ImpedanceMap.empty().updated(records)
        for lead in LEADS:
            integrity = lead_integrity(self._impedances, lead, self._safety_profile)
            self._step("impedance classified", lead=lead,
                       detail="; ".join(integrity.faults) or
                       "every contact conducts and none is shorted")
        self._progress.phase = Phase.STIMULATION

    def start_trial(self, client: DevicePort, lead: int, anode: int, cathode: int,
                    purpose: Purpose = Purpose.THRESHOLD) -> PlacementResult:
        """Step 3: stimulate one pair from the start amplitude, for a threshold or a margin.

        Raises ``PlacementRefused`` (nothing sent) for a pair with an open or shorted
        contact, a margin check without a threshold, or what the safety engine refuses.
        """
        return self._run(client, lambda: self._start_trial(client, lead, anode, cathode,
                                                           purpose))

    def _start_trial(self, client: DevicePort, lead: int, anode: int, cathode: int,
                     purpose: Purpose) -> None:
        self._progress.require(Phase.STIMULATION)
        self._require_idle()
        assert self._engine is not None
        where = f"{lead_title(lead)} {polarised_pair_name(anode, cathode)}"
        if lead in self._progress.finished:
            self._refuse(f"{where} not stimulated: the team has finished the "
                         f"{lead_name(lead)} lead and its verdict stands", lead, anode, cathode)
        integrity = lead_integrity(self._impedances, lead, self._safety_profile)
        refusal = pair_refusal(integrity, anode, cathode)
        if refusal is not None:
            self._refuse(f"{where} not stimulated: {refusal}", lead, anode, cathode)
        threshold = None
        target = self.profile.max_ma
        if purpose == Purpose.MARGIN:
            threshold = threshold_of(self._trials, lead, anode, cathode)
            if threshold is None:
                self._refuse(f"{where}: no multifidus contraction recorded yet, so there "
                             f"is no margin to check", lead, anode, cathode)
            target = margin_target(threshold, self.profile)
        stimulus = TestStimulus(lead, anode, cathode, self.profile.frequency_hz,
                                self.profile.pulse_width_us, self.profile.start_ma,
                                self.profile.duration_s)
        ohms = self._impedances.pair_ohms(lead, anode, cathode)[1]
        try:
            request = self._engine.approve_test_start(stimulus, impedances={lead: ohms})
        except (SafetyRefusal, NotRepresentable) as exc:
            self._refuse(f"{where} not stimulated: {exc}", lead, anode, cathode)
        if self._before_stimulation is not None:
            self._before_stimulation(stimulus)
        self.observer.reset()
        try:
            self._io(lambda: client.start_test_stim(request))
        except LinkLost:
            raise
        except DeviceLinkError as exc:
            self._refuse(f"{where}: the device refused test stimulation ({exc})", lead,
                         anode, cathode)
        pace = self._engine.titration.pace(self._clock)
        pace.started()
        trial = TrialState(len(self._trials) + 1, purpose, stimulus, target, ohms, pace,
                           threshold)
        self._trials.append(trial)
        self._step(f"stimulation started ({purpose.value})", lead, anode, cathode,
                   stimulus.amplitude_ma, detail=f"up to {target} mA in steps of "
                   f"{self.profile.step_ma} mA at least {pace.min_interval_s} s apart, "
                   f"{self.profile.pulse_width_us} µs, {self.profile.frequency_hz} Hz")
        trial.schedule(self._clock(), self.profile.step_interval_s)

    def tick(self, client: DevicePort) -> PlacementResult:
        """Look, and raise the amplitude when the automatic step is due."""
        return self._advance(client, force=False)

    def step_up(self, client: DevicePort) -> PlacementResult:
        """The operator's command: nothing seen at this amplitude, one step up now."""
        return self._advance(client, force=True)

    def name_unwanted(self, kind: Unwanted) -> PlacementResult:
        """Name the unwanted response the operator recorded with a single key."""
        with self._lock:
            for trial in reversed(self._trials):
                seen = trial.name_unwanted(kind)
                if seen is not None:
                    s = trial.stimulus
                    self._step(f"unwanted response named: {kind.value}", s.lead, s.anode,
                               s.cathode, seen.amplitude_ma)
                    return self._publish()
            raise PlacementRefused("no unwanted response is waiting to be named")

    def device_stopped(self, reason: int) -> PlacementResult:
        """The device ended stimulation by itself (STIM_STOPPED not asked for by the test)."""
        with self._lock:
            trial = self._running()
            if trial is not None and not self._stop_requested.is_set():
                self._end(trial, TrialEnd.DEVICE_STOPPED, stop_reason_text(reason))
            return self._publish()

    def finish_lead(self, lead: int) -> PlacementResult:
        """The team is done with ``lead`` and moves on: its verdict is final, and a later
        STOP keeps it; it is not stimulated again in this test."""
        with self._lock:
            self._require_idle()
            self._progress.finish_lead(lead)
            verdict = self._publish().verdicts[lead]
            self._step(f"{lead_name(lead)} lead finished", lead=lead,
                       detail=verdict.outcome.value + (f" on {verdict.failure.value}"
                                                       if verdict.failure else ""))
            return self._publish()

    def finish(self) -> PlacementResult:
        """Testing is over: every lead is judged finally; sign-off comes next."""
        with self._lock:
            if self._running() is not None:
                raise PlacementRefused("testing can be finished while no pair is stimulated: "
                                       "record a response or STOP first")
            self._progress.finish()
            self._step("testing finished")
            return self._publish()

    def sign_off(self, *, fluoroscopy_confirmed: bool, notes: str = "") -> PlacementResult:
        """The operator signs the verdict; the result is complete and ready to store."""
        with self._lock:
            self._progress.advance(Phase.VERDICT, Phase.SIGNED)
            self._fluoroscopy = fluoroscopy_confirmed
            self._notes = notes
            self._ended_at = self._log.iso()
            self._step("signed off", detail=f"by {self.operator}; fluoroscopy "
                       f"{'confirms' if fluoroscopy_confirmed else 'not recorded as confirming'}"
                       " the position")
            return self._publish()

    # -- the ramp --------------------------------------------------------------------------

    def _advance(self, client: DevicePort, *, force: bool) -> PlacementResult:
        return self._run(client, lambda: self._look_and_step(client, force))

    def _look_and_step(self, client: DevicePort, force: bool) -> None:
        trial = self._running()
        if trial is None:
            return
        s = trial.stimulus
        seen = trial.relevant(self.observer.observe(s.lead, s.anode, s.cathode))
        if seen.anything:
            self._respond(client, trial, seen)
        elif force or (self.stepping == Stepping.AUTOMATIC
                       and self._clock() >= trial.step_due()):
            self._raise(client, trial)

    def _respond(self, client: DevicePort, trial: TrialState, seen: Observation) -> None:
        s = trial.stimulus
        amplitude = s.amplitude_ma
        if seen.contraction:
            trial.contraction_ma = amplitude
            self._step("multifidus contraction seen", s.lead, s.anode, s.cathode, amplitude,
                       detail=seen.detail)
        for kind in seen.unwanted:
            trial.unwanted.append(UnwantedAt(kind, amplitude))
            self._step(f"unwanted response: {kind.value}", s.lead, s.anode, s.cathode,
                       amplitude, detail=seen.detail)
        self._io(client.stop)
        self._end(trial, TrialEnd.UNWANTED if seen.unwanted else TrialEnd.CONTRACTION,
                  "stimulation stopped at once")

    def _raise(self, client: DevicePort, trial: TrialState) -> None:
        assert self._engine is not None
        current = trial.stimulus
        wanted = current.amplitude_ma + self.profile.step_ma
        if wanted > trial.target_ma:
            self._io(client.stop)
            self._end(trial, TrialEnd.MAXIMUM,
                      f"nothing seen up to {current.amplitude_ma} mA; stimulation stopped")
            return
        requested = dataclasses.replace(current, amplitude_ma=wanted)
        too_soon = trial.pace.check(current, requested)
        if too_soon.blocked:
            raise PlacementRefused(too_soon.blocks[0].message)
        try:
            amp_ua = self._engine.approve_adjustment(current, requested,
                                                     impedances={current.lead: trial.ohms})
        except (SafetyRefusal, NotRepresentable) as exc:
            self._io(client.stop)
            self._end(trial, TrialEnd.HELD, f"{exc}; stimulation stopped")
            return
        trial.pace.sent(current, requested)
        try:
            now_ua = self._io(lambda: client.adjust_test_stim(amp_ua))
        except InvalidState:
            status = self._io(client.get_status)
            self._end(trial, TrialEnd.DEVICE_STOPPED, stop_reason_text(status.last_stop_reason))
            return
        trial.stimulus = dataclasses.replace(
            current, amplitude_ma=from_device_units(now_ua, UA_PER_MA))
        self._step("amplitude raised", current.lead, current.anode, current.cathode,
                   trial.stimulus.amplitude_ma)
        trial.schedule(self._clock(), self.profile.step_interval_s)

    def _refuse(self, message: str, lead: int, anode: int, cathode: int) -> NoReturn:
        self._step("pair not stimulated", lead, anode, cathode, detail=message)
        raise PlacementRefused(message)
