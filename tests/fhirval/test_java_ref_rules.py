"""Error rules of HL7's validator for references, Bundles, extensions and primitives that ours lacked (issue 21).

Each rule was read in HL7's validator source (hapifhir/org.hl7.fhir.core, ``InstanceValidator.java``,
``BaseValidator.java``); each test breaks it with a small synthetic resource that was valid here before the
rule, and pins the neighbouring case HL7's validator lets pass, so the rule cannot grow past the source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.bounds import check_size_rules
from conformance.fhirval.issues import Sink
from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.references import is_absolute_url
from conformance.fhirval.validate import validate_resource

_DAR = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
_XVER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.status"
_UUID = "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"


def issues(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.location) for i in validate_resource(resource, base_source())
            if i.severity != "information"]


def errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(d, loc) for s, d, loc in issues(resource) if s == "error"]


def observation(**changes: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, **changes}


# ---- a canonical resource's own url is absolute (checkPrimitive, isCanonicalURLElement) ----------------------

def test_canonical_resource_url_must_be_absolute() -> None:
    vs: dict[str, Any] = {"resourceType": "ValueSet", "status": "draft"}
    for url in ("http://example.org/fhir/ValueSet/x", "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0",
                "urn:oid:2.16.840.1.113883.4.642.3.1"):
        assert errors({**vs, "url": url}) == []
    assert errors({**vs, "url": "ValueSet/x"}) == [("canonical-relative", "ValueSet.url")]
    assert errors({**vs, "url": "HTTP://example.org/x"}) == [("canonical-relative", "ValueSet.url")]


def test_contained_canonical_resource_url_must_be_absolute_if_present() -> None:
    q = {"resourceType": "Questionnaire", "status": "draft",
         "contained": [{"resourceType": "ValueSet", "id": "vs", "status": "draft", "url": "vs"}],
         "item": [{"linkId": "1", "type": "choice", "answerValueSet": "#vs"}]}
    assert errors(q) == [("canonical-relative", "Questionnaire.contained[0].url")]
    del q["contained"][0]["url"]  # type: ignore[attr-defined]
    assert errors(q) == []


def test_url_of_other_elements_is_not_a_defining_url() -> None:
    link = {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "self", "url": "Patient?name=x"}]}
    assert [e for e in errors(link) if e[0] == "canonical-relative"] == []


# ---- an extension's url is absolute unless it is a sub-extension (checkChildByDefinition) -------------------

def test_extension_url_must_be_absolute_outside_an_extension() -> None:
    patient = {"resourceType": "Patient", "extension": [{"url": "eyeColour", "valueString": "blue"}]}
    assert errors(patient) == [("extension-url", "Patient.extension[0]")]
    name = {"resourceType": "Patient", "name": [{"family": "x", "extension": [{"url": "x", "valueString": "y"}]}]}
    assert errors(name) == [("extension-url", "Patient.name[0].extension[0]")]
    modifier = {"resourceType": "Patient", "modifierExtension": [{"url": "Upper:x", "valueString": "y"}]}
    assert errors(modifier) == [("extension-url", "Patient.modifierExtension[0]")]


def test_sub_extension_url_may_be_relative() -> None:
    nationality = {"resourceType": "Patient", "extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/patient-nationality",
         "extension": [{"url": "code", "valueCodeableConcept": {"text": "Dutch"}}]}]}
    assert errors(nationality) == []


def test_absolute_url_is_hl7s() -> None:
    assert is_absolute_url("http://x.org/a") and is_absolute_url("urn:oid:1.2.3") and is_absolute_url("ldap:x")
    assert not is_absolute_url("x") and not is_absolute_url("HTTP://x") and not is_absolute_url("http://a b")
    assert not is_absolute_url("coap+tcp://x") and not is_absolute_url("http:")


# ---- a required binding with extensions but no value (checkPrimitive, Terminology_TX_Code_ValueSet_MISSING) --

def test_required_code_with_only_an_extension_gives_no_code() -> None:
    obs = observation(_status={"extension": [{"url": _DAR, "valueCode": "unknown"}]})
    del obs["status"]
    assert errors(obs) == [("code-invalid", "Observation.status")]


def test_required_code_carried_by_a_cross_version_extension_is_a_warning() -> None:
    obs = observation(_status={"extension": [{"url": _XVER, "valueCode": "final"}]})
    del obs["status"]
    assert errors(obs) == []
    assert ("warning", "code-invalid", "Observation.status") in issues(obs)


def test_code_with_a_value_and_an_extension_is_judged_as_usual() -> None:
    assert errors(observation(_status={"extension": [{"url": _DAR, "valueCode": "unknown"}]})) == []


def test_unbound_primitive_with_only_an_extension_is_fine() -> None:
    patient = {"resourceType": "Patient", "_birthDate": {"extension": [{"url": _DAR, "valueCode": "unknown"}]}}
    assert errors(patient) == []


# ---- a reference in a Bundle entry without fullUrl (localResolve, getFromBundle) ------------------------------

def transaction(ref: str, btype: str = "transaction") -> dict[str, Any]:
    entry: dict[str, Any] = {"resource": observation(subject={"reference": ref})}
    entry["request" if "response" not in btype else "response"] = (
        {"method": "POST", "url": "Observation"} if "response" not in btype else {"status": "201 Created"})
    return {"resourceType": "Bundle", "type": btype, "entry": [entry]}


def collection(ref: str) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": observation(subject={"reference": ref})}]}


def test_reference_in_an_entry_without_full_url() -> None:
    where = "Bundle.entry[0].resource.subject.reference"
    entry_rule = ("bundle-fullurl", "Bundle.entry[0]")  # the Bundle rules' own: a collection entry needs a fullUrl
    # and localResolve's BUNDLE_BUNDLE_ENTRY_NOFULLURL, on the entry too (another message: both are kept)
    assert sorted(errors(collection("Patient/1"))) == sorted(
        [entry_rule, entry_rule, ("reference-unresolved", where)])
    assert sorted(errors(collection("http://example.org/fhir/Patient/1"))) == sorted([entry_rule, entry_rule])


def test_a_posted_entry_of_a_transaction_may_omit_its_full_url() -> None:
    """R4: "fullUrl can be empty on a POST"; a relative reference in a transaction or batch names a resource on
    the server it is sent to. HL7's code errs here (its comment says it should not): never a false alarm."""
    assert errors(transaction("Patient/1")) == []
    assert errors(transaction("http://example.org/fhir/Patient/1")) == []
    assert errors(transaction("Patient/1", "batch")) == []


