"""Keeping a placement test in the clinical record: the whole result in one transaction.

A signed result is stored as complete; a stopped one as incomplete (its leads' outcome
column starts with ``incomplete``, never ``pass``). Each impedance run of the test is stored
as impedance measurements of the device, and each lead gets one ``placement_tests`` row
whose columns hold the pair the verdict rests on, its threshold and the outcome, and
whose ``data`` holds the full result.
"""

from __future__ import annotations

from datetime import datetime

from console.accounts import User
from console.placement.result import LeadVerdict, Outcome, Phase, PlacementResult, ResultStatus
from console.storage import ClinicalRecord, InvalidRecord, PlacementLeadSummary, PlacementTest

OUTCOME_TEXT_LIMIT = 64  # placement_tests.outcome


def lead_outcome(result: PlacementResult, verdict: LeadVerdict) -> str:
    """``pass``, ``fail: threshold`` …, or ``incomplete`` for a test that was stopped:
    ``incomplete (pass)`` for a lead the team had finished, and passed, before the STOP."""
    if result.status == ResultStatus.INCOMPLETE or verdict.outcome == Outcome.INCOMPLETE:
        text = "incomplete"
        if verdict.outcome == Outcome.FAIL and verdict.failure is not None:
            text += f" (fail: {verdict.failure.value})"
        elif verdict.outcome == Outcome.PASS:
            text += " (pass)"
    elif verdict.outcome == Outcome.FAIL and verdict.failure is not None:
        text = f"fail: {verdict.failure.value}"
    else:
        text = verdict.outcome.value
    return text[:OUTCOME_TEXT_LIMIT]


def lead_summary(result: PlacementResult, lead: int) -> PlacementLeadSummary:
    """The key columns of one lead: the pair the verdict rests on, or the last pair tried,
    or the first faulty contact (``electrode_b`` empty) when nothing was stimulated."""
    verdict = result.verdicts[lead]
    pair = verdict.pair
    trials = result.trials_of(lead)
    if pair is None and trials:
        pair = trials[-1].pair
    if pair is not None:
        return PlacementLeadSummary(lead, pair[0], pair[1], verdict.threshold_ma,
                                    lead_outcome(result, verdict))
    faulty = [c.electrode_a for c in result.integrity[lead].contacts
              if c.state.value in ("open", "shorted")]
    return PlacementLeadSummary(lead, faulty[0] if faulty else 0, None, None,
                                lead_outcome(result, verdict))


def store_result(record: ClinicalRecord, actor: User, result: PlacementResult, *,
                 patient: str, visit_id: int | None = None) -> tuple[PlacementTest, ...]:
    """Store a signed or stopped result; raises InvalidRecord for one still in progress or
    interrupted (it may yet resume: it is stored once the team resumes or ends it)."""
    if result.resumable:
        raise InvalidRecord("an interrupted placement test is stored once it is ended, or "
                            "resumed and signed off")
    if result.phase not in (Phase.SIGNED, Phase.STOPPED):
        raise InvalidRecord(f"a placement test is stored once signed off or stopped, not in "
                            f"phase {result.phase}")
    runs = [(datetime.fromisoformat(run.at), run.records) for run in result.impedance_runs]
    return record.record_placement_result(
        actor, patient, leads=[lead_summary(result, lead) for lead in (0, 1)],
        data=result.to_dict(), impedance_runs=runs if result.serial else (),
        visit_id=visit_id, device_serial=result.serial)
