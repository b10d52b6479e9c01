"""The compliance limit of a test pair: the most current the device can push through it.

Delivered current is the set current limited by the compliance voltage over the pair's
bipolar impedance (MFL/1 section 6); the window draws this limit on the live plot and
says it in words before the start.
"""

from __future__ import annotations

from console.leads.impedance import ImpedanceMap
from console.leads.naming import pair_name
from console.programming.program import TestStimulus
from device_link.messages import Limits


def compliance_limit(limits: Limits, impedances: ImpedanceMap,
                     stimulus: TestStimulus) -> tuple[float | None, str]:
    """The pair's compliance current in mA (None: not known) and a sentence about it."""
    pair = pair_name(stimulus.anode, stimulus.cathode)
    measured, ohms = impedances.pair_ohms(stimulus.lead, stimulus.anode, stimulus.cathode)
    if not measured:
        return None, (f"Compliance limit unknown: pair {pair} has no impedance measurement "
                      "(Impedance tab).")
    if not ohms:
        return None, f"Pair {pair} measured open circuit: no current can flow."
    limit_ma = limits.compliance_mv / ohms
    return limit_ma, (f"Compliance limit {limit_ma:.1f} mA: the most the device can push "
                      f"through pair {pair} ({ohms} Ω) at {limits.compliance_mv / 1000:g} V.")
