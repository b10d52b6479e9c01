"""One pair under stimulation in the placement test: what was seen on it, and when its
amplitude may rise next.

Each trial keeps its own ``TitrationPace``, so the start counts as the first increase.
An automatic step follows the placement profile's schedule (``step_interval_s``), never
sooner than the clinic's interval after the last increase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from console.placement.observation import Observation, Unwanted
from console.placement.result import Purpose, Trial, TrialEnd, UnwantedAt
from console.programming.program import TestStimulus
from console.safety.titration_pace import TitrationPace


@dataclass
class TrialState:
    number: int
    purpose: Purpose
    stimulus: TestStimulus  # the amplitude in force is stimulus.amplitude_ma
    target_ma: Decimal
    ohms: int | None
    pace: TitrationPace
    threshold_ma: Decimal | None = None
    end: TrialEnd | None = None
    end_detail: str = ""
    contraction_ma: Decimal | None = None
    unwanted: list[UnwantedAt] = field(default_factory=list)
    next_step_at: float = 0.0  # the schedule's next automatic step, monotonic seconds

    def frozen(self) -> Trial:
        s = self.stimulus
        return Trial(self.number, s.lead, s.anode, s.cathode, self.purpose, self.target_ma,
                     s.amplitude_ma, self.end, self.end_detail, self.contraction_ma,
                     tuple(self.unwanted), self.threshold_ma)

    def relevant(self, seen: Observation) -> Observation:
        """A margin check watches for unwanted responses only: contraction is expected."""
        if self.purpose == Purpose.MARGIN:
            return Observation(False, seen.unwanted, seen.detail)
        return seen

    def name_unwanted(self, kind: Unwanted) -> UnwantedAt | None:
        """Name the first unwanted response recorded without a name; None: none waits."""
        for index, seen in enumerate(self.unwanted):
            if seen.kind == Unwanted.UNSPECIFIED:
                self.unwanted[index] = UnwantedAt(kind, seen.amplitude_ma)
                return seen
        return None

    def schedule(self, now: float, interval_s: Decimal) -> None:
        """The next automatic step ``interval_s`` after ``now`` (the start or a step)."""
        self.next_step_at = now + float(interval_s)

    def step_due(self) -> float:
        """When the next automatic step goes: the schedule, never sooner than the pace."""
        return max(self.next_step_at, self.pace.allowed_at())


def threshold_of(trials: list[TrialState], lead: int, anode: int,
                 cathode: int) -> Decimal | None:
    """The lowest amplitude that contracted the multifidus on this pair in a threshold
    search, or None: the margin check is measured from it."""
    found = [t.contraction_ma for t in trials
             if t.purpose == Purpose.THRESHOLD and t.contraction_ma is not None
             and (t.stimulus.lead, t.stimulus.anode, t.stimulus.cathode)
             == (lead, anode, cathode)]
    return min(found) if found else None
