"""The console's safety engine: one verdict for every program and test stimulus.

See docs/safety.md for the rules and the clinic profile.
"""

from .context import LimitsError, RuleContext
from .engine import SafetyEngine, SafetyRefusal
from .profile import ProfileError, SafetyProfile, load_profile, parse_profile
from .rules_clinical import Impedances
from .titration import TitrationRules
from .verdict import Finding, Severity, Verdict

__all__ = [
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
    "Verdict",
    "load_profile",
    "parse_profile",
]