def test_reference_in_an_entry_with_full_url_or_in_a_response() -> None:
    b = transaction("Patient/1")
    b["entry"][0]["fullUrl"] = _UUID
    assert errors(b) == []
    assert errors(transaction("Patient/1", "transaction-response")) == []
    local = transaction("#p")
    local["entry"][0]["resource"]["contained"] = [{"resourceType": "Patient", "id": "p"}]
    assert errors(local) == []


# ---- two contained resources with one id (validateContains, RESOURCE_DUPLICATE_CONTAINED_ID) ------------------

def test_contained_resources_with_the_same_id() -> None:
    patient: dict[str, Any] = {
        "resourceType": "Patient", "managingOrganization": {"reference": "#o"},
        "contained": [{"resourceType": "Organization", "id": "o", "name": "a"},
                      {"resourceType": "Organization", "id": "o", "name": "b"}]}
    assert errors(patient) == [("duplicate-id", "Patient.contained[1]")]
    patient["contained"][1]["id"] = "o2"
    patient["generalPractitioner"] = [{"reference": "#o2"}]
    assert errors(patient) == []


# ---- a profile's aggregation modes on a Reference (checkReference, REFERENCE_REF_AGGREGATION) --------------

_AGG_PROFILE = "https://conformance.example/fhir/StructureDefinition/aggregated-observation"


def profile_source(tmp_path: Path, url: str, rtype: str, elements: list[dict[str, Any]]) -> LayeredSource:
    """Base R4 and one synthetic constraint on ``rtype`` whose differential is ``elements``."""
    name = url.rsplit("/", 1)[1]
    sd = {"resourceType": "StructureDefinition", "url": url, "name": name.replace("-", ""), "status": "draft",
          "kind": "resource", "abstract": False, "type": rtype, "derivation": "constraint",
          "baseDefinition": f"http://hl7.org/fhir/StructureDefinition/{rtype}",
          "differential": {"element": [{"id": rtype, "path": rtype}, *elements]}}
    (tmp_path / f"StructureDefinition-{name}.json").write_text(json.dumps(sd))
    return load_definitions([tmp_path])


