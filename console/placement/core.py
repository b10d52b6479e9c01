"""The placement test's state and what STOP does to it: the part every operation shares.

``WorkflowCore`` holds the test (device, impedance, trials, timeline, progress) behind one
lock, runs each operation so that a STOP asked for meanwhile ends it, and publishes a
frozen snapshot after each. ``stop`` may be called from any thread at any moment: it
sends STOP straight away. ``note_stop`` only marks it (for a caller that has sent STOP
itself); the next operation then makes sure the device is idle. With ``may_resume`` a
confirmed STOP after identification interrupts the test (``resume`` goes on where it
was, ``end`` ends it incomplete); otherwise, and after a lost link, the test ends
incomplete. ``console.placement.workflow`` adds the clinical steps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from console.leads.impedance import ImpedanceMap
from console.leads.naming import lead_name
from console.placement.integrity import lead_integrity
from console.placement.judge import judge_test
from console.placement.observation import Observer
from console.placement.port import DevicePort
from console.placement.profile import PlacementProfile
from console.placement.progress import LEADS, PlacementRefused, Progress
from console.placement.result import (
    ImpedanceRun,
    PlacementResult,
    Stepping,
    TrialEnd,
    lead_title,
)
from console.placement.timeline import Timeline, utc_now
from console.placement.trial import TrialState
from console.programming.program import TestStimulus
from console.safety import SafetyEngine, SafetyProfile, load_profile
from console.stimulation.stopping import WATCHDOG, StopOutcome, send_stop
from device_link.errors import DeviceLinkError, LinkLost
from device_link.protocol import DeviceState

_T = TypeVar("_T")


class _Stopped(Exception):
    """Internal: STOP was asked for while an operation was under way."""


class WorkflowCore:
    """One placement test's state, its lock and its STOP; operations return the snapshot."""

    def __init__(self, profile: PlacementProfile, observer: Observer, *, operator: str,
                 patient: str | None = None, safety_profile: SafetyProfile | None = None,
                 stepping: Stepping = Stepping.AUTOMATIC,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], datetime] = utc_now,
                 before_stimulation: Callable[[TestStimulus], None] | None = None,
                 may_resume: bool = False) -> None:
        self.profile = profile
        self.observer = observer
        self.operator = operator
        self.patient = patient
        self.stepping = stepping
        self._safety_profile = safety_profile or load_profile()
        self._clock = clock
        self._wall = wall_clock
        self._before_stimulation = before_stimulation
        self._lock = threading.RLock()
        self._stop_requested = threading.Event()
        self._stop_reason = ""
        self._log = Timeline(clock, wall_clock)
        self._started_at = self._log.iso()
        self._ended_at: str | None = None
        self._progress = Progress(may_resume)
        self._engine: SafetyEngine | None = None
        self._device: dict[str, object] | None = None
        self._impedances = ImpedanceMap.empty()
        self._runs: list[ImpedanceRun] = []
        self._trials: list[TrialState] = []
        self._fluoroscopy: bool | None = None
        self._notes = ""
        self._snapshot = self._build()

    def snapshot(self) -> PlacementResult:
        """The latest state; safe from any thread, never waits for the device."""
        return self._snapshot

    def stop(self, client: DevicePort, reason: str = "STOP") -> PlacementResult:
        """STOP now, from any thread: the device is stopped; the test is incomplete (ended,
        or interrupted when it may resume)."""
        self.note_stop(reason)
        outcome = send_stop(client)
        with self._lock:
            self._apply_stop(outcome)
            return self._publish()

    def link_lost(self, reason: str) -> PlacementResult:
        """The link is gone (nothing can be sent): the test ends incomplete.

        Nothing can be sent: the device's watchdog is what stops test stimulation.
        """
        self.note_stop(reason)
        with self._lock:
            self._abort(reason, TrialEnd.LINK_LOST, WATCHDOG)
            return self._publish()

    def note_stop(self, reason: str = "STOP") -> None:
        """Mark STOP without waiting (the caller has sent it); never blocks."""
        if not self._stop_requested.is_set():
            self._stop_reason = reason
            self._stop_requested.set()

    def settle(self, client: DevicePort) -> PlacementResult:
        """After ``note_stop``: make sure the device is idle and record the end."""
        return self._run(client, lambda: None)

    def resume(self, client: DevicePort) -> PlacementResult:
        """After a STOP that interrupted the test: go on where it was, on the same device.

        The stopped trial stays as it ended; nothing stimulates until a trial is started
        again. A STOP while resuming interrupts the test again.
        """
        with self._lock:
            began = self._device["serial"] if self._device else None
            identity = client.identity
            if began is None or identity is None or identity.serial != began:
                raise PlacementRefused(f"the test resumes only on the device it began on "
                                       f"(serial {began})")
            was = self._progress.resume()
            self._stop_requested.clear()
            self._stop_reason = ""
            self._ended_at = None
            where = f"the {lead_name(was.lead)} lead" if was.lead is not None else \
                f"phase {was.phase}"
            self._step("test resumed", lead=was.lead,
                       detail=f"after {was.reason}; on {where}")
        return self._run(client, lambda: self._make_idle(client))

    def end(self) -> PlacementResult:
        """The team does not resume an interrupted test: it ends incomplete, as it stands."""
        with self._lock:
            reason = self._progress.end()
            self._step("test ended incomplete", detail=f"{reason}; not resumed")
            return self._publish()

    def _run(self, client: DevicePort, body: Callable[[], None]) -> PlacementResult:
        """One operation under the lock; STOP and a lost link end the test incomplete."""
        with self._lock:
            try:
                if self._stop_requested.is_set():
                    raise _Stopped
                body()
            except _Stopped:
                self._stop_now(client)
            except LinkLost as exc:
                self._abort(f"link lost: {exc}", TrialEnd.LINK_LOST)
                raise
            finally:
                self._publish()
            return self._snapshot

    def _stop_now(self, client: DevicePort) -> None:
        if not self._progress.over:
            self._apply_stop(send_stop(client))

    def _apply_stop(self, outcome: StopOutcome) -> None:
        if self._progress.over:
            return
        detail = "STOP confirmed by the device" if outcome.confirmed else \
            outcome.unconfirmed_text()
        # Resumable only when the device said it stopped: otherwise it may still deliver.
        self._abort(self._stop_reason or "STOP", TrialEnd.STOPPED, detail,
                    resumable=outcome.confirmed)

    def _abort(self, reason: str, how: TrialEnd, detail: str = "", *,
               resumable: bool = False) -> None:
        if self._progress.over:
            return
        trial = self._running()
        if trial is not None:
            self._end(trial, how, detail or reason)
        lead = trial.stimulus.lead if trial is not None else None
        interrupted = self._progress.stop(reason, lead, resumable=resumable)
        self._ended_at = self._log.iso()
        text = f"{reason}; {detail}" if detail else reason
        if interrupted is None:
            self._step("test ended incomplete", detail=text)
        else:
            self._step("test interrupted", lead=interrupted.lead,
                       detail=f"{text}; incomplete unless resumed")

    def _make_idle(self, client: DevicePort) -> None:
        """A device found doing something else is stopped before the test goes on."""
        status = self._io(client.get_status)
        if status.state != DeviceState.IDLE:
            self._io(client.stop)
            self._step("device was not idle: STOP sent", detail=_state_name(status.state))

    def _io(self, call: Callable[[], _T]) -> _T:
        """One device exchange; a STOP asked for meanwhile ends the operation."""
        try:
            result = call()
        except DeviceLinkError:
            if self._stop_requested.is_set():
                raise _Stopped from None
            raise
        if self._stop_requested.is_set():
            raise _Stopped
        return result

    def _end(self, trial: TrialState, how: TrialEnd, detail: str) -> None:
        trial.end = how
        trial.end_detail = detail
        s = trial.stimulus
        self._step(f"trial ended: {how.value}", s.lead, s.anode, s.cathode, s.amplitude_ma,
                   detail=detail)

    def _running(self) -> TrialState | None:
        if self._trials and self._trials[-1].end is None:
            return self._trials[-1]
        return None

    def _require_idle(self) -> None:
        trial = self._running()
        if trial is not None:
            raise PlacementRefused(f"{lead_title(trial.stimulus.lead)} is being stimulated: "
                                   f"record a response or STOP first")

    def _step(self, event: str, lead: int | None = None, anode: int | None = None,
              cathode: int | None = None, amplitude_ma: Decimal | None = None,
              detail: str = "") -> None:
        self._log.add(event, lead, anode, cathode, amplitude_ma, detail)

    def _publish(self) -> PlacementResult:
        self._snapshot = self._build()
        return self._snapshot

    def _build(self) -> PlacementResult:
        integrity = tuple(lead_integrity(self._impedances, lead, self._safety_profile)
                          for lead in LEADS)
        trials = tuple(t.frozen() for t in self._trials)
        progress = self._progress
        finished = tuple(sorted(progress.finished))
        verdicts, overall = judge_test(integrity, trials, self.profile, progress.phase,
                                       finished)
        return PlacementResult(
            progress.status, progress.phase, self.observer.simulated, self.operator, self.patient,
            dict(self._device) if self._device else None, self.profile, self.stepping,
            self._started_at, self._ended_at, (integrity[0], integrity[1]),
            tuple(self._runs), trials, tuple(self._log.steps), verdicts, overall,
            self._fluoroscopy, self._notes, progress.stop_reason, finished,
            progress.interruption)


def _state_name(state: int) -> str:
    try:
        return DeviceState(state).name
    except ValueError:
        return f"state {state}"
