"""Profile rules read from HL7's InstanceValidator (issue 21, s-fvprof): each synthetic profile and resource
breaks one rule the Java validator reports as an error, and the valid neighbour stays valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.layered import load_definitions
from conformance.fhirval.validate import validate_resource

BASE = "https://conformance.example/fhir/StructureDefinition/"
DAR = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}
BIRTH_TIME = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                             "valueDateTime": "2000-01-01T10:00:00Z"}]}
ALTERNATIVES = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.valueAlternatives"


def profile(name: str, rtype: str, elements: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": BASE + name, "name": name, "status": "active",
            "fhirVersion": "4.0.1", "kind": "resource", "abstract": False, "type": rtype,
            "derivation": "constraint", "baseDefinition": f"http://hl7.org/fhir/StructureDefinition/{rtype}",
            "differential": {"element": elements}, **extra}


def errors(tmp_path: Path, resource: dict[str, Any], definitions: list[dict[str, Any]],
           asked: str | None = None) -> list[tuple[str, str]]:
    for i, definition in enumerate(definitions):
        (tmp_path / f"def{i}.json").write_text(json.dumps(definition))
    wanted = () if asked == "" else (asked or definitions[0]["url"],)
    return [(i.defect, i.location) for i in validate_resource(resource, load_definitions([tmp_path]), wanted)
            if i.is_error]


def test_fixed_primitive_allows_no_extension(tmp_path: Path) -> None:
    """checkFixedValue: EXTENSION_EXT_FIXED_BANNED; a pattern allows them, and no value is not judged there."""
    fixed = profile("fixed-active", "Patient", [{"id": "Patient.active", "path": "Patient.active",
                                                 "fixedBoolean": True}])
    assert errors(tmp_path, {"resourceType": "Patient", "active": True, "_active": DAR}, [fixed]) == [
        ("fixed-value", "Patient.active")]
    assert errors(tmp_path, {"resourceType": "Patient", "active": True}, [fixed]) == []
    assert errors(tmp_path, {"resourceType": "Patient", "_active": DAR}, [fixed]) == []


def test_pattern_primitive_allows_extensions(tmp_path: Path) -> None:
    pattern = profile("pattern-active", "Patient", [{"id": "Patient.active", "path": "Patient.active",
                                                     "patternBoolean": True}])
    assert errors(tmp_path, {"resourceType": "Patient", "active": True, "_active": DAR}, [pattern]) == []


def test_fixed_repeating_primitive_with_extension(tmp_path: Path) -> None:
    fixed = profile("fixed-given", "Patient", [{"id": "Patient.name.given", "path": "Patient.name.given",
                                                "fixedString": "A"}])
    res = {"resourceType": "Patient", "name": [{"given": ["A", "A"], "_given": [None, DAR]}]}
    assert errors(tmp_path, res, [fixed]) == [("fixed-value", "Patient.name[0].given[1]")]


def test_value_alternatives(tmp_path: Path) -> None:
    """checkPrimitive: PRIMITIVE_VALUE_ALTERNATIVES_MESSAGE, through R5's cross-version extension."""
    alt = profile("alternatives", "Patient", [{
        "id": "Patient.birthDate", "path": "Patient.birthDate",
        "extension": [{"url": ALTERNATIVES, "valueCanonical": DAR["extension"][0]["url"]}]}])
    assert errors(tmp_path, {"resourceType": "Patient", "_birthDate": DAR}, [alt]) == []
    assert errors(tmp_path, {"resourceType": "Patient", "_birthDate": BIRTH_TIME}, [alt]) == [
        ("value-present", "Patient.birthDate")]
    assert errors(tmp_path, {"resourceType": "Patient", "birthDate": "2000-01-01", "_birthDate": BIRTH_TIME},
                  [alt]) == []


def _gendered() -> dict[str, Any]:
    return profile("gendered", "Patient", [{"id": "Patient.gender", "path": "Patient.gender", "min": 1}])


def _subject(name: str, *targets: str) -> dict[str, Any]:
    return profile(name, "Observation", [{"id": "Observation.subject", "path": "Observation.subject",
                                          "type": [{"code": "Reference", "targetProfile": list(targets)}]}])


def observation(**more: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, **more}


def test_contained_target_must_meet_target_profile(tmp_path: Path) -> None:
    """checkReference (CHECK_VALID for a contained target): REFERENCE_REF_CANTMATCHCHOICE."""
    defs = [_subject("subject-gendered", BASE + "gendered"), _gendered()]
    bad = observation(contained=[{"resourceType": "Patient", "id": "p"}], subject={"reference": "#p"})
    assert errors(tmp_path, bad, defs) == [("reference-target", "Observation.subject")]
    bad["contained"][0]["gender"] = "female"
    assert errors(tmp_path, bad, defs) == []


