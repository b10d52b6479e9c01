"""One patient's resources in FHIR R4 JSON: Patient, Device, Procedure, Observation and
AdverseEvent, as ``docs/registry.md`` describes them.

Each resource's id is a UUID derived from what it stands for (the clinic ID, the serial,
the record's entry id), so exporting the same record twice gives the same file and a
registry can recognise a resource it has seen before.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from console.outcomes.adverse_events import EventDetails
from console.outcomes.clinic import ClinicDevice, ClinicPatient
from console.outcomes.entries import AdverseEvent, OutcomeEntry
from console.outcomes.timepoints import Timepoint
from console.registry import codes
from console.registry.codes import Code
from console.registry.fhir_validation import Json, Validator

_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, codes.BASE).bytes


def resource_id(kind: str, key: str) -> str:
    """The resource's id, the same in every export of the same record: the name-based
    UUID (version 5, RFC 9562) of ``kind/key`` in the console's namespace, worked out here
    rather than by ``uuid.uuid5`` because a large export makes about 100 000 of them."""
    digest = bytearray(hashlib.sha1(_ROOT + f"{kind}/{key}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def full_url(resource: Json) -> str:
    return f"urn:uuid:{resource['id']}"


class Parts:
    """The parts many resources share, each validated once (see ``fhir_validation``)."""

    def __init__(self, validator: Validator) -> None:
        self._validator = validator

    def concept(self, code: Code) -> Json:
        return self._validator.shared(("concept", code), "CodeableConcept", code.concept)

    def reference(self, kind: str, key: str) -> Json:
        return self._validator.shared(
            ("reference", kind, key), "Reference",
            lambda: {"reference": f"urn:uuid:{resource_id(kind, key)}"})

    def coded_extension(self, url: str, code: Code) -> Json:
        return self._validator.shared(("extension", url, code), "Extension",
                                      lambda: {"url": url, "valueCoding": code.coding()})

    def odi_section(self, number: int, score: int | None) -> Json:
        section = codes.ODI_SECTIONS[number]
        return self._validator.shared(
            ("odi", number, score), "ObservationComponent",
            lambda: {"code": section.concept(), **(
                {"valueInteger": score} if score is not None
                else {"dataAbsentReason": codes.NOT_ANSWERED.concept()})})

    def percent(self, value: Decimal) -> Json:
        return self._validator.shared(("percent", value), "Quantity",
                                      lambda: {"value": float(value), **codes.PERCENT})


def patient(clinic: ClinicPatient) -> Json:
    """The patient by the clinic's pseudonymous ID; name and birth date only when the facts
    carry them (an identifiable export)."""
    resource: Json = {"resourceType": "Patient", "id": resource_id("Patient", clinic.clinic_id),
                      "identifier": [{"system": codes.PATIENT_ID_SYSTEM,
                                      "value": clinic.clinic_id}]}
    if clinic.name is not None:
        resource["name"] = [{"text": clinic.name}]
    if clinic.date_of_birth is not None:
        resource["birthDate"] = clinic.date_of_birth.isoformat()
    return resource


def device(parts: Parts, clinic_id: str, implanted: ClinicDevice) -> Json:
    return {"resourceType": "Device", "id": resource_id("Device", implanted.serial),
            "serialNumber": implanted.serial,
            "deviceName": [{"name": implanted.model, "type": codes.MODEL_NAME}],
            "patient": parts.reference("Patient", clinic_id)}


def implant(parts: Parts, clinic_id: str, implanted: ClinicDevice) -> Json | None:
    """The implant procedure; None for a device whose implant date is not recorded."""
    if implanted.implant_date is None:
        return None
    return {"resourceType": "Procedure", "id": resource_id("Procedure", implanted.serial),
            "status": "completed", "code": parts.concept(codes.IMPLANT),
            "subject": parts.reference("Patient", clinic_id),
            "performedDateTime": implanted.implant_date.isoformat(),
            "focalDevice": [{"manipulated": parts.reference("Device", implanted.serial)}]}


def observations(parts: Parts, entry: OutcomeEntry) -> Iterator[Json]:
    """One Observation per measure the assessment has, in a fixed order."""
    measures = entry.measures

    def observation(measure: str, code: Code, value: dict[str, Any]) -> Json:
        return {"resourceType": "Observation",
                "id": resource_id("Observation", f"{entry.id}/{measure}"),
                "extension": [_timepoint(parts, entry.timepoint)], "status": "final",
                "category": [parts.concept(codes.SURVEY)], "code": parts.concept(code),
                "subject": parts.reference("Patient", entry.patient_clinic_id),
                "effectiveDateTime": entry.collected_on.isoformat(), **value}

    if measures.nrs is not None:
        yield observation("nrs", codes.PAIN_NRS, {"valueInteger": measures.nrs})
    if measures.odi is not None:
        score = entry.odi_pct
        yield observation("odi", codes.ODI_SCORE, {
            **({"valueQuantity": parts.percent(score)} if score is not None
               else {"dataAbsentReason": parts.concept(codes.NOT_SCORED)}),
            "component": [parts.odi_section(number, item)
                          for number, item in enumerate(measures.odi)]})
    if measures.eq5d is not None:
        yield observation("eq5d", codes.EQ5D_PROFILE, {"valueString": measures.eq5d})
    if measures.eq_vas is not None:
        yield observation("eq_vas", codes.EQ_VAS, {"valueInteger": measures.eq_vas})
    if measures.pgic is not None:
        yield observation("pgic", codes.PGIC, {"valueInteger": measures.pgic})
    if measures.analgesics is not None:
        yield observation("analgesics", codes.ANALGESIC_USE, {
            "valueCodeableConcept": parts.concept(codes.ANALGESICS[measures.analgesics])})
    if measures.work is not None:
        yield observation("work", codes.WORK_STATUS, {
            "valueCodeableConcept": parts.concept(codes.WORK[measures.work])})


def _timepoint(parts: Parts, point: Timepoint) -> Json:
    return parts.coded_extension(codes.TIMEPOINT_EXTENSION, codes.TIMEPOINTS[point])


def adverse_event(parts: Parts, event: AdverseEvent, serials: frozenset[str]) -> Json:
    """The event; its device as the suspect entity where the record names one of the
    patient's devices. Free-text notes are never exported: they may identify the patient."""
    details = event.details
    resource: Json = {"resourceType": "AdverseEvent",
                      "id": resource_id("AdverseEvent", str(event.id)),
                      "extension": list(_event_extensions(parts, details))}
    if details.yellow_card is not None:
        resource["identifier"] = {"system": codes.YELLOW_CARD_SYSTEM,
                                  "value": details.yellow_card}
    resource.update({
        "actuality": "actual",
        "event": parts.concept(codes.EVENT_CATEGORIES[details.category]),
        "subject": parts.reference("Patient", event.patient_clinic_id),
        "date": details.onset.isoformat(),
        "seriousness": parts.concept(codes.SERIOUS if details.serious else codes.NOT_SERIOUS),
        "outcome": parts.concept(codes.RESOLVED if details.resolved is not None
                                 else codes.ONGOING)})
    if event.device_serial is not None and event.device_serial in serials:
        resource["suspectEntity"] = [{"instance": parts.reference("Device",
                                                                  event.device_serial)}]
    return resource


def _event_extensions(parts: Parts, details: EventDetails) -> Iterator[Json]:
    yield parts.coded_extension(codes.RELATEDNESS_EXTENSION, codes.RELATEDNESS[details.related])
    yield parts.coded_extension(codes.ACTION_EXTENSION, codes.ACTIONS[details.action])
    if details.explant_reason is not None:
        yield parts.coded_extension(codes.EXPLANT_REASON_EXTENSION,
                                    codes.EXPLANT_REASONS[details.explant_reason])
    if details.resolved is not None:
        yield {"url": codes.RESOLVED_EXTENSION, "valueDate": details.resolved.isoformat()}