def profile_errors(source: LayeredSource, profile: str, resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(resource, source, (profile,)) if i.is_error]


def aggregation_source(tmp_path: Path, modes: list[str]) -> LayeredSource:
    return profile_source(tmp_path, _AGG_PROFILE, "Observation", [
        {"id": "Observation.subject", "path": "Observation.subject",
         "type": [{"code": "Reference", "targetProfile": ["http://hl7.org/fhir/StructureDefinition/Patient"],
                   "aggregation": modes}]}])


def aggregation_errors(source: LayeredSource, resource: dict[str, Any]) -> list[tuple[str, str]]:
    asked = (_AGG_PROFILE,) if resource["resourceType"] == "Observation" else ()  # a Bundle's entry: meta.profile
    return [(i.defect, i.location) for i in validate_resource(resource, source, asked) if i.is_error]


def test_aggregation_contained_only(tmp_path: Path) -> None:
    source = aggregation_source(tmp_path, ["contained"])
    contained = observation(contained=[{"resourceType": "Patient", "id": "p"}], subject={"reference": "#p"})
    assert aggregation_errors(source, contained) == []
    assert aggregation_errors(source, observation(subject={"reference": "Patient/1"})) == [
        ("reference-aggregation", "Observation.subject")]


def test_aggregation_bundled_or_referenced(tmp_path: Path) -> None:
    source = aggregation_source(tmp_path, ["bundled"])
    contained = observation(contained=[{"resourceType": "Patient", "id": "p"}], subject={"reference": "#p"})
    assert aggregation_errors(source, contained) == [("reference-aggregation", "Observation.subject")]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:8f1c3a52-2b7d-4e8a-9d55-1a2b3c4d5e6f",
         "resource": {**observation(subject={"reference": _UUID}), "meta": {"profile": [_AGG_PROFILE]}}},
        {"fullUrl": _UUID, "resource": {"resourceType": "Patient"}}]}
    assert aggregation_errors(source, bundle) == []
    bundle["entry"][1]["fullUrl"] = "urn:uuid:9f1c3a52-2b7d-4e8a-9d55-1a2b3c4d5e6f"
    assert ("reference-aggregation", "Bundle.entry[0].resource.subject") in aggregation_errors(source, bundle)
    referenced = aggregation_source(tmp_path, ["referenced"])
    assert aggregation_errors(referenced, observation(subject={"reference": "Patient/1"})) == []


# ---- a profile's maxDecimalPlaces and maxSize (checkPrimitive, checkQuantity, checkAttachment) ----------------

_SIZED = "https://conformance.example/fhir/StructureDefinition/sized-observation"
_SIZED_PATIENT = "https://conformance.example/fhir/StructureDefinition/sized-patient"


def test_max_decimal_places_on_a_quantity(tmp_path: Path) -> None:
    places = {"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 1}
    source = profile_source(tmp_path, _SIZED, "Observation", [
        {"id": "Observation.value[x]", "path": "Observation.value[x]", "extension": [places]}])
    assert profile_errors(source, _SIZED, observation(valueQuantity={"value": 1.5})) == []
    assert profile_errors(source, _SIZED, observation(valueQuantity={"value": 1.25})) == [
        ("max-value", "Observation.value.ofType(Quantity)")]


def test_max_size_on_an_attachment(tmp_path: Path) -> None:
    size = {"url": "http://hl7.org/fhir/StructureDefinition/maxSize", "valueDecimal": 4}
    source = profile_source(tmp_path, _SIZED_PATIENT, "Patient", [
        {"id": "Patient.photo", "path": "Patient.photo", "extension": [size]}])
    four = {"resourceType": "Patient", "photo": [{"contentType": "text/plain", "data": "aGVsbA=="}]}
    five = {"resourceType": "Patient", "photo": [{"contentType": "text/plain", "data": "aGVsbG8="}]}
    assert profile_errors(source, _SIZED_PATIENT, four) == []
    assert profile_errors(source, _SIZED_PATIENT, five) == [("max-value", "Patient.photo[0]")]


def test_max_decimal_places_on_a_decimal() -> None:
    ed = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 2}]}
    for value, wanted in ((1.25, 0), (3, 0), (1.255, 1), (1.0e-5, 1)):
        sink = Sink()
        check_size_rules(value, "decimal", ed, "X.value", sink)
        assert len([i for i in sink.issues if i.is_error]) == wanted, value


