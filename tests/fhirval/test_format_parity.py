"""XML and JSON give the same findings (bench/fhir_format_parity.py): the JSON -> XML writer, and each divergence the
parity bench found, pinned with a small synthetic resource that failed before its fix."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes
from conformance.fhirval.xml import xml_to_json
from conformance.fhirval.xml_write import NotExpressible, json_to_xml
from tests.fhirval.scripts import load_script
from tests.fhirval.test_agreement_classes import errors
from tests.fhirval.test_ig_false_alarms import EXT, _extension


def _round_trip(resource: dict[str, Any]) -> Any:
    return xml_to_json(json_to_xml(resource, base_source()), base_source(), parse_float=Decimal)


def test_writer_round_trips_through_the_reader() -> None:
    patient = {"resourceType": "Patient", "id": "p", "active": True,
               "name": [{"given": ["a", "b"], "_given": [None, {"id": "g2"}]}],
               "_birthDate": {"extension": [{"url": EXT, "valueBoolean": True}]},
               "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'},
               "contained": [{"resourceType": "Organization", "id": "o", "name": "O"}],
               "multipleBirthInteger": 2, "managingOrganization": {"reference": "#o"}}
    back = _round_trip(patient)
    assert back == patient


def test_writer_puts_elements_in_definition_order_and_keeps_decimals() -> None:
    obs = json.loads('{"valueQuantity": {"value": 1.50, "unit": "g"}, "status": "final", "resourceType": '
                     '"Observation", "code": {"text": "t"}}', parse_float=Decimal)
    xml = json_to_xml(obs, base_source()).decode()
    assert xml.index("<status") < xml.index("<code") < xml.index("<valueQuantity")
    assert '<value value="1.50"/>' in xml
    assert [i for i in validate_bytes(xml.encode(), base_source()) if i.defect == "element-order"] == []


def test_writer_keeps_an_element_named_resource_type() -> None:
    # ExampleScenario.instance.resourceType is an element (the R4 spec's ExampleScenario-example lost it: 12 errors)
    scenario = {"resourceType": "ExampleScenario", "status": "draft",
                "instance": [{"resourceId": "a", "resourceType": "Patient"}]}
    assert _round_trip(scenario) == scenario


def test_writer_refuses_what_xml_cannot_say() -> None:
    try:
        json_to_xml({"resourceType": "Patient", "a b": 1}, base_source())
    except NotExpressible:
        pass
    else:
        raise AssertionError("a property name that is no XML name has no XML form")


# ---- a FHIRPath result memoised with the first resource's nodes -----------------------------------------

def test_fhirpath_context_is_judged_on_each_resource_own_nodes(tmp_path: Path) -> None:
    # ext-ctxt-good-address: the same resource validated twice (its XML after its JSON) was valid, then an
    # extension-context error: the memo of `address.where(use = 'home')` handed back the first resource's address
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": "Patient.address.where(use = 'home')"}])
    res: dict[str, Any] = {"resourceType": "Patient", "id": "p1", "address": [
        {"extension": [{"url": EXT, "valueBoolean": True}], "use": "home"}]}
    assert errors(copy.deepcopy(res), source) == []
    assert errors(copy.deepcopy(res), source) == []
    res["address"][0]["use"] = "work"
    assert errors(res, source) == [("extension-context", "Patient.address[0].extension[0]")]


# ---- what FHIR XML cannot mean and its JSON cannot show (XmlParser.parseChildren / checkElement) -----------

_NS = 'xmlns="http://hl7.org/fhir"'
_DIV = '<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">x</div></text>'


def _xml_errors(body: str) -> list[tuple[str, str]]:
    issues = validate_bytes(f'<Patient {_NS}>{body}</Patient>'.encode(), base_source())
    return sorted((i.defect, i.location) for i in issues if i.is_error)


def test_an_id_attribute_on_a_resource_is_no_resource_id() -> None:
    # Resource.id is an element (no xmlAttr): HL7 UNDEFINED_ATTRIBUTE__ON__FOR_TYPE__PROPERTIES__; was read as the id
    issues = validate_bytes(f'<Patient {_NS} id="x">{_DIV}<active value="true"/></Patient>'.encode(), base_source())
    assert [(i.defect, i.location) for i in issues if i.is_error] == [("unknown-element", "Patient")]
    assert _xml_errors(f'<id value="x"/>{_DIV}<active value="true"/>') == []


def test_an_xml_attribute_property_given_as_an_element_is_undefined() -> None:
    # Element.id and Extension.url are XML attributes: <id value=".."/> inside <name> is UNDEFINED_ELEMENT_ to HL7
    assert _xml_errors(f'<id value="p"/>{_DIV}<name><id value="n1"/><family value="x"/></name>') == [
        ("unknown-element", "Patient.name[0]")]
    assert _xml_errors(f'<id value="p"/>{_DIV}<name id="n1"><family value="x"/></name>') == []


def test_a_resource_with_no_content_is_an_error() -> None:
    # XmlParser.checkElement: ELEMENT_MUST_HAVE_SOME_CONTENT, also on the root
    issues = validate_bytes(f'<Patient {_NS}/>'.encode(), base_source())
    assert [(i.defect, i.location) for i in issues if i.is_error] == [("xml", "Patient")]


# ---- the bench itself ----------------------------------------------------------------------------------------

def test_bench_finds_a_finding_on_one_side_only_and_classes_it(tmp_path: Path) -> None:
    load_script("bench/fhir_format_mutations.py")
    bench = load_script("bench/fhir_format_parity.py")
    patient = {"resourceType": "Patient", "id": "p", "active": True, "gender": "male", "maritalStatus": {"text": "M"},
               "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}}
    (tmp_path / "p.json").write_text(json.dumps(patient))
    (tmp_path / "q.json").write_text(json.dumps(patient | {"id": "q"}))
    (tmp_path / "q.xml").write_bytes(b'<Patient xmlns="http://hl7.org/fhir" id="q"><text><status value="generated"/>'
                                     b'<div xmlns="http://www.w3.org/1999/xhtml">x</div></text><active value="true"/>'
                                     b'<gender value="male"/><maritalStatus><text value="M"/></maritalStatus>'
                                     b'</Patient>')
    results, skipped = bench.run(bench.folder_pairs(tmp_path, base_source(), None, mutate=True))
    assert skipped == []
    by_label = {r.label: r for r in results}
    assert by_label["p.json"].only_json == by_label["p.json"].only_xml == []
    # the published twin's XML gives the id as an attribute: read leniently the content is the same, but it is an
    # error only XML can have (an XML-reader rule outside xml-rule's defects, so "content": to look at)
    twin = by_label["q"]
    assert (twin.json_valid, twin.xml_valid, twin.only_json) == (True, False, [])
    assert [bench.classify(f, "xml", []) for f in twin.only_xml] == ["content"]
    mutated = {label.split(" +")[1]: r for label, r in by_label.items() if " +" in label}
    assert {"empty-string", "padded-code", "unknown-property", "bad-boolean"} <= set(mutated)
    assert all(not r.json_valid and not r.xml_valid and not r.only_json and not r.only_xml
               for name, r in mutated.items() if name in ("empty-string", "unknown-property", "bad-boolean"))
