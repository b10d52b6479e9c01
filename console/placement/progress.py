"""Where a placement test stands: its phase, the leads the team has finished, and whether a
STOP may be resumed. No device and no clock: the workflow asks it, then acts.

    START → IMPEDANCE → STIMULATION → VERDICT → SIGNED
                 \\___________\\____________\\__ STOP → STOPPED ─ resume → (where it was)
                                                         └─ end → STOPPED, final

A STOP is one press in theatre, often for a reason that has nothing to do with the lead
(the patient moved, a drape slipped). Throwing the whole test away for it would make the
team redo a lead that had already passed, and stimulate the patient again for nothing.
So a STOP after identification *interrupts* the test, when the test allows it: the test
is incomplete (never a pass) until the team resumes it where it was, and the leads the
team had finished keep their verdict. The stopped trial stays in the record as stopped.
A STOP before identification, a lost link, a test that does not allow resuming (nobody at
the keys), or the team's choice to end the interrupted test, end it for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from console.placement.result import Interruption, Phase, ResultStatus

LEADS = (0, 1)
RESUMABLE = (Phase.IMPEDANCE, Phase.STIMULATION, Phase.VERDICT)
_STATUS = {Phase.SIGNED: ResultStatus.COMPLETE, Phase.STOPPED: ResultStatus.INCOMPLETE}


class PlacementRefused(Exception):
    """The step asked for is not allowed now; nothing was sent to the device."""


@dataclass
class Progress:
    """The test's position; every change of phase goes through one of these methods."""

    may_resume: bool = False
    phase: Phase = Phase.START
    finished: set[int] = field(default_factory=set)
    interruption: Interruption | None = None
    stop_reason: str | None = None

    @property
    def status(self) -> ResultStatus:
        return _STATUS.get(self.phase, ResultStatus.IN_PROGRESS)

    @property
    def over(self) -> bool:
        """Signed or stopped: nothing more happens unless an interrupted test resumes."""
        return self.phase in (Phase.SIGNED, Phase.STOPPED)

    def require(self, phase: Phase) -> None:
        if self.phase != phase:
            raise PlacementRefused(f"this step belongs to phase {phase}, the test is in phase "
                                   f"{self.phase}")

    def advance(self, source: Phase, target: Phase) -> None:
        """One step forward along the test: identified, measured, finished, signed."""
        self.require(source)
        self.phase = target

    def current_lead(self) -> int | None:
        """The first lead the team has not finished (None: both are)."""
        return next((lead for lead in LEADS if lead not in self.finished), None)

    def finish_lead(self, lead: int) -> None:
        """The team is done with ``lead``: its verdict is final from now on."""
        self.require(Phase.STIMULATION)
        if lead not in LEADS:
            raise PlacementRefused(f"there is no lead {lead}")
        self.finished.add(lead)

    def finish(self) -> None:
        """Testing is over: every lead is finished and judged finally."""
        if self.phase not in (Phase.IMPEDANCE, Phase.STIMULATION):
            raise PlacementRefused(f"testing can be finished while no pair is stimulated, "
                                   f"not in phase {self.phase}")
        self.finished.update(LEADS)
        self.phase = Phase.VERDICT

    def stop(self, reason: str, lead: int | None, *, resumable: bool) -> Interruption | None:
        """STOP or a lost link: incomplete now; the interruption when it may be resumed.

        ``lead`` is the lead being stimulated, if any; otherwise the lead the team is on.
        """
        at = self.phase
        self.phase = Phase.STOPPED
        self.stop_reason = reason
        self.interruption = None
        if resumable and self.may_resume and at in RESUMABLE:
            on = (lead if lead is not None else self.current_lead()) \
                if at == Phase.STIMULATION else None
            self.interruption = Interruption(at, on, reason)
        return self.interruption

    def resume(self) -> Interruption:
        """Back where the STOP came; refused when the test was not interrupted."""
        interruption = self.interruption
        if self.phase != Phase.STOPPED or interruption is None:
            raise PlacementRefused(f"only a test interrupted by STOP can be resumed; this "
                                   f"one is {self.status} in phase {self.phase}")
        self.phase = interruption.phase
        self.interruption = None
        self.stop_reason = None
        return interruption

    def end(self) -> str:
        """The interrupted test is not resumed: it ends incomplete. Returns why it stopped."""
        if self.phase != Phase.STOPPED or self.interruption is None:
            raise PlacementRefused(f"only a test interrupted by STOP can be ended this way, "
                                   f"not one in phase {self.phase}")
        self.interruption = None
        return self.stop_reason or "STOP"