# ---- a document's stylesheet link (BundleValidator.validateDocumentLink, BUNDLE_LINK_STYELSHEET_NOT_FOUND) ------

def document(stylesheet: str) -> dict[str, Any]:
    composition = {"resourceType": "Composition", "status": "final", "type": {"text": "note"}, "date": "2020-01-01",
                   "author": [{"display": "Dr X"}], "title": "Note"}
    return {"resourceType": "Bundle", "type": "document", "timestamp": "2020-01-01T00:00:00Z",
            "identifier": {"system": "http://example.org/docs", "value": "1"},
            "link": [{"relation": "stylesheet", "url": stylesheet}],
            "entry": [{"fullUrl": _UUID, "resource": composition},
                      {"fullUrl": "http://example.org/fhir/Binary/css", "resource": {
                          "resourceType": "Binary", "id": "css", "contentType": "text/css", "data": "cCB7fQ=="}}]}


def test_document_stylesheet_must_be_an_entry_or_absolute() -> None:
    assert errors(document("Binary/css")) == []
    absolute = errors(document("https://hl7.org/fhir/fhir.css"))
    assert absolute == [("bundle-orphan", "Bundle.entry[1]")]  # the Binary is then no part of the document
    assert ("bundle-link", "Bundle.link[0].url") in errors(document("Binary/other"))


# ---- a resolved reference's target conforms to a target profile (checkReference, REFERENCE_REF_CANTMATCHCHOICE) --

_TARGETED = "https://conformance.example/fhir/StructureDefinition/targeted-observation"
_TEST_PATIENT = "https://conformance.example/fhir/StructureDefinition/test-patient"
_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir" / "validation"


def test_contained_target_must_conform_to_a_target_profile(tmp_path: Path) -> None:
    source = targeted_source(tmp_path)
    good = patient_target()
    bad = {k: v for k, v in good.items() if k != "birthDate"}  # tp-1: a test patient needs a birth date

    def found(target: dict[str, Any], ref: str = "#p") -> list[tuple[str, str]]:
        obs = observation(contained=[target], subject={"reference": ref})
        return [(i.defect, i.location) for i in validate_resource(obs, source, (_TARGETED,)) if i.is_error]

    assert found(good) == []
    assert found(bad) == [("reference-target", "Observation.subject")]
    assert ("reference-target", "Observation.subject") not in found(bad, "Patient/elsewhere")  # not resolved here


def test_no_extension_on_resource_id() -> None:
    # InstanceValidator.checkExtensionContext: FHIR_RESOURCE_ID_CANT_BE_EXTENDED, whatever the extension's context
    dar = {"extension": [{"url": _DAR, "valueCode": "unknown"}]}
    on_id = {"resourceType": "Patient", "id": "p", "_id": dar}
    assert errors(on_id) == [("extension-context", "Patient.id.extension[0]")]
    assert errors({"resourceType": "Patient", "id": "p", "_birthDate": dar}) == []
    contained = {"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o", "name": "x",
                                                           "_id": dar}], "managingOrganization": {"reference": "#o"}}
    assert errors(contained) == [("extension-context", "Patient.contained[0].id.extension[0]")]


def test_canonical_absolute_is_hl7s() -> None:
    # checkPrimitive: TYPE_SPECIFIC_CHECKS_CANONICAL_ABSOLUTE by Utilities.isAbsoluteUrl (a lowercase token scheme)
    q: dict[str, Any] = {"resourceType": "Questionnaire", "status": "draft"}
    assert errors({**q, "derivedFrom": ["http://example.org/Questionnaire/a|1.0"]}) == []
    assert errors({**q, "derivedFrom": ["HTTP://example.org/Questionnaire/a"]}) == [
        ("canonical-relative", "Questionnaire.derivedFrom[0]")]


# ---- the target's trial stands where the target stands (issue 21: a probe out of context gave false alarms) ------

_ORG_URL, _PATIENT_URL = "http://a.org/fhir/Organization/o", "http://a.org/fhir/Patient/p"


