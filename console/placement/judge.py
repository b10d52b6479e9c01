"""The verdict on one lead, with its reasons and what to do when it fails.

A lead passes when (profile criteria, see docs/placement.md):

1. every contact conducts and none is shorted (the latest impedance run);
2. one pair contracts the multifidus at or below ``threshold_max_ma``; and
3. on that pair no unwanted response appears below ``unwanted_margin`` × its threshold,
   shown by a margin check that reached that amplitude without one.

Until the team says testing is finished (``final``), a lead that has not yet passed is
pending, unless its impedance already fails it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, Decimal

from console.leads.naming import polarised_pair_name
from console.placement.integrity import pair_refusal
from console.placement.observation import Unwanted
from console.placement.profile import PlacementProfile
from console.placement.result import (
    Failure,
    LeadIntegrity,
    LeadVerdict,
    Outcome,
    Phase,
    Purpose,
    Trial,
    TrialEnd,
    UnwantedAt,
)
from console.programming.program import tidy

CHECK_CONNECTION = ("Check the lead's connection in the IPG header (fully inserted, set screw "
                    "tight), then measure impedance again; if the fault remains, replace the "
                    "lead.")
REPOSITION = ("Reposition the lead closer to the medial branch of the dorsal ramus (check "
              "the position on fluoroscopy), then test again.")
ANOTHER_PAIR = "Try another pair of contacts on this lead."
FURTHER_PAIR = ("Try another pair of contacts, further from the structure that responded, "
                "or reposition the lead.")


@dataclass
class PairSummary:
    """What the trials of one pair showed."""

    anode: int
    cathode: int
    threshold: Decimal | None = None
    unwanted: list[UnwantedAt] = field(default_factory=list)
    margin_reached: Decimal | None = None  # highest amplitude a margin check went up to
    highest_without_contraction: Decimal | None = None

    @property
    def text(self) -> str:
        return polarised_pair_name(self.anode, self.cathode)


def pair_summaries(trials: tuple[Trial, ...]) -> list[PairSummary]:
    """What the ended trials showed, pair by pair, in the order the pairs were first tried."""
    found: dict[tuple[int, int], PairSummary] = {}
    for trial in trials:
        if trial.end is None:
            continue
        pair = found.setdefault(trial.pair, PairSummary(trial.anode, trial.cathode))
        pair.unwanted += trial.unwanted
        if trial.purpose == Purpose.THRESHOLD:
            if trial.contraction_ma is not None:
                pair.threshold = min(filter(None, (pair.threshold, trial.contraction_ma)))
            elif trial.end == TrialEnd.MAXIMUM:
                pair.highest_without_contraction = trial.amplitude_ma
        elif trial.end in (TrialEnd.MAXIMUM, TrialEnd.UNWANTED):
            pair.margin_reached = max(filter(None, (pair.margin_reached, trial.amplitude_ma)))
    return list(found.values())


def margin_target(threshold: Decimal, profile: PlacementProfile) -> Decimal:
    """The amplitude a margin check must reach: threshold × margin, up to the next step."""
    wanted = threshold * profile.unwanted_margin
    steps = ((wanted - profile.start_ma) / profile.step_ma).to_integral_value(ROUND_CEILING)
    return min(profile.start_ma + max(steps, 0) * profile.step_ma, profile.max_ma)


def judge_lead(integrity: LeadIntegrity, trials: tuple[Trial, ...], profile: PlacementProfile,
               *, final: bool) -> LeadVerdict:
    lead = integrity.lead
    if not integrity.measured:
        return LeadVerdict(lead, Outcome.FAIL if final else Outcome.PENDING, Failure.IMPEDANCE,
                           ("impedance not measured",), ("Measure impedance.",), None, None)
    pairs = pair_summaries(trials)
    if integrity.faults:
        return LeadVerdict(lead, Outcome.FAIL, Failure.IMPEDANCE,
                           tuple(integrity.faults) + tuple(_summaries(pairs, profile)),
                           (CHECK_CONNECTION,), None, None)
    conducts = "every contact conducts and none is shorted"
    qualifying = [p for p in pairs if qualifies(p, profile)]
    if qualifying:
        best = min(qualifying, key=lambda p: p.threshold or Decimal(0))
        assert best.threshold is not None
        return LeadVerdict(lead, Outcome.PASS, None, (
            conducts,
            f"{best.text}: multifidus contraction at {best.threshold} mA (at most "
            f"{profile.threshold_max_ma} mA)",
            f"{best.text}: no unwanted response below {_margin_of(best, profile)} mA "
            f"({profile.unwanted_margin} × threshold), checked up to {best.margin_reached} mA"),
            (), (best.anode, best.cathode), best.threshold)
    outcome = Outcome.FAIL if final else Outcome.PENDING
    if not pairs:
        return LeadVerdict(lead, outcome, Failure.NOT_TESTED,
                           (conducts, "no pair stimulated"), ("Test stimulation on this lead.",),
                           None, None)
    failure, focus = _failure(pairs, profile)
    suggestions = _suggestions(failure, integrity, pairs, focus)
    return LeadVerdict(lead, outcome, failure, (conducts, *_summaries(pairs, profile)),
                       suggestions, (focus.anode, focus.cathode) if focus else None,
                       focus.threshold if focus else None)


def _acceptable(pair: PairSummary, profile: PlacementProfile) -> bool:
    return pair.threshold is not None and pair.threshold <= profile.threshold_max_ma


def _unwanted_within(pair: PairSummary, profile: PlacementProfile) -> list[UnwantedAt]:
    """Unwanted responses below the margin (any, when no threshold was found)."""
    if pair.threshold is None:
        return list(pair.unwanted)
    return [u for u in pair.unwanted if u.amplitude_ma < _margin_of(pair, profile)]


def _margin_of(pair: PairSummary, profile: PlacementProfile) -> Decimal:
    assert pair.threshold is not None
    return tidy(pair.threshold * profile.unwanted_margin)


def qualifies(pair: PairSummary, profile: PlacementProfile) -> bool:
    """The pair meets the threshold and margin criteria, shown by a margin check."""
    if not _acceptable(pair, profile) or _unwanted_within(pair, profile):
        return False
    assert pair.threshold is not None
    return pair.margin_reached is not None and \
        pair.margin_reached >= margin_target(pair.threshold, profile)


def needs_margin_check(pair: PairSummary, profile: PlacementProfile) -> bool:
    """An acceptable threshold, nothing unwanted yet, and no margin check that proves it."""
    return _acceptable(pair, profile) and not _unwanted_within(pair, profile) \
        and not qualifies(pair, profile)


def pair_line(pair: PairSummary, profile: PlacementProfile) -> str:
    """One sentence on what a pair showed."""
    return _summaries([pair], profile)[0]


def _failure(pairs: list[PairSummary], profile: PlacementProfile
             ) -> tuple[Failure, PairSummary | None]:
    """The criterion the lead fails on, and the pair that came closest."""
    acceptable = [p for p in pairs if _acceptable(p, profile)]
    if acceptable:
        unchecked = [p for p in acceptable if not _unwanted_within(p, profile)]
        if unchecked:
            return Failure.MARGIN_NOT_CHECKED, min(unchecked, key=_threshold_key)
        return Failure.MARGIN, min(acceptable, key=_threshold_key)
    # Unwanted responses before any contraction, within where a threshold could still pass.
    early = [p for p in pairs if p.threshold is None and any(
        u.amplitude_ma <= profile.threshold_max_ma for u in p.unwanted)]
    if early:
        return Failure.MARGIN, early[0]
    with_threshold = [p for p in pairs if p.threshold is not None]
    return Failure.THRESHOLD, min(with_threshold, key=_threshold_key) if with_threshold \
        else None


def _threshold_key(pair: PairSummary) -> Decimal:
    return pair.threshold if pair.threshold is not None else Decimal("Infinity")


def _summaries(pairs: list[PairSummary], profile: PlacementProfile) -> list[str]:
    lines = []
    for pair in pairs:
        if pair.threshold is not None:
            line = f"{pair.text}: multifidus contraction at {pair.threshold} mA"
            if pair.threshold > profile.threshold_max_ma:
                line += f", above the {profile.threshold_max_ma} mA acceptable"
        elif pair.highest_without_contraction is not None:
            line = f"{pair.text}: no multifidus contraction up to " \
                   f"{pair.highest_without_contraction} mA"
        else:
            line = f"{pair.text}: no multifidus contraction seen"
        for unwanted in pair.unwanted:
            what = "unwanted response (not yet named)" if unwanted.kind == Unwanted.UNSPECIFIED \
                else f"{unwanted.kind.value} response"
            line += f"; {what} at {unwanted.amplitude_ma} mA"
            if pair.threshold is not None:
                limit = _margin_of(pair, profile)
                if unwanted.amplitude_ma < limit:
                    line += f", below {limit} mA ({profile.unwanted_margin} × threshold)"
            else:
                line += " before any contraction"
        if _acceptable(pair, profile) and not _unwanted_within(pair, profile):
            if qualifies(pair, profile):
                line += f"; no unwanted response below {_margin_of(pair, profile)} mA"
            else:
                line += "; margin not yet checked"
        lines.append(line)
    return lines


def _suggestions(failure: Failure, integrity: LeadIntegrity, pairs: list[PairSummary],
                 focus: PairSummary | None) -> tuple[str, ...]:
    tried = {(p.anode, p.cathode) for p in pairs}
    untried = [(a, c) for a in range(4) for c in range(4)
               if a != c and (a, c) not in tried and pair_refusal(integrity, a, c) is None]
    if failure == Failure.MARGIN_NOT_CHECKED and focus is not None:
        return (f"Run the margin check on {focus.text}.",)
    if failure == Failure.MARGIN:
        return (FURTHER_PAIR,) if untried else (REPOSITION,)
    return (REPOSITION, ANOTHER_PAIR) if untried else (REPOSITION,)


def judge_test(integrity: tuple[LeadIntegrity, ...], trials: tuple[Trial, ...],
               profile: PlacementProfile, phase: Phase, finished: Collection[int] = ()
               ) -> tuple[tuple[LeadVerdict, LeadVerdict], Outcome]:
    """Both leads' verdicts and the test's, as they stand in ``phase``.

    A lead's verdict is final once testing is finished or the team has finished that
    lead. A stopped test passes nothing, but a lead the team had finished keeps its
    verdict: a STOP on the right lead says nothing about the left.
    """
    verdicts = []
    for lead in (0, 1):
        final = phase in (Phase.VERDICT, Phase.SIGNED) or lead in finished
        verdict = judge_lead(integrity[lead], tuple(t for t in trials if t.lead == lead),
                             profile, final=final)
        if phase == Phase.STOPPED and lead not in finished:
            verdict = _incomplete(verdict)
        verdicts.append(verdict)
    left, right = verdicts
    return (left, right), _overall(phase, (left, right))


def _incomplete(verdict: LeadVerdict) -> LeadVerdict:
    """A stopped test passes nothing; a failure already found stays a failure."""
    if verdict.outcome == Outcome.FAIL and verdict.failure == Failure.IMPEDANCE:
        return verdict
    return replace(verdict, outcome=Outcome.INCOMPLETE, reasons=(
        *verdict.reasons, "the test was stopped before sign-off: not a pass"))


def _overall(phase: Phase, verdicts: tuple[LeadVerdict, ...]) -> Outcome:
    if phase == Phase.STOPPED:
        return Outcome.INCOMPLETE
    outcomes = {v.outcome for v in verdicts}
    if Outcome.FAIL in outcomes:
        return Outcome.FAIL
    if outcomes == {Outcome.PASS}:
        return Outcome.PASS
    return Outcome.PENDING
