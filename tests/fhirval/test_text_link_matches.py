"""A textLink's data counted as HL7's BaseValidator.getFragmentMatches counts it (the resource itself, then every
entry of its Bundle: TEXT_LINK_DATA_MULTIPLE_MATCHES), and its selector type-checked on the first match's type
(InstanceValidator.checkNarrative, FHIRPathEngine.check: TEXT_LINK_SELECTOR_INVALID). Synthetic resources."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_text_links import LINK, narrative

DIV = '<div xmlns="http://www.w3.org/1999/xhtml"><span id="n1">Ann</span></div>'


def composition(data: str, selector: str | None = None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"url": "htmlid", "valueString": "n1"}, {"url": "data", "valueUri": data}]
    if selector is not None:
        parts.append({"url": "selector", "valueString": selector})
    return {"resourceType": "Composition", "id": "c1", "status": "final",
            "type": {"text": "note"}, "date": "2024-01-01", "title": "t", "author": [{"display": "a"}],
            "text": {"status": "generated", "extension": [{"url": LINK, "extension": parts}], "div": DIV}}


def bundle(data: str, selector: str | None = None) -> list[tuple[str, str]]:
    doc = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://example.org/fhir/Composition/c1", "resource": composition(data, selector)},
        {"fullUrl": "http://example.org/fhir/Patient/p1", "resource": {
            "resourceType": "Patient", "id": "p1", "name": [{"id": "nm", "family": "X"}]}}]}
    return narrative(doc)


AT = [("narrative", "Bundle.entry[0].resource.text")]


def test_a_resource_named_by_its_own_id_in_a_bundle_matches_twice() -> None:
    assert bundle("Patient/p1") == []
    assert bundle("Patient/p1#nm") == []
    assert bundle("Patient/p1#p1") == AT
    assert bundle("#c1") == AT
    assert bundle("#p1") == []


def test_a_selector_names_what_the_data_type_has() -> None:
    assert bundle("Patient/p1", "Patient.name.family") == []
    assert bundle("Patient/p1", "name.family") == []
    assert bundle("Patient/p1", "Practitioner.name.given") == AT
    assert bundle("#p1", "birthPlace") == AT
    assert bundle("Patient/p1#nm", "Practitioner.name") == []  # an element inside: not typed here