def with_test_profiles(tmp_path: Path) -> None:
    for f in (_FIXTURES / "profiles").iterdir():
        (tmp_path / f.name).write_text(f.read_text())


def targeted_source(tmp_path: Path) -> LayeredSource:
    with_test_profiles(tmp_path)
    return profile_source(tmp_path, _TARGETED, "Observation", [
        {"id": "Observation.subject", "path": "Observation.subject",
         "type": [{"code": "Reference", "targetProfile": [_TEST_PATIENT]}]}])


def patient_target(**changes: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p", "birthDate": "1980-02-03",
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                           "valueAddress": {"city": "Leeds"}}],
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}], **changes}


def test_contained_target_is_judged_as_contained(tmp_path: Path) -> None:
    # the Patient's "#o" is the Observation's contained Organization: the trial walks the Patient as contained in
    # the Observation, not as a resource of its own with no contained list
    source = targeted_source(tmp_path)
    obs = observation(contained=[patient_target(managingOrganization={"reference": "#o"}),
                                 {"resourceType": "Organization", "id": "o", "name": "a"}],
                      subject={"reference": "#p"})
    assert profile_errors(source, _TARGETED, obs) == []
    assert errors(obs) == []
    del obs["contained"][0]["birthDate"]  # tp-1: still judged
    assert profile_errors(source, _TARGETED, obs) == [("reference-target", "Observation.subject")]


def targeted_document(patient_url: str) -> dict[str, Any]:
    composition = {"resourceType": "Composition", "status": "final", "type": {"text": "note"}, "date": "2020-01-01",
                   "author": [{"display": "Dr X"}], "title": "Note", "subject": {"reference": patient_url},
                   "section": [{"title": "s", "entry": [{"reference": "urn:uuid:8f1c3a52-2b7d-4e8a-9d55-1a2b3c4d5e6f"},
                                                        {"reference": _ORG_URL}]}]}
    obs = {**observation(subject={"reference": patient_url}), "meta": {"profile": [_TARGETED]}}
    return {"resourceType": "Bundle", "type": "document", "timestamp": "2020-01-01T00:00:00Z",
            "identifier": {"system": "http://example.org/docs", "value": "1"},
            "entry": [{"fullUrl": _UUID, "resource": composition},
                      {"fullUrl": "urn:uuid:8f1c3a52-2b7d-4e8a-9d55-1a2b3c4d5e6f", "resource": obs},
                      {"fullUrl": patient_url,
                       "resource": patient_target(managingOrganization={"reference": "Organization/o"})},
                      {"fullUrl": _ORG_URL, "resource": {"resourceType": "Organization", "id": "o", "name": "a"}}]}


def test_bundle_entry_target_is_judged_with_its_own_full_url(tmp_path: Path) -> None:
    # the Patient's "Organization/o" resolves against the Patient's own fullUrl (http://a.org/fhir/), not the
    # Observation's urn:uuid: the trial walks the Patient as its entry's resource
    source = targeted_source(tmp_path)
    bundle = targeted_document(_PATIENT_URL)
    assert [(i.defect, i.location) for i in validate_resource(bundle, source) if i.is_error] == []
    del bundle["entry"][2]["resource"]["birthDate"]
    assert ("reference-target", "Bundle.entry[1].resource.subject") in [
        (i.defect, i.location) for i in validate_resource(bundle, source) if i.is_error]


def test_a_type_profile_trial_keeps_its_element_ids_apart(tmp_path: Path) -> None:
    # the trial of a value against each of its type's profiles saw the value's id in the real resource's frame,
    # and the real walk then called that id a duplicate
    url = "https://conformance.example/fhir/StructureDefinition/two-quantities"
    source = profile_source(tmp_path, url, "Observation", [
        {"id": "Observation.value[x]", "path": "Observation.value[x]", "type": [{"code": "Quantity", "profile": [
            "http://hl7.org/fhir/StructureDefinition/SimpleQuantity",
            "http://hl7.org/fhir/StructureDefinition/MoneyQuantity"]}]}])
    assert profile_errors(source, url, observation(valueQuantity={"id": "q", "value": 1})) == []
    twice = observation(identifier=[{"id": "q", "value": "1"}], valueQuantity={"id": "q", "value": 1})
    assert profile_errors(source, url, twice) == [("duplicate-id", "Observation.value.ofType(Quantity)")]


