"""The demo patient's follow-up so far: a baseline, three follow-ups and two adverse events.

Dated from the implant, so the Outcomes tab and the clinic's audit have something true to
the schedule to show in a demonstration.
"""

from __future__ import annotations

from datetime import date, timedelta

from console.accounts.roles import User
from console.outcomes.adverse_events import EventAction, EventCategory, EventDetails, Relatedness
from console.outcomes.measures import AnalgesicUse, OutcomeMeasures, WorkStatus
from console.outcomes.timepoints import Timepoint
from console.storage import ClinicalRecord

DEMO_IMPLANT_DAYS_AGO = 200
"""Far enough back for the 6-month follow-up to be due; the 12-month one is not yet."""

_ASSESSMENTS = (  # days from the implant, timepoint, measures
    (-21, Timepoint.BASELINE, OutcomeMeasures(
        7, (4, 2, 3, 3, 4, 3, 3, None, 2, 3), "33432", 40, None,
        AnalgesicUse.WEAK_OPIOID, WorkStatus.OFF_WORK_BACK_PAIN)),
    (44, Timepoint.WEEK_6, OutcomeMeasures(
        6, (3, 2, 3, 3, 3, 3, 2, None, 2, 3), None, None, 3,
        AnalgesicUse.WEAK_OPIOID, WorkStatus.OFF_WORK_BACK_PAIN)),
    (93, Timepoint.MONTH_3, OutcomeMeasures(
        4, (2, 1, 2, 2, 3, 2, 2, None, 1, 2), "22321", 60, 2,
        AnalgesicUse.NON_OPIOID, WorkStatus.WORKING_REDUCED)),
    (185, Timepoint.MONTH_6, OutcomeMeasures(
        3, (2, 1, 2, 1, 2, 2, 1, None, 1, 1), "21221", 70, 2,
        AnalgesicUse.NON_OPIOID, WorkStatus.WORKING)),
)


def add_demo_outcomes(record: ClinicalRecord, clinician: User, clinic_id: str,
                      implant: date) -> None:
    for days, point, measures in _ASSESSMENTS:
        record.record_outcome(clinician, clinic_id, point, implant + timedelta(days=days),
                              measures)
    record.record_adverse_event(clinician, clinic_id, EventDetails(
        EventCategory.WOUND_INFECTION, implant + timedelta(days=12), True,
        Relatedness.PROCEDURE, resolved=implant + timedelta(days=40),
        notes="Superficial infection of the generator wound; oral antibiotics."))
    record.record_adverse_event(clinician, clinic_id, EventDetails(
        EventCategory.LEAD_MIGRATION, implant + timedelta(days=70), False,
        Relatedness.DEVICE, EventAction.REPROGRAMMING, resolved=implant + timedelta(days=77)))
