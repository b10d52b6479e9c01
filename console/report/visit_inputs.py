"""What the visit report takes from elsewhere in the record: the device's use of the
therapy since the previous visit, and the titration marks made in this visit.

The usage period runs from the previous visit (else the implant, else 28 days back) to
the day before this visit, so a report shows what happened between two visits; it is
printed on the report with its dates.
"""

from __future__ import annotations

from datetime import date, timedelta

from console.accounts import User
from console.clinic.profile import ClinicProfile
from console.storage import ClinicalRecord, Visit
from console.titration.marks import TitrationMark
from console.usage.log_report import usage_from_log
from console.usage.period import DEFAULT_DAYS, MAX_DAYS, Period
from console.usage.report import UsageReport


def usage_period(visit: Visit, previous: Visit | None, implanted: date | None) -> Period:
    """From the previous visit (else the implant) to the day before ``visit``."""
    end = visit.started_at.astimezone().date() - timedelta(days=1)
    start = (previous.started_at.astimezone().date() if previous is not None
             else implanted or end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:  # two visits on one day: the 28 days before
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    return Period(max(start, end - timedelta(days=MAX_DAYS - 1)), end)


def visit_usage(record: ClinicalRecord, actor: User, visit: Visit,
                clinic: ClinicProfile) -> UsageReport | None:
    """None when the visit has no device or the record holds none of its log."""
    serial = visit.device_serial
    if serial is None:
        return None
    entries = record.device_log(actor, serial)
    if not entries:
        return None
    earlier = [v for v in record.visits(actor, patient=visit.patient_clinic_id)
               if v.started_at < visit.started_at]
    device = record.device(actor, serial)
    period = usage_period(visit, earlier[-1] if earlier else None, device.implant_date)
    return usage_from_log(entries, period, clinic.prescribed_sessions_per_day).report


def visit_marks(record: ClinicalRecord, actor: User, visit: Visit) -> list[TitrationMark]:
    if visit.device_serial is None:
        return []
    return record.titration_marks(actor, visit.device_serial, visit_id=visit.id)
