"""An unresolvable local reference is two errors in HL7's validator: REFERENCE_REF_CANTRESOLVE and ref-1
(InstanceValidator.checkReference; tuning case hakan-se-nofetch)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource


def errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_resource(resource, base_source()) if i.is_error)


def observation(ref: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
            "contained": [{"resourceType": "Patient", "id": "p1"}], "subject": {"reference": ref}}


def test_local_reference_that_resolves() -> None:
    assert errors(observation("#p1")) == []


def test_local_reference_that_does_not_resolve_is_two_errors() -> None:
    assert errors(observation("#p2")) == [("contained-unreferenced", "Observation.contained[0]"),
                                          ("invariant", "Observation.subject"),
                                          ("reference-unresolved", "Observation.subject.reference")]
