"""Every code system and code the registry export uses, in one place.

Standard codes only where the code is confirmed: LOINC for the pain NRS (72514-3) and the
Oswestry Disability Index score (97909-6), SNOMED CT for the EQ VAS (736535009, as the
German MII and Danish KL PRO guides use it), and HL7's own code systems for categories,
seriousness, outcomes and absent data. Everything else is in the console's own code
systems under ``BASE``; ``docs/registry.md`` lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from console.outcomes.adverse_events import (
    EventAction,
    EventCategory,
    ExplantReason,
    Relatedness,
)
from console.outcomes.measures import AnalgesicUse, WorkStatus
from console.outcomes.odi import SECTION_TITLES
from console.outcomes.timepoints import Timepoint

BASE = "https://multifidus-console.org/fhir"
"""The console's namespace for its own code systems, naming systems and extensions."""

LOINC = "http://loinc.org"
SNOMED_CT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
_HL7 = "http://terminology.hl7.org/CodeSystem"


@dataclass(frozen=True, slots=True)
class Code:
    system: str
    code: str
    display: str

    def coding(self) -> dict[str, Any]:
        return {"system": self.system, "code": self.code, "display": self.display}

    def concept(self) -> dict[str, Any]:
        return {"coding": [self.coding()]}


def _system(name: str) -> str:
    return f"{BASE}/CodeSystem/{name}"


def _words(value: str) -> str:
    """``"lead-migration"`` → ``"Lead migration"`` (IPG kept in capitals)."""
    text = value.replace("-", " ").replace("ipg", "IPG")
    return text[:1].upper() + text[1:]


def _codes(name: str, values: type[StrEnum]) -> dict[Any, Code]:
    return {value: Code(_system(name), value.value, _words(value.value)) for value in values}


# Identifiers and extensions
PATIENT_ID_SYSTEM = f"{BASE}/NamingSystem/clinic-patient-id"
"""The clinic's pseudonymous patient identifiers (its clinic IDs)."""
YELLOW_CARD_SYSTEM = f"{BASE}/NamingSystem/mhra-yellow-card"
"""MHRA Yellow Card references, as the scheme issued them."""
TIMEPOINT_EXTENSION = f"{BASE}/StructureDefinition/outcome-timepoint"
RELATEDNESS_EXTENSION = f"{BASE}/StructureDefinition/adverse-event-relatedness"
ACTION_EXTENSION = f"{BASE}/StructureDefinition/adverse-event-action"
EXPLANT_REASON_EXTENSION = f"{BASE}/StructureDefinition/explant-reason"
RESOLVED_EXTENSION = f"{BASE}/StructureDefinition/adverse-event-resolved"

# Observations
SURVEY = Code(f"{_HL7}/observation-category", "survey", "Survey")
PAIN_NRS = Code(LOINC, "72514-3",
                "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
ODI_SCORE = Code(LOINC, "97909-6", "Oswestry disability index score ODI")
ODI_SECTIONS: tuple[Code, ...] = tuple(
    Code(_system("odi-section"), str(number), title)
    for number, title in enumerate(SECTION_TITLES, start=1))
"""The ten ODI sections by number and title (their wording is licensed: not exported)."""
EQ5D_PROFILE = Code(_system("outcome"), "eq5d5l-profile", "EQ-5D-5L health state profile")
EQ_VAS = Code(SNOMED_CT, "736535009", "EuroQol visual analogue score")
PGIC = Code(_system("outcome"), "pgic", "Patient Global Impression of Change (1-7)")
ANALGESIC_USE = Code(_system("outcome"), "analgesic-use",
                     "Strongest analgesic taken regularly for back pain")
WORK_STATUS = Code(_system("outcome"), "work-status", "Work status")
ANALGESICS: dict[AnalgesicUse, Code] = _codes("analgesic-use", AnalgesicUse)
WORK: dict[WorkStatus, Code] = _codes("work-status", WorkStatus)
TIMEPOINTS: dict[Timepoint, Code] = {
    Timepoint.BASELINE: Code(_system("timepoint"), "baseline", "Baseline, before the implant"),
    Timepoint.WEEK_6: Code(_system("timepoint"), "6w", "6 weeks after the implant"),
    Timepoint.MONTH_3: Code(_system("timepoint"), "3m", "3 months after the implant"),
    Timepoint.MONTH_6: Code(_system("timepoint"), "6m", "6 months after the implant"),
    Timepoint.MONTH_12: Code(_system("timepoint"), "12m", "12 months after the implant"),
    Timepoint.MONTH_24: Code(_system("timepoint"), "24m", "24 months after the implant"),
    Timepoint.OTHER: Code(_system("timepoint"), "other", "Other assessment"),
}
PERCENT = {"unit": "%", "system": UCUM, "code": "%"}
NOT_SCORED = Code(f"{_HL7}/data-absent-reason", "not-performed", "Not Performed")
"""The ODI with more than two sections missing: Fairbank's rule leaves it unscored."""
NOT_ANSWERED = Code(f"{_HL7}/data-absent-reason", "unknown", "Unknown")
"""An ODI section the patient did not answer."""

# The implant
IMPLANT = Code(_system("procedure"), "implant",
               "Implant of a restorative multifidus neurostimulator")
MODEL_NAME = "model-name"
"""Device.deviceName.type for the model (FHIR's device-nametype code system)."""

# Adverse events
EVENT_CATEGORIES: dict[EventCategory, Code] = _codes("adverse-event-category", EventCategory)
RELATEDNESS: dict[Relatedness, Code] = _codes("adverse-event-relatedness", Relatedness)
ACTIONS: dict[EventAction, Code] = _codes("adverse-event-action", EventAction)
EXPLANT_REASONS: dict[ExplantReason, Code] = _codes("explant-reason", ExplantReason)
SERIOUS = Code(f"{_HL7}/adverse-event-seriousness", "serious", "Serious")
NOT_SERIOUS = Code(f"{_HL7}/adverse-event-seriousness", "non-serious", "Non-serious")
RESOLVED = Code(f"{_HL7}/adverse-event-outcome", "resolved", "Resolved")
ONGOING = Code(f"{_HL7}/adverse-event-outcome", "ongoing", "Ongoing")

# The bundle
PSEUDONYMISED = Code(f"{_HL7}/v3-ObservationValue", "PSEUDED", "pseudonymized")
"""Bundle.meta.security of an export without names or dates of birth."""
