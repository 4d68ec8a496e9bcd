"""Cross-version extensions generated from another version's core package (xver.py), as HL7's validator does
(XVerExtensionManagerOld with the build tool's xver-paths table): a tiny synthetic "R5" package stands in for
hl7.fhir.r5.core."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.layered import load_definitions, with_cross_version
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.validate import validate_bytes
from conformance.fhirval.xver_tables import type_summary
from tests.fhirval.test_definitions_packages import make_tgz

X = "http://hl7.org/fhir/5.0/StructureDefinition/extension-"
R5_OBSERVATION = {
    "resourceType": "StructureDefinition", "url": "http://hl7.org/fhir/StructureDefinition/Observation",
    "name": "Observation", "type": "Observation", "kind": "resource", "abstract": False,
    "derivation": "specialization", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/DomainResource",
    "differential": {"element": [
        {"id": "Observation", "path": "Observation"},
        {"id": "Observation.triggeredBy", "path": "Observation.triggeredBy", "type": [{"code": "BackboneElement"}]},
        {"id": "Observation.triggeredBy.observation", "path": "Observation.triggeredBy.observation",
         "type": [{"code": "Reference", "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Observation"]}]},
        {"id": "Observation.triggeredBy.type", "path": "Observation.triggeredBy.type", "type": [{"code": "code"}]},
        {"id": "Observation.status", "path": "Observation.status", "type": [{"code": "code"}], "isModifier": True},
        {"id": "Observation.value[x]", "path": "Observation.value[x]",
         "type": [{"code": "Quantity"}, {"code": "Attachment"}, {"code": "integer64"}]},
        {"id": "Observation.component", "path": "Observation.component", "type": [{"code": "BackboneElement"}]},
        {"id": "Observation.component.code", "path": "Observation.component.code",
         "type": [{"code": "CodeableConcept"}]},
    ]},
}


@pytest.fixture(scope="module")
def r5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("r5")
    return make_tgz(root / "hl7.fhir.r5.core-5.0.0.tgz", {
        "package/package.json": {"name": "hl7.fhir.r5.core", "version": "5.0.0"},
        "package/StructureDefinition-Observation.json": R5_OBSERVATION,
    })


def observation(*extensions: dict[str, Any], modifier: bool = False) -> bytes:
    key = "modifierExtension" if modifier else "extension"
    return json.dumps({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                       key: list(extensions)}).encode()


def issues(r5: Path | None, data: bytes, *more: Path) -> list[tuple[str, str, str]]:
    specs = [p for p in (r5, *more) if p is not None]
    source = load_definitions(specs, cache=PackageCache(Path("/nonexistent-cache")))
    return [(i.severity, i.defect, i.location) for i in validate_bytes(data, source, [])
            if i.defect.startswith(("extension", "choice", "cardinality", "reference", "unknown"))]


def errors(r5: Path | None, data: bytes, *more: Path) -> list[tuple[str, str, str]]:
    return [i for i in issues(r5, data, *more) if i[0] in ("error", "fatal")]


def test_type_summary_as_the_build_tool_writes_it() -> None:
    assert type_summary({"code": "Reference", "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Patient",
                                                                "http://hl7.org/fhir/StructureDefinition/Group"]}) \
        == "Reference(Patient,Group)"
    assert type_summary({"code": "string"}) == "string"


def test_a_new_type_of_an_r4_element_is_its_value(r5: Path) -> None:
    ok = {"url": X + "Observation.value", "valueAttachment": {"contentType": "text/plain"}}
    assert errors(r5, observation(ok)) == []


def test_a_type_r4_already_allows_there_is_not_the_extensions(r5: Path) -> None:
    """Only what R4 lacks is listed (XVerPathsGenerator.process): a Quantity belongs in Observation.value."""
    bad = {"url": X + "Observation.value", "valueQuantity": {"value": 1}}
    assert errors(r5, observation(bad)) != []
    assert errors(None, observation(bad)) == []  # without the R5 core package: not checked, as before


def test_an_unknown_path_is_an_error(r5: Path) -> None:
    unknown = {"url": X + "Observation.nothing", "valueString": "x"}
    assert [e[1] for e in errors(r5, observation(unknown))] == ["extension-unknown"]
    assert errors(None, observation(unknown)) == []


def test_an_element_r4_has_takes_any_value_and_keeps_its_modifier_flag(r5: Path) -> None:
    """Observation.status is ``!code`` in the table: no type left, so any value; a modifier row is a modifier."""
    status = {"url": X + "Observation.status", "valueString": "final"}
    assert errors(r5, observation(status, modifier=True)) == []
    assert [e[1] for e in errors(r5, observation(status))] == ["extension-modifier"]


def test_a_new_backbone_is_a_complex_extension(r5: Path) -> None:
    good = {"url": X + "Observation.triggeredBy", "extension": [
        {"url": "observation", "valueReference": {"reference": "Observation/a"}}, {"url": "type", "valueCode": "re"}]}
    assert errors(r5, observation(good)) == []
    stray = {"url": X + "Observation.triggeredBy", "extension": [{"url": "reason", "valueString": "x"}]}
    assert errors(r5, observation(stray)) != []
    wrong_target = {"url": X + "Observation.triggeredBy", "extension": [
        # a declared type (REFERENCE_REF_WRONGTARGET): a type only implied by an unresolved reference is a warning
        {"url": "observation", "valueReference": {"reference": "Patient/a", "type": "Patient"}}]}
    assert errors(r5, observation(wrong_target)) != []
    valued = {"url": X + "Observation.triggeredBy", "valueString": "x"}
    assert errors(r5, observation(valued)) != []


def test_hl7s_own_tables_are_used_as_they_are(r5: Path, tmp_path: Path) -> None:
    """hl7.fhir.xver-extensions: every version it has a table for; a row with nothing is NoChange; asked before a
    computed table of its version."""
    tables = make_tgz(tmp_path / "hl7.fhir.xver-extensions-0.1.0.tgz", {
        "package/package.json": {"name": "hl7.fhir.xver-extensions", "version": "0.1.0"},
        "package/other/xver-paths-1.0.json": {"doco": "x", "Patient.animal": {"modifier": True, "elements": [
            "species", "!breed"]}, "Patient.animal.species": {"types": ["CodeableConcept"]}, "Patient.gender": {}},
        "package/other/xver-paths-5.0.json": {"Observation.value[x]": {"types": ["!Quantity", "Attachment"]}},
    })
    v1 = "http://hl7.org/fhir/1.0/StructureDefinition/extension-"
    animal = {"url": v1 + "Patient.animal", "extension": [{"url": "species", "valueCodeableConcept": {"text": "d"}}]}
    patient = json.dumps({"resourceType": "Patient", "modifierExtension": [animal]}).encode()
    assert errors(None, patient, tables) == []
    wrong = json.dumps({"resourceType": "Patient", "extension": [animal]}).encode()
    assert [e[1] for e in errors(None, wrong, tables)] == ["extension-modifier"]
    gender = json.dumps({"resourceType": "Patient", "extension": [{"url": v1 + "Patient.gender",
                                                                   "valueCode": "male"}]}).encode()
    assert [e[1] for e in errors(None, gender, tables)] == ["extension-unknown"]
    r4b = json.dumps({"resourceType": "Patient", "extension": [{
        "url": "http://hl7.org/fhir/4.3/StructureDefinition/extension-Patient.gender", "valueCode": "male"}]}).encode()
    assert [e[1] for e in errors(None, r4b, tables)] == ["extension-unknown"]  # no 4.3 table: Version_Invalid
    assert errors(r5, r4b) == []  # without HL7's tables: not checked
    status = {"url": X + "Observation.status", "valueCode": "final"}  # the computed table has it; HL7's does not
    assert [e[1] for e in errors(r5, observation(status, modifier=True), tables)] == ["extension-unknown"]


def test_context_is_the_parent_and_elsewhere_only_a_warning(r5: Path) -> None:
    ext = {"url": X + "Observation.value", "valueAttachment": {"contentType": "text/plain"}}
    patient = json.dumps({"resourceType": "Patient", "extension": [ext]}).encode()
    found = issues(r5, patient)
    assert ("warning", "extension-context", "Patient.extension[0]") in found
    assert errors(r5, patient) == []


def test_not_a_modifier(r5: Path) -> None:
    """An element that is not a modifier gives an extension that is not one."""
    ext = {"url": X + "Observation.value", "valueAttachment": {"contentType": "text/plain"}}
    assert [e[1] for e in errors(r5, observation(ext, modifier=True))] == ["extension-modifier"]


def test_a_packages_own_definition_wins(r5: Path, tmp_path: Path) -> None:
    url = X + "Observation.status"
    own = make_tgz(tmp_path / "own.tgz", {
        "package/package.json": {"name": "own", "version": "1.0.0"},
        "package/StructureDefinition-x.json": {
            "resourceType": "StructureDefinition", "url": url, "name": "X", "type": "Extension",
            "kind": "complex-type", "abstract": False, "derivation": "constraint",
            "context": [{"type": "element", "expression": "Observation"}],
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "differential": {"element": [{"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                                         {"id": "Extension.value[x]", "path": "Extension.value[x]",
                                          "type": [{"code": "code"}]}]}}})
    assert errors(r5, observation({"url": url, "valueCode": "final"}), own) == []


def test_types_r4_lacks_are_left_out(r5: Path) -> None:
    source = load_definitions([r5], cache=PackageCache(Path("/nonexistent-cache")))
    sd = source.structure(X + "Observation.value")
    assert sd is not None
    value = next(e for e in sd["snapshot"]["element"] if e["path"] == "Extension.value[x]")
    assert [t["code"] for t in value["type"]] == ["Attachment"]


def test_with_cross_version_puts_generators_beneath(r5: Path) -> None:
    from conformance.fhirval.base import base_source
    from conformance.fhirval.layered import LayeredSource

    generators = load_definitions([r5], cache=PackageCache(Path("/nonexistent-cache"))).layers[:1]
    base = base_source()
    source = with_cross_version(base, generators)
    assert source.structure(X + "Observation.value") is not None
    assert isinstance(source, LayeredSource) and source.layers == [*generators, base]  # searched last
    assert with_cross_version(base, []) is base


def test_the_cli_takes_the_core_package_with_package(r5: Path, tmp_path: Path) -> None:
    from tests.fhirval.test_cli import invoke

    path = tmp_path / "obs.json"
    path.write_bytes(observation({"url": X + "Observation.value", "valueString": "x"}))
    assert invoke("--package", str(r5), str(path))[0] == 1
    assert invoke(str(path))[0] == 0  # without it: not checked, as before
