"""Every resource of the export checked against FHIR R4 (``fhir.resources``) before any of
it is written.

Validation costs about 0.02 ms per element, and a large clinic's export holds tens of
thousands of resources whose coded parts repeat: the survey category, a LOINC code, a
timepoint, a patient reference, an ODI section score. Such a part is validated once, as
its own FHIR type, and every resource that uses it is validated with that checked model
in its place; everything else in each resource is validated every time. What is written is
exactly the JSON that was validated.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import fhir.resources
from fhir.resources import get_fhir_model_class
from fhir.resources.fhirabstractmodel import FHIRAbstractModel
from pydantic import ValidationError

Json = dict[str, Any]

if fhir.resources.__fhir_version__ != "4.0.1":  # UK Core is R4: later releases are R4B/R5
    raise ImportError(f"fhir.resources {fhir.resources.__version__} is FHIR "
                      f"{fhir.resources.__fhir_version__}; the registry export needs R4 "
                      "(fhir.resources 6.1)")


class InvalidResource(RuntimeError):
    """A resource the console built is not valid FHIR R4: a fault in the console, never in
    the record, so the export stops and nothing is written."""


class Validator:
    def __init__(self) -> None:
        self._by_key: dict[Hashable, Json] = {}
        self._models: dict[int, FHIRAbstractModel] = {}

    def shared(self, key: Hashable, kind: str, build: Callable[[], Json]) -> Json:
        """The part ``key`` names (built and validated as FHIR type ``kind`` the first
        time), to be used as is by many resources."""
        part = self._by_key.get(key)
        if part is None:
            part = self._by_key[key] = build()
            self._models[id(part)] = _parse(kind, part, str(key))
        return part

    def check(self, resource: Json) -> None:
        """InvalidResource unless ``resource`` is a valid R4 resource of its type."""
        kind = resource["resourceType"]
        models = self._models  # inlined: this runs for every element of every resource
        _parse(kind, {name: [models.get(id(item), item) for item in value]
                      if type(value) is list else models.get(id(value), value)
                      for name, value in resource.items()}, f"{kind}/{resource.get('id')}")


def _parse(kind: str, data: Json, what: str) -> FHIRAbstractModel:
    try:
        return get_fhir_model_class(kind).parse_obj(data)
    except (ValidationError, KeyError, TypeError) as exc:
        raise InvalidResource(f"the registry export built an invalid FHIR {what}: "
                              f"{str(exc).splitlines()[0]} ({_first_error(exc)})") from exc


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        return f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
    return repr(exc)
