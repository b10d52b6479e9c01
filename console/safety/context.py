"""What every rule needs to know: the device's limits, the clinic profile, the lead in hand."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from console.leads.naming import pair_name
from console.programming.program import LEAD_NAMES, LeadProgram, TestStimulus
from console.safety.profile import SafetyProfile
from device_link.messages import Limits

LEADS = 2
"""MFL/1 devices have two leads (HELLO ``leads`` = 2)."""


class LimitsError(ValueError):
    """Device limits the engine cannot reason with (a zero step or contact area)."""


@dataclass(frozen=True, slots=True)
class RuleContext:
    limits: Limits
    profile: SafetyProfile
    electrodes_per_lead: int = 4

    def __post_init__(self) -> None:
        for name in ("amp_step_ua", "pw_step_us", "electrode_area_mm2_x100"):
            if getattr(self.limits, name) <= 0:
                raise LimitsError(f"device limit {name} is {getattr(self.limits, name)}: "
                                  f"the safety engine cannot check programs against it")
        if self.electrodes_per_lead <= 0:
            raise LimitsError(f"electrodes per lead is {self.electrodes_per_lead}")


@dataclass(frozen=True, slots=True)
class LeadSetting:
    """The per-lead values the rules check, from a program lead or from a test stimulus.

    ``prefix`` turns a lead field name into the assessment's field name ("left." for a
    program's left lead, "" for a test stimulus); ``title`` starts the clinician's sentence.
    """

    prefix: str
    title: str
    lead_index: int
    anode: int
    cathode: int
    amplitude_ma: Decimal
    pulse_width_us: int

    @classmethod
    def of_program(cls, index: int, lead: LeadProgram) -> LeadSetting:
        name = LEAD_NAMES[index]
        return cls(f"{name}.", name.capitalize(), index, lead.anode, lead.cathode,
                   lead.amplitude_ma, lead.pulse_width_us)

    @classmethod
    def of_test(cls, stimulus: TestStimulus) -> LeadSetting:
        title = (f"{LEAD_NAMES[stimulus.lead].capitalize()} test" if 0 <= stimulus.lead < LEADS
                 else "Test")
        return cls("", title, stimulus.lead, stimulus.anode, stimulus.cathode,
                   stimulus.amplitude_ma, stimulus.pulse_width_us)

    def field(self, name: str) -> str:
        return self.prefix + name

    @property
    def amplitude_ua(self) -> Fraction:
        return Fraction(self.amplitude_ma) * 1000

    @property
    def pair(self) -> str:
        return f"{self.title} {pair_name(self.anode, self.cathode)}"

