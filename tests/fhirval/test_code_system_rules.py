"""A CodeSystem's own consistency (code_system_rules.py), as HL7's CodeSystemValidator: each rule with a
CodeSystem that breaks it and one that keeps it."""

from __future__ import annotations

import copy
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

CS = "https://conformance.example/cs/fruit"
VS = "https://conformance.example/vs/fruit"
FRUIT: dict[str, Any] = {
    "resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete", "count": 3,
    "valueSet": VS, "property": [{"code": "sweet", "uri": "https://conformance.example/p#sweet", "type": "boolean"}],
    "concept": [{"code": "apple", "property": [{"code": "sweet", "valueBoolean": True}],
                 "concept": [{"code": "bramley"}]}, {"code": "pear"}]}
ALL_FRUIT: dict[str, Any] = {"resourceType": "ValueSet", "url": VS, "status": "active",
                             "compose": {"include": [{"system": CS}]}}


def errors_of(resource: dict[str, Any], value_set: dict[str, Any] = ALL_FRUIT) -> list[tuple[str, str]]:
    source = LayeredSource([base_source(), MemorySource([FRUIT, value_set])])
    return [(i.defect, i.location) for i in validate_resource(resource, source) if i.is_error]


def fruit(**changes: Any) -> dict[str, Any]:
    cs = copy.deepcopy(FRUIT)
    cs.update(changes)
    return cs


def test_the_well_formed_code_system_is_valid() -> None:
    assert errors_of(fruit()) == []


def test_count_of_a_complete_code_system_counts_nested_concepts() -> None:
    assert errors_of(fruit(count=2)) == [("code-system-content", "CodeSystem.count")]


def test_properties_have_one_code_and_uri_each_and_values_of_their_type() -> None:
    cs = fruit()
    cs["property"].append(dict(cs["property"][0]))
    assert errors_of(cs) == [("code-system-content", "CodeSystem.property[1].uri"),
                             ("code-system-content", "CodeSystem.property[1].code")]
    cs = fruit()
    cs["concept"][0]["property"][0] = {"code": "sweet", "valueString": "very"}
    assert errors_of(cs) == [("code-system-content", "CodeSystem.concept[0].property[0]")]


def test_a_supplement_names_its_system_and_only_its_codes() -> None:
    supplement = {"resourceType": "CodeSystem", "url": f"{CS}-fr", "status": "active", "content": "supplement",
                  "supplements": CS, "concept": [{"code": "pear", "display": "poire"}]}
    assert errors_of(supplement) == []
    supplement["concept"].append({"code": "kiwi", "display": "kiwi"})
    assert errors_of(supplement) == [("code-unknown", "CodeSystem.concept[1]")]
    del supplement["supplements"]
    assert ("code-system-content", "CodeSystem") in errors_of(supplement)


def test_its_value_set_includes_the_whole_system() -> None:
    part = copy.deepcopy(ALL_FRUIT)
    part["compose"]["include"][0]["concept"] = [{"code": "pear"}]
    assert errors_of(fruit(), part) == [("code-system-content", "CodeSystem.valueSet")]
    other = copy.deepcopy(ALL_FRUIT)
    other["compose"]["include"][0]["system"] = "https://conformance.example/cs/veg"
    assert errors_of(fruit(), other) == [("code-system-content", "CodeSystem.valueSet")]


def test_a_code_is_defined_once_at_any_depth() -> None:
    cs = fruit(count=4)
    cs["concept"].append({"code": "bramley"})  # also under apple
    # R4's csd-1 says so of the whole CodeSystem; HL7's validator also names the concept, as here
    assert errors_of(cs) == [("invariant", "CodeSystem"), ("code-system-content", "CodeSystem.concept[2]")]
    cs["concept"][2]["code"] = "Bramley"  # codes compare exactly
    assert errors_of(cs) == []


