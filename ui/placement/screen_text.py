"""What the placement screens say, worked out from the context and the workflow's snapshot.

Plain functions, apart from the flow that decides when to show them, so that the words
the team reads in theatre are in one place.
"""

from __future__ import annotations

from console.accounts import Action
from console.leads.naming import polarised_pair_name
from console.placement import (
    Interruption,
    Outcome,
    Phase,
    PlacementProfile,
    PlacementResult,
    PlacementWorkflow,
    lead_title,
)
from console.placement.judge import (
    PairSummary,
    margin_target,
    needs_margin_check,
    pair_summaries,
    qualifies,
)
from ui.placement.pages import LeadView
from ui.shell.context import WindowContext


def start_facts(context: WindowContext, profile: PlacementProfile) -> str:
    """Who, which patient and device, and how each pair is tested: the start screen."""
    device = context.model.device
    patient = context.patient
    return "\n".join([
        f"Patient: {patient.clinic_id}" + (f" — {patient.name}" if patient and patient.name
                                           else "") if patient else "Patient: none chosen",
        f"Device: {device.identity.model} serial {device.identity.serial}" if device
        else "Device: not connected",
        f"Operator: {context.user.username}" if context.user else "Operator: nobody",
        "Observations: by the team in theatre (C contraction, U unwanted response)",
        f"Each pair: from {profile.start_ma} mA in steps of {profile.step_ma} mA "
        f"up to {profile.max_ma} mA; a lead passes with a contraction at or below "
        f"{profile.threshold_max_ma} mA and nothing else below "
        f"{profile.unwanted_margin} × that threshold."])


def identity_line(context: WindowContext) -> str:
    """Patient and device in one line, for the theatre view (the header is not there)."""
    device = context.model.device
    parts = ["DEMO"] if context.demo else []
    parts.append(f"Patient {context.patient.clinic_id}" if context.patient
                 else "No patient")
    parts.append(f"device {device.identity.serial}" if device else "no device")
    return " · ".join(parts)


def cannot_begin(context: WindowContext) -> str:
    """Why the test cannot begin now ("" when it can)."""
    if not context.may(Action.TEST_STIMULATION):
        return "Your role may not deliver test stimulation."
    if context.patient is None:
        return "No patient chosen: the result could not be kept in the record."
    if context.model.device is None:
        return "Connect the device first."
    if context.model.stimulating:
        return "The device is stimulating: STOP it first."
    return ""


def _summary(result: PlacementResult, lead: int, pair: tuple[int, int]) -> PairSummary | None:
    return next((p for p in pair_summaries(result.trials_of(lead))
                 if (p.anode, p.cathode) == pair), None)


def needs_margin(result: PlacementResult, lead: int, pair: tuple[int, int]) -> bool:
    """The pair has its threshold and now needs the margin check."""
    summary = _summary(result, lead, pair)
    return summary is not None and needs_margin_check(summary, result.profile)


def lead_view(result: PlacementResult, lead: int, pair: tuple[int, int] | None, *,
              naming: bool, busy: bool, can_change_pair: bool) -> LeadView:
    """A lead's screen: the pair shown, what S does on it, and the advice for the team."""
    verdict = result.verdicts[lead]
    next_text = "Next: right lead  [N]" if lead == 0 else \
        "Finish: the verdict  [N]"
    start_text, advice = "", ""
    if pair is not None:
        text = polarised_pair_name(*pair)
        summary = _summary(result, lead, pair)
        if summary is not None and needs_margin_check(summary, result.profile):
            assert summary.threshold is not None
            profile = result.profile
            start_text = f"Start margin check on {text}  [S]"
            advice = (f"Contraction at {summary.threshold} mA. Next, press S for the margin "
                      f"check: from {profile.start_ma} mA up to "
                      f"{margin_target(summary.threshold, profile)} mA "
                      f"({profile.unwanted_margin} × threshold), watching for any "
                      f"unwanted response.")
        elif summary is not None and qualifies(summary, result.profile):
            start_text = f"Test {text} again  [S]"
            advice = f"{lead_title(lead)} passes on {text}. Press N to go on."
        elif summary is not None:
            start_text = f"Test {text} again  [S]"
            advice = (f"{text} does not meet the criteria. "
                      f"{' '.join(verdict.suggestions)} Press P for another pair.")
        else:
            start_text = f"Start threshold search on {text}  [S]"
            advice = (f"Ready to stimulate {text}. Stimulation starts at "
                      f"{result.profile.start_ma} mA and rises until you press C "
                      "(contraction) or U (anything else).")
        if verdict.outcome == Outcome.PASS and summary is None:
            advice = f"{lead_title(lead)} already passes. You may map other pairs or " \
                     "press N to go on."
    return LeadView(pair, start_text, advice, next_text, naming=naming, busy=busy,
                    can_change_pair=can_change_pair)


def chosen_pair(workflow: PlacementWorkflow, lead: int, current: tuple[int, int] | None
                ) -> tuple[tuple[int, int] | None, int]:
    """The pair a lead's screen shows (the suggested one until P is pressed), and how many
    pairs there are to choose from."""
    candidates = workflow.candidate_pairs(lead)
    if current not in candidates:
        current = workflow.suggested_pair(lead) or (candidates[0] if candidates else None)
    return current, len(candidates)


def resume_page(interruption: Interruption) -> str:
    """The wizard's page a resumed test goes back to."""
    if interruption.phase == Phase.STIMULATION:
        return f"lead{interruption.lead if interruption.lead is not None else 1}"
    return "impedance" if interruption.phase == Phase.IMPEDANCE else "verdict"
