"""The one safety engine every path goes through: window, command line, file, restore.

``check_*`` return a ``Assessment``; ``approve_*`` return the exact bytes to send, or raise
``SafetyRefusal`` when the assessment blocks or has confirmations the clinician has not
given. Device commands send only what an ``approve_*`` call returned.
"""

from __future__ import annotations

from collections.abc import Collection

from console.programming.program import Program, TestStimulus
from console.safety.assessment import Assessment, Finding
from console.safety.checks import check_program
from console.safety.context import RuleContext
from console.safety.profile import SafetyProfile, load_profile
from console.safety.rules_clinical import Impedances
from console.safety.titration import TitrationRules
from device_link.messages import Limits, TestStimStart
from device_link.program_record import ProgramRecord


class SafetyRefusal(Exception):
    """Something was to be sent that the engine refuses, or that is not yet confirmed."""

    def __init__(self, assessment: Assessment) -> None:
        self.assessment = assessment
        if assessment.blocked:
            message = assessment.blocks[0].message
        else:
            message = "needs confirmation: " + " ".join(f.message for f in assessment.confirmations)
        super().__init__(message)


class SafetyEngine:
    """Device limits (``Limits()`` = the spec's emulator table) plus the clinic profile."""

    def __init__(self, limits: Limits | None = None, profile: SafetyProfile | None = None,
                 *, electrodes_per_lead: int = 4) -> None:
        self.context = RuleContext(limits or Limits(), profile or load_profile(),
                                   electrodes_per_lead)
        self.titration = TitrationRules(self.context)

    @property
    def limits(self) -> Limits:
        return self.context.limits

    @property
    def profile(self) -> SafetyProfile:
        return self.context.profile

    def check_program(self, program: Program, impedances: Impedances | None = None) -> Assessment:
        return check_program(self.context, program, impedances)

    def check_test_start(self, stimulus: TestStimulus,
                         impedances: Impedances | None = None) -> Assessment:
        return self.titration.check_start(stimulus, impedances)

    def check_adjustment(self, current: TestStimulus, requested: TestStimulus, *,
                         running: bool = True, impedances: Impedances | None = None) -> Assessment:
        return self.titration.check_adjustment(current, requested, running=running,
                                               impedances=impedances)

    def approve_program(self, program: Program, *, impedances: Impedances | None = None,
                        acknowledged: Collection[Finding] = ()) -> ProgramRecord:
        """The record to write, if nothing blocks and every confirmation was acknowledged."""
        _require(self.check_program(program, impedances), acknowledged)
        return program.to_record()

    def approve_test_start(self, stimulus: TestStimulus, *,
                           impedances: Impedances | None = None,
                           acknowledged: Collection[Finding] = ()) -> TestStimStart:
        _require(self.check_test_start(stimulus, impedances), acknowledged)
        return stimulus.to_request()

    def approve_adjustment(self, current: TestStimulus, requested: TestStimulus, *,
                           impedances: Impedances | None = None,
                           acknowledged: Collection[Finding] = ()) -> int:
        """The µA for TEST_STIM_ADJUST while stimulation runs."""
        _require(self.check_adjustment(current, requested, impedances=impedances),
                 acknowledged)
        return requested.amplitude_record()


def _require(assessment: Assessment, acknowledged: Collection[Finding]) -> None:
    if not assessment.is_acknowledged_by(acknowledged):
        raise SafetyRefusal(assessment)
