"""Missed errors found on guides' committed IG publisher output, fifth batch (issue 21, s-fvqa5), each pinned with a
small synthetic resource that passed before its rule, next to one that must still pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

CORE = "http://hl7.org/fhir/StructureDefinition/"
ICD = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"


def _diagnoses(version: str | None) -> list[dict[str, Any]]:
    include: dict[str, Any] = {"system": ICD}
    if version is not None:
        include["version"] = version
    vs = {"resourceType": "ValueSet", "url": "http://example.org/vs/icd", "status": "active",
          "compose": {"include": [include]}}
    sd = {"resourceType": "StructureDefinition", "url": "http://example.org/sd/Dx", "name": "Dx", "status": "draft",
          "kind": "resource", "abstract": False, "type": "Condition", "derivation": "constraint",
          "baseDefinition": CORE + "Condition", "differential": {"element": [
              {"id": "Condition", "path": "Condition"},
              {"id": "Condition.code.coding", "path": "Condition.code.coding",
               "binding": {"strength": "required", "valueSet": "http://example.org/vs/icd"}}]}}
    return [vs, sd]


def _condition(version: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "c", "meta": {"profile": ["http://example.org/sd/Dx"]},
            "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": ICD, "version": version, "code": "C61"}]}}


def test_a_coding_version_other_than_the_value_sets_pinned_one_is_an_error(tmp_path: Path) -> None:
    # ProstateCancerSpec (publisher 2.2.7): ICD-10-GM 2026 codings under MII's value set pinning 2025, the CodeSystem
    # not held: VALUESET_VALUE_MISMATCH ("version '2025' in the ValueSet include is different to the one in the value")
    source = definitions(tmp_path, *_diagnoses("2025"))
    assert ("code-invalid", "Condition.code.coding[0]") in errors(_condition("2026"), source)
    assert errors(_condition("2025"), source) == []
    assert errors(_condition("2025-07"), source) == []  # more detailed than the pinned one (startsWith: not semver)
    (tmp_path / "u").mkdir()
    assert errors(_condition("2026"), definitions(tmp_path / "u", *_diagnoses(None))) == []  # nothing pinned
