"""Titration of test stimulation: start low, rise in small steps, move only the amplitude.

A small pure object the window and the command line share, so both apply the same rules
the device applies (TEST_STIM_START and TEST_STIM_ADJUST, MFL/1 section 5) and the
clinic's stricter ones, before anything is sent:

* start at or below the lower of the device's start limit and the clinic's start value;
* each increase at most the lower of the clinic's step and the device's largest step;
  decreases of any size are always allowed;
* while stimulation runs only the amplitude moves: lead, electrodes, frequency, pulse
  width and duration are locked;
* choosing other electrodes (or another lead) sets the amplitude back to zero;
* increases come at least the clinic's interval apart (``pace``: the one stateful part,
  see ``titration_pace``).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from console.programming.program import TEST_STIMULUS_FIELDS, TestStimulus, from_device_units
from console.safety.assessment import Assessment, Finding, Severity
from console.safety.checks import check_stimulus
from console.safety.context import LeadSetting, RuleContext
from console.safety.rules_clinical import Impedances
from console.safety.titration_pace import Clock, TitrationPace

# Fields that stay as they are while stimulation runs, and how a sentence names them.
_LOCKED = {"lead": "the lead", "anode": "the anode", "cathode": "the cathode",
           "frequency_hz": "the frequency", "pulse_width_us": "the pulse width",
           "duration_s": "the duration"}


@dataclass(frozen=True, slots=True)
class TitrationRules:
    context: RuleContext

    @property
    def start_max_ma(self) -> Decimal:
        """Highest amplitude test stimulation may start at."""
        device = from_device_units(self.context.limits.test_start_max_ua, 3)
        return min(device, self.context.profile.test_start_amplitude_ma)

    @property
    def step_max_ma(self) -> Decimal:
        """Largest single increase while stimulation runs."""
        device = from_device_units(self.context.limits.titration_step_max_ua, 3)
        return min(device, self.context.profile.titration_step_ma)

    @property
    def min_interval_s(self) -> Decimal:
        """Shortest time between two increases (clinic profile)."""
        return self.context.profile.titration_min_interval_s

    def pace(self, clock: Clock = time.monotonic) -> TitrationPace:
        """A fresh pace for one stimulation: its first increase may come at any time."""
        return TitrationPace(self.min_interval_s, clock)

    def highest_allowed_now(self, current: TestStimulus) -> Decimal:
        """The largest amplitude one adjustment from ``current`` may ask for."""
        return current.amplitude_ma + self.step_max_ma

    @staticmethod
    def change_electrodes(stimulus: TestStimulus, anode: int, cathode: int,
                          lead: int | None = None) -> TestStimulus:
        """The stimulus on other electrodes, amplitude back to zero."""
        return dataclasses.replace(stimulus, anode=anode, cathode=cathode,
                                   lead=stimulus.lead if lead is None else lead,
                                   amplitude_ma=Decimal("0.0"))

    def check_start(self, stimulus: TestStimulus,
                    impedances: Impedances | None = None) -> Assessment:
        """Everything TEST_STIM_START needs, and the clinic's start value."""
        return check_stimulus(self.context, stimulus, impedances).merged(
            Assessment(tuple(self._start_rule(stimulus))))

    def check_adjustment(self, current: TestStimulus, requested: TestStimulus, *,
                         running: bool = True,
                         impedances: Impedances | None = None) -> Assessment:
        """Moving from ``current`` to ``requested``, during stimulation or while setting up."""
        if not running:
            return self.check_start(requested, impedances).merged(
                Assessment(tuple(self._electrodes_reset(current, requested))))
        rules = self._locked(current, requested) + self._step(current, requested)
        return check_stimulus(self.context, requested, impedances).merged(Assessment(tuple(rules)))

    def _start_rule(self, stimulus: TestStimulus) -> list[Finding]:
        limit = self.start_max_ma
        if Fraction(stimulus.amplitude_ma) <= Fraction(limit):
            return []
        title = LeadSetting.of_test(stimulus).title
        device = from_device_units(self.context.limits.test_start_max_ua, 3)
        return [Finding(Severity.BLOCK, "test_start", "amplitude_ma", stimulus.amplitude_ma,
                        limit, "mA",
                        f"{title} amplitude {stimulus.amplitude_ma} mA is above the starting "
                        f"limit {limit} mA (device {device} mA, clinic "
                        f"{self.context.profile.test_start_amplitude_ma} mA): start at or "
                        f"below {limit} mA and titrate up.")]

    def _step(self, current: TestStimulus, requested: TestStimulus) -> list[Finding]:
        increase = Fraction(requested.amplitude_ma) - Fraction(current.amplitude_ma)
        if increase <= Fraction(self.step_max_ma):
            return []
        title = LeadSetting.of_test(requested).title
        highest = self.highest_allowed_now(current)
        return [Finding(Severity.BLOCK, "titration_step", "amplitude_ma",
                        requested.amplitude_ma, highest, "mA",
                        f"{title} amplitude {current.amplitude_ma} → {requested.amplitude_ma} "
                        f"mA rises by {requested.amplitude_ma - current.amplitude_ma} mA, more "
                        f"than one titration step of {self.step_max_ma} mA: the highest "
                        f"amplitude allowed now is {highest} mA.")]

    @staticmethod
    def _locked(current: TestStimulus, requested: TestStimulus) -> list[Finding]:
        title = LeadSetting.of_test(current).title
        found = []
        for name, words in _LOCKED.items():
            before, after = getattr(current, name), getattr(requested, name)
            if before != after:
                info = TEST_STIMULUS_FIELDS[name]
                found.append(Finding(
                    Severity.BLOCK, "locked_while_running", name, after, before, info.unit,
                    f"{title}: {words} cannot change while test stimulation "
                    f"runs ({info.format(before)} → {info.format(after)}): only the "
                    f"amplitude moves; stop the test to change it."))
        return found

    @staticmethod
    def _electrodes_reset(current: TestStimulus, requested: TestStimulus) -> list[Finding]:
        moved = (current.lead, current.anode, current.cathode) != (
            requested.lead, requested.anode, requested.cathode)
        if not moved or Fraction(requested.amplitude_ma) == 0:
            return []
        title = LeadSetting.of_test(requested).title
        return [Finding(Severity.BLOCK, "electrodes_reset_amplitude", "amplitude_ma",
                        requested.amplitude_ma, Decimal(0), "mA",
                        f"{title}: other electrodes start again from 0 mA, not "
                        f"{requested.amplitude_ma} mA: set the amplitude to zero and titrate "
                        f"up.")]
