"""The registry export from the clinical record: FHIR R4 or CSV, audited.

The whole export is built, and every FHIR resource validated, before the first byte is
written, and the audit entry shares the export's transaction: an export that fails is
neither half-written (by this method) nor recorded as done.
"""

from __future__ import annotations

import csv
from typing import TextIO

from console.accounts import Action, User
from console.audit.events import AuditEvent
from console.clinic.profile import load_clinic_profile
from console.outcomes.responders import ResponderRules
from console.registry.csv_rows import columns, registry_rows
from console.storage import transactions
from console.storage.clinic_facts import load_clinic_facts
from console.storage.errors import InvalidRecord
from console.storage.service import RecordService

FORMATS = ("fhir", "csv")


class RegistryMixin(RecordService):
    def export_registry(self, actor: User, out: TextIO, *, format: str,
                        clinic_id: str | None = None, identifiable: bool = False,
                        rules: ResponderRules | None = None) -> int:
        """Write every patient's (or ``clinic_id``'s) registry data to ``out``; returns how
        many patients it holds. Names and dates of birth only when ``identifiable``. The
        CSV's responder columns follow ``rules`` (default: the clinic profile's)."""
        if format not in FORMATS:
            raise InvalidRecord(f"registry export format {format!r}: must be one of "
                                + ", ".join(FORMATS))
        with transactions.write(self.engine) as tx:
            self._acting(tx.session, actor, Action.EXPORT)
            facts = load_clinic_facts(tx.session, clinic_id=clinic_id,
                                      identifiable=identifiable)
            if format == "fhir":
                # fhir.resources loads only for a FHIR export, not with every command and
                # the window (which start with the record).
                from console.registry.fhir_bundle import registry_bundle, write_bundle

                bundle = registry_bundle(facts, identifiable=identifiable)
                write_bundle(bundle, out)
                details = {"resources": len(bundle["entry"])}
            else:
                rows = list(registry_rows(
                    facts, rules or ResponderRules.of(load_clinic_profile()),
                    identifiable=identifiable))
                writer = csv.writer(out)
                writer.writerow(columns(identifiable))
                writer.writerows(rows)
                details = {"rows": len(rows)}
            tx.audit(AuditEvent.EXPORT, actor, {
                "what": "registry", "format": format, "patients": len(facts.patients),
                "patient": clinic_id, "identifiable": identifiable, **details})
            return len(facts.patients)
