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


def _guide_depending_on(tmp_path: Path, dependency: str, *given: Path) -> Any:
    """A guide x.ig (base http://x.org/ig) depending on ``dependency`` (id#version), which no dependsOn names and
    which is nowhere to load; ``given`` packages loaded beside it."""
    import json

    from conformance.fhirval.layered import load_definitions

    name, _, version = dependency.partition("#")
    folder = tmp_path / "x.ig" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps(
        {"name": "x.ig", "version": "1.0.0", "dependencies": {"hl7.fhir.r4.core": "4.0.1", name: version}}))
    (folder / "ImplementationGuide-x.ig.json").write_text(json.dumps(
        {"resourceType": "ImplementationGuide", "id": "x.ig", "url": "http://x.org/ig/ImplementationGuide/x.ig"}))
    return load_definitions([tmp_path / "x.ig", *given], cache=None)


def _foreign_extension() -> dict[str, Any]:
    ext = {"url": "http://example.com/StructureDefinition/pathologic-side", "valueString": "a"}
    return {"resourceType": "Patient", "id": "p", "extension": [ext]}


def test_a_missing_hl7_terminology_or_extensions_package_hides_no_foreign_url(tmp_path: Path,
                                                                              monkeypatch: Any) -> None:
    # The TraumaIG (publisher 1.8.15) uses http://example.com/StructureDefinition/pathologic-side, defined nowhere:
    # HL7's EXTENSION_EXT_UNKNOWN_NOTHERE. The guide depends on hl7.terminology.r4 6.5.0 (not loaded, no dependsOn
    # for it): THO's base is http://terminology.hl7.org, so it cannot be what defines an example.com URL
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "no-cache"))
    for dependency in ("hl7.terminology.r4#6.5.0", "hl7.fhir.uv.extensions.r4#5.2.0"):
        source = _guide_depending_on(tmp_path / dependency, dependency)
        assert source.loaded.uncharted == []
        assert errors(_foreign_extension(), source) == [("extension-unknown", "Patient.extension[0]")]


def test_a_missing_dependency_takes_its_base_from_another_version_given(tmp_path: Path, monkeypatch: Any) -> None:
    # a guide built on x.dep 1.0.0 while x.dep 2.0.0 is given: the dependency's base is 2.0.0's guide's, and what
    # lies outside it is judged; what lies under it stays unjudged (1.0.0 may define it)
    from tests.fhirval.test_definitions_packages import make_tgz

    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "no-cache"))
    other = make_tgz(tmp_path / "dep2.tgz", {
        "package/package.json": {"name": "x.dep", "version": "2.0.0", "dependencies": {}},
        "package/ImplementationGuide-x.dep.json": {"resourceType": "ImplementationGuide", "id": "x.dep",
                                                   "url": "http://dep.org/ig/ImplementationGuide/x.dep"}})
    source = _guide_depending_on(tmp_path, "x.dep#1.0.0", other)
    assert source.loaded.uncharted == [] and source.loaded.missing == {"http://dep.org/ig": "x.dep#1.0.0"}
    assert errors(_foreign_extension(), source) == [("extension-unknown", "Patient.extension[0]")]
    patient = _foreign_extension()
    patient["extension"][0]["url"] = "http://dep.org/ig/StructureDefinition/e"
    assert errors(patient, source) == []