def test_a_parent_property_names_a_code_of_this_system() -> None:
    # CODESYSTEM_PROPERTY_BAD_INTERNAL_REFERENCE (checkCodeProperty, INTERNAL_CODE): reported once per bad code
    parent = {"code": "parent", "uri": "http://hl7.org/fhir/concept-properties#parent", "type": "code"}
    concepts = [{"code": "apple"}, {"code": "bramley", "property": [{"code": "parent", "valueCode": "apple"}]},
                {"code": "pear", "property": [{"code": "parent", "valueCode": "fruit"}]}]
    assert errors_of(fruit(property=[parent], concept=concepts[:2], count=2)) == []
    assert errors_of(fruit(property=[parent], concept=concepts, count=3)) == [
        ("code-system-content", "CodeSystem.concept[2].property[0]")]
    twice = [*copy.deepcopy(concepts), {"code": "quince", "property": [{"code": "parent", "valueCode": "fruit"}]}]
    assert len(errors_of(fruit(property=[parent], concept=twice, count=4))) == 1
    # the same values under a property of the system's own URI, which HL7 only warns about, are left alone
    own = {"code": "parent", "uri": "https://conformance.example/p#parent", "type": "code"}
    assert errors_of(fruit(property=[own], concept=concepts, count=3)) == []


def test_a_supplement_keeps_its_systems_hierarchy_meaning() -> None:
    # CODESYSTEM_CS_SUPP_HIERARCHY_MEANING: judged only when both state one
    held = fruit(hierarchyMeaning="is-a")
    source = LayeredSource([base_source(), MemorySource([held, ALL_FRUIT])])
    supplement = {"resourceType": "CodeSystem", "url": f"{CS}-fr", "status": "active", "content": "supplement",
                  "supplements": CS, "concept": [{"code": "pear", "display": "poire"}]}

    def errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
        return [(i.defect, i.location) for i in validate_resource(resource, source) if i.is_error]

    assert errors(supplement) == []
    assert errors({**supplement, "hierarchyMeaning": "is-a"}) == []
    assert errors({**supplement, "hierarchyMeaning": "part-of"}) == [
        ("code-system-content", "CodeSystem.hierarchyMeaning")]
    assert errors_of({**supplement, "hierarchyMeaning": "part-of"}) == []  # the held system states none


def test_a_property_bound_to_a_value_set_has_values_from_it() -> None:
    """CODESYSTEM_PROPERTY_BAD_PROPERTY_CODE (checkCodeProperty, VS_ERROR): 'related' is bound to the fruit value
    set by the codesystem-property-valueset extension; 'plum' is no fruit here, reported once for two uses."""
    related = {"code": "related", "uri": "https://conformance.example/p#related", "type": "code", "extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/codesystem-property-valueset", "valueCanonical": VS}]}
    concepts = [{"code": "apple", "property": [{"code": "related", "valueCode": "pear"}]},
                {"code": "bramley"}, {"code": "pear", "property": [{"code": "related", "valueCode": "apple"}]}]
    assert errors_of(fruit(property=[related], concept=concepts)) == []
    bad = copy.deepcopy(concepts)
    bad[0]["property"][0]["valueCode"] = bad[2]["property"][0]["valueCode"] = "plum"
    assert errors_of(fruit(property=[related], concept=bad)) == [
        ("code-system-content", "CodeSystem.concept[0].property[0]")]


def test_a_property_uri_in_hl7s_space_is_a_known_concept_property() -> None:
    """CODESYSTEM_PROPERTY_BAD_HL7_URI (before: not judged); a FHIR code system's concept URI is let pass
    (calibrated on R4's v3-AddressPartType)."""
    def with_uri(uri: str, url: str = CS) -> list[tuple[str, str]]:
        prop = [{"code": "p", "uri": uri, "type": "string"}]
        cs = {**fruit(), "url": url, "property": prop, "concept": [{"code": "apple"}], "count": 1}
        del cs["valueSet"]
        return errors_of(cs)
    bad = [("code-system-content", "CodeSystem.property[0].uri")]
    assert with_uri("http://hl7.org/fhir/my-property") == bad
    assert with_uri("http://hl7.org/fhir/concept-properties#comment") == []
    assert with_uri("http://hl7.org/fhir/my-property", url="http://hl7.org/fhir/fruit") == []  # a base-spec system
    assert with_uri("http://hl7.org/fhir/fruit#p", url="http://hl7.org/fhir/fruit") == []  # its own
    assert with_uri("http://hl7.org/fhir/codesystem-hierarchy-meaning#part-of") == []
    assert with_uri("http://hl7.org/fhir/codesystem-hierarchy-meaning#no-such-code") == bad
