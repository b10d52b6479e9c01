"""The clinic's audit read from the record, and its files written and audited.

The facts come from ``load_clinic_facts`` (one query per table). Adherence needs the
device logs: a device's usage over the 28 days before ``as_of`` is known when some of its
entries near that period were downloaded on or after ``as_of``, once the period was over
(one grouped query); its sessions are paired from its whole log as ``mfconsole usage``
pairs them, and kept while its log is unchanged (``PairedSessions``; docs/usage.md,
docs/outcomes-audit.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from console.accounts import Action, User
from console.audit.events import AuditEvent
from console.bulk import without_cycle_collection
from console.clinic.profile import ClinicProfile
from console.files.new_file import write_new
from console.outcomes.clinic import ClinicFacts
from console.outcomes.cohort import CohortReport, cohort_report
from console.outcomes.responders import ResponderRules
from console.storage import transactions
from console.storage.clinic_facts import load_clinic_facts
from console.storage.models import DeviceLogRow, DeviceRow, PatientRow
from console.storage.paired_sessions import PairedSessions
from console.storage.service import RecordService
from console.usage.adherence import period_adherence
from console.usage.period import Period, default_period
from console.usage.sessions import UNDATED, TherapySession

MARGIN_S = 3 * 86_400
"""How far either side of the period a download is looked for: a session is placed by its
local start day (at most a day away from UTC) and its end follows within hours."""


class CohortMixin(RecordService):
    def cohort(self, actor: User, as_of: date, clinic_profile: ClinicProfile) -> CohortReport:
        """The clinic's audit as it stood on ``as_of`` (clinician or admin)."""
        period = default_period(as_of)
        with transactions.read(self.engine) as session, without_cycle_collection():
            self._acting(session, actor, Action.AUDIT_CLINIC)
            facts = load_clinic_facts(session)
            adherence = _adherence(session, facts, period,
                                   clinic_profile.prescribed_sessions_per_day,
                                   self._paired_sessions)
            return cohort_report(facts, ResponderRules.of(clinic_profile), as_of, adherence)

    def export_cohort(self, actor: User, target: Path, data: bytes,
                      details: Mapping[str, Any]) -> None:
        """Write ``data`` as the new file ``target`` and audit it as an export, together:
        refused (nothing written) without the right to export, and never overwriting."""
        placed = False
        try:
            with transactions.write(self.engine) as tx:
                self._acting(tx.session, actor, Action.EXPORT)
                tx.audit(AuditEvent.EXPORT, actor, {**details, "file": target.name})
                write_new(target, data)
                placed = True
        except BaseException:
            if placed:  # the audit entry did not commit: the file must not stay either
                target.unlink(missing_ok=True)
            raise


def _adherence(session: Session, facts: ClinicFacts, period: Period, prescribed: int,
               paired: PairedSessions) -> dict[str, float]:
    """Adherence over ``period`` by clinic ID, for the patients whose usage is known: a
    device log downloaded after the period ended, and the implant before it began."""
    core = session.connection()  # Core rows, fetched whole (``all``)
    eligible = {p.clinic_id for p in facts.patients
                if p.implant_date is not None and p.implant_date <= period.start}
    owners = {device_id: clinic_id for device_id, clinic_id in core.execute(
        select(DeviceRow.id, PatientRow.clinic_id).join(
            PatientRow, PatientRow.id == DeviceRow.patient_id)).all() if clinic_id in eligible}
    low = _midnight(period.start) - MARGIN_S
    high = _midnight(period.end + timedelta(days=1)) + MARGIN_S
    downloaded = datetime.fromtimestamp(_midnight(period.end + timedelta(days=1)), UTC)
    near = or_(DeviceLogRow.device_time.between(low, high),
               DeviceLogRow.device_time == UNDATED)
    # When each device's entries near the period were last downloaded: asked once per
    # device, not carried on every entry (a time conversion for each costs more than the rest).
    known = {device_id for device_id, last in core.execute(
        select(DeviceLogRow.device_id, func.max(DeviceLogRow.downloaded_at))
        .where(near).group_by(DeviceLogRow.device_id))
        if device_id in owners and _utc(last) >= downloaded}
    sessions: dict[str, list[TherapySession]] = defaultdict(list)
    for device_id, found in paired.of(core, known).items():
        sessions[owners[device_id]].extend(found)
    return {clinic_id: period_adherence(found, period, prescribed)
            for clinic_id, found in sessions.items()}


def _utc(moment: datetime) -> datetime:
    """An aggregate's time as the database gives it: naive UTC on SQLite, aware elsewhere."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _midnight(day: date) -> int:
    """Unix seconds of the local midnight starting ``day``."""
    return int(datetime.combine(day, time.min).timestamp())
