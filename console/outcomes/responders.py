"""Change from baseline and who responds, by the clinic profile's rules.

A change is the follow-up value minus the baseline value, so an improvement is negative.
A responder has fallen by at least the clinic's threshold (defaults: pain NRS 2 points,
ODI 10 points). Where either value is missing there is no change and no verdict (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from console.clinic.profile import ClinicProfile
from console.outcomes.entries import OutcomeEntry
from console.outcomes.timepoints import Timepoint


@dataclass(frozen=True, slots=True)
class ResponderRules:
    pain_nrs_drop: int
    function_odi_drop: int

    @classmethod
    def of(cls, profile: ClinicProfile) -> ResponderRules:
        return cls(profile.pain_responder_nrs_drop, profile.function_responder_odi_drop)


@dataclass(frozen=True, slots=True)
class Progress:
    """One follow-up against the baseline."""

    nrs_change: int | None
    odi_change: Decimal | None
    pain_responder: bool | None
    function_responder: bool | None


NO_PROGRESS = Progress(None, None, None, None)


def progress(rules: ResponderRules, baseline_nrs: int | None, baseline_odi: Decimal | None,
             nrs: int | None, odi: Decimal | None) -> Progress:
    nrs_change = None if nrs is None or baseline_nrs is None else nrs - baseline_nrs
    odi_change = None if odi is None or baseline_odi is None else odi - baseline_odi
    return Progress(
        nrs_change, odi_change,
        None if nrs_change is None else -nrs_change >= rules.pain_nrs_drop,
        None if odi_change is None else -odi_change >= rules.function_odi_drop)


def baseline_of(entries: Sequence[OutcomeEntry]) -> OutcomeEntry | None:
    """The patient's baseline assessment among their current entries, if there is one."""
    return next((e for e in entries if e.timepoint is Timepoint.BASELINE), None)


def with_progress(entries: Sequence[OutcomeEntry], rules: ResponderRules,
                  ) -> list[tuple[OutcomeEntry, Progress]]:
    """Each current entry with its change from baseline (none for the baseline itself)."""
    baseline = baseline_of(entries)
    if baseline is None:
        return [(entry, NO_PROGRESS) for entry in entries]
    base_nrs, base_odi = baseline.measures.nrs, baseline.odi_pct
    return [(entry, NO_PROGRESS if entry is baseline
             else progress(rules, base_nrs, base_odi, entry.measures.nrs, entry.odi_pct))
            for entry in entries]