def test_target_profiles_that_are_all_core_are_not_tried(tmp_path: Path) -> None:
    """areAllBaseProfiles: a Group target judged by core Group only (its own errors are reported in place)."""
    defs = [_subject("subject-either", BASE + "gendered", "http://hl7.org/fhir/StructureDefinition/Group"),
            _gendered()]
    group = {"resourceType": "Group", "id": "g", "type": "person", "actual": True}
    assert errors(tmp_path, observation(contained=[group], subject={"reference": "#g"}), defs) == []
    patient = {"resourceType": "Patient", "id": "p"}
    assert errors(tmp_path, observation(contained=[patient], subject={"reference": "#p"}), defs) == [
        ("reference-target", "Observation.subject")]


def test_bundle_target_must_meet_target_profile(tmp_path: Path) -> None:
    defs = [_subject("subject-gendered", BASE + "gendered"), _gendered()]
    obs = observation(id="1", meta={"profile": [BASE + "subject-gendered"]}, subject={"reference": "Patient/2"})
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://x.org/fhir/Observation/1", "resource": obs},
        {"fullUrl": "http://x.org/fhir/Patient/2", "resource": {"resourceType": "Patient", "id": "2"}}]}
    assert errors(tmp_path, bundle, defs, "") == [("reference-target", "Bundle.entry[0].resource.subject")]
    bundle["entry"][1]["resource"]["gender"] = "male"
    assert errors(tmp_path, bundle, defs, "") == []


def test_unloaded_target_profile_of_a_resolved_reference_is_an_error(tmp_path: Path) -> None:
    """Was "leaves the target unjudged"; HL7's checkReference looks each target profile up for a contained or
    Bundle target and reports one it cannot find (REFERENCE_REF_CANTRESOLVEPROFILE), then the type none found
    allows (REFERENCE_REF_BADTARGETTYPE): fhir-test-cases res-inv-example-good's profile step expects both, each
    coded unknown-profile (the harness's lack: the suite does not fail the system on it). A reference that does
    not resolve here is still not judged (test_validate_profiles)."""
    defs = [_subject("subject-elsewhere", BASE + "not-loaded")]
    res = observation(contained=[{"resourceType": "Patient", "id": "p"}], subject={"reference": "#p"})
    assert errors(tmp_path, res, defs) == [("unknown-profile", "Observation.subject")] * 2


def test_core_definition_asked_for_is_the_base_walk() -> None:
    """Asking for the core definition of the type (--profile .../StructureDefinition/Observation) walked nothing
    at all: it was taken for a constraining profile that replaces the base walk, and then skipped as the base."""
    from conformance.fhirval.base import base_source
    res = observation(contained=[{"resourceType": "Patient", "id": "p", "gender": "bogus"}],
                      subject={"reference": "#p"})
    found = {(i.defect, i.location) for i in validate_resource(
        res, base_source(), ("http://hl7.org/fhir/StructureDefinition/Observation",)) if i.is_error}
    assert found == {("code-invalid", "Observation.contained[0].gender")}


CODES = {"resourceType": "CodeSystem", "url": "https://conformance.example/cs", "status": "active",
         "content": "complete", "concept": [{"code": c} for c in ("a", "b", "c")]}


def _value_set(name: str, *codes: str) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": f"https://conformance.example/vs/{name}", "status": "active",
            "compose": {"include": [{"system": CODES["url"], "concept": [{"code": c} for c in codes]}]}}


def _max_bound() -> dict[str, Any]:
    return profile("max-bound", "Observation", [{"id": "Observation.code", "path": "Observation.code", "binding": {
        "strength": "extensible", "valueSet": "https://conformance.example/vs/small",
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/elementdefinition-maxValueSet",
                       "valueCanonical": "https://conformance.example/vs/max"}]}}])


def test_extensible_binding_within_its_max_value_set(tmp_path: Path) -> None:
    """checkMaxValueSet (TERMINOLOGY_TX_NOVALID_8) and, with text alone, TERMINOLOGY_TX_CODE_VALUESETMAX."""
    defs = [_max_bound(), CODES, _value_set("small", "a"), _value_set("max", "a", "b")]

    def code(c: str) -> dict[str, Any]:
        return {"coding": [{"system": CODES["url"], "code": c}]}

    assert errors(tmp_path, {"resourceType": "Observation", "status": "final", "code": code("a")}, defs) == []
    assert errors(tmp_path, {"resourceType": "Observation", "status": "final", "code": code("b")}, defs) == []
    assert errors(tmp_path, {"resourceType": "Observation", "status": "final", "code": code("c")}, defs) == [
        ("code-invalid", "Observation.code")]
    assert errors(tmp_path, {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}, defs) == [
        ("code-invalid", "Observation.code")]


