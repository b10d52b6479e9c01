"""The console's safety engine: one assessment for every program and test stimulus.

See docs/safety.md for the rules and the clinic profile.
"""

from console.safety.assessment import Assessment, Finding, Severity
from console.safety.context import LimitsError, RuleContext
from console.safety.engine import SafetyEngine, SafetyRefusal
from console.safety.profile import ProfileError, SafetyProfile, load_profile, parse_profile
from console.safety.rules_clinical import Impedances
from console.safety.titration import TitrationRules

__all__ = [
    "Assessment",
    "Finding",
    "Impedances",
    "LimitsError",
    "ProfileError",
    "RuleContext",
    "SafetyEngine",
    "SafetyProfile",
    "SafetyRefusal",
    "Severity",
    "TitrationRules",
    "load_profile",
    "parse_profile",
]
