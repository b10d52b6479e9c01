"""The clinic's facts as one FHIR R4 ``Bundle`` of type ``collection``.

Patient by patient (in clinic ID order): the Patient, their Devices, each implant as a
Procedure, one Observation per measure of each current outcome assessment, and each
current AdverseEvent. Every resource is validated before the bundle is handed back, so an
invalid resource stops the export before a byte of it is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO

from console.bulk import without_cycle_collection
from console.outcomes.clinic import ClinicFacts, ClinicPatient
from console.registry import codes, fhir_resources
from console.registry.fhir_resources import Parts, full_url
from console.registry.fhir_validation import Json, Validator


def registry_bundle(facts: ClinicFacts, *, identifiable: bool) -> Json:
    """The bundle, every resource validated. ``identifiable`` says whether ``facts`` were
    loaded with names and dates of birth; without them the bundle is marked pseudonymised."""
    validator = Validator()
    parts = Parts(validator)
    entries = []
    with without_cycle_collection():
        for patient in facts.patients:
            for resource in _resources(parts, patient):
                validator.check(resource)
                entries.append({"fullUrl": full_url(resource), "resource": resource})
    bundle: Json = {"resourceType": "Bundle", "type": "collection"}
    if not identifiable:
        bundle["meta"] = {"security": [codes.PSEUDONYMISED.coding()]}
    validator.check(bundle)  # the bundle's own elements; its entries were checked above
    bundle["entry"] = entries
    return bundle


def write_bundle(bundle: Json, out: TextIO) -> None:
    """The bundle as compact JSON (UTF-8 text, not escaped). ``json.dumps`` encodes in C,
    ``json.dump`` in Python: several times slower on a large bundle."""
    out.write(json.dumps(bundle, ensure_ascii=False, separators=(",", ":"),
                         check_circular=False))  # built here as a tree: no cycles
    out.write("\n")


def _resources(parts: Parts, patient: ClinicPatient) -> Iterator[Json]:
    clinic_id = patient.clinic_id
    yield fhir_resources.patient(patient)
    for implanted in patient.devices:
        yield fhir_resources.device(parts, clinic_id, implanted)
    for implanted in patient.devices:
        procedure = fhir_resources.implant(parts, clinic_id, implanted)
        if procedure is not None:
            yield procedure
    for entry in patient.outcomes:
        yield from fhir_resources.observations(parts, entry)
    serials = frozenset(d.serial for d in patient.devices)
    for event in patient.adverse_events:
        yield fhir_resources.adverse_event(parts, event, serials)
