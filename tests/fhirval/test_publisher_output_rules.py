"""Rules calibrated on guides' committed IG publisher output (qa.txt: HL7's own verdict per file, s-fvqa2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import errors
from tests.fhirval.test_ig_false_alarms import guide_with_missing_dependency


def _condition(*codings: dict[str, str]) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "c", "clinicalStatus": {"coding": list(codings)},
            "code": {"text": "x"}, "subject": {"reference": "Patient/p"}}


def test_a_coding_without_system_is_not_in_a_required_value_set() -> None:
    # HL7's ValueSetValidator.validateCode(CodeableConcept): CODING_HAS_NO_SYSTEM, then codeInValueSet with a null
    # system matches no include, so "None of the codings provided are in the value set ... (codes = null#active)"
    assert errors(_condition({"code": "active"})) == [("code-invalid", "Condition.clinicalStatus")]
    # another coding that is in the value set satisfies the binding
    system = "http://terminology.hl7.org/CodeSystem/condition-clinical"
    assert errors(_condition({"code": "active"}, {"system": system, "code": "active"})) == []


def _guide_with_uncharted_dependency(tmp_path: Path) -> Any:
    """A guide whose missing dependency's dependsOn.uri is a registry page: its canonical base is unknown."""
    from conformance.fhirval.layered import load_definitions

    guide_with_missing_dependency(tmp_path, "https://registry.example/packages/x.dep",
                                  url="http://x.org/ig/ImplementationGuide/x.ig")
    return load_definitions([tmp_path / "x.ig"], cache=None)


def test_what_a_dependency_of_unknown_canonical_may_define_is_not_judged(tmp_path: Path, monkeypatch: Any) -> None:
    # SanteonNL shared-care-planning depends on nictiz nl-core by a simplifier.net page: HL7's publisher, holding
    # the package, resolves http://nictiz.nl/fhir/... extensions; without it they cannot be told unknown
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "no-cache"))
    source = _guide_with_uncharted_dependency(tmp_path)
    ext = {"url": "http://dep.example/fhir/StructureDefinition/e", "valueString": "a"}
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p", "extension": [ext]}
    assert errors(patient, source) == []
    # under the guide's own base, or HL7's, an unknown extension is still an error
    for url in ("http://x.org/ig/StructureDefinition/e", "http://hl7.org/fhir/us/core/StructureDefinition/e"):
        patient["extension"][0]["url"] = url
        assert errors(patient, source) == [("extension-unknown", "Patient.extension[0]")]
