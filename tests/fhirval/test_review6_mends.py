"""Mends the sixth review of the issue-21 validator work confirmed: implicit value sets taken for CodeSystems,
crashes on hostile concept property codes, a choice's profiles, a BOM before the XML declaration, duplicate
keys and slicing counts, XML order locations. Each test fails without its mend."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.bindings import check_binding
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology

SCT = "http://snomed.info/sct"


# ---- 1. an implicit value set (SNOMED CT, LOINC, UCUM, MIME types) is never a CodeSystem named by mistake -----

def _judge(url: str, strength: str, resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    sink = Sink()
    term = Terminology(MemorySource(resources), find_package=False)
    binding: dict[str, Any] = {"strength": strength, "valueSet": url}
    check_binding(term, binding, "CodeableConcept", {"coding": [{"system": SCT, "code": "22298006"}]}, "X.code", sink)
    return [(i.severity, i.defect) for i in sink.issues]


def test_a_binding_to_snomed_ct_is_an_implicit_value_set_not_a_code_system() -> None:
    sct = {"resourceType": "CodeSystem", "url": SCT, "status": "active", "content": "not-present"}
    for strength in ("example", "preferred", "required"):
        for url in (SCT, SCT + "?fhir_vs", SCT + "?fhir_vs=isa/404684003"):
            assert not [i for i in _judge(url, strength, [sct]) if i[0] == "error"], (url, strength)
    ucum = {"resourceType": "CodeSystem", "url": "http://unitsofmeasure.org/vs", "status": "active",
            "content": "not-present"}
    assert not [i for i in _judge("http://unitsofmeasure.org/vs", "required", [ucum]) if i[0] == "error"]


def test_a_binding_to_another_code_system_is_still_the_mistake_hl7_reports() -> None:
    cs = {"resourceType": "CodeSystem", "url": "https://conformance.example/cs", "status": "active",
          "content": "not-present"}
    assert ("error", "code-invalid") in _judge("https://conformance.example/cs", "example", [cs])