def test_a_slice_by_the_profile_of_a_resolved_target_judges_it_where_it_stands(tmp_path: Path) -> None:
    # a profile discriminator on resolve(): the contained Patient is tried as contained, so its "#o" resolves
    url = "https://conformance.example/fhir/StructureDefinition/focused-observation"
    with_test_profiles(tmp_path)
    source = profile_source(tmp_path, url, "Observation", [
        {"id": "Observation.focus", "path": "Observation.focus", "slicing": {
            "discriminator": [{"type": "profile", "path": "resolve()"}], "rules": "open"}},
        {"id": "Observation.focus:patient", "path": "Observation.focus", "sliceName": "patient", "min": 1,
         "max": "1", "type": [{"code": "Reference", "targetProfile": [_TEST_PATIENT]}]}])
    obs = observation(contained=[patient_target(managingOrganization={"reference": "#o"}),
                                 {"resourceType": "Organization", "id": "o", "name": "a"}],
                      focus=[{"reference": "#p"}])
    assert profile_errors(source, url, obs) == []
    del obs["contained"][0]["birthDate"]  # tp-1: then in no slice
    assert ("slice-min", "Observation") in profile_errors(source, url, obs)


def test_a_slice_by_the_profile_of_a_child_judges_it_where_it_stands(tmp_path: Path) -> None:
    # a profile discriminator at a path below the item ("value"): the value is tried at its own location, so an
    # extension whose context is Quantity is on a Quantity, not on the resource
    url = "https://conformance.example/fhir/StructureDefinition/component-observation"
    source = profile_source(tmp_path, url, "Observation", [
        {"id": "Observation.component", "path": "Observation.component", "slicing": {
            "discriminator": [{"type": "profile", "path": "value"}], "rules": "open"}},
        {"id": "Observation.component:simple", "path": "Observation.component", "sliceName": "simple", "min": 1,
         "max": "1"},
        {"id": "Observation.component:simple.value[x]", "path": "Observation.component.value[x]",
         "type": [{"code": "Quantity", "profile": ["http://hl7.org/fhir/StructureDefinition/SimpleQuantity"]}]}])
    uncertainty = {"url": "http://hl7.org/fhir/StructureDefinition/iso21090-uncertainty", "valueDecimal": 0.1}
    value = {"value": 1, "extension": [uncertainty]}
    obs = observation(component=[{"code": {"text": "c"}, "valueQuantity": value}])
    assert profile_errors(source, url, obs) == []
    value["comparator"] = "<"  # SimpleQuantity: no comparator, then in no slice
    assert ("slice-min", "Observation") in profile_errors(source, url, obs)


def test_a_trial_keeps_the_walks_extension_domains(tmp_path: Path) -> None:
    # an extension nobody defined, allowed by the validation's extension domains: information in the real walk,
    # so not an error that makes the target conform to none of its profiles
    source = targeted_source(tmp_path)
    unknown = {"url": "https://elsewhere.example/fhir/StructureDefinition/unknown", "valueString": "x"}
    patient = patient_target()
    patient["extension"].append(unknown)
    obs = observation(contained=[patient], subject={"reference": "#p"})
    assert [(i.defect, i.location) for i in validate_resource(obs, source, (_TARGETED,), extension_domains=["any"])
            if i.is_error] == []
    assert ("reference-target", "Observation.subject") in profile_errors(source, _TARGETED, obs)


def test_max_decimal_places_counts_the_text_of_a_number_with_an_exponent() -> None:
    """InstanceValidator.checkPrimitive (decimal) and checkQuantity count the characters after the '.' of the
    value's text, none without one (TYPE_SPECIFIC_CHECKS_DT_DECIMAL_CHARS): JSON's 1e-7 has no places (its float,
    1e-07, had 7: an error HL7 does not give), and 1.5e-3 has 4 ("5e-3"), as HL7 counts them (review15)."""
    from conformance.safejson import loads

    ed = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces", "valueInteger": 2}]}
    for text, wanted in (("1e-7", 0), ("2E+3", 0), ("1.5e-3", 1), ("2.5E+3", 1), ("1.25", 0), ("1.255", 1)):
        sink = Sink()
        check_size_rules(loads(text), "decimal", ed, "X.value", sink)
        assert len([i for i in sink.issues if i.is_error]) == wanted, text
