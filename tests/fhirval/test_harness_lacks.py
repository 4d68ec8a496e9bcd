"""Where the validator softens because something is not held, the softening follows what HL7's validator has: an
error of HL7's that needs a resource it resolved is not raised without it, and a lack that is not there (a list
held here) is not treated as one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.bindings import check_binding
from conformance.fhirval.context import Model
from conformance.fhirval.elements import Walker
from conformance.fhirval.issues import Sink
from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.slicing import _in_binding
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.validate import validate_resource
from tests.fhirval.missing_dependency import guide_folder, loaded

CS = "https://conformance.example/cs/fruit"
HELD = "https://conformance.example/vs/fruit"
UNHELD = "https://conformance.example/vs/unheld"

FRUIT: dict[str, Any] = {"resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
                         "concept": [{"code": "apple"}, {"code": "pear"}]}
FRUIT_VS: dict[str, Any] = {"resourceType": "ValueSet", "url": HELD, "status": "active",
                            "compose": {"include": [{"system": CS}]}}


def judged(binding: dict[str, Any], item: object) -> list[tuple[str, str]]:
    sink = Sink()
    check_binding(Terminology(MemorySource([FRUIT, FRUIT_VS]), find_package=False), binding, "CodeableConcept",
                  item, "X.code", sink)
    return [(i.severity, i.defect) for i in sink.issues]


def test_a_concept_without_codings_is_judged_only_against_a_value_set_that_resolves() -> None:
    """InstanceValidator.validateBindingCodeableConcept: TERMINOLOGY_TX_CODE_VALUESET (required) and
    TERMINOLOGY_TX_CODE_VALUESETMAX (extensible with a maximum value set) are in the branch where the binding's
    value set resolved; one that does not resolve gets TERMINOLOGY_TX_VALUESET_NOTFOUND, a warning, and nothing
    more."""
    text_only = {"text": "an apple"}
    assert judged({"strength": "required", "valueSet": HELD}, text_only) == [("error", "code-invalid")]
    assert judged({"strength": "required", "valueSet": UNHELD}, text_only) == [("information", "value-set-unknown")]
    maximum = {"url": "http://hl7.org/fhir/StructureDefinition/elementdefinition-maxValueSet", "valueCanonical": HELD}
    assert judged({"strength": "extensible", "valueSet": HELD, "extension": [maximum]}, text_only) == [
        ("error", "code-invalid")]
    assert judged({"strength": "extensible", "valueSet": UNHELD, "extension": [maximum]}, text_only) == [
        ("information", "value-set-unknown")]


def test_an_implicit_value_set_resolves_for_hl7() -> None:
    """BaseValidator.resolveBindingReference falls back to ImplicitValueSets.generateImplicitValueSet: LOINC's answer
    lists resolve without being held, so a required one with no coding is TERMINOLOGY_TX_CODE_VALUESET."""
    assert judged({"strength": "required", "valueSet": "http://loinc.org/vs/LL1-9"}, {"text": "x"}) == [
        ("error", "code-invalid")]


def test_a_concept_without_codings_stays_out_of_a_slice_bound_to_a_value_set_not_held() -> None:
    """A binding discriminator is ``memberOf`` (FHIRPathEngine.opMemberOf): false for a concept without codings,
    whether the value set resolves or not, so the value fills no slice (as before the binding change above)."""
    w = Walker(Model(base_source()), Sink())
    assert _in_binding(w, {"strength": "required", "valueSet": UNHELD}, "CodeableConcept", {"text": "x"}) is False


V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"


@pytest.mark.parametrize(("code", "known"), [("NNFIN", True), ("NN246", True), ("NNUK", None), ("NN1234", False),
                                             ("NNFI-1", False)])
def test_a_national_identifier_is_judged_by_the_country_list_held_here(code: str, known: bool | None) -> None:
    """ValueSetValidator.findSpecialConcept -> findCountryCode: v2-0203's NN + a code of urn:iso:std:iso:3166 (asked
    of the server) is a concept; the ISO 3166 list held here (terminology_grammars) answers for it: a listed country
    is one, what has no country code's form is none (an unknown code of v2-0203), another of the form is not judged
    (a withdrawn or newer code the server may hold)."""
    assert Terminology(base_source(), find_package=False).code_in_system(V2_0203, code) is known


@pytest.mark.parametrize(("url", "severity"), [("http://q.test/Questionnaire/none", "warning"),
                                               ("http://example.org/Questionnaire/none", "information"),
                                               ("#none", "warning")])
def test_a_response_to_a_questionnaire_not_found_is_hl7s_warning(url: str, severity: str) -> None:
    """QuestionnaireValidator.validateQuestionannaireResponse: QUESTIONNAIRE_QR_Q_NOTFOUND, a warning in HL7's default
    QuestionnaireMode.CHECK (a hint for example.org): the Questionnaire is lacking for HL7 too; it was said nothing."""
    qr = {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": url}
    assert [(i.severity, i.location) for i in validate_resource(qr, base_source()) if i.defect == "questionnaire"] == [
        (severity, "QuestionnaireResponse")]


GENDER_IDENTITY = "http://hl7.org/fhir/StructureDefinition/individual-genderIdentity"  # extensions package, not R4


def _profiled(tmp_path: Path, ext_package: Path | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A profile slicing Patient.extension by a type profile of HL7's extensions package; the issues of a Patient
    claiming it (unknown-profile and extension-unknown only), and of a Reference to a Patient of that profile."""
    profile = {
        "resourceType": "StructureDefinition", "url": "http://p.test/StructureDefinition/p", "name": "P",
        "status": "active", "kind": "resource", "abstract": False, "type": "Patient", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "differential": {"element": [
            {"id": "Patient.extension", "path": "Patient.extension",
             "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
            {"id": "Patient.extension:gi", "path": "Patient.extension", "sliceName": "gi", "min": 0, "max": "1",
             "type": [{"code": "Extension", "profile": [GENDER_IDENTITY]}]}]}}
    (tmp_path / "p.json").write_text(json.dumps(profile))
    source = load_definitions([tmp_path / "p.json"], defaults=[ext_package] if ext_package else None)
    patient = {"resourceType": "Patient", "meta": {"profile": ["http://p.test/StructureDefinition/p"]},
               "extension": [{"url": GENDER_IDENTITY, "valueCodeableConcept": {"text": "x"}}]}
    shown = [(i.severity, i.defect) for i in validate_resource(patient, source)
             if i.defect in ("unknown-profile", "extension-unknown")]
    asked = [(i.severity, i.defect) for i in validate_resource({"resourceType": "Patient"}, source,
                                                               profiles=["http://hl7.org/fhir/StructureDefinition/x"])
             if i.defect == "unknown-profile"]
    return shown, asked


def test_a_type_profile_of_the_core_namespace_is_the_harness_lack_without_hl7s_extensions_package(
        tmp_path: Path) -> None:
    """HL7's runner and CLI always load hl7.fhir.uv.extensions (ValidationEngine.loadExt): a type profile of HL7's
    core namespace that R4 lacks is VALIDATION_VAL_UNKNOWN_PROFILE (InstanceValidator.checkChild) only where the
    package is loaded and does not define it either; without it, the harness cannot tell (information), as
    extensions.definition already says of the extension itself (a warning naming the package)."""
    assert _profiled(tmp_path, None) == ([("warning", "extension-unknown"), ("information", "unknown-profile")],
                                         [("information", "unknown-profile")])
    empty = tmp_path / "ext" / "package"  # the package loaded, without the definition: unknown to HL7 as well
    empty.mkdir(parents=True)
    (empty / "package.json").write_text(json.dumps({"name": "hl7.fhir.uv.extensions.r4", "version": "5.3.0"}))
    assert _profiled(tmp_path, empty.parent) == ([("error", "extension-unknown"), ("error", "unknown-profile")],
                                                 [("error", "unknown-profile")])


def test_a_profile_discriminator_naming_a_profile_of_a_dependency_not_loaded_is_not_judged(tmp_path: Path) -> None:
    """sliceMatches' ``conformsTo('p')``: HL7, holding the dependency, can tell whether the value is in the slice; the
    harness cannot (Model.missing_dependency), so the value is uncertain and the slice's minimum not judged."""
    folder = guide_folder(tmp_path)
    url = "http://ig.test/StructureDefinition/ids"
    (folder / "StructureDefinition-ids.json").write_text(json.dumps({
        "resourceType": "StructureDefinition", "url": url, "name": "Ids", "status": "draft", "kind": "resource",
        "abstract": False, "type": "Patient", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "differential": {"element": [
            {"id": "Patient.identifier", "path": "Patient.identifier",
             "slicing": {"discriminator": [{"type": "profile", "path": "$this"}], "rules": "open"}},
            {"id": "Patient.identifier:main", "path": "Patient.identifier", "sliceName": "main", "min": 1,
             "type": [{"code": "Identifier", "profile": ["http://dep.test/StructureDefinition/id"]}]}]}}))
    source = loaded(tmp_path)
    patient = {"resourceType": "Patient", "identifier": [{"system": "http://example.org/ids/two", "value": "1"}]}
    assert [(i.severity, i.defect) for i in validate_resource(patient, source, profiles=[url])
            if i.defect.startswith(("slice", "structure-slicing"))] == [("information", "slice-min")]


@pytest.mark.parametrize(("compose", "code", "found"), [
    ({"include": [{"system": V2_0203}]}, "NNFIN", []),
    ({"include": [{"system": V2_0203}]}, "NN1234", [("error", "code-invalid")]),
    ({"include": [{"system": V2_0203, "concept": [{"code": "DL"}]}]}, "NNFIN", [("error", "code-invalid")]),
])
def test_a_national_identifier_is_in_a_value_set_that_includes_v2_0203_whole(
        compose: dict[str, Any], code: str, found: list[tuple[str, str]]) -> None:
    """ValueSetValidator.inComponent validates a code of a whole-system include in the system, findSpecialConcept
    included: NNFIN is in a value set of all v2-0203 (THO's v2-0203); a listed include has only its concepts."""
    vs = {"resourceType": "ValueSet", "url": "urn:vs:ids", "status": "active", "compose": compose}
    sink = Sink()
    term = Terminology(LayeredSource([base_source(), MemorySource([vs])]), find_package=False)
    check_binding(term, {"strength": "required", "valueSet": "urn:vs:ids"}, "CodeableConcept",
                  {"coding": [{"system": V2_0203, "code": code}]}, "X", sink)
    assert [(i.severity, i.defect) for i in sink.issues] == found


def test_a_questionnaire_derived_from_one_not_found_is_hl7s_warning() -> None:
    """QuestionnaireValidator.checkDerivations: QUESTIONNAIRE_Q_UNKNOWN_DERIVATION, a warning at the derivedFrom; the
    source is lacking for HL7 too. It was said nothing."""
    q = {"resourceType": "Questionnaire", "status": "active", "derivedFrom": ["http://q.test/Questionnaire/none"]}
    assert [(i.severity, i.location) for i in validate_resource(q, base_source()) if i.defect == "questionnaire"] == [
        ("warning", "Questionnaire.derivedFrom[0]")]
