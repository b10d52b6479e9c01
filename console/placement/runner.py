"""The whole test without a person at the keys: for the command line against an emulator.

Each lead is tried pair by pair in the profile's order: a threshold search, and when the
threshold is acceptable a margin check on the same pair, until one pair qualifies or
every proposed pair has been tried. A lead whose impedance already fails it is not
stimulated at all. ``wait(seconds)`` is how the driver lets time pass between steps: it
returns False when STOP was asked for (the command line waits on an event; tests advance
a manual clock and return True).
"""

from __future__ import annotations

from collections.abc import Callable

from console.placement.integrity import pair_refusal
from console.placement.port import DevicePort
from console.placement.result import Outcome, Phase, PlacementResult, Purpose, Trial
from console.placement.workflow import LEADS, PlacementRefused, PlacementWorkflow

Wait = Callable[[float], bool]


def run_automatic(workflow: PlacementWorkflow, client: DevicePort, wait: Wait) -> PlacementResult:
    """Identify, measure, test both leads and finish; the snapshot at the end.

    Steps the workflow has already been through (identified, measured) are not repeated.
    The test ends early (phase STOPPED) when STOP is asked for or the link is lost; the
    sign-off is left to the caller.
    """
    for phase, operation in ((Phase.START, workflow.identify),
                             (Phase.IMPEDANCE, workflow.measure_impedance)):
        if workflow.snapshot().phase == phase and operation(client).phase == Phase.STOPPED:
            return workflow.snapshot()
    for lead in LEADS:
        if not _test_lead(workflow, client, lead, wait):
            return workflow.snapshot()
        if lead != LEADS[-1]:
            workflow.finish_lead(lead)  # a STOP on the next lead keeps this one's verdict
    return workflow.finish()


def _test_lead(workflow: PlacementWorkflow, client: DevicePort, lead: int, wait: Wait) -> bool:
    """Try the profile's pairs on ``lead``; False when the test was stopped."""
    profile = workflow.profile
    integrity = workflow.snapshot().integrity[lead]
    if not integrity.ok:
        return True  # fails on impedance: never stimulated
    for anode, cathode in profile.pairs:
        if pair_refusal(integrity, anode, cathode) is not None:
            continue
        try:
            threshold = _trial(workflow, client, wait, lead, anode, cathode, Purpose.THRESHOLD)
            if threshold is None:
                return False
            if threshold.contraction_ma is None or threshold.unwanted \
                    or threshold.contraction_ma > profile.threshold_max_ma:
                continue
            if _trial(workflow, client, wait, lead, anode, cathode, Purpose.MARGIN) is None:
                return False
        except PlacementRefused:  # the safety engine or the device refused this pair
            if workflow.snapshot().phase == Phase.STOPPED:
                return False
            continue
        if workflow.snapshot().verdicts[lead].outcome == Outcome.PASS:
            return True
    return True


def _trial(workflow: PlacementWorkflow, client: DevicePort, wait: Wait, lead: int, anode: int,
           cathode: int, purpose: Purpose) -> Trial | None:
    """One trial to its end; None when the test was stopped."""
    snapshot = workflow.start_trial(client, lead, anode, cathode, purpose)
    while snapshot.active_trial is not None:
        delay = workflow.seconds_to_next_step()
        if not wait(delay or 0.0):
            return None
        snapshot = workflow.tick(client)
    if snapshot.phase == Phase.STOPPED:
        return None
    return snapshot.trials[-1]

