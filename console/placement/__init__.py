"""The intraoperative placement test: is each lead by the medial branch, intact and selective?

See docs/placement.md. The workflow has no Qt: the command line and the window drive
the same ``PlacementWorkflow``.
"""

from console.placement.observation import (
    UNWANTED_CHOICES,
    Observation,
    Observer,
    OperatorObserver,
    SimulatedObserver,
    Unwanted,
)
from console.placement.port import DevicePort
from console.placement.profile import (
    PlacementProfile,
    load_placement_profile,
    parse_placement_profile,
)
from console.placement.result import (
    Failure,
    Interruption,
    LeadIntegrity,
    LeadVerdict,
    Outcome,
    Phase,
    PlacementResult,
    Purpose,
    ResultStatus,
    Step,
    Stepping,
    Trial,
    TrialEnd,
    lead_title,
)
from console.placement.runner import run_automatic
from console.placement.workflow import PlacementRefused, PlacementWorkflow

__all__ = [
    "UNWANTED_CHOICES",
    "DevicePort",
    "Failure",
    "Interruption",
    "LeadIntegrity",
    "LeadVerdict",
    "Observation",
    "Observer",
    "OperatorObserver",
    "Outcome",
    "Phase",
    "PlacementProfile",
    "PlacementRefused",
    "PlacementResult",
    "PlacementWorkflow",
    "Purpose",
    "ResultStatus",
    "SimulatedObserver",
    "Step",
    "Stepping",
    "Trial",
    "TrialEnd",
    "Unwanted",
    "lead_title",
    "load_placement_profile",
    "parse_placement_profile",
    "run_automatic",
]