def test_max_value_set_not_held_is_not_judged(tmp_path: Path) -> None:
    defs = [_max_bound(), CODES, _value_set("small", "a")]
    res = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": CODES["url"],
                                                                                  "code": "c"}]}}
    assert errors(tmp_path, res, defs) == []


def test_quantity_bound_in_a_unit_that_measures_something_else(tmp_path: Path) -> None:
    """checkQuantity: TYPE_SPECIFIC_CHECKS_DT_QTY_MAX_MIN_NO_CONVERT when UCUM cannot convert the value's unit."""
    ucum = "http://unitsofmeasure.org"
    bounded = profile("weight-bound", "Observation", [{
        "id": "Observation.value[x]", "path": "Observation.value[x]", "type": [{"code": "Quantity"}],
        "maxValueQuantity": {"value": 1, "system": ucum, "code": "kg"}}])

    def obs(code: str, value: float = 500) -> dict[str, Any]:
        return observation(valueQuantity={"value": value, "system": ucum, "code": code})

    assert errors(tmp_path, obs("g"), [bounded]) == []
    assert errors(tmp_path, obs("g", 1500), [bounded]) == [("max-value", "Observation.value.ofType(Quantity)")]
    assert errors(tmp_path, obs("m"), [bounded]) == [("max-value", "Observation.value.ofType(Quantity)")]
    local = observation(valueQuantity={"value": 500, "system": "http://x.org/units", "code": "m"})
    assert errors(tmp_path, local, [bounded]) == []  # another system: a warning in HL7's, not a verdict


def _resliced() -> dict[str, Any]:
    loinc = "http://loinc.org"
    return profile("resliced", "Observation", [
        {"id": "Observation.code.coding", "path": "Observation.code.coding",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}},
        {"id": "Observation.code.coding:loinc", "path": "Observation.code.coding", "sliceName": "loinc", "min": 1,
         "max": "*", "slicing": {"discriminator": [{"type": "value", "path": "code"}], "rules": "closed"}},
        {"id": "Observation.code.coding:loinc.system", "path": "Observation.code.coding.system", "fixedUri": loinc},
        {"id": "Observation.code.coding:loinc/a", "path": "Observation.code.coding", "sliceName": "loinc/a",
         "min": 0, "max": "1"},
        {"id": "Observation.code.coding:loinc/a.code", "path": "Observation.code.coding.code", "fixedCode": "1-8"},
        {"id": "Observation.code.coding:loinc/b", "path": "Observation.code.coding", "sliceName": "loinc/b",
         "min": 1, "max": "1"},
        {"id": "Observation.code.coding:loinc/b.code", "path": "Observation.code.coding.code", "fixedCode": "2-6"}])


def test_reslicing_in_one_profile(tmp_path: Path) -> None:
    """A slice that is itself sliced: its values are held to its re-slices' min/max and its closed rule."""
    def obs(*codes: str) -> dict[str, Any]:
        codings = [{"system": "http://loinc.org", "code": c} for c in codes]
        other = {"system": "https://codes.example", "code": "other"}
        return {"resourceType": "Observation", "status": "final", "code": {"coding": [*codings, other]}}

    defs = [_resliced()]
    assert errors(tmp_path, obs("2-6"), defs) == []
    assert errors(tmp_path, obs("1-8", "2-6"), defs) == []
    assert errors(tmp_path, obs("1-8"), defs) == [("slice-min", "Observation.code")]
    assert errors(tmp_path, obs("2-6", "2-6"), defs) == [("slice-max", "Observation.code.coding")]
    assert errors(tmp_path, obs("2-6", "3-4"), defs) == [("slice-unmatched", "Observation.code.coding[1]")]


