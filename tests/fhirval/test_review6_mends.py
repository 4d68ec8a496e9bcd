"""Mends the sixth review of the issue-21 validator work confirmed: implicit value sets taken for CodeSystems,
crashes on hostile concept property codes, a choice's profiles, a BOM before the XML declaration, duplicate
keys and slicing counts, XML order locations. Each test fails without its mend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.bindings import check_binding
from conformance.fhirval.issues import ISSUE_TYPE, Sink
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import apply_differential
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.validate import validate_resource
from tests.fhirval.test_code_system_rules import CS, errors_of, fruit
from tests.fhirval.test_profile_rules import errors as profile_errors
from tests.fhirval.test_profile_rules import profile
from tests.fhirval.test_review2_mends import DIV, FHIR

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
        for url in (SCT + "?fhir_vs", SCT + "?fhir_vs=isa/404684003"):
            assert not [i for i in _judge(url, strength, [sct]) if i[0] == "error"], (url, strength)
        # the bare system URI has no implicit value set (ImplicitValueSets.generateImplicitSnomedValueSet: null)
        assert ("error", "code-invalid") in _judge(SCT, strength, [sct]), strength
    ucum = {"resourceType": "CodeSystem", "url": "http://unitsofmeasure.org/vs", "status": "active",
            "content": "not-present"}
    assert not [i for i in _judge("http://unitsofmeasure.org/vs", "required", [ucum]) if i[0] == "error"]


def test_a_binding_to_another_code_system_is_still_the_mistake_hl7_reports() -> None:
    cs = {"resourceType": "CodeSystem", "url": "https://conformance.example/cs", "status": "active",
          "content": "not-present"}
    assert ("error", "code-invalid") in _judge("https://conformance.example/cs", "example", [cs])


# ---- 2. a list or an object where a code belongs is reported, never a crash --------------------------------

def test_a_concept_property_whose_code_is_a_list_does_not_crash() -> None:
    supplement = {"resourceType": "CodeSystem", "url": f"{CS}-x", "status": "active", "content": "supplement",
                  "supplements": CS, "property": [{"code": "p", "type": "code"}],
                  "concept": [{"code": "pear", "property": [{"code": ["p"], "valueCode": "kiwi"}]}]}
    assert errors_of(supplement)  # the list is a structural error: reported, not raised
    parent = fruit(property=[{"code": "parent", "uri": "http://hl7.org/fhir/concept-properties#parent",
                              "type": "code"}],
                   concept=[{"code": ["apple"], "property": [{"code": {"x": 1}, "valueCode": "pear"}]},
                            {"code": "pear", "property": [{"code": "parent", "valueCode": "apple"}]}])
    assert errors_of(parent)


def test_a_differential_id_or_an_obligation_url_that_is_a_list_does_not_crash() -> None:
    sd = {"resourceType": "StructureDefinition", "url": "https://conformance.example/sd/p", "name": "P",
          "status": "draft", "kind": "resource", "abstract": False, "type": "Patient",
          "baseDefinition": FHIR + "Patient", "derivation": "constraint",
          "extension": [{"url": ["http://hl7.org/fhir/StructureDefinition/obligation-profile"], "valueBoolean": True},
                        {"url": ["http://hl7.org/fhir/StructureDefinition/inherit-obligations"],
                         "valueCanonical": FHIR + "Patient"}],
          "differential": {"element": [{"id": ["Patient.value[x]"], "path": "Patient.active", "min": 1}]}}
    assert [i for i in validate_resource(sd, base_source()) if i.is_error]
    apply_differential(sd, base_source())  # the snapshot builder reads the differential's ids too


# ---- 3. a choice of several types takes only its type's first profile ---------------------------------------

def _observation_profile(types: list[dict[str, Any]]) -> LayeredSource:
    sd = {"resourceType": "StructureDefinition", "url": "https://conformance.example/sd/obs", "name": "Obs",
          "status": "draft", "kind": "resource", "abstract": False, "type": "Observation",
          "baseDefinition": FHIR + "Observation", "derivation": "constraint",
          "differential": {"element": [{"id": "Observation.value[x]", "path": "Observation.value[x]", "type": types}]}}
    return LayeredSource([base_source(), MemorySource([sd])])


def test_a_choice_of_several_types_judges_only_the_first_profile_of_its_type() -> None:
    unloaded = ["https://conformance.example/sd/q1", "https://conformance.example/sd/q2"]
    obs = {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "x"}, "text": DIV,
           "valueQuantity": {"value": 1, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}

    def named(source: LayeredSource) -> list[str]:
        return [u for i in validate_resource(obs, source, ("https://conformance.example/sd/obs",))
                if i.is_error for u in unloaded if u in i.message]

    assert named(_observation_profile([{"code": "Quantity", "profile": unloaded}, {"code": "string"}])) == unloaded[:1]
    # a single type (HL7's first branch) takes every profile it names
    assert sorted(named(_observation_profile([{"code": "Quantity", "profile": unloaded}]))) == unloaded


# ---- 4. a byte order mark does not hide the XML declaration's encoding -----------------------------------------

def test_a_byte_order_mark_before_a_latin_1_declaration_is_still_judged() -> None:
    from lxml import etree

    from conformance.fhirval.xml_rules import xml_document_issues, xml_header_issues
    body = b'<?xml version="1.0" encoding="ISO-8859-1"?><Patient xmlns="http://hl7.org/fhir"><id value="p"/></Patient>'
    root = etree.fromstring(body)
    for raw in (body, b"\xef\xbb\xbf" + body):
        assert [i.defect for i in xml_header_issues(raw) + xml_document_issues(root)] == ["xml"], raw[:4]
    # with content: an empty resource is its own error (ELEMENT_MUST_HAVE_SOME_CONTENT, test_format_parity)
    utf8 = b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?><Patient xmlns="http://hl7.org/fhir"><id value="p"/>' \
        b'</Patient>'
    assert xml_header_issues(utf8) + xml_document_issues(etree.fromstring(utf8)) == []


# ---- 5. slicing that cannot be evaluated is said per value; matching two slices has its own code -----------

def _identifier_slices(*slices: dict[str, Any]) -> dict[str, Any]:
    return profile("slices", "Patient", [
        {"id": "Patient.identifier", "path": "Patient.identifier",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}}, *slices])


def test_slicing_that_cannot_be_evaluated_is_an_error_for_each_value(tmp_path: Path) -> None:
    sliced = _identifier_slices({"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a"})
    two = {"resourceType": "Patient", "identifier": [{"system": "urn:a", "value": "1"},
                                                     {"system": "urn:b", "value": "2"}]}
    assert profile_errors(tmp_path, two, [sliced]) == [("structure-slicing", "Patient.identifier[0]"),
                                                       ("structure-slicing", "Patient.identifier[1]")]


def test_a_value_in_two_slices_has_its_own_defect_code() -> None:
    # VALIDATION_VAL_PROFILE_MATCHMULTIPLE is IssueType.INVALID (test_profile_audit.test_value_matching_two_slices)
    assert ISSUE_TYPE["slice-multiple"] == "invalid"


# ---- 6. an XML element out of order is located at the instance's path, not the type's -----------------------

def test_an_out_of_order_xml_element_is_located_in_the_instance() -> None:
    from conformance.fhirval.validate import validate_bytes
    xml = (b'<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><fullUrl value="urn:uuid:1"/>'
           b'<resource><Observation><status value="final"/><extension url="http://x"><valueString value="b"/>'
           b'</extension><code><text value="x"/></code><contained><Patient><name><given value="a"/></name><name>'
           b'<given value="x"/><family value="y"/></name></Patient></contained></Observation></resource></entry>'
           b'</Bundle>')
    found = {i.location for i in validate_bytes(xml, base_source()) if i.defect == "element-order"}
    assert found == {"Bundle.entry[0].resource.extension[0]",
                     "Bundle.entry[0].resource.contained[0]",
                     "Bundle.entry[0].resource.contained[0].name[1].family"}


def test_a_measure_report_population_coding_with_a_list_system_does_not_crash(tmp_path: Path) -> None:
    from tests.fhirval.test_agreement_classes import definitions
    from tests.fhirval.test_agreement_classes import errors as class_errors
    from tests.fhirval.test_measure_groups import FULL, POP, measure, report
    odd = [*FULL[:2], {"code": {"coding": [{"system": [POP], "code": "numerator"}]}, "count": 1}]
    assert class_errors(report(odd, {"value": 0.5}), definitions(tmp_path, measure("proportion")))
