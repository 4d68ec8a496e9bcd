"""A narrative's textLink extensions lead to an id of the div and to data the resource (or its Bundle) holds,
as HL7's InstanceValidator.checkNarrative (TEXT_LINK_NO_ID, _NO_DATA, _DATA_NOT_FOUND, _DATA_MULTIPLE_MATCHES)."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import errors

LINK = "http://hl7.org/fhir/StructureDefinition/textLink"


def patient(*links: tuple[str | None, str | None]) -> dict[str, Any]:
    ext = [{"url": LINK, "extension": [p for p in ({"url": "htmlid", "valueString": h} if h else None,
                                                  {"url": "data", "valueUri": d} if d else None) if p]}
           for h, d in links]
    return {"resourceType": "Patient", "id": "p1",
            "text": {"status": "generated", "extension": ext,
                     "div": '<div xmlns="http://www.w3.org/1999/xhtml"><span id="n1">Ann</span></div>'},
            "name": [{"id": "name1", "given": ["Ann"]}]}


def narrative(res: dict[str, Any]) -> list[tuple[str, str]]:
    return [e for e in errors(res) if e[0] == "narrative"]


def test_a_link_between_an_html_id_and_an_element_id_is_accepted() -> None:
    assert narrative(patient(("n1", "#name1"))) == []
    assert narrative(patient(("n1", "#p1"))) == []  # the resource's own id


def test_an_html_id_the_div_lacks_data_nothing_has_or_no_data_is_an_error() -> None:
    assert narrative(patient(("n2", "#name1"))) == [("narrative", "Patient.text")]
    assert narrative(patient(("n1", "#nothing"))) == [("narrative", "Patient.text")]
    assert narrative(patient(("n1", None))) == [("narrative", "Patient.text")]


def test_data_may_name_another_entry_of_the_bundle() -> None:
    p = patient(("n1", "#o1"))
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://example.org/fhir/Patient/p1", "resource": p},
        {"fullUrl": "http://example.org/fhir/Organization/o1", "resource": {"resourceType": "Organization",
                                                                          "id": "o1", "name": "x"}}]}
    assert narrative(bundle) == []


def test_data_naming_another_resource_must_find_an_entry() -> None:
    """BaseValidator.getUrlMatches: an entry by Type/id or fullUrl; outside a Bundle nothing matches
    (TEXT_LINK_DATA_NOT_FOUND); the fragment is then looked up in that entry."""
    assert narrative(patient(("n1", "Organization/o1"))) == [("narrative", "Patient.text")]

    def in_bundle(data: str) -> list[tuple[str, str]]:
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
            {"fullUrl": "http://example.org/fhir/Patient/p1", "resource": patient(("n1", data))},
            {"fullUrl": "http://example.org/fhir/Organization/o1", "resource": {
                "resourceType": "Organization", "id": "o1", "name": "x", "contact": [{"id": "c1"}]}}]}
        return narrative(bundle)

    assert in_bundle("Organization/o1") == []
    assert in_bundle("http://example.org/fhir/Organization/o1") == []
    assert in_bundle("Organization/o1#c1") == []
    assert in_bundle("Organization/o2") == [("narrative", "Bundle.entry[0].resource.text")]
    assert in_bundle("Organization/o1#c2") == [("narrative", "Bundle.entry[0].resource.text")]


def test_a_selector_is_fhirpath() -> None:
    """TEXT_LINK_SELECTOR_INVALID (syntax only: HL7's type check against the data is not done here)."""
    p = patient(("n1", "#name1"))
    parts = p["text"]["extension"][0]["extension"]
    parts.append({"url": "selector", "valueString": "given.first()"})
    assert narrative(p) == []
    parts[-1]["valueString"] = "given.first("
    assert narrative(p) == [("narrative", "Patient.text")]


def image_patient(*ids: str) -> dict[str, Any]:
    spans = "".join(f'<span id="{i}">x</span>' for i in ids)
    return {"resourceType": "Patient", "id": "p1", "contained": [
        {"resourceType": "Binary", "id": "pic", "contentType": "image/png", "data": "AAAA"}],
        "text": {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{spans}'
                                               '<img src="#pic" alt="a picture"/></div>'}}


def test_an_image_source_names_one_thing() -> None:
    """TYPE_SPECIFIC_CHECKS_DT_XHTML_MULTIPLE_MATCHES: the contained Binary and an XHTML id both named 'pic'."""
    assert narrative(image_patient("other")) == []
    assert narrative(image_patient("pic")) == [("narrative", "Patient.text.div")]