def test_profile_discriminator_matches_a_value_with_warnings(tmp_path: Path) -> None:
    """A value matches a profile slice when it has no errors against the profile (HL7: hasErrors); with room for
    one issue, a display warning followed by a binding warning made a too-many-issues error: two false alarms."""
    ext_url = BASE + "coded-ext"
    ext = {"resourceType": "StructureDefinition", "url": ext_url, "name": "CodedExt", "status": "active",
           "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": False, "type": "Extension",
           "derivation": "constraint", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
           "context": [{"type": "element", "expression": "Observation"}], "differential": {"element": [
               {"id": "Extension.url", "path": "Extension.url", "fixedUri": ext_url},
               {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "CodeableConcept"}],
                "binding": {"strength": "extensible",
                            "valueSet": "http://hl7.org/fhir/ValueSet/observation-category"}}]}}
    sliced = profile("by-profile", "Observation", [
        {"id": "Observation.extension", "path": "Observation.extension",
         "slicing": {"discriminator": [{"type": "profile", "path": "$this"}], "rules": "closed"}},
        {"id": "Observation.extension:e", "path": "Observation.extension", "sliceName": "e", "min": 1, "max": "1",
         "type": [{"code": "Extension", "profile": [ext_url]}]}])
    coding = {"system": "http://hl7.org/fhir/administrative-gender", "code": "male", "display": "Wrong"}
    res = observation(extension=[{"url": ext_url, "valueCodeableConcept": {"coding": [coding]}}])
    assert errors(tmp_path, res, [sliced, ext]) == []


def test_max_decimal_places_on_a_profile_element(tmp_path: Path) -> None:
    """checkPrimitive / checkQuantity: TYPE_SPECIFIC_CHECKS_DT_DECIMAL_CHARS, for decimals and Quantity values."""
    places = {"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 1}
    as_quantity = profile("one-place-quantity", "Observation", [{
        "id": "Observation.value[x]", "path": "Observation.value[x]", "type": [{"code": "Quantity"}],
        "extension": [places]}])
    # a decimal element (Observation.value[x] has no decimal: HL7's generator refuses such a profile, no snapshot)
    as_decimal = profile("one-place-decimal", "RiskAssessment", [{
        "id": "RiskAssessment.prediction.probability[x]", "path": "RiskAssessment.prediction.probability[x]",
        "type": [{"code": "decimal"}], "extension": [places]}])
    assert errors(tmp_path, observation(valueQuantity={"value": 1.2}), [as_quantity]) == []
    assert errors(tmp_path, observation(valueQuantity={"value": 1.25}), [as_quantity]) == [
        ("max-value", "Observation.value.ofType(Quantity)")]
    def risk(probability: float) -> dict[str, Any]:
        return {"resourceType": "RiskAssessment", "status": "final", "subject": {"display": "x"},
                "prediction": [{"probabilityDecimal": probability}]}
    assert errors(tmp_path, risk(7), [as_decimal], as_decimal["url"]) == []
    assert errors(tmp_path, risk(1.25), [as_decimal], as_decimal["url"]) == [
        ("max-value", "RiskAssessment.prediction[0].probability.ofType(decimal)")]


def test_bundle_entry_slice_by_a_core_profile_is_judged_where_it_stands(tmp_path: Path) -> None:
    """A Bundle.entry slice whose resource must be core Procedure: the trial walks the resource (it walked nothing
    while the core definition asked for was skipped) from its own entry, so its relative reference resolves
    against that entry's fullUrl instead of being "in an entry without fullUrl" (fhir-test-cases bundle-slice-good)."""
    sliced = profile("entries", "Bundle", [
        {"id": "Bundle.entry", "path": "Bundle.entry",
         "slicing": {"discriminator": [{"type": "profile", "path": "resource"}], "rules": "closed"}},
        {"id": "Bundle.entry:proc", "path": "Bundle.entry", "sliceName": "proc", "min": 1, "max": "1"},
        {"id": "Bundle.entry:proc.resource", "path": "Bundle.entry.resource", "min": 1, "type": [
            {"code": "Resource", "profile": ["http://hl7.org/fhir/StructureDefinition/Procedure"]}]},
        {"id": "Bundle.entry:pat", "path": "Bundle.entry", "sliceName": "pat", "min": 1, "max": "1"},
        {"id": "Bundle.entry:pat.resource", "path": "Bundle.entry.resource", "min": 1, "type": [
            {"code": "Resource", "profile": ["http://hl7.org/fhir/StructureDefinition/Patient"]}]}])
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://x.org/fhir/Patient/p1", "resource": {"resourceType": "Patient", "id": "p1"}},
        {"fullUrl": "http://x.org/fhir/Procedure/1", "resource": {
            "resourceType": "Procedure", "id": "1", "status": "completed", "subject": {"reference": "Patient/p1"}}}]}
    assert errors(tmp_path, bundle, [sliced]) == []
    bundle["entry"][1]["resource"]["status"] = "nonsense"
    assert ("slice-min", "Bundle") in errors(tmp_path, bundle, [sliced])
