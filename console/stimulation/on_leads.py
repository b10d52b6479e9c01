"""What test stimulation puts on the drawing of the leads: the one lead and pair it sets up
or delivers. While it is set up or runs, the drawing shows this pair instead of the
program's, so nobody reads the program's electrodes while others are being stimulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from console.leads.naming import on_lead, polarised_pair_name
from console.programming.program import TestStimulus


@dataclass(frozen=True, slots=True)
class TestPair:
    """The test stimulation's lead and pair; ``live`` once a start is on its way or the
    device delivers it. ``amplitude_ma`` is None while the set-up amplitude is no number."""

    lead: int
    anode: int
    cathode: int
    amplitude_ma: Decimal | None
    live: bool

    @classmethod
    def of(cls, stimulus: TestStimulus, live: bool) -> TestPair:
        return cls(stimulus.lead, stimulus.anode, stimulus.cathode, stimulus.amplitude_ma, live)

    def pair_text(self) -> str:
        """``E1+ E2−``."""
        return polarised_pair_name(self.anode, self.cathode)

    def where(self) -> str:
        """``left E1+ E2−``."""
        return on_lead(self.lead, self.pair_text())

    def amplitude_text(self) -> str:
        return "— mA" if self.amplitude_ma is None else f"{self.amplitude_ma} mA"

    def heading(self) -> str:
        """One line that says whose electrodes are shown, and whether current flows."""
        if self.live:
            return f"TEST STIMULATION on {self.where()}: electrodes locked"
        return f"TEST STIMULATION SET-UP on {self.where()}, not the program"
